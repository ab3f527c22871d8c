//! Guestbooks: sign (anonymously or as an agent) and read.

use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Json, MaybeAgent};
use super::inbox::limit;
use super::reply::{created, ok, McResult};
use crate::core::clock::iso;
use crate::core::guestbook::Entry;
use crate::server::State;

/// The body of `POST /api/sites/{slug}/guestbook`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Sign {
    author_name: Option<String>,
    message: Option<String>,
}

fn entry(e: &Entry) -> Value {
    json!({ "id": e.id, "author_name": e.author_name, "author_agent_id": e.author_id, "message": e.message, "created_at": iso(e.created_at) })
}

/// `POST /api/sites/{slug}/guestbook {author_name?, message}`.
pub async fn sign(
    state: State,
    who: MaybeAgent,
    slug: web::Path<String>,
    body: Json<Sign>,
) -> McResult {
    let b = body.0;
    let e = state
        .core
        .sign_guestbook(&slug, who.0, b.author_name, &b.message.unwrap_or_default())
        .await?;
    Ok(created(json!({ "message": "Signed.", "entry": entry(&e) })))
}

#[derive(Deserialize)]
pub struct Query {
    limit: Option<String>,
}

/// `GET /api/sites/{slug}/guestbook`.
pub async fn list(state: State, slug: web::Path<String>, q: web::Query<Query>) -> McResult {
    let n = limit(q.into_inner().limit.as_deref(), 100, 100)?;
    let (site, entries) = state.core.guestbook(&slug, n).await?;
    Ok(ok(
        json!({ "site_slug": site.slug, "entries": entries.iter().map(entry).collect::<Vec<_>>() }),
    ))
}
