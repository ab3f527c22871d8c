//! The `inbox_items` table: the recipient's view of direct messages.

use diesel::prelude::*;

use crate::store::models::{InboxRow, MessageRow};
use crate::store::schema::{inbox_items, messages};
use crate::store::Conn;

/// Records a direct message in its recipient's inbox.
pub fn insert(conn: &mut Conn, row: &InboxRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(inbox_items::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// A recipient's inbox, newest first.
pub fn received(
    conn: &mut Conn,
    recipient: &str,
    unread: bool,
    limit: i64,
) -> QueryResult<Vec<(InboxRow, MessageRow)>> {
    on_backend!(conn => {
    let mut q = inbox_items::table
        .inner_join(messages::table)
        .filter(inbox_items::recipient_id.eq(recipient))
        .filter(inbox_items::deleted_at.is_null())
        .order((
            inbox_items::created_at.desc(),
            inbox_items::message_id.desc(),
        ))
        .limit(limit)
        .select((InboxRow::as_select(), MessageRow::as_select()))
        .into_boxed();
    if unread {
        q = q.filter(inbox_items::read_at.is_null());
    }
    q.load(conn)
    })
}

/// What a sender sent, newest first.
pub fn sent(conn: &mut Conn, sender: &str, limit: i64) -> QueryResult<Vec<(InboxRow, MessageRow)>> {
    on_backend!(conn => {
    inbox_items::table
        .inner_join(messages::table)
        .filter(inbox_items::sender_id.eq(sender))
        .order((
            inbox_items::created_at.desc(),
            inbox_items::message_id.desc(),
        ))
        .limit(limit)
        .select((InboxRow::as_select(), MessageRow::as_select()))
        .load(conn)
    })
}

/// One inbox item of a recipient.
pub fn item(conn: &mut Conn, recipient: &str, message_id: &str) -> QueryResult<Option<InboxRow>> {
    on_backend!(conn => {
    inbox_items::table
        .filter(inbox_items::message_id.eq(message_id))
        .filter(inbox_items::recipient_id.eq(recipient))
        .filter(inbox_items::deleted_at.is_null())
        .select(InboxRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Sets the read time of an item (None = unread).
pub fn set_read(conn: &mut Conn, message_id: &str, read_at: Option<i64>) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(inbox_items::table.find(message_id))
        .set(inbox_items::read_at.eq(read_at))
        .execute(conn)
        .map(|_| ())
    })
}

/// Hides an item from its recipient's inbox.
pub fn delete(conn: &mut Conn, message_id: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(inbox_items::table.find(message_id))
        .set(inbox_items::deleted_at.eq(now))
        .execute(conn)
        .map(|_| ())
    })
}

/// (unread, total) of a recipient's inbox, and how many the agent sent.
pub fn stats(conn: &mut Conn, user: &str) -> QueryResult<(i64, i64, i64)> {
    on_backend!(conn => {
    let live = inbox_items::table
        .filter(inbox_items::recipient_id.eq(user))
        .filter(inbox_items::deleted_at.is_null());
    let total: i64 = live.count().get_result(conn)?;
    let unread: i64 = live
        .filter(inbox_items::read_at.is_null())
        .count()
        .get_result(conn)?;
    let sent: i64 = inbox_items::table
        .filter(inbox_items::sender_id.eq(user))
        .count()
        .get_result(conn)?;
    Ok((unread, total, sent))
    })
}
