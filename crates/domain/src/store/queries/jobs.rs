//! The `jobs` and `job_attempts` tables.

use diesel::prelude::*;

use crate::store::models::{AttemptRow, JobRow};
use crate::store::schema::{job_attempts, jobs};
use crate::store::Conn;

/// Stores a job.
pub fn insert(conn: &mut Conn, row: &JobRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(jobs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One job.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<JobRow>> {
    on_backend!(conn => {
    jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Jobs, newest first, optionally of one status and/or one poster.
pub fn list(
    conn: &mut Conn,
    status: Option<&str>,
    poster: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<JobRow>> {
    on_backend!(conn => {
    let mut q = jobs::table
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .limit(limit)
        .select(JobRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(jobs::status.eq(s.to_string()));
    }
    if let Some(p) = poster {
        q = q.filter(jobs::poster_id.eq(p.to_string()));
    }
    q.load(conn)
    })
}

/// Changes a job's state.
pub fn set_status(
    conn: &mut Conn,
    id: &str,
    status: &str,
    now: i64,
    completed: bool,
) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(status),
            jobs::updated_at.eq(now),
            jobs::completed_at.eq(if completed { Some(now) } else { None }),
        ))
        .execute(conn)
        .map(|_| ())
    })
}

/// Records who submitted the work and the proof.
pub fn assign(conn: &mut Conn, id: &str, worker: &str, proof: &str) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(jobs::table.find(id))
        .set((jobs::worker_id.eq(worker), jobs::proof.eq(proof)))
        .execute(conn)
        .map(|_| ())
    })
}

/// Stores an attempt; returns false when the worker already had one.
pub fn insert_attempt(conn: &mut Conn, row: &AttemptRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, job_attempts::table, row).map(|n| n > 0)
}

/// One worker's attempt at a job.
pub fn attempt_of(conn: &mut Conn, job: &str, worker: &str) -> QueryResult<Option<AttemptRow>> {
    on_backend!(conn => {
    job_attempts::table
        .filter(job_attempts::job_id.eq(job))
        .filter(job_attempts::worker_id.eq(worker))
        .select(AttemptRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Every attempt at a job, oldest first.
pub fn attempts(conn: &mut Conn, job: &str) -> QueryResult<Vec<AttemptRow>> {
    on_backend!(conn => {
    job_attempts::table
        .filter(job_attempts::job_id.eq(job))
        .order(job_attempts::created_at.asc())
        .select(AttemptRow::as_select())
        .load(conn)
    })
}

/// An agent's record in jobs: completed as the worker (paid or not), posted, and the rewards
/// of the completed ones it earned and paid. (Summed here: PostgreSQL's SUM of a BIGINT is a
/// NUMERIC, which the multi-backend DSL cannot read.)
pub fn record(conn: &mut Conn, agent: &str) -> QueryResult<(i64, i64, i64, i64)> {
    const DONE: [&str; 2] = ["completed", "paid"];
    on_backend!(conn => {
    let earned: Vec<i64> = jobs::table
        .filter(jobs::worker_id.eq(agent))
        .filter(jobs::status.eq_any(DONE))
        .select(jobs::reward)
        .load(conn)?;
    let posted: Vec<(String, i64)> = jobs::table
        .filter(jobs::poster_id.eq(agent))
        .select((jobs::status, jobs::reward))
        .load(conn)?;
    let spent = posted
        .iter()
        .filter(|(status, _)| DONE.contains(&status.as_str()))
        .map(|(_, r)| r)
        .sum();
    Ok((earned.len() as i64, posted.len() as i64, earned.iter().sum(), spent))
    })
}

/// Jobs an agent posted (`as_poster`), works on (`as_worker`), or either, the newest first;
/// optionally of one status; at most `limit` after skipping `offset`.
pub fn of_agent(
    conn: &mut Conn,
    agent: &str,
    (as_poster, as_worker): (bool, bool),
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<JobRow>> {
    on_backend!(conn => {
    let mut q = jobs::table
        .order((jobs::created_at.desc(), jobs::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(JobRow::as_select())
        .into_boxed();
    q = match (as_poster, as_worker) {
        (true, false) => q.filter(jobs::poster_id.eq(agent.to_string())),
        (false, true) => q.filter(jobs::worker_id.eq(agent.to_string())),
        _ => q.filter(
            jobs::poster_id
                .eq(agent.to_string())
                .or(jobs::worker_id.eq(agent.to_string())),
        ),
    };
    if let Some(s) = status {
        q = q.filter(jobs::status.eq(s.to_string()));
    }
    q.load(conn)
    })
}

/// A worker's attempts on jobs still open, the newest first.
pub fn open_attempts_of(conn: &mut Conn, worker: &str) -> QueryResult<Vec<(AttemptRow, JobRow)>> {
    on_backend!(conn => {
    job_attempts::table
        .inner_join(jobs::table)
        .filter(job_attempts::worker_id.eq(worker))
        .filter(jobs::status.eq("open"))
        .order(job_attempts::created_at.desc())
        .select((AttemptRow::as_select(), JobRow::as_select()))
        .load(conn)
    })
}

/// How many jobs an agent posted, and how many it is (or was) the worker of.
pub fn role_counts(conn: &mut Conn, agent: &str) -> QueryResult<(i64, i64)> {
    on_backend!(conn => {
    let posted = jobs::table.filter(jobs::poster_id.eq(agent)).count().get_result(conn)?;
    let worked = jobs::table.filter(jobs::worker_id.eq(agent)).count().get_result(conn)?;
    Ok((posted, worked))
    })
}

/// The jobs with the given ids, in no order.
pub fn by_ids(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<JobRow>> {
    on_backend!(conn => {
    jobs::table
        .filter(jobs::id.eq_any(ids))
        .select(JobRow::as_select())
        .load(conn)
    })
}
