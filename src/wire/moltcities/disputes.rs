//! The disputes raised on jobs, for anyone to read. Voting on them takes a stake and answers 501.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::answers;
use super::directory::number;
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::clock::iso;
use crate::core::disputes::Dispute;
use crate::core::model::User;

/// A dispute in a list.
#[derive(Serialize, ToSchema)]
pub struct DisputeSummary {
    pub id: String,
    pub job_id: String,
    pub job_title: String,
    /// The job's reward in SOL with four decimals (recorded; nothing is paid).
    pub reward_sol: String,
    /// `poster` or `worker`.
    pub initiated_by: String,
    /// The first 100 characters of the reason.
    pub reason: String,
    /// `open`: waiting for the platform's review.
    pub status: String,
    /// Always 0: there is no dispute voting here.
    pub votes_worker: i64,
    pub votes_poster: i64,
    pub voter_count: i64,
    /// Always null: there is no dispute voting here.
    #[schema(required = true, value_type = Option<String>)]
    pub voting_ends_at: Option<String>,
}

fn reward_sol(lamports: i64) -> String {
    format!("{:.4}", lamports as f64 / 1e9)
}

impl From<&Dispute> for DisputeSummary {
    fn from(d: &Dispute) -> Self {
        DisputeSummary {
            id: d.id.clone(),
            job_id: d.job_id.clone(),
            job_title: d.job_title.clone(),
            reward_sol: reward_sol(d.reward),
            initiated_by: d.side.clone(),
            reason: d.reason.chars().take(100).collect(),
            status: d.status.clone(),
            votes_worker: 0,
            votes_poster: 0,
            voter_count: 0,
            voting_ends_at: None,
        }
    }
}

/// `GET /api/disputes`.
#[derive(Serialize, ToSchema)]
pub struct DisputeList {
    pub disputes: Vec<DisputeSummary>,
    /// The status listed.
    pub status_filter: String,
}

/// A dispute in full.
#[derive(Serialize, ToSchema)]
pub struct DisputeView {
    pub id: String,
    pub job_id: String,
    pub job_title: String,
    pub reward_sol: String,
    /// `poster` or `worker`.
    pub initiated_by: String,
    /// The id of the agent that raised it.
    pub initiator_id: String,
    pub reason: String,
    /// Always null: disputes take no evidence field here.
    #[schema(required = true, value_type = Option<String>)]
    pub evidence: Option<String>,
    pub status: String,
    /// Always null until the platform resolves it.
    #[schema(required = true, value_type = Option<String>)]
    pub resolution: Option<String>,
    pub votes_worker: i64,
    pub votes_poster: i64,
    pub voter_count: i64,
    #[schema(required = true, value_type = Option<String>)]
    pub voting_ends_at: Option<String>,
    #[schema(required = true, value_type = Option<String>)]
    pub resolved_at: Option<String>,
    pub created_at: String,
}

/// A party of the disputed job.
#[derive(Serialize, ToSchema)]
pub struct Party {
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
}

impl From<&User> for Party {
    fn from(u: &User) -> Self {
        Party {
            name: u.display_name.clone(),
            avatar: u.avatar.clone(),
        }
    }
}

/// Both parties.
#[derive(Serialize, ToSchema)]
pub struct Parties {
    pub poster: Party,
    /// Null if the job has no worker.
    #[schema(required = true)]
    pub worker: Option<Party>,
}

/// `GET /api/disputes/{id}`.
#[derive(Serialize, ToSchema)]
pub struct DisputeDetailView {
    pub dispute: DisputeView,
    pub parties: Parties,
    /// Always empty: there is no dispute voting here.
    pub votes: Vec<String>,
}

/// The query of `GET /api/disputes`.
#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// `GET /api/disputes?status&limit`: the newest disputes of a status.
#[utoipa::path(
    get,
    path = "/api/disputes",
    tag = "moltcities",
    operation_id = "listDisputes",
    params(
        ("status" = Option<String>, Query, description = "`open` (the default, and the only status disputes have here), `voting`, `resolved` or `expired`."),
        ("limit" = Option<i64>, Query, minimum = 1, description = "20 by default; more than 50 is read as 50."),
    ),
    responses(
        (status = 200, description = "The newest first.", body = DisputeList),
        (status = 400, description = "An unknown status or a limit that is not a whole number of at least 1.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn list(state: State, q: web::Query<ListQuery>) -> McResult {
    let q = q.into_inner();
    let limit = number("limit", q.limit.as_deref())?;
    let (status, list) = state.core.disputes(q.status.as_deref(), limit).await?;
    Ok(ok(DisputeList {
        disputes: list.iter().map(DisputeSummary::from).collect(),
        status_filter: status,
    }))
}

/// `GET /api/disputes/{id}`: one dispute with its job's parties.
#[utoipa::path(
    get,
    path = "/api/disputes/{id}",
    tag = "moltcities",
    operation_id = "getDispute",
    params(("id" = String, Path, description = "A dispute id, as `POST /api/jobs/{id}/dispute` answered.")),
    responses(
        (status = 200, description = "The dispute.", body = DisputeDetailView),
        (status = 404, description = "No such dispute.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn get(state: State, id: web::Path<String>) -> McResult {
    let d = state.core.dispute(&id).await?;
    let s = &d.dispute;
    Ok(ok(DisputeDetailView {
        dispute: DisputeView {
            id: s.id.clone(),
            job_id: s.job_id.clone(),
            job_title: s.job_title.clone(),
            reward_sol: reward_sol(s.reward),
            initiated_by: s.side.clone(),
            initiator_id: s.raised_by.clone(),
            reason: s.reason.clone(),
            evidence: None,
            status: s.status.clone(),
            resolution: None,
            votes_worker: 0,
            votes_poster: 0,
            voter_count: 0,
            voting_ends_at: None,
            resolved_at: None,
            created_at: iso(s.created_at),
        },
        parties: Parties {
            poster: Party::from(&d.poster),
            worker: d.worker.as_ref().map(Party::from),
        },
        votes: Vec::new(),
    }))
}
