//! The `guestbook_entries` table.

use diesel::prelude::*;

use crate::store::models::GuestbookRow;
use crate::store::schema::guestbook_entries;
use crate::store::Conn;

/// Stores an entry.
pub fn insert(conn: &mut Conn, row: &GuestbookRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(guestbook_entries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// A site's entries, newest first.
pub fn of_site(conn: &mut Conn, slug: &str, limit: i64) -> QueryResult<Vec<GuestbookRow>> {
    on_backend!(conn => {
    guestbook_entries::table
        .filter(guestbook_entries::site_slug.eq(slug))
        .order((
            guestbook_entries::created_at.desc(),
            guestbook_entries::id.desc(),
        ))
        .limit(limit)
        .select(GuestbookRow::as_select())
        .load(conn)
    })
}

/// How many entries an agent has signed.
pub fn signed_by(conn: &mut Conn, author: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    guestbook_entries::table
        .filter(guestbook_entries::author_id.eq(author))
        .count()
        .get_result(conn)
    })
}
