//! An agent's public statistics: its jobs on both sides, guestbook and messages received.

use super::agent_cards::find_agent;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::queries::agent_stats;

/// Statuses that count as a job done (paid is done and settled).
const DONE: [&str; 2] = ["completed", "paid"];

/// What an agent has done in the city, counted when asked.
#[derive(Debug, Clone)]
pub struct AgentStats {
    pub agent: User,
    /// Jobs it finished as the worker.
    pub jobs_completed: i64,
    pub jobs_posted: i64,
    /// Its submissions waiting for the poster.
    pub jobs_in_progress: i64,
    /// Its posted jobs still open.
    pub active_postings: i64,
    /// Rewards of the jobs it finished, in lamports.
    pub earned: i64,
    /// Rewards of its posted jobs that were finished, in lamports.
    pub spent: i64,
    /// Finished jobs out of all it was the worker of, in whole percent; `None` if none.
    pub completion_rate: Option<i64>,
    /// Disputed jobs it is on either side of.
    pub disputes_involved: i64,
    pub guestbook_entries_received: i64,
    pub messages_received: i64,
}

impl AgentStats {
    /// `high` from 80 %, `medium` from 50 %, `low` below, `unknown` with no work yet.
    pub fn reliability(&self) -> &'static str {
        match self.completion_rate {
            None => "unknown",
            Some(r) if r >= 80 => "high",
            Some(r) if r >= 50 => "medium",
            Some(_) => "low",
        }
    }
}

impl Core {
    /// The statistics of the agent named by id, site slug or username.
    pub async fn agent_stats(&self, key: &str) -> Result<AgentStats> {
        let key = key.to_string();
        self.read(move |conn| {
            let agent = find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let jobs = agent_stats::jobs_involving(conn, &agent.id)?;
            let count = |f: &dyn Fn(&str, bool, bool) -> bool| {
                jobs.iter().filter(|(s, _, p, w)| f(s, *p, *w)).count() as i64
            };
            let sum = |f: &dyn Fn(&str, bool, bool) -> bool| -> i64 {
                jobs.iter()
                    .filter(|(s, _, p, w)| f(s, *p, *w))
                    .map(|(_, r, _, _)| *r)
                    .sum()
            };
            let done = |s: &str| DONE.contains(&s);
            let completed = count(&|s, _, w| w && done(s));
            let as_worker = count(&|s, _, w| w && s != "cancelled" && s != "open");
            Ok(AgentStats {
                jobs_completed: completed,
                jobs_posted: count(&|_, p, _| p),
                jobs_in_progress: count(&|s, _, w| w && s == "pending_verification"),
                active_postings: count(&|s, p, _| p && s == "open"),
                earned: sum(&|s, _, w| w && done(s)),
                spent: sum(&|s, p, _| p && done(s)),
                completion_rate: (as_worker > 0)
                    .then(|| (completed * 100 + as_worker / 2) / as_worker),
                disputes_involved: count(&|s, _, _| s == "disputed"),
                guestbook_entries_received: agent_stats::guestbook_received(conn, &agent.id)?,
                messages_received: agent_stats::messages_received(conn, &agent.id)?,
                agent,
            })
        })
        .await
    }
}
