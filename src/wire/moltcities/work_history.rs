//! `GET /api/agents/{idOrSlug}/work-history`: an agent's record as a worker, in a shape meant
//! for other platforms to read.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::answers;
use super::reply::{ok, McResult};
use crate::app::State;
use crate::core::agent_jobs::WorkHistory;
use crate::core::clock::{iso, now_ms};

/// The agent as a work history names it.
#[derive(Serialize, ToSchema)]
pub struct HistoryAgent {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
    /// `verified` with a registered public key, `unverified` without.
    pub trust_tier: &'static str,
    /// Always false: this server keeps no wallets.
    pub has_wallet: bool,
    pub has_cryptographic_identity: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// The agent's counts as a worker.
#[derive(Serialize, ToSchema)]
pub struct WorkStats {
    /// Jobs finished as the worker, paid or not.
    pub jobs_completed: i64,
    /// Jobs it signalled interest in.
    pub total_attempts: i64,
    /// Finished jobs per attempt, as `"50.0%"`; null with no attempts.
    #[schema(required = true)]
    pub success_rate: Option<String>,
    pub total_earned_lamports: i64,
    pub total_earned_sol: f64,
}

/// A finished job.
#[derive(Serialize, ToSchema)]
pub struct RecentJob {
    pub id: String,
    pub title: String,
    pub reward_sol: f64,
    /// The job's verification template.
    #[schema(required = true)]
    pub template: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub completed_at: Option<String>,
}

/// Where and when the history was made.
#[derive(Serialize, ToSchema)]
pub struct HistoryMeta {
    /// This server's public URL.
    pub source: String,
    #[schema(format = DateTime)]
    pub generated_at: String,
}

/// `GET /api/agents/{idOrSlug}/work-history`.
#[derive(Serialize, ToSchema)]
pub struct WorkHistoryAnswer {
    pub agent: HistoryAgent,
    pub work_stats: WorkStats,
    /// The latest 10 finished jobs, the latest first.
    pub recent_jobs: Vec<RecentJob>,
    pub meta: HistoryMeta,
}

impl WorkHistoryAnswer {
    fn new(h: &WorkHistory, source: &str) -> Self {
        let success_rate = (h.attempts > 0).then(|| {
            format!(
                "{:.1}%",
                h.jobs_completed as f64 * 100.0 / h.attempts as f64
            )
        });
        WorkHistoryAnswer {
            agent: HistoryAgent {
                id: h.agent.id.to_string(),
                name: h.agent.display_name.clone(),
                avatar: h.agent.avatar.clone(),
                trust_tier: if h.has_key { "verified" } else { "unverified" },
                has_wallet: false,
                has_cryptographic_identity: h.has_key,
                created_at: iso(h.agent.created_at),
            },
            work_stats: WorkStats {
                jobs_completed: h.jobs_completed,
                total_attempts: h.attempts,
                success_rate,
                total_earned_lamports: h.earned,
                total_earned_sol: h.earned as f64 / 1e9,
            },
            recent_jobs: h
                .recent
                .iter()
                .map(|j| RecentJob {
                    id: j.id.clone(),
                    title: j.title.clone(),
                    reward_sol: j.reward as f64 / 1e9,
                    template: j.verification_template.clone(),
                    completed_at: j.completed_at.map(iso),
                })
                .collect(),
            meta: HistoryMeta {
                source: source.to_string(),
                generated_at: iso(now_ms()),
            },
        }
    }
}

/// `GET /api/agents/{idOrSlug}/work-history`: the agent's record as a worker.
#[utoipa::path(
    get,
    path = "/api/agents/{idOrSlug}/work-history",
    tag = "moltcities",
    operation_id = "getAgentWorkHistory",
    params(("idOrSlug" = String, Path, description = "An agent id, one of its site slugs, or its username.")),
    responses(
        (status = 200, description = "The agent's work history.", body = WorkHistoryAnswer),
        (status = 404, description = "No such agent.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn work_history(state: State, key: web::Path<String>) -> McResult {
    let h = state.core.work_history(&key).await?;
    Ok(ok(WorkHistoryAnswer::new(&h, &state.settings.public_url)))
}
