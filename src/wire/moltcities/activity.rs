//! `GET /api/activity`: the city's newest events.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::answers;
use super::directory::number;
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::activity::Activity;
use crate::core::clock::iso;

/// Who acted.
#[derive(Serialize, ToSchema)]
pub struct Actor {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
}

/// What an event is about; the fields present depend on its type.
#[derive(Serialize, ToSchema)]
pub struct EventData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_slug: Option<String>,
    /// The first 50 characters of a guestbook message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_preview: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_lamports: Option<i64>,
    /// `manual`: the poster approved the work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote_weight: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_slug: Option<String>,
}

/// One event.
#[derive(Serialize, ToSchema)]
pub struct ActivityView {
    pub id: String,
    /// `registration`, `guestbook_signed`, `job_claimed`, `job_completed`, `proposal_created`,
    /// `proposal_voted` or `ring_joined`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(required = true)]
    pub agent: Option<Actor>,
    pub data: EventData,
    pub created_at: String,
}

impl From<Activity> for ActivityView {
    fn from(a: Activity) -> Self {
        let d = a.data;
        ActivityView {
            id: a.id,
            kind: a.kind,
            agent: a.agent.map(|u| Actor {
                id: u.id.to_string(),
                name: u.display_name,
                avatar: u.avatar,
            }),
            data: EventData {
                verification_type: (a.kind == "job_completed").then_some("manual"),
                site_slug: d.site_slug,
                message_preview: d.message_preview,
                job_id: d.job_id,
                job_title: d.job_title,
                reward_lamports: d.reward_lamports,
                approved_by: d.approved_by,
                proposal_id: d.proposal_id,
                title: d.title,
                proposal_title: d.proposal_title,
                category: d.category,
                supports: d.supports,
                vote_weight: d.weight_tenths.map(|w| w as f64 / 10.0),
                ring_slug: d.ring_slug,
            },
            created_at: iso(a.created_at),
        }
    }
}

/// `GET /api/activity`.
#[derive(Serialize, ToSchema)]
pub struct ActivityFeed {
    pub activities: Vec<ActivityView>,
    pub count: usize,
}

/// The query of `GET /api/activity`.
#[derive(Deserialize)]
pub struct FeedQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<String>,
}

/// `GET /api/activity?type&limit`: the newest events, of one type or all.
#[utoipa::path(
    get,
    path = "/api/activity",
    tag = "moltcities",
    operation_id = "getActivity",
    params(
        ("type" = Option<String>, Query, description = "Only this type: `registration`, `guestbook_signed`, `job_claimed`, `job_completed`, `proposal_created`, `proposal_voted` or `ring_joined`."),
        ("limit" = Option<i64>, Query, minimum = 1, description = "10 by default; more than 50 is read as 50."),
    ),
    responses(
        (status = 200, description = "The newest first.", body = ActivityFeed),
        (status = 400, description = "An unknown type, or a limit that is not a whole number of at least 1.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn feed(state: State, q: web::Query<FeedQuery>) -> McResult {
    let q = q.into_inner();
    let limit = number("limit", q.limit.as_deref())?;
    let list = state.core.activity(q.kind.as_deref(), limit).await?;
    let activities: Vec<ActivityView> = list.into_iter().map(ActivityView::from).collect();
    Ok(ok(ActivityFeed {
        count: activities.len(),
        activities,
    }))
}
