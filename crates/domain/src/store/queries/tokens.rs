//! The `tokens` table: credential digests.

use diesel::prelude::*;

use crate::store::models::{TokenRow, UserRow};
use crate::store::schema::{tokens, users};
use crate::store::Conn;

/// Stores a credential digest.
pub fn insert(conn: &mut Conn, row: &TokenRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// The user a digest belongs to.
pub fn user_by_digest(conn: &mut Conn, digest: &str) -> QueryResult<Option<(UserRow, String)>> {
    on_backend!(conn => {
    tokens::table
        .inner_join(users::table)
        .filter(tokens::digest.eq(digest))
        .select((UserRow::as_select(), tokens::kind))
        .first(conn)
        .optional()
    })
}

/// Revokes every credential of one kind of a user; returns the revoked digests.
pub fn revoke_kind(conn: &mut Conn, user_id: &str, kind: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    diesel::delete(
        tokens::table
            .filter(tokens::user_id.eq(user_id))
            .filter(tokens::kind.eq(kind)),
    )
    .returning(tokens::digest)
    .get_results(conn)
    })
}

/// Every credential digest of a user.
pub fn digests_of(conn: &mut Conn, user_id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    tokens::table
        .filter(tokens::user_id.eq(user_id))
        .select(tokens::digest)
        .load(conn)
    })
}
