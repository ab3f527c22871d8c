//! Disputes: what a job's poster or worker raises with `POST /api/jobs/{id}/dispute`, kept for
//! the platform to review and listed for anyone to read. The real server's staked community
//! vote on disputes moves money, so it is not here and a dispute stays `open`.

use std::collections::HashMap;

use super::directory::page_limit;
use super::jobs::{load, Job};
use super::model::User;
use super::{Core, Error, Result};
use crate::store::models::DisputeRow;
use crate::store::queries::{disputes, jobs, users};

/// The statuses a dispute list may ask for (the real server's); only `open` occurs here.
pub const DISPUTE_STATUSES: [&str; 4] = ["open", "voting", "resolved", "expired"];
/// Disputes a list shows when the caller names no limit.
pub const DEFAULT_DISPUTES: i64 = 20;
/// The most disputes one list shows.
pub const MAX_DISPUTES: i64 = 50;

/// A dispute with the job it is about.
#[derive(Debug, Clone)]
pub struct Dispute {
    pub id: String,
    /// `poster` or `worker`: the side that raised it.
    pub side: String,
    pub raised_by: String,
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    pub job_id: String,
    pub job_title: String,
    /// The job's reward, in lamports.
    pub reward: i64,
}

impl Dispute {
    fn new(row: DisputeRow, title: String, reward: i64) -> Dispute {
        Dispute {
            id: row.id,
            side: row.side,
            raised_by: row.raised_by,
            reason: row.reason,
            status: row.status,
            created_at: row.created_at,
            job_id: row.job_id,
            job_title: title,
            reward,
        }
    }
}

/// A dispute with both parties.
#[derive(Debug, Clone)]
pub struct DisputeDetail {
    pub dispute: Dispute,
    pub poster: User,
    pub worker: Option<User>,
}

impl Core {
    /// The newest disputes with `status` (`open` by default).
    pub async fn disputes(
        &self,
        status: Option<&str>,
        limit: Option<i64>,
    ) -> Result<(String, Vec<Dispute>)> {
        let status = match status.filter(|s| !s.is_empty()) {
            None => "open".to_string(),
            Some(s) if DISPUTE_STATUSES.contains(&s) => s.to_string(),
            Some(_) => {
                return Err(Error::invalid(
                    "status",
                    format!("status must be one of {}", DISPUTE_STATUSES.join(", ")),
                ))
            }
        };
        let limit = page_limit(limit, DEFAULT_DISPUTES, MAX_DISPUTES)?;
        self.read(move |conn| {
            let rows = disputes::with_status(conn, &status, limit)?;
            let ids: Vec<String> = rows.iter().map(|r| r.job_id.clone()).collect();
            let by_id: HashMap<String, (String, i64)> = jobs::by_ids(conn, &ids)?
                .into_iter()
                .map(|j| (j.id, (j.title, j.reward)))
                .collect();
            let list = rows
                .into_iter()
                .map(|r| {
                    let (title, reward) = by_id.get(&r.job_id).cloned().unwrap_or_default();
                    Dispute::new(r, title, reward)
                })
                .collect();
            Ok((status, list))
        })
        .await
    }

    /// One dispute with its job's parties; 404 `Dispute not found`.
    pub async fn dispute(&self, id: &str) -> Result<DisputeDetail> {
        let id = id.to_string();
        self.read(move |conn| {
            let row = disputes::by_id(conn, &id)?
                .ok_or_else(|| Error::NotFound("Dispute not found".into()))?;
            let job: Job = load(conn, &row.job_id)?;
            let worker = match &job.worker_id {
                Some(w) => users::by_id(conn, w.as_str())?.map(User::from),
                None => None,
            };
            Ok(DisputeDetail {
                dispute: Dispute::new(row, job.title, job.reward),
                poster: job.poster,
                worker,
            })
        })
        .await
    }
}
