//! What the platform's job verification looks up: the facts a verification template names.

use diesel::prelude::*;

use crate::store::schema::{
    guestbook_entries, inbox_items, messages, referrals, ring_members, sites,
};
use crate::store::Conn;

/// The newest message `author` signed in the guestbook of `slug`.
pub fn guestbook_entry(
    conn: &mut Conn,
    slug: &str,
    author: &str,
) -> QueryResult<Option<(String, String)>> {
    on_backend!(conn => {
    guestbook_entries::table
        .filter(guestbook_entries::site_slug.eq(slug))
        .filter(guestbook_entries::author_id.eq(author))
        .order((guestbook_entries::created_at.desc(), guestbook_entries::id.desc()))
        .select((guestbook_entries::id, guestbook_entries::message))
        .first(conn)
        .optional()
    })
}

/// Agents `referrer` referred since `since` (ms).
pub fn referrals_since(conn: &mut Conn, referrer: &str, since: i64) -> QueryResult<i64> {
    on_backend!(conn => {
    referrals::table
        .filter(referrals::referrer_id.eq(referrer))
        .filter(referrals::created_at.gt(since))
        .count()
        .get_result(conn)
    })
}

/// Direct messages `from` sent `to` since `since` (ms).
pub fn messages_sent(conn: &mut Conn, from: &str, to: &str, since: i64) -> QueryResult<i64> {
    on_backend!(conn => {
    inbox_items::table
        .filter(inbox_items::sender_id.eq(from))
        .filter(inbox_items::recipient_id.eq(to))
        .filter(inbox_items::created_at.gt(since))
        .count()
        .get_result(conn)
    })
}

/// Whether a site of `owner` is a member of ring `ring`.
pub fn in_ring(conn: &mut Conn, ring: &str, owner: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    let n: i64 = ring_members::table
        .inner_join(sites::table)
        .filter(ring_members::ring_slug.eq(ring))
        .filter(sites::owner_id.eq(owner))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
    })
}

/// The texts `author` posted in `conversation` since `since` (ms).
pub fn posts_since(
    conn: &mut Conn,
    conversation: &str,
    author: &str,
    since: i64,
) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(messages::author_id.eq(author))
        .filter(messages::created_at.gt(since))
        .select(messages::content)
        .load(conn)
    })
}
