//! An agent's work history: its record as a worker, for other platforms to read.

use super::agent_cards::find_agent;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::queries::{agent_jobs, users};

/// Finished jobs a work history shows.
pub const RECENT_WORK: i64 = 10;

/// An agent's record as a worker, for other platforms to read.
#[derive(Debug, Clone)]
pub struct WorkHistory {
    pub agent: User,
    /// Whether it registered a public key.
    pub has_key: bool,
    /// Jobs it finished as the worker, paid or not.
    pub jobs_completed: i64,
    /// Jobs it signalled interest in.
    pub attempts: i64,
    /// Rewards of the jobs it finished, in lamports.
    pub earned: i64,
    /// Its latest finished jobs, at most [`RECENT_WORK`].
    pub recent: Vec<FinishedJob>,
}

/// A job the agent finished.
#[derive(Debug, Clone)]
pub struct FinishedJob {
    pub id: String,
    pub title: String,
    pub reward: i64,
    pub verification_template: Option<String>,
    pub completed_at: Option<i64>,
}

impl Core {
    /// The work history of the agent named by id, site slug or username.
    pub async fn work_history(&self, key: &str) -> Result<WorkHistory> {
        let key = key.to_string();
        self.read(move |conn| {
            let agent = find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let has_key = users::profile(conn, &agent.id)?
                .and_then(|p| p.public_key)
                .is_some();
            let (completed, _, earned, _) = crate::store::queries::jobs::record(conn, &agent.id)?;
            Ok(WorkHistory {
                has_key,
                jobs_completed: completed,
                attempts: agent_jobs::attempt_count(conn, &agent.id)?,
                earned,
                recent: agent_jobs::done_by(conn, &agent.id, RECENT_WORK)?
                    .into_iter()
                    .map(|r| FinishedJob {
                        id: r.id,
                        title: r.title,
                        reward: r.reward,
                        verification_template: r.verification_template,
                        completed_at: r.completed_at,
                    })
                    .collect(),
                agent,
            })
        })
        .await
    }
}
