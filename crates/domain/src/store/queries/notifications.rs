//! The `notifications` table: the durable per-recipient queue.

use diesel::prelude::*;

use crate::store::models::NotificationRow;
use crate::store::schema::{notification_queues, notifications};
use crate::store::Conn;

/// Queues a notification.
pub fn insert(conn: &mut Conn, row: &NotificationRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// When a recipient's newest notification was created (from the `(recipient_id, created_at)`
/// index).
pub fn newest_at(conn: &mut Conn, recipient: &str) -> QueryResult<Option<i64>> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .select(diesel::dsl::max(notifications::created_at))
        .first(conn)
    })
}

/// A recipient's notifications, newest first, optionally unread only and after `since`.
pub fn page(
    conn: &mut Conn,
    recipient: &str,
    unread: bool,
    since: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    on_backend!(conn => {
    let mut q = notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .select(NotificationRow::as_select())
        .into_boxed();
    if unread {
        q = q.filter(notifications::read_at.is_null());
    }
    if let Some(s) = since {
        q = q.filter(notifications::created_at.gt(s));
    }
    q.load(conn)
    })
}

/// What a (re)connecting socket replays: neither acked nor read, oldest first.
pub fn queued(conn: &mut Conn, recipient: &str) -> QueryResult<Vec<NotificationRow>> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .filter(notifications::acked_at.is_null())
        .order((notifications::created_at.asc(), notifications::id.asc()))
        .select(NotificationRow::as_select())
        .load(conn)
    })
}

/// Unread notifications of a recipient, by kind.
pub fn unread_by_kind(conn: &mut Conn, recipient: &str) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .group_by(notifications::kind)
        .select((notifications::kind, diesel::dsl::count_star()))
        .load(conn)
    })
}

/// One notification of a recipient by id.
pub fn by_id(conn: &mut Conn, recipient: &str, id: &str) -> QueryResult<Option<NotificationRow>> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::recipient_id.eq(recipient))
        .select(NotificationRow::as_select())
        .first(conn)
        .optional()
    })
}

/// The notifications of a recipient that came from one source (e.g. `msg_<id>`).
pub fn by_source(
    conn: &mut Conn,
    recipient: &str,
    source: &str,
) -> QueryResult<Vec<NotificationRow>> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::source_id.eq(source))
        .filter(notifications::recipient_id.eq(recipient))
        .select(NotificationRow::as_select())
        .load(conn)
    })
}

/// Marks notifications read (which also takes them out of the queue); returns how many changed.
pub fn mark_read(conn: &mut Conn, recipient: &str, ids: &[String], now: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(
        notifications::table
            .filter(notifications::recipient_id.eq(recipient))
            .filter(notifications::id.eq_any(ids))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)
    })
}

/// Marks a source's notifications of a recipient read or unread.
pub fn set_source_read(
    conn: &mut Conn,
    recipient: &str,
    source: &str,
    read_at: Option<i64>,
) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(
        notifications::table
            .filter(notifications::recipient_id.eq(recipient))
            .filter(notifications::source_id.eq(source)),
    )
    .set(notifications::read_at.eq(read_at))
    .execute(conn)
    })
}

/// Acknowledges one notification (WebSocket `ack`); unknown ids change nothing.
pub fn ack(conn: &mut Conn, recipient: &str, id: &str, now: i64) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(
        notifications::table
            .filter(notifications::recipient_id.eq(recipient))
            .filter(notifications::id.eq(id))
            .filter(notifications::acked_at.is_null()),
    )
    .set(notifications::acked_at.eq(now))
    .execute(conn)
    })
}

/// How many unread notifications a recipient has.
pub fn unread_count(conn: &mut Conn, recipient: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
    })
}

/// How many notifications of a recipient are queued (neither acked nor read), as the
/// `notification_queues` triggers keep it.
pub fn queued_count(conn: &mut Conn, recipient: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    notification_queues::table
        .find(recipient)
        .select(notification_queues::queued)
        .first(conn)
        .optional()
        .map(Option::unwrap_or_default)
    })
}

/// Takes the `n` oldest queued notifications of a recipient out of the replay queue.
pub fn drop_oldest_queued(
    conn: &mut Conn,
    recipient: &str,
    n: i64,
    now: i64,
) -> QueryResult<usize> {
    on_backend!(conn => {
    let ids: Vec<String> = notifications::table
        .filter(notifications::recipient_id.eq(recipient))
        .filter(notifications::read_at.is_null())
        .filter(notifications::acked_at.is_null())
        .order((notifications::created_at.asc(), notifications::id.asc()))
        .limit(n)
        .select(notifications::id)
        .load(conn)?;
    diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
        .set(notifications::acked_at.eq(now))
        .execute(conn)
    })
}

/// Takes the queued notifications of a recipient created before `cutoff` out of the queue.
pub fn drop_queued_before(
    conn: &mut Conn,
    recipient: &str,
    cutoff: i64,
    now: i64,
) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::update(
        notifications::table
            .filter(notifications::recipient_id.eq(recipient))
            .filter(notifications::read_at.is_null())
            .filter(notifications::acked_at.is_null())
            .filter(notifications::created_at.lt(cutoff)),
    )
    .set(notifications::acked_at.eq(now))
    .execute(conn)
    })
}
