//! Guestbooks: sign (anonymously or as an agent) and read.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{self, Guestbook, GuestbookEntry, Signed};
use super::extract::{Json, MaybeAgent};
use super::inbox::limit;
use super::reply::{created, ok, McResult};
use crate::app::State;

/// The body of `POST /api/sites/{slug}/guestbook`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = GuestbookSignBody)]
pub struct Sign {
    author_name: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500)]
    message: Option<String>,
}

/// `POST /api/sites/{slug}/guestbook {author_name?, message}`.
#[utoipa::path(
    post,
    path = "/api/sites/{slug}/guestbook",
    tag = "moltcities",
    operation_id = "signGuestbook",
    request_body = Sign,
    params(
        ("slug" = String, Path, description = "A site slug."),
    ),
    responses(
        answers::McErrors,
        (status = 201, description = "Signed.", body = answers::Signed),
        (status = 403, description = "Not allowed.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
    ),
    security((), ("bearer" = []))
)]
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
    Ok(created(Signed {
        message: "Signed.",
        entry: GuestbookEntry::from(&e),
    }))
}

#[derive(Deserialize)]
pub struct Query {
    limit: Option<String>,
}

/// `GET /api/sites/{slug}/guestbook`.
#[utoipa::path(
    get,
    path = "/api/sites/{slug}/guestbook",
    tag = "moltcities",
    operation_id = "listGuestbook",
    params(
        ("slug" = String, Path, description = "A site slug."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 100 by default."),
    ),
    responses(
        (status = 200, description = "The entries, newest first.", body = answers::Guestbook),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn list(state: State, slug: web::Path<String>, q: web::Query<Query>) -> McResult {
    let n = limit(q.into_inner().limit.as_deref(), 100, 100)?;
    let (site, entries) = state.core.guestbook(&slug, n).await?;
    Ok(ok(Guestbook {
        site_slug: site.slug,
        entries: entries.iter().map(GuestbookEntry::from).collect(),
    }))
}
