//! The `key_challenges` table.

use diesel::prelude::*;

use crate::store::models::ChallengeRow;
use crate::store::schema::key_challenges;
use crate::store::Conn;

/// Stores a challenge.
pub fn insert(conn: &mut Conn, row: &ChallengeRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(key_challenges::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One challenge by id.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<ChallengeRow>> {
    on_backend!(conn => {
    key_challenges::table
        .find(id)
        .select(ChallengeRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Removes a challenge (used or expired).
pub fn delete(conn: &mut Conn, id: &str) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::delete(key_challenges::table.find(id))
        .execute(conn)
        .map(|_| ())
    })
}

/// Removes every challenge that expired before `now`.
pub fn delete_expired(conn: &mut Conn, now: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(key_challenges::table.filter(key_challenges::expires_at.lt(now))).execute(conn)
    })
}
