//! The `human_accounts`, `web_sessions` and `claim_links` tables.

use diesel::prelude::*;

use crate::store::models::{ClaimLinkRow, HumanAccountRow, UserRow, WebSessionRow};
use crate::store::schema::{claim_links, human_accounts, users, web_sessions};
use crate::store::Conn;

/// The account of a human, if they have one.
pub fn account(conn: &mut Conn, user_id: &str) -> QueryResult<Option<HumanAccountRow>> {
    on_backend!(conn => {
    human_accounts::table
        .find(user_id)
        .select(HumanAccountRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Inserts an account.
pub fn insert_account(conn: &mut Conn, row: &HumanAccountRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(human_accounts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// Replaces a password hash.
pub fn set_password(conn: &mut Conn, user_id: &str, hash: &str, now: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(human_accounts::table.find(user_id))
        .set((
            human_accounts::password_hash.eq(hash),
            human_accounts::password_changed_at.eq(now),
        ))
        .execute(conn)
    })
}

/// Grants or takes back the operator role.
pub fn set_admin(conn: &mut Conn, user_id: &str, admin: bool) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(human_accounts::table.find(user_id))
        .set(human_accounts::is_admin.eq(admin))
        .execute(conn)
    })
}

/// Inserts a session.
pub fn insert_session(conn: &mut Conn, row: &WebSessionRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(web_sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// A session with its user and account.
pub fn session(
    conn: &mut Conn,
    digest: &str,
) -> QueryResult<Option<(WebSessionRow, UserRow, HumanAccountRow)>> {
    on_backend!(conn => {
    web_sessions::table
        .inner_join(users::table.inner_join(human_accounts::table))
        .filter(web_sessions::digest.eq(digest))
        .select((
            WebSessionRow::as_select(),
            UserRow::as_select(),
            HumanAccountRow::as_select(),
        ))
        .first(conn)
        .optional()
    })
}

/// Moves a session's idle clock.
pub fn touch_session(conn: &mut Conn, digest: &str, now: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(web_sessions::table.find(digest))
        .set(web_sessions::last_seen_at.eq(now))
        .execute(conn)
    })
}

/// Ends one session.
pub fn delete_session(conn: &mut Conn, digest: &str) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(web_sessions::table.find(digest)).execute(conn)
    })
}

/// Ends every session of a user but `keep`; returns the digests ended.
pub fn delete_sessions_of(
    conn: &mut Conn,
    user_id: &str,
    keep: Option<&str>,
) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    let query = web_sessions::table.filter(web_sessions::user_id.eq(user_id));
    match keep {
        Some(k) => diesel::delete(query.filter(web_sessions::digest.ne(k)))
            .returning(web_sessions::digest)
            .get_results(conn),
        None => diesel::delete(query)
            .returning(web_sessions::digest)
            .get_results(conn),
    }
    })
}

/// Removes sessions past their absolute expiry or idle longer than `idle_ms`.
pub fn delete_expired_sessions(conn: &mut Conn, now: i64, idle_ms: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(
        web_sessions::table.filter(
            web_sessions::expires_at
                .le(now)
                .or(web_sessions::last_seen_at.le(now - idle_ms)),
        ),
    )
    .execute(conn)
    })
}

/// Inserts a claim link.
pub fn insert_claim(conn: &mut Conn, row: &ClaimLinkRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(claim_links::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// A claim link with its user.
pub fn claim(conn: &mut Conn, digest: &str) -> QueryResult<Option<(ClaimLinkRow, UserRow)>> {
    on_backend!(conn => {
    claim_links::table
        .inner_join(users::table)
        .filter(claim_links::digest.eq(digest))
        .select((ClaimLinkRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
    })
}

/// Removes every claim link of a user (one was used, or the account exists now).
pub fn delete_claims_of(conn: &mut Conn, user_id: &str) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(claim_links::table.filter(claim_links::user_id.eq(user_id))).execute(conn)
    })
}
