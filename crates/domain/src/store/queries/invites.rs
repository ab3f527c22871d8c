//! The `invites` table.

use diesel::prelude::*;

use crate::store::models::InviteRow;
use crate::store::schema::invites;
use crate::store::Conn;

/// Stores an invite.
pub fn insert(conn: &mut Conn, row: &InviteRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(invites::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One invite by code.
pub fn by_code(conn: &mut Conn, code: &str) -> QueryResult<Option<InviteRow>> {
    on_backend!(conn => {
    invites::table
        .find(code)
        .select(InviteRow::as_select())
        .first(conn)
        .optional()
    })
}
