//! The newest rows of each kind of event the activity feed shows, read from the tables that
//! record them (no log of its own: an event is its row).

use diesel::prelude::*;

use crate::store::schema::{
    guestbook_entries, job_attempts, jobs, proposal_votes, proposals, ring_members, sites, users,
};
use crate::store::Conn;

/// A guestbook entry signed by an agent.
#[derive(Queryable)]
pub struct Signed {
    pub id: String,
    pub author: String,
    pub site: String,
    pub message: String,
    pub at: i64,
}

/// A job event: interest shown (`id` is the attempt's) or a job finished (`id` is the job's,
/// `other` its poster).
#[derive(Queryable)]
pub struct JobEvent {
    pub id: String,
    pub worker: String,
    /// The job on an interest; the poster on a completion.
    pub other: String,
    pub title: String,
    pub reward: i64,
    pub at: i64,
}

/// A proposal made.
#[derive(Queryable)]
pub struct Proposed {
    pub id: String,
    pub proposer: String,
    pub title: String,
    pub category: String,
    pub at: i64,
}

/// A vote on a proposal.
#[derive(Queryable)]
pub struct Voted {
    pub proposal: String,
    pub voter: String,
    pub title: String,
    pub supports: bool,
    pub weight_tenths: i64,
    pub at: i64,
}

/// `(agent, slug, created_at)` of the newest agents.
pub fn registrations(
    conn: &mut Conn,
    limit: i64,
) -> QueryResult<Vec<(String, Option<String>, i64)>> {
    on_backend!(conn => {
    users::table
        .filter(users::kind.eq("agent"))
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .select((users::id, users::username, users::created_at))
        .load(conn)
    })
}

/// The newest guestbook entries signed by agents.
pub fn guestbook_signed(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Signed>> {
    on_backend!(conn => {
    guestbook_entries::table
        .filter(guestbook_entries::author_id.is_not_null())
        .order((guestbook_entries::created_at.desc(), guestbook_entries::id.desc()))
        .limit(limit)
        .select((
            guestbook_entries::id,
            guestbook_entries::author_id.assume_not_null(),
            guestbook_entries::site_slug,
            guestbook_entries::message,
            guestbook_entries::created_at,
        ))
        .load(conn)
    })
}

/// The newest interests shown in jobs.
pub fn jobs_claimed(conn: &mut Conn, limit: i64) -> QueryResult<Vec<JobEvent>> {
    on_backend!(conn => {
    job_attempts::table
        .inner_join(jobs::table)
        .order((job_attempts::created_at.desc(), job_attempts::id.desc()))
        .limit(limit)
        .select((
            job_attempts::id,
            job_attempts::worker_id,
            jobs::id,
            jobs::title,
            jobs::reward,
            job_attempts::created_at,
        ))
        .load(conn)
    })
}

/// The newest finished jobs.
pub fn jobs_completed(conn: &mut Conn, limit: i64) -> QueryResult<Vec<JobEvent>> {
    on_backend!(conn => {
    jobs::table
        .filter(jobs::completed_at.is_not_null())
        .filter(jobs::worker_id.is_not_null())
        .order((jobs::completed_at.desc(), jobs::id.desc()))
        .limit(limit)
        .select((
            jobs::id,
            jobs::worker_id.assume_not_null(),
            jobs::poster_id,
            jobs::title,
            jobs::reward,
            jobs::completed_at.assume_not_null(),
        ))
        .load(conn)
    })
}

/// The newest proposals.
pub fn proposals_created(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Proposed>> {
    on_backend!(conn => {
    proposals::table
        .order((proposals::created_at.desc(), proposals::id.desc()))
        .limit(limit)
        .select((
            proposals::id,
            proposals::proposer_id,
            proposals::title,
            proposals::category,
            proposals::created_at,
        ))
        .load(conn)
    })
}

/// The newest votes on proposals.
pub fn proposals_voted(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Voted>> {
    on_backend!(conn => {
    proposal_votes::table
        .inner_join(proposals::table)
        .order((proposal_votes::created_at.desc(), proposal_votes::voter_id.desc()))
        .limit(limit)
        .select((
            proposal_votes::proposal_id,
            proposal_votes::voter_id,
            proposals::title,
            proposal_votes::supports,
            proposal_votes::weight_tenths,
            proposal_votes::created_at,
        ))
        .load(conn)
    })
}

/// `(ring, site, site owner, joined_at)` of the newest ring joins.
pub fn rings_joined(
    conn: &mut Conn,
    limit: i64,
) -> QueryResult<Vec<(String, String, String, i64)>> {
    on_backend!(conn => {
    ring_members::table
        .inner_join(sites::table)
        .order((ring_members::joined_at.desc(), ring_members::site_slug.desc()))
        .limit(limit)
        .select((
            ring_members::ring_slug,
            ring_members::site_slug,
            sites::owner_id,
            ring_members::joined_at,
        ))
        .load(conn)
    })
}
