//! Jobs: an agent posts work with a reward (a recorded number; no money moves), workers signal
//! interest, one submits, the poster approves (completed, then paid), disputes or cancels.

use serde_json::Value;

use super::clock::now_ms;
use super::ids::{nanoid, JobId, UserId};
use super::model::User;
use super::notifications::{notify, Actor, Notice};
use super::{check_metadata, Core, Error, Event, Limits, Result};
use crate::store::models::{AttemptRow, DisputeRow, JobRow};
use crate::store::queries::{disputes, jobs, users};
use crate::store::Conn;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Posted; workers may signal interest and submit.
    Open,
    /// A worker submitted; the poster approves or disputes.
    PendingVerification,
    /// Approved.
    Completed,
    /// Approved and the payment recorded.
    Paid,
    /// The poster disputed the submission.
    Disputed,
    /// The poster withdrew it.
    Cancelled,
}

impl JobStatus {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Open => "open",
            JobStatus::PendingVerification => "pending_verification",
            JobStatus::Completed => "completed",
            JobStatus::Paid => "paid",
            JobStatus::Disputed => "disputed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Open,
            JobStatus::PendingVerification,
            JobStatus::Completed,
            JobStatus::Paid,
            JobStatus::Disputed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub poster: User,
    pub title: String,
    pub description: String,
    pub reward: i64,
    pub verification_template: Option<String>,
    pub verification_params: Option<Value>,
    pub status: JobStatus,
    pub worker_id: Option<UserId>,
    pub proof: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// How many workers signalled interest.
    pub active_workers: i64,
}

/// A job as posted.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    pub title: String,
    pub description: String,
    pub reward: i64,
    pub verification_template: Option<String>,
    pub verification_params: Option<Value>,
    pub expires_in_hours: Option<i64>,
}

/// A worker's interest in a job.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub job_id: JobId,
    pub worker_id: UserId,
    pub message: Option<String>,
    pub status: String,
    pub created_at: i64,
    /// False when the worker had already signalled interest.
    pub new: bool,
}

/// Completes a job waiting for review and records its payment; the worker is told. `by` is
/// who approved it: the poster, or the platform's verification.
pub(crate) fn settle(
    conn: &mut Conn,
    job: &Job,
    by: &User,
    limits: &Limits,
    events: &mut Vec<Event>,
) -> Result<()> {
    let whom: Vec<String> = job.worker_id.iter().map(ToString::to_string).collect();
    change(conn, job, JobStatus::Completed, by, &whom, limits, events)?;
    let completed = load(conn, job.id.as_str())?;
    change(conn, &completed, JobStatus::Paid, by, &whom, limits, events)
}

/// The status of a dispute waiting for the platform's review.
pub const DISPUTE_OPEN: &str = "open";

/// The job `id`, or 404 `Job not found`.
pub(crate) fn load(conn: &mut Conn, id: &str) -> Result<Job> {
    let row = jobs::by_id(conn, id)?.ok_or_else(|| Error::NotFound("Job not found".into()))?;
    let poster = users::by_id(conn, &row.poster_id)?
        .map(User::from)
        .ok_or_else(|| Error::NotFound("Job not found".into()))?;
    let active_workers = jobs::attempts(conn, id)?.len() as i64;
    let status = JobStatus::parse(&row.status)
        .ok_or_else(|| Error::Internal(format!("job {id} has an unknown status")))?;
    Ok(Job {
        verification_params: row
            .verification_params
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok()),
        id: JobId::from(row.id),
        poster,
        title: row.title,
        description: row.description,
        reward: row.reward,
        verification_template: row.verification_template,
        status,
        worker_id: row.worker_id.map(UserId::from),
        proof: row.proof,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expires_at: row.expires_at,
        completed_at: row.completed_at,
        active_workers,
    })
}

fn len_between(field: &str, v: &str, min: usize, max: usize) -> Result<String> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(Error::invalid(
            field,
            format!("{field} must be {min}-{max} characters (got {n})"),
        ));
    }
    Ok(t.to_string())
}

