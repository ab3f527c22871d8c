//! The `job_ratings` table, and the job counts reputation is worked out from.

use diesel::dsl::{count_star, sum};
use diesel::prelude::*;

use crate::store::models::{RatingRow, UserRow};
use crate::store::schema::{job_ratings, jobs, users};
use crate::store::Conn;

/// Job statuses that count as done.
const DONE: [&str; 2] = ["completed", "paid"];

/// Records a rating; a second rating of the same job by the same rater is not. Returns whether
/// it is new.
pub fn insert(conn: &mut Conn, row: &RatingRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, job_ratings::table, row).map(|n| n > 0)
}

/// `(ratee, ratings received, sum of ratings)`, for one agent or, with `None`, every one rated.
pub fn tallies(conn: &mut Conn, agent: Option<&str>) -> QueryResult<Vec<(String, i64, i64)>> {
    on_backend!(conn => {
    let mut q = job_ratings::table
        .group_by(job_ratings::ratee_id)
        .select((job_ratings::ratee_id, count_star(), sum(job_ratings::rating)))
        .into_boxed();
    if let Some(a) = agent {
        q = q.filter(job_ratings::ratee_id.eq(a.to_string()));
    }
    let rows: Vec<(String, i64, Option<i64>)> = q.load(conn)?;
    Ok(rows.into_iter().map(|(id, n, s)| (id, n, s.unwrap_or(0))).collect())
    })
}

/// `(agent, done jobs)` on one side: as the worker, or with `as_poster` as the poster; for one
/// agent or, with `None`, every agent with any.
pub fn done_jobs(
    conn: &mut Conn,
    as_poster: bool,
    agent: Option<&str>,
) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    let done = jobs::table.filter(jobs::status.eq_any(DONE));
    if as_poster {
        let mut q = done
            .group_by(jobs::poster_id)
            .select((jobs::poster_id, count_star()))
            .into_boxed();
        if let Some(a) = agent {
            q = q.filter(jobs::poster_id.eq(a.to_string()));
        }
        q.load(conn)
    } else {
        let mut q = done
            .filter(jobs::worker_id.is_not_null())
            .group_by(jobs::worker_id)
            .select((jobs::worker_id.assume_not_null(), count_star()))
            .into_boxed();
        if let Some(a) = agent {
            q = q.filter(jobs::worker_id.eq(a.to_string()));
        }
        q.load(conn)
    }
    })
}

/// A page of agents, the oldest first.
pub fn oldest_agents(conn: &mut Conn, offset: i64, limit: i64) -> QueryResult<Vec<UserRow>> {
    on_backend!(conn => {
    users::table
        .filter(users::kind.eq("agent"))
        .order((users::created_at.asc(), users::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
    })
}
