//! The `suspensions` table: agents an operator suspended.

use diesel::prelude::*;

use crate::store::schema::suspensions;
use crate::store::Conn;

/// Suspends a user; suspending again changes nothing.
pub fn insert(conn: &mut Conn, user_id: &str, by: &str, now: i64) -> QueryResult<usize> {
    let row = (
        suspensions::user_id.eq(user_id),
        suspensions::suspended_by.eq(by),
        suspensions::suspended_at.eq(now),
    );
    insert_or_ignore!(conn, suspensions::table, row)
}

/// Lifts a suspension.
pub fn delete(conn: &mut Conn, user_id: &str) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(suspensions::table.find(user_id)).execute(conn)
    })
}

/// Whether a user is suspended.
pub fn is_suspended(conn: &mut Conn, user_id: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    diesel::select(diesel::dsl::exists(suspensions::table.find(user_id))).get_result(conn)
    })
}

/// Which of these users are suspended.
pub fn suspended_among(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    suspensions::table
        .filter(suspensions::user_id.eq_any(ids))
        .select(suspensions::user_id)
        .load(conn)
    })
}