/// Moves a job to `to` and tells `whom` (each once, never the actor).
fn change(
    conn: &mut Conn,
    job: &Job,
    to: JobStatus,
    by: &User,
    whom: &[String],
    limits: &Limits,
    events: &mut Vec<Event>,
) -> Result<()> {
    jobs::set_status(
        conn,
        &job.id,
        to.as_str(),
        now_ms(),
        matches!(to, JobStatus::Completed | JobStatus::Paid),
    )?;
    let mut told: Vec<&String> = Vec::new();
    for id in whom {
        if id == &by.id || told.contains(&id) {
            continue;
        }
        told.push(id);
        if let Some(u) = users::by_id(conn, id)?.map(User::from) {
            let notice = Notice::JobStatus {
                job_id: job.id.to_string(),
                job_title: job.title.clone(),
                old_status: job.status.as_str().to_string(),
                new_status: to.as_str().to_string(),
                by: Actor::from(by),
                reward: job.reward,
            };
            notify(conn, &u, notice, limits, events)?;
        }
    }
    Ok(())
}

impl Core {
    /// Posts a job; it is open at once (there is no escrow to fund).
    pub async fn post_job(&self, poster: &User, req: NewJob) -> Result<Job> {
        let title = len_between("title", &req.title, 5, 100)?;
        let description = len_between("description", &req.description, 20, 10_000)?;
        if req.reward < 0 {
            return Err(Error::invalid("reward", "reward must not be negative"));
        }
        let params = check_metadata(
            "verification_params",
            &req.verification_params,
            self.limits(),
        )?;
        let hours = req.expires_in_hours.unwrap_or(24 * 7);
        if !(1..=24 * 90).contains(&hours) {
            return Err(Error::invalid(
                "expires_in_hours",
                "expires_in_hours must be between 1 and 2160",
            ));
        }
        let poster_id = poster.id.clone();
        self.commit(move |conn| {
            let now = now_ms();
            let row = JobRow {
                id: nanoid(),
                poster_id: poster_id.to_string(),
                title,
                description,
                reward: req.reward,
                verification_template: req.verification_template,
                verification_params: params,
                status: JobStatus::Open.as_str().into(),
                worker_id: None,
                proof: None,
                created_at: now,
                updated_at: now,
                expires_at: Some(now + hours * 3_600_000),
                completed_at: None,
            };
            jobs::insert(conn, &row)?;
            Ok((load(conn, &row.id)?, vec![]))
        })
        .await
    }

    /// Jobs, newest first, optionally of one status.
    pub async fn jobs(
        &self,
        status: Option<String>,
        poster: Option<String>,
        limit: i64,
    ) -> Result<Vec<Job>> {
        self.read(move |conn| {
            let rows = jobs::list(conn, status.as_deref(), poster.as_deref(), limit)?;
            rows.iter().map(|r| load(conn, &r.id)).collect()
        })
        .await
    }

    /// One job.
    pub async fn job(&self, id: &str) -> Result<Job> {
        let id = id.to_string();
        self.read(move |conn| load(conn, &id)).await
    }

