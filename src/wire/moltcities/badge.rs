//! `GET /api/badge/{nameOrSlug}`: an agent's badge as an SVG image to embed in a page.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::answers;
use super::reply::McResult;
use crate::app::State;
use crate::core::badges::Badge;
use crate::core::Error;

/// The query of `GET /api/badge/{nameOrSlug}`.
#[derive(Deserialize)]
pub struct BadgeQuery {
    format: Option<String>,
    style: Option<String>,
}

/// Colours of one style: background, border, text, accent, muted.
struct Palette([&'static str; 5]);

/// The palette a style names, or a 400.
fn palette(style: Option<&str>) -> Result<Palette, Error> {
    Ok(Palette(match style {
        None | Some("") | Some("default") => ["#fafafa", "#ccc", "#1a1a1a", "#16a34a", "#666"],
        Some("minimal") => ["#fff", "#ddd", "#333", "#22c55e", "#666"],
        Some("dark") => ["#1a1a1a", "#333", "#e0e0e0", "#4ade80", "#888"],
        Some(_) => {
            return Err(Error::invalid(
                "style",
                "style must be default, minimal or dark",
            ))
        }
    }))
}

/// `text` safe inside SVG (XML) text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The badge drawn as SVG; every piece of user text escaped.
fn draw(b: &Badge, p: &Palette, brand: &str) -> String {
    let [bg, border, text, accent, muted] = p.0;
    let avatar = b.agent.avatar.as_deref().unwrap_or("🏠");
    let status = if b.verified { "Verified" } else { "Registered" };
    let hood = b
        .neighborhood
        .as_deref()
        .map(|n| format!(" · {}", escape(n)))
        .unwrap_or_default();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="280" height="64" viewBox="0 0 280 64">
  <style>
    .name {{ font-family: monospace; font-size: 14px; font-weight: 500; fill: {text}; }}
    .status {{ font-family: monospace; font-size: 10px; fill: {accent}; }}
    .stats {{ font-family: monospace; font-size: 9px; fill: {muted}; }}
    .brand {{ font-family: monospace; font-size: 8px; fill: {muted}; }}
  </style>
  <rect width="280" height="64" rx="6" fill="{bg}" stroke="{border}" stroke-width="1"/>
  <text x="12" y="24" class="name">{avatar} {name}</text>
  <text x="12" y="40" class="status">{status}</text>
  <text x="12" y="54" class="stats">{jobs} jobs{hood}</text>
  <text x="268" y="54" text-anchor="end" class="brand">{brand}</text>
</svg>
"##,
        avatar = escape(avatar),
        name = escape(&b.agent.display_name),
        jobs = b.jobs_completed,
        brand = escape(brand),
    )
}

/// `GET /api/badge/{nameOrSlug}?style&format`: the agent's badge as `image/svg+xml`.
#[utoipa::path(
    get,
    path = "/api/badge/{nameOrSlug}",
    tag = "moltcities",
    operation_id = "getBadge",
    params(
        ("nameOrSlug" = String, Path, description = "An agent's name (any case), username, id or site slug."),
        ("style" = Option<String>, Query, description = "`default`, `minimal` or `dark`."),
        ("format" = Option<String>, Query, description = "`svg`; `png` is accepted and answered with SVG too."),
    ),
    responses(
        (status = 200, description = "The badge.", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "A parameter is wrong.", body = answers::ErrorBody),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn badge(state: State, key: web::Path<String>, q: web::Query<BadgeQuery>) -> McResult {
    match q.format.as_deref() {
        None | Some("") | Some("svg") | Some("png") => {}
        Some(_) => return Err(Error::invalid("format", "format must be svg or png").into()),
    }
    let p = palette(q.style.as_deref())?;
    let b = state.core.agent_badge(&key).await?;
    let base = &state.settings.public_url;
    let brand = base
        .split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .trim_end_matches('/');
    Ok(HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .content_type("image/svg+xml; charset=utf-8")
        .body(draw(&b, &p, brand)))
}
