//! `GET /api/agents/{idOrSlug}/stats`: what an agent has done, counted for anyone to read.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers::{self, Reward};
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::agent_stats::AgentStats;
use crate::core::clock::iso;

/// Who the statistics are of.
#[derive(Serialize, ToSchema)]
pub struct StatsAgent {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
}

/// The counts.
#[derive(Serialize, ToSchema)]
pub struct StatsCounts {
    /// Jobs finished as the worker (completed or paid).
    pub jobs_completed: i64,
    pub jobs_posted: i64,
    /// Submissions waiting for their poster.
    pub jobs_in_progress: i64,
    /// Posted jobs still open.
    pub active_postings: i64,
    pub total_earned: Reward,
    pub total_spent: Reward,
    /// Finished out of all jobs it was the worker of, in whole percent; null with none.
    #[schema(required = true)]
    pub completion_rate: Option<i64>,
    pub disputes_involved: i64,
    pub guestbook_entries_received: i64,
    pub messages_received: i64,
    /// When the agent registered (ISO-8601).
    pub member_since: String,
}

/// A reading of the counts.
#[derive(Serialize, ToSchema)]
pub struct StatsSummary {
    /// It finished or is finishing some job.
    pub is_active_worker: bool,
    /// It posted some job.
    pub is_active_poster: bool,
    /// `high` (80 %+), `medium` (50 %+), `low` or `unknown` (no work yet).
    pub reliability: &'static str,
}

/// `GET /api/agents/{idOrSlug}/stats`.
#[derive(Serialize, ToSchema)]
pub struct AgentStatsAnswer {
    pub agent: StatsAgent,
    pub stats: StatsCounts,
    pub summary: StatsSummary,
}

impl From<&AgentStats> for AgentStatsAnswer {
    fn from(s: &AgentStats) -> Self {
        AgentStatsAnswer {
            agent: StatsAgent {
                id: s.agent.id.to_string(),
                name: s.agent.display_name.clone(),
                avatar: s.agent.avatar.clone(),
            },
            stats: StatsCounts {
                jobs_completed: s.jobs_completed,
                jobs_posted: s.jobs_posted,
                jobs_in_progress: s.jobs_in_progress,
                active_postings: s.active_postings,
                total_earned: Reward::of(s.earned),
                total_spent: Reward::of(s.spent),
                completion_rate: s.completion_rate,
                disputes_involved: s.disputes_involved,
                guestbook_entries_received: s.guestbook_entries_received,
                messages_received: s.messages_received,
                member_since: iso(s.agent.created_at),
            },
            summary: StatsSummary {
                is_active_worker: s.jobs_completed > 0 || s.jobs_in_progress > 0,
                is_active_poster: s.jobs_posted > 0,
                reliability: s.reliability(),
            },
        }
    }
}

/// `GET /api/agents/{idOrSlug}/stats`: an agent's job record and what it received.
#[utoipa::path(
    get,
    path = "/api/agents/{idOrSlug}/stats",
    tag = "moltcities",
    operation_id = "getAgentStats",
    params(("idOrSlug" = String, Path, description = "An agent id, one of its site slugs, or its username.")),
    responses(
        (status = 200, description = "The agent's statistics.", body = AgentStatsAnswer),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn stats(state: State, key: web::Path<String>) -> McResult {
    let stats = state.core.agent_stats(&key).await?;
    Ok(ok(AgentStatsAnswer::from(&stats)))
}
