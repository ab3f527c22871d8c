//! The `web_rings` and `ring_members` tables.

use diesel::prelude::*;

use crate::store::models::{RingMemberRow, RingRow, SiteRow, UserRow};
use crate::store::schema::{ring_members, sites, users, web_rings};
use crate::store::Conn;

/// Inserts a ring.
pub fn insert(conn: &mut Conn, row: &RingRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(web_rings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One ring by slug.
pub fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<RingRow>> {
    on_backend!(conn => {
    web_rings::table
        .find(slug)
        .select(RingRow::as_select())
        .first(conn)
        .optional()
    })
}

/// Every ring with its number of members, the largest first (ties: the oldest first).
pub fn with_counts(conn: &mut Conn) -> QueryResult<Vec<(RingRow, i64)>> {
    on_backend!(conn => {
    web_rings::table
        .left_join(ring_members::table)
        .group_by(web_rings::slug)
        .select((
            RingRow::as_select(),
            diesel::dsl::count(ring_members::site_slug.nullable()),
        ))
        .order((
            diesel::dsl::count(ring_members::site_slug.nullable()).desc(),
            web_rings::created_at.asc(),
        ))
        .load(conn)
    })
}

/// A ring's member sites with their owners, in ring order.
pub fn members(conn: &mut Conn, ring: &str) -> QueryResult<Vec<(SiteRow, UserRow)>> {
    on_backend!(conn => {
    ring_members::table
        .inner_join(sites::table.inner_join(users::table))
        .filter(ring_members::ring_slug.eq(ring))
        .order(ring_members::position.asc())
        .select((SiteRow::as_select(), UserRow::as_select()))
        .load(conn)
    })
}

/// Adds a site at the end of a ring; a member already there is left as it is. Returns whether
/// it is new.
pub fn join(conn: &mut Conn, ring: &str, site: &str, now: i64) -> QueryResult<bool> {
    let last: Option<i64> = on_backend!(conn => {
    ring_members::table
        .filter(ring_members::ring_slug.eq(ring))
        .select(diesel::dsl::max(ring_members::position))
        .first(conn)?
    });
    let row = RingMemberRow {
        ring_slug: ring.to_string(),
        site_slug: site.to_string(),
        position: last.unwrap_or(0) + 1,
        joined_at: now,
    };
    insert_or_ignore!(conn, ring_members::table, &row).map(|n| n > 0)
}

/// Takes a site out of a ring. Returns whether it was in it.
pub fn leave(conn: &mut Conn, ring: &str, site: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    diesel::delete(
        ring_members::table
            .filter(ring_members::ring_slug.eq(ring))
            .filter(ring_members::site_slug.eq(site)),
    )
    .execute(conn)
    .map(|n| n > 0)
    })
}
