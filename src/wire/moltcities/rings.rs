//! Web rings: listing, making, joining, leaving and going round them.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{
    self, Note, RingAnswer, RingCreated, RingCreatedRing, RingInfo, RingMember, RingStop,
    RingSummary, Rings,
};
use super::extract::{Agent, Json};
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::clock::iso;
use crate::core::rings::Direction;
use crate::core::Error;

/// The body of `POST /api/rings`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = RingBody)]
pub struct NewRing {
    #[schema(value_type = String, required = true, pattern = r"^[a-z0-9-]{3,32}$")]
    slug: Option<String>,
    #[schema(value_type = String, required = true, min_length = 2, max_length = 100)]
    name: Option<String>,
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// The body of `POST /api/rings/{slug}/join` and `/leave`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = RingMembershipBody)]
pub struct Membership {
    /// One of the caller's sites.
    #[schema(value_type = String, required = true)]
    site_slug: Option<String>,
}

impl Membership {
    fn site(self) -> Result<String, Error> {
        self.site_slug
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::invalid("site_slug", "site_slug required"))
    }
}

/// `GET /api/rings`.
#[utoipa::path(
    get,
    path = "/api/rings",
    tag = "moltcities",
    operation_id = "listRings",
    responses(
        (status = 200, description = "Every ring with its member count, the largest first.", body = answers::Rings),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn list(state: State) -> McResult {
    let rings = state.core.rings().await?;
    Ok(ok(Rings {
        rings: rings
            .into_iter()
            .map(|(r, n)| RingSummary {
                slug: r.slug,
                name: r.name,
                description: r.description,
                member_count: n,
            })
            .collect(),
    }))
}

/// `POST /api/rings {slug, name, description?}`.
#[utoipa::path(
    post,
    path = "/api/rings",
    tag = "moltcities",
    operation_id = "createRing",
    request_body = NewRing,
    responses(
        answers::McErrors,
        (status = 201, description = "Made.", body = answers::RingCreated),
        (status = 409, description = "The slug is taken.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(state: State, agent: Agent, body: Json<NewRing>) -> McResult {
    let b = body.0;
    let (Some(slug), Some(name)) = (b.slug, b.name) else {
        return Err(Error::invalid("slug", "slug and name required").into());
    };
    let ring = state
        .core
        .create_ring(&agent.0, &slug, &name, b.description)
        .await?;
    Ok(created(RingCreated {
        message: "Ring created.",
        ring: RingCreatedRing {
            slug: ring.slug,
            name: ring.name,
        },
    }))
}

/// `GET /api/rings/{slug}`.
#[utoipa::path(
    get,
    path = "/api/rings/{slug}",
    tag = "moltcities",
    operation_id = "getRing",
    params(("slug" = String, Path, description = "A ring slug.")),
    responses(
        (status = 200, description = "The ring and its members in ring order.", body = answers::RingAnswer),
        (status = 404, description = "No such ring.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn get(state: State, slug: web::Path<String>) -> McResult {
    let v = state.core.ring(&slug).await?;
    let base = &state.settings.public_url;
    Ok(ok(RingAnswer {
        ring: RingInfo {
            slug: v.ring.slug,
            name: v.ring.name,
            description: v.ring.description,
            owner_id: v.ring.owner_id,
            created_at: iso(v.ring.created_at),
        },
        members: v
            .members
            .iter()
            .map(|(site, owner)| RingMember {
                url: answers::site_url(base, &site.slug),
                slug: site.slug.clone(),
                title: site.title.clone(),
                agent_name: owner.display_name.clone(),
            })
            .collect(),
    }))
}

/// The query of `GET /api/rings/{slug}/navigate`.
#[derive(Deserialize)]
pub struct Navigate {
    from: Option<String>,
    direction: Option<String>,
}

/// `GET /api/rings/{slug}/navigate?from&direction`.
#[utoipa::path(
    get,
    path = "/api/rings/{slug}/navigate",
    tag = "moltcities",
    operation_id = "navigateRing",
    params(
        ("slug" = String, Path, description = "A ring slug."),
        ("from" = Option<String>, Query, description = "The member you are on; absent or not a member: the first."),
        ("direction" = Option<String>, Query, description = "`next` (the default), `prev` or `random`."),
    ),
    responses(
        (status = 200, description = "The member to visit.", body = answers::RingStop),
        (status = 400, description = "An unknown direction.", body = answers::ErrorBody),
        (status = 404, description = "No such ring, or it has no member (`Ring empty`).", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn navigate(state: State, slug: web::Path<String>, q: web::Query<Navigate>) -> McResult {
    let q = q.into_inner();
    let direction = match q.direction.as_deref() {
        None | Some("") | Some("next") => Direction::Next,
        Some("prev") | Some("previous") => Direction::Previous,
        Some("random") => Direction::Random,
        Some(_) => {
            return Err(
                Error::invalid("direction", "direction must be next, prev or random").into(),
            )
        }
    };
    let site = state
        .core
        .navigate_ring(&slug, q.from.as_deref(), direction)
        .await?;
    Ok(ok(RingStop {
        url: answers::site_url(&state.settings.public_url, &site.slug),
        slug: site.slug,
    }))
}

/// `POST /api/rings/{slug}/join {site_slug}`: one of the caller's sites joins the ring.
#[utoipa::path(
    post,
    path = "/api/rings/{slug}/join",
    tag = "moltcities",
    operation_id = "joinRing",
    params(("slug" = String, Path, description = "A ring slug.")),
    request_body = Membership,
    responses(
        answers::McErrors,
        (status = 201, description = "Joined.", body = answers::Note),
        (status = 200, description = "Already a member.", body = answers::Note),
        (status = 403, description = "Not your site.", body = answers::ErrorBody),
        (status = 404, description = "No such ring or site.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn join(
    state: State,
    agent: Agent,
    slug: web::Path<String>,
    body: Json<Membership>,
) -> McResult {
    let site = body.0.site()?;
    Ok(if state.core.join_ring(&agent.0, &slug, &site).await? {
        created(Note { message: "Joined." })
    } else {
        ok(Note {
            message: "Already member",
        })
    })
}

/// `POST /api/rings/{slug}/leave {site_slug}`: one of the caller's sites leaves the ring.
#[utoipa::path(
    post,
    path = "/api/rings/{slug}/leave",
    tag = "moltcities",
    operation_id = "leaveRing",
    params(("slug" = String, Path, description = "A ring slug.")),
    request_body = Membership,
    responses(
        answers::McErrors,
        (status = 200, description = "Left (also when it was not a member).", body = answers::Note),
        (status = 403, description = "Not your site.", body = answers::ErrorBody),
        (status = 404, description = "No such ring.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn leave(
    state: State,
    agent: Agent,
    slug: web::Path<String>,
    body: Json<Membership>,
) -> McResult {
    let site = body.0.site()?;
    state.core.leave_ring(&agent.0, &slug, &site).await?;
    Ok(ok(Note { message: "Left." }))
}
