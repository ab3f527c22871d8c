//! The `conversations`, `panels` and `participants` tables.

use diesel::prelude::*;

use crate::store::models::{ConversationRow, PanelRow, ParticipantRow};
use crate::store::schema::{conversations, panels, participants};
use crate::store::{AnyConnection, Conn};

/// Inserts a conversation.
pub fn insert(conn: &mut Conn, row: &ConversationRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(conversations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One conversation by id.
pub fn by_id(conn: &mut Conn, id: &str) -> QueryResult<Option<ConversationRow>> {
    on_backend!(conn => {
    conversations::table
        .find(id)
        .select(ConversationRow::as_select())
        .first(conn)
        .optional()
    })
}

/// The DM with this participant key, if one exists.
pub fn by_dm_key(conn: &mut Conn, key: &str) -> QueryResult<Option<ConversationRow>> {
    on_backend!(conn => {
    conversations::table
        .filter(conversations::dm_key.eq(key))
        .select(ConversationRow::as_select())
        .first(conn)
        .optional()
    })
}

/// The seq of a conversation's newest message (0 when it has none).
pub fn last_seq(conn: &mut Conn, id: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    conversations::table
        .find(id)
        .select(conversations::last_seq)
        .first(conn)
    })
}

/// The seq of many conversations' newest messages, as (conversation, seq).
pub fn last_seqs(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    conversations::table
        .filter(conversations::id.eq_any(ids))
        .select((conversations::id, conversations::last_seq))
        .load(conn)
    })
}

/// The seq a new message of a conversation takes. Inserting the message advances the
/// conversation to it (trigger `messages_advance_conversation`). SQLite has one writer; on
/// PostgreSQL the conversation's row stays locked until COMMIT, so writers on every node take
/// consecutive seqs, in commit order.
pub fn next_seq(conn: &mut Conn, id: &str) -> QueryResult<i64> {
    let last = conversations::table
        .find(id)
        .select(conversations::last_seq);
    match conn {
        AnyConnection::Sqlite(c) => last.first::<i64>(c),
        AnyConnection::Postgres(c) => last.for_update().first::<i64>(c),
    }
    .map(|seq| seq + 1)
}

/// Sets a conversation's status.
pub fn set_status(conn: &mut Conn, id: &str, status: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(conversations::table.find(id))
        .set((
            conversations::status.eq(status),
            conversations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
    })
}

/// Renames a conversation.
pub fn set_name(conn: &mut Conn, id: &str, name: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(conversations::table.find(id))
        .set((
            conversations::name.eq(name),
            conversations::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
    })
}

/// Marks a conversation changed (participants, settings) without a new message.
pub fn touch(conn: &mut Conn, id: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(conversations::table.find(id))
        .set(conversations::updated_at.eq(now))
        .execute(conn)
        .map(|_| ())
    })
}

/// The sessions (dm and group) a user takes part in, most recently updated first.
pub fn sessions_of(
    conn: &mut Conn,
    user_id: &str,
    updated_after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ConversationRow>> {
    on_backend!(conn => {
    let mut query = participants::table
        .inner_join(conversations::table)
        .filter(participants::user_id.eq(user_id))
        .filter(conversations::kind.ne("panel"))
        .select(ConversationRow::as_select())
        .order((conversations::updated_at.desc(), conversations::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(after) = updated_after {
        query = query.filter(conversations::updated_at.gt(after));
    }
    query.load(conn)
    })
}

/// Adds participants; those already present are left as they are.
pub fn add_participants(conn: &mut Conn, rows: &[ParticipantRow]) -> QueryResult<()> {
    for row in rows {
        insert_or_ignore!(conn, participants::table, row)?;
    }
    Ok(())
}

/// Removes participants.
pub fn remove_participants(conn: &mut Conn, id: &str, users: &[String]) -> QueryResult<usize> {
    on_backend!(conn => {
    diesel::delete(
        participants::table
            .filter(participants::conversation_id.eq(id))
            .filter(participants::user_id.eq_any(users)),
    )
    .execute(conn)
    })
}

/// The participant ids of a conversation, in joining order.
pub fn participant_ids(conn: &mut Conn, id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    use joined::participants as p;
    p::table
        .filter(p::conversation_id.eq(id))
        .order(p::rowid)
        .select(p::user_id)
        .load(conn)
    })
}

/// Participant ids of many conversations at once, as (conversation, user) pairs.
pub fn participant_pairs(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    on_backend!(conn => {
    use joined::participants as p;
    p::table
        .filter(p::conversation_id.eq_any(ids))
        .order(p::rowid)
        .select((p::conversation_id, p::user_id))
        .load(conn)
    })
}

/// `participants` with its rowid, which orders rows as they joined (ids added in one request
/// share a timestamp). Declared as a column, the order is part of a statement Diesel keeps
/// prepared; as an SQL literal it was compiled again on every read.
mod joined {
    diesel::table! {
        participants (rowid) {
            rowid -> BigInt,
            conversation_id -> Text,
            user_id -> Text,
        }
    }
}

/// Whether a user takes part in a conversation.
pub fn is_participant(conn: &mut Conn, id: &str, user_id: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    diesel::select(diesel::dsl::exists(
        participants::table
            .filter(participants::conversation_id.eq(id))
            .filter(participants::user_id.eq(user_id)),
    ))
    .get_result(conn)
    })
}

/// Inserts the panel attributes of a panel conversation.
pub fn insert_panel(conn: &mut Conn, row: &PanelRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(panels::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// Replaces the panel attributes of a panel conversation.
pub fn update_panel(conn: &mut Conn, row: &PanelRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(panels::table.find(&row.conversation_id))
        .set(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One panel (conversation and attributes) by id.
pub fn panel(conn: &mut Conn, id: &str) -> QueryResult<Option<(ConversationRow, PanelRow)>> {
    on_backend!(conn => {
    conversations::table
        .inner_join(panels::table)
        .filter(conversations::id.eq(id))
        .select((ConversationRow::as_select(), PanelRow::as_select()))
        .first(conn)
        .optional()
    })
}

/// The live (not deleted) panels of a group, oldest first.
pub fn panels_of_group(
    conn: &mut Conn,
    group_id: &str,
) -> QueryResult<Vec<(ConversationRow, PanelRow)>> {
    on_backend!(conn => {
    conversations::table
        .inner_join(panels::table)
        .filter(conversations::group_id.eq(group_id))
        .filter(conversations::status.ne("deleted"))
        .order((conversations::created_at.asc(), conversations::id.asc()))
        .select((ConversationRow::as_select(), PanelRow::as_select()))
        .load(conn)
    })
}

/// The private panels among `ids` a user is a member of.
pub fn member_of(conn: &mut Conn, ids: &[String], user_id: &str) -> QueryResult<Vec<String>> {
    on_backend!(conn => {
    participants::table
        .filter(participants::conversation_id.eq_any(ids))
        .filter(participants::user_id.eq(user_id))
        .select(participants::conversation_id)
        .load(conn)
    })
}
