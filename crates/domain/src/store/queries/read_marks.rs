//! The `read_marks` table: how far each human has read each conversation.

use diesel::prelude::*;

use crate::store::schema::read_marks;
use crate::store::{AnyConnection, Conn};

/// Moves a read mark forward (never back).
pub fn advance(conn: &mut Conn, user_id: &str, conversation: &str, seq: i64) -> QueryResult<()> {
    let row = (
        read_marks::user_id.eq(user_id),
        read_marks::conversation_id.eq(conversation),
        read_marks::seq.eq(seq),
    );
    let key = (read_marks::user_id, read_marks::conversation_id);
    // The larger of two values: a scalar `max` in SQLite, `GREATEST` in PostgreSQL.
    let forward = |larger: &str| {
        read_marks::seq.eq(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "{larger}(read_marks.seq, excluded.seq)"
        )))
    };
    match conn {
        AnyConnection::Sqlite(c) => diesel::insert_into(read_marks::table)
            .values(row)
            .on_conflict(key)
            .do_update()
            .set(forward("max"))
            .execute(c),
        AnyConnection::Postgres(c) => diesel::insert_into(read_marks::table)
            .values(row)
            .on_conflict(key)
            .do_update()
            .set(forward("GREATEST"))
            .execute(c),
    }
    .map(|_| ())
}

/// The read marks of a user in these conversations, as (conversation, seq).
pub fn of_user(
    conn: &mut Conn,
    user_id: &str,
    conversations: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    read_marks::table
        .filter(read_marks::user_id.eq(user_id))
        .filter(read_marks::conversation_id.eq_any(conversations))
        .select((read_marks::conversation_id, read_marks::seq))
        .load(conn)
    })
}
