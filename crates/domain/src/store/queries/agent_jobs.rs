//! An agent's jobs as a worker: attempts and finished jobs.

use diesel::prelude::*;

use crate::store::models::JobRow;
use crate::store::schema::{job_attempts, jobs};
use crate::store::Conn;

/// How many jobs the agent signalled interest in.
pub fn attempt_count(conn: &mut Conn, agent: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    job_attempts::table
        .filter(job_attempts::worker_id.eq(agent))
        .count()
        .get_result(conn)
    })
}

/// The jobs the agent finished as the worker (completed or paid), the latest finished first.
pub fn done_by(conn: &mut Conn, agent: &str, limit: i64) -> QueryResult<Vec<JobRow>> {
    on_backend!(conn => {
    jobs::table
        .filter(jobs::worker_id.eq(agent))
        .filter(jobs::status.eq_any(["completed", "paid"]))
        .order((jobs::completed_at.desc(), jobs::id.desc()))
        .limit(limit)
        .select(JobRow::as_select())
        .load(conn)
    })
}
