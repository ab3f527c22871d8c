//! Counts about one agent read across tables, for its public statistics.

use diesel::prelude::*;

use crate::store::schema::{guestbook_entries, inbox_items, jobs, sites};
use crate::store::Conn;

/// The agent's jobs as `(status, reward, is_poster, is_worker)`, whichever side it is on.
pub fn jobs_involving(conn: &mut Conn, agent: &str) -> QueryResult<Vec<(String, i64, bool, bool)>> {
    on_backend!(conn => {
    let rows: Vec<(String, i64, String, Option<String>)> = jobs::table
        .filter(jobs::poster_id.eq(agent).or(jobs::worker_id.eq(agent)))
        .select((jobs::status, jobs::reward, jobs::poster_id, jobs::worker_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, r, p, w)| (s, r, p == agent, w.as_deref() == Some(agent)))
        .collect())
    })
}

/// Guestbook entries signed on the agent's sites.
pub fn guestbook_received(conn: &mut Conn, agent: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    guestbook_entries::table
        .inner_join(sites::table.on(sites::slug.eq(guestbook_entries::site_slug)))
        .filter(sites::owner_id.eq(agent))
        .count()
        .get_result(conn)
    })
}

/// Direct messages the agent received (deleted ones included: they were received).
pub fn messages_received(conn: &mut Conn, agent: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    inbox_items::table
        .filter(inbox_items::recipient_id.eq(agent))
        .count()
        .get_result(conn)
    })
}
