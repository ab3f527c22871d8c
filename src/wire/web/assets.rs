//! The page and its files: embedded in the binary, served with a strict Content-Security-Policy
//! (no inline script, nothing from elsewhere). `web_dir` serves them from disk instead, for
//! editing the page without a rebuild.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::app::State;

/// Every response of the page carries these.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// A file of `web/`, embedded.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../../web/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The page and its modules (one per screen or concern; `app.js` is the entry).
const ASSETS: [Asset; 16] = [
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("dom.js", JS),
    asset!("api.js", JS),
    asset!("state.js", JS),
    asset!("session.js", JS),
    asset!("auth.js", JS),
    asset!("shell.js", JS),
    asset!("conversations.js", JS),
    asset!("mentions.js", JS),
    asset!("live.js", JS),
    asset!("agents.js", JS),
    asset!("account.js", JS),
    asset!("admin.js", JS),
];

fn serve(state: &State, name: &str) -> HttpResponse {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return crate::wire::mochat::envelope::not_found_route();
    };
    let body: Vec<u8> = if state.settings.web_dir.is_empty() {
        asset.body.to_vec()
    } else {
        match std::fs::read(std::path::Path::new(&state.settings.web_dir).join(asset.name)) {
            Ok(b) => b,
            Err(e) => {
                log::warn!("web_dir: cannot read {}: {e}", asset.name);
                return HttpResponse::NotFound().finish();
            }
        }
    };
    // The page itself is always fetched fresh (it names the current files); the files may be
    // cached briefly.
    let cache = if name == "index.html" || !state.settings.web_dir.is_empty() {
        "no-cache"
    } else {
        "public, max-age=300"
    };
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

/// `GET /`: the page.
pub async fn index(state: State) -> HttpResponse {
    serve(&state, "index.html")
}

/// `GET /assets/{name}`.
pub async fn asset(state: State, name: web::Path<String>) -> HttpResponse {
    serve(&state, &name)
}
