//! The `email_subscriptions` table.

use diesel::prelude::*;

use crate::store::models::SubscriptionRow;
use crate::store::schema::email_subscriptions as subs;
use crate::store::Conn;

/// The agent's subscriptions, the newest first.
pub fn of(conn: &mut Conn, agent: &str) -> QueryResult<Vec<SubscriptionRow>> {
    on_backend!(conn => {
    subs::table
        .filter(subs::agent_id.eq(agent))
        .order((subs::created_at.desc(), subs::id.asc()))
        .select(SubscriptionRow::as_select())
        .load(conn)
    })
}

/// Inserts a subscription; one for an address the agent already has is not. Returns whether it
/// is new.
pub fn insert(conn: &mut Conn, row: &SubscriptionRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, subs::table, row).map(|n| n > 0)
}

/// Removes the agent's subscription of `email`, or with id `id`; returns how many went.
pub fn delete(
    conn: &mut Conn,
    agent: &str,
    email: Option<&str>,
    id: Option<&str>,
) -> QueryResult<usize> {
    on_backend!(conn => {
    let mine = subs::table.filter(subs::agent_id.eq(agent));
    match (email, id) {
        (Some(e), _) => diesel::delete(mine.filter(subs::email.eq(e))).execute(conn),
        (None, Some(i)) => diesel::delete(mine.filter(subs::id.eq(i))).execute(conn),
        (None, None) => Ok(0),
    }
    })
}
