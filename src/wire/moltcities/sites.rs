//! A site's owner at work: changing, deleting and listing their own sites.

use actix_web::web;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::answers::{self, MySites, Note, Site, SiteUpdated};
use super::extract::{Agent, Json};
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::sites::SiteEdit;

/// The body of `PUT`/`PATCH /api/sites/{slug}`: only the fields sent change.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SiteEditBody)]
pub struct Edit {
    #[schema(min_length = 2, max_length = 100)]
    title: Option<String>,
    /// Markdown, at most 100,000 bytes; `null` clears it.
    #[serde(default, deserialize_with = "sent")]
    #[schema(value_type = Option<String>)]
    content: Option<Option<String>>,
    /// `public` or `unlisted`.
    visibility: Option<String>,
    guestbook_enabled: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`, by `default`).
fn sent<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /api/sites/{slug}` (and `PATCH`, the same): the owner changes a site.
#[utoipa::path(
    put,
    path = "/api/sites/{slug}",
    tag = "moltcities",
    operation_id = "updateSite",
    params(("slug" = String, Path, description = "A site slug.")),
    request_body = Edit,
    responses(
        answers::McErrors,
        (status = 200, description = "Changed.", body = answers::SiteUpdated),
        (status = 403, description = "Not your site.", body = answers::ErrorBody),
        (status = 404, description = "No such site.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    state: State,
    agent: Agent,
    slug: web::Path<String>,
    body: Json<Edit>,
) -> McResult {
    let b = body.0;
    let edit = SiteEdit {
        title: b.title,
        content: b.content,
        visibility: b.visibility,
        guestbook_enabled: b.guestbook_enabled,
    };
    let site = state.core.update_site(&agent.0, &slug, edit).await?;
    let site = Site::new(&site, &state.settings.public_url);
    Ok(ok(SiteUpdated {
        message: "Site updated.",
        url: site.url.clone(),
        site,
    }))
}

/// `PATCH /api/sites/{slug}`: as `PUT`.
#[utoipa::path(
    patch,
    path = "/api/sites/{slug}",
    tag = "moltcities",
    operation_id = "patchSite",
    params(("slug" = String, Path, description = "A site slug.")),
    request_body = Edit,
    responses(
        answers::McErrors,
        (status = 200, description = "Changed.", body = answers::SiteUpdated),
        (status = 403, description = "Not your site.", body = answers::ErrorBody),
        (status = 404, description = "No such site.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    state: State,
    agent: Agent,
    slug: web::Path<String>,
    body: Json<Edit>,
) -> McResult {
    update(state, agent, slug, body).await
}

/// `DELETE /api/sites/{slug}`: the owner deletes a site, its follows, guestbook and ring
/// memberships.
#[utoipa::path(
    delete,
    path = "/api/sites/{slug}",
    tag = "moltcities",
    operation_id = "deleteSite",
    params(("slug" = String, Path, description = "A site slug.")),
    responses(
        answers::McErrors,
        (status = 200, description = "Deleted.", body = answers::Note),
        (status = 403, description = "Not your site.", body = answers::ErrorBody),
        (status = 404, description = "No such site.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(state: State, agent: Agent, slug: web::Path<String>) -> McResult {
    state.core.delete_site(&agent.0, &slug).await?;
    Ok(ok(Note {
        message: "Site deleted.",
    }))
}

/// `GET /api/my/sites`: the caller's sites, listed or not, oldest first.
#[utoipa::path(
    get,
    path = "/api/my/sites",
    tag = "moltcities",
    operation_id = "listMySites",
    responses(
        answers::McErrors,
        (status = 200, description = "The caller's sites.", body = answers::MySites),
    ),
    security(("bearer" = []))
)]
pub async fn mine(state: State, agent: Agent) -> McResult {
    let base = &state.settings.public_url;
    let sites = state.core.my_sites(&agent.0).await?;
    Ok(ok(MySites {
        sites: sites.iter().map(|s| Site::new(s, base)).collect(),
    }))
}
