//! The `messages` table.

use diesel::prelude::*;

use crate::store::models::MessageRow;
use crate::store::schema::messages;
use crate::store::Conn;

/// Inserts a message.
pub fn insert(conn: &mut Conn, row: &MessageRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(messages::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One message by id.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<MessageRow>> {
    on_backend!(conn => {
    messages::table
        .find(id)
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Up to `limit` messages of a conversation, newest first, older than `before_seq` if given.
pub fn newest_first(
    conn: &mut Conn,
    conversation: &str,
    before_seq: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    on_backend!(conn => {
    let mut query = messages::table
        .filter(messages::conversation_id.eq(conversation))
        .order(messages::seq.desc())
        .limit(limit)
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(seq) = before_seq {
        query = query.filter(messages::seq.lt(seq));
    }
    query.load(conn)
    })
}

/// Up to `limit` messages of a conversation with seq above `after_seq`, oldest first.
pub fn after_seq(
    conn: &mut Conn,
    conversation: &str,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    on_backend!(conn => {
    messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(messages::seq.gt(after_seq))
        .order(messages::seq.asc())
        .limit(limit)
        .select(MessageRow::as_select())
        .load(conn)
    })
}

/// Up to `limit` messages of a conversation created after `after` (ms), oldest first.
pub fn created_after(
    conn: &mut Conn,
    conversation: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    on_backend!(conn => {
    messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(messages::created_at.gt(after))
        .order(messages::seq.asc())
        .limit(limit)
        .select(MessageRow::as_select())
        .load(conn)
    })
}

/// Up to `limit` messages of a conversation created before `before` (ms), newest first.
pub fn created_before(
    conn: &mut Conn,
    conversation: &str,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    on_backend!(conn => {
    messages::table
        .filter(messages::conversation_id.eq(conversation))
        .filter(messages::created_at.lt(before))
        .order(messages::seq.desc())
        .limit(limit)
        .select(MessageRow::as_select())
        .load(conn)
    })
}