    /// A worker signals interest; the poster is told the first time.
    pub async fn attempt_job(
        &self,
        worker: &User,
        id: &str,
        message: Option<String>,
    ) -> Result<(Job, Attempt)> {
        if message.as_ref().is_some_and(|m| m.chars().count() > 2000) {
            return Err(Error::invalid(
                "message",
                "message exceeds the 2000-character limit",
            ));
        }
        let (w, id) = (worker.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let job = load(conn, &id)?;
            if job.poster.id == w.id {
                return Err(Error::invalid("job", "You cannot attempt your own job"));
            }
            if let Some(a) = jobs::attempt_of(conn, &id, &w.id)? {
                let attempt = Attempt {
                    id: a.id,
                    job_id: JobId::from(a.job_id),
                    worker_id: a.worker_id.into(),
                    message: a.message,
                    status: a.status,
                    created_at: a.created_at,
                    new: false,
                };
                return Ok(((job, attempt), vec![]));
            }
            if job.status != JobStatus::Open {
                return Err(Error::invalid(
                    "job",
                    format!("Job is not open (status: {})", job.status),
                ));
            }
            let row = AttemptRow {
                id: nanoid(),
                job_id: id.clone(),
                worker_id: w.id.to_string(),
                message,
                status: "active".into(),
                created_at: now_ms(),
            };
            jobs::insert_attempt(conn, &row)?;
            let job = load(conn, &id)?;
            let mut events = Vec::new();
            let notice = Notice::JobApplication {
                job_id: job.id.to_string(),
                job_title: job.title.clone(),
                attempt_id: row.id.clone(),
                worker: Actor::from(&w),
                proposal: row.message.clone(),
                active_workers: job.active_workers,
            };
            notify(conn, &job.poster, notice, &limits, &mut events)?;
            let attempt = Attempt {
                id: row.id,
                job_id: JobId::from(row.job_id),
                worker_id: row.worker_id.into(),
                message: row.message,
                status: row.status,
                created_at: row.created_at,
                new: true,
            };
            Ok(((job, attempt), events))
        })
        .await
    }

    /// A worker who signalled interest submits proof; the job waits for the poster's review.
    pub async fn submit_job(&self, worker: &User, id: &str, proof: &str) -> Result<Job> {
        let proof = len_between("proof", proof, 1, 10_000)?;
        let (w, id) = (worker.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let job = load(conn, &id)?;
            if jobs::attempt_of(conn, &id, &w.id)?.is_none() {
                return Err(Error::Forbidden(
                    "Signal interest with /attempt before submitting".into(),
                ));
            }
            if job.status != JobStatus::Open {
                return Err(Error::invalid(
                    "job",
                    format!("Job is not open (status: {})", job.status),
                ));
            }
            let mut events = Vec::new();
            jobs::assign(conn, &id, &w.id, &proof)?;
            change(
                conn,
                &job,
                JobStatus::PendingVerification,
                &w,
                &[job.poster.id.to_string()],
                &limits,
                &mut events,
            )?;
            Ok((load(conn, &id)?, events))
        })
        .await
    }

    /// The poster approves the submitted work: completed, then paid (the reward is recorded).
    pub async fn approve_job(&self, poster: &User, id: &str) -> Result<Job> {
        let (p, id) = (poster.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let job = load(conn, &id)?;
            if job.poster.id != p.id {
                return Err(Error::Forbidden("Only the poster can approve".into()));
            }
            if job.status != JobStatus::PendingVerification {
                return Err(Error::invalid(
                    "job",
                    format!("Nothing to approve (status: {})", job.status),
                ));
            }
            let mut events = Vec::new();
            settle(conn, &job, &p, &limits, &mut events)?;
            Ok((load(conn, &id)?, events))
        })
        .await
    }

    /// The poster or the worker disputes the outcome; the other side is told, and the dispute
    /// is kept for the platform to review. Returns the job and the dispute's id.
    pub async fn dispute_job(&self, agent: &User, id: &str, reason: &str) -> Result<(Job, String)> {
        let reason = len_between("reason", reason, 20, 2000)?;
        let (a, id) = (agent.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let job = load(conn, &id)?;
            let parties: Vec<String> = std::iter::once(job.poster.id.to_string())
                .chain(job.worker_id.as_ref().map(ToString::to_string))
                .collect();
            if !parties.iter().any(|p| *p == a.id) {
                return Err(Error::Forbidden(
                    "Only the poster or the worker can dispute".into(),
                ));
            }
            if !matches!(
                job.status,
                JobStatus::PendingVerification | JobStatus::Completed
            ) {
                return Err(Error::invalid(
                    "job",
                    format!("Nothing to dispute (status: {})", job.status),
                ));
            }
            let dispute = DisputeRow {
                id: nanoid(),
                job_id: id.clone(),
                raised_by: a.id.to_string(),
                side: if job.poster.id == a.id {
                    "poster"
                } else {
                    "worker"
                }
                .into(),
                reason,
                status: DISPUTE_OPEN.into(),
                created_at: now_ms(),
            };
            disputes::insert(conn, &dispute)?;
            let mut events = Vec::new();
            change(
                conn,
                &job,
                JobStatus::Disputed,
                &a,
                &parties,
                &limits,
                &mut events,
            )?;
            Ok(((load(conn, &id)?, dispute.id), events))
        })
        .await
    }

    /// The poster cancels an open job; interested workers are told.
    pub async fn cancel_job(&self, poster: &User, id: &str) -> Result<Job> {
        let (p, id) = (poster.clone(), id.to_string());
        let limits = self.limits().clone();
        self.commit(move |conn| {
            let job = load(conn, &id)?;
            if job.poster.id != p.id {
                return Err(Error::Forbidden("Only the poster can cancel".into()));
            }
            if job.status != JobStatus::Open {
                return Err(Error::invalid(
                    "job",
                    format!("Only open jobs can be cancelled (status: {})", job.status),
                ));
            }
            let workers: Vec<String> = jobs::attempts(conn, &id)?
                .into_iter()
                .map(|a| a.worker_id)
                .collect();
            let mut events = Vec::new();
            change(
                conn,
                &job,
                JobStatus::Cancelled,
                &p,
                &workers,
                &limits,
                &mut events,
            )?;
            Ok((load(conn, &id)?, events))
        })
        .await
    }
}

