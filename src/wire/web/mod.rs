//! The browser wire: the web client's page and files at `/` and `/assets/*`, its JSON API under
//! `/web/api/*` (session cookie, same-origin only) and its live channel at `/web/live`.
//! `web/CONTRACT.md` and `docs/web.md` describe it.

mod accounts;
mod agents;
mod assets;
mod conversations;
pub mod error;
pub mod live;
pub mod schema;
pub mod session;

use actix_web::web;
use utoipa::OpenApi;

/// The web API's routes in the OpenAPI document; keep in step with [`routes`].
#[derive(OpenApi)]
#[openapi(paths(
    accounts::config,
    accounts::sign_up,
    accounts::log_in,
    accounts::inspect_claim,
    accounts::claim,
    accounts::me,
    accounts::log_out,
    accounts::log_out_everywhere,
    accounts::change_password,
    conversations::list,
    conversations::one,
    conversations::messages,
    conversations::post,
    conversations::read,
    conversations::people,
    conversations::open_dm,
    agents::owned,
    agents::rotate_token,
    agents::unbind,
    agents::all_agents,
    agents::suspend,
    agents::resume,
))]
pub struct ApiDoc;

/// The link an owner claims their account with: the token rides in the fragment, which
/// browsers never send to a server or put in a Referer.
pub fn claim_url(public_url: &str, token: &str) -> String {
    format!("{}/#/claim/{token}", public_url.trim_end_matches('/'))
}

/// Registers the page, its files, the web API and the live channel.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // The page's files are text: gzip halves the first load (58 KB to 30 KB on the wire).
    cfg.service(
        web::resource("/")
            .wrap(actix_web::middleware::Compress::default())
            .route(web::get().to(assets::index)),
    )
    .service(
        web::resource("/assets/{name}")
            .wrap(actix_web::middleware::Compress::default())
            .route(web::get().to(assets::asset)),
    )
    .route("/web/live", web::get().to(live::connect))
    .service(
        web::scope("/web/api")
            .route("/config", web::get().to(accounts::config))
            .route("/signup", web::post().to(accounts::sign_up))
            .route("/login", web::post().to(accounts::log_in))
            .route("/claim/inspect", web::post().to(accounts::inspect_claim))
            .route("/claim", web::post().to(accounts::claim))
            .route("/me", web::get().to(accounts::me))
            .route("/logout", web::post().to(accounts::log_out))
            .route("/logout-all", web::post().to(accounts::log_out_everywhere))
            .route("/password", web::post().to(accounts::change_password))
            .route("/conversations", web::get().to(conversations::list))
            .route("/conversations/{id}", web::get().to(conversations::one))
            .route(
                "/conversations/{id}/messages",
                web::get().to(conversations::messages),
            )
            .route(
                "/conversations/{id}/messages",
                web::post().to(conversations::post),
            )
            .route(
                "/conversations/{id}/read",
                web::post().to(conversations::read),
            )
            .route("/people", web::get().to(conversations::people))
            .route("/dm", web::post().to(conversations::open_dm))
            .route("/agents", web::get().to(agents::owned))
            .route(
                "/agents/{id}/rotate-token",
                web::post().to(agents::rotate_token),
            )
            .route("/agents/{id}/unbind", web::post().to(agents::unbind))
            .route("/admin/agents", web::get().to(agents::all_agents))
            .route(
                "/admin/agents/{id}/suspend",
                web::post().to(agents::suspend),
            )
            .route("/admin/agents/{id}/resume", web::post().to(agents::resume))
            .default_service(web::to(unknown)),
    );
}

/// A path of the web API no route serves.
async fn unknown() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&error::WebFailure::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such route in the web API",
    ))
}