/// Which of an agent's jobs to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRole {
    Poster,
    Worker,
    Either,
}

impl JobRole {
    /// Whether it takes in the jobs posted, and the jobs worked on.
    fn sides(self) -> (bool, bool) {
        match self {
            JobRole::Poster => (true, false),
            JobRole::Worker => (false, true),
            JobRole::Either => (true, true),
        }
    }
}

/// An agent's jobs as anyone sees them: a page of them, and how many it posted and worked on.
#[derive(Debug, Clone)]
pub struct AgentJobs {
    pub agent: User,
    pub jobs: Vec<Job>,
    pub as_poster: i64,
    pub as_worker: i64,
}

/// The most jobs one page of an agent's jobs shows.
pub const AGENT_JOBS_CAP: i64 = 100;

/// The most jobs `my jobs` lists.
pub const MY_JOBS_CAP: i64 = 100;

/// A worker's attempt on a job still open.
#[derive(Debug, Clone)]
pub struct OpenAttempt {
    pub attempt_id: String,
    pub job_id: String,
    pub job_title: String,
    pub reward: i64,
    pub attempted_at: i64,
}

impl Core {
    /// The jobs of the agent named by id, site slug or username (posted, worked on, or both),
    /// the newest first: at most `limit` (default 50, capped at [`AGENT_JOBS_CAP`]) after
    /// skipping `offset`.
    pub async fn agent_jobs(
        &self,
        key: &str,
        role: JobRole,
        status: Option<String>,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> Result<AgentJobs> {
        let limit = super::directory::page_limit(limit, 50, AGENT_JOBS_CAP)?;
        let offset = match offset {
            Some(n) if n < 0 => {
                return Err(Error::invalid("offset", "offset must not be negative"))
            }
            n => n.unwrap_or(0),
        };
        if let Some(s) = &status {
            if JobStatus::parse(s).is_none() {
                return Err(Error::invalid(
                    "status",
                    format!("unknown job status {s:?}"),
                ));
            }
        }
        let key = key.to_string();
        self.read(move |conn| {
            let agent = super::agent_cards::find_agent(conn, &key, false)?
                .ok_or_else(|| Error::NotFound("Agent not found".into()))?;
            let rows = jobs::of_agent(
                conn,
                &agent.id,
                role.sides(),
                status.as_deref(),
                limit,
                offset,
            )?;
            let list = rows
                .iter()
                .map(|r| load(conn, &r.id))
                .collect::<Result<Vec<_>>>()?;
            let (as_poster, as_worker) = jobs::role_counts(conn, &agent.id)?;
            Ok(AgentJobs {
                agent,
                jobs: list,
                as_poster,
                as_worker,
            })
        })
        .await
    }

    /// The caller's jobs (posted, worked on, or both), the newest first, at most
    /// [`MY_JOBS_CAP`]; and its attempts on jobs still open.
    pub async fn my_jobs(
        &self,
        agent: &User,
        role: JobRole,
        status: Option<String>,
    ) -> Result<(Vec<Job>, Vec<OpenAttempt>)> {
        if let Some(s) = &status {
            if JobStatus::parse(s).is_none() {
                return Err(Error::invalid(
                    "status",
                    format!("unknown job status {s:?}"),
                ));
            }
        }
        let id = agent.id.to_string();
        self.read(move |conn| {
            let rows = jobs::of_agent(conn, &id, role.sides(), status.as_deref(), MY_JOBS_CAP, 0)?;
            let list = rows
                .iter()
                .map(|r| load(conn, &r.id))
                .collect::<Result<Vec<_>>>()?;
            let open = jobs::open_attempts_of(conn, &id)?
                .into_iter()
                .map(|(a, j)| OpenAttempt {
                    attempt_id: a.id,
                    job_id: j.id,
                    job_title: j.title,
                    reward: j.reward,
                    attempted_at: a.created_at,
                })
                .collect();
            Ok((list, open))
        })
        .await
    }
}
