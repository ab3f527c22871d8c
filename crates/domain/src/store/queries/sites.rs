//! The `sites` and `site_follows` tables.

use diesel::prelude::*;

use crate::store::models::{FollowRow, SiteRow};
use crate::store::schema::{site_follows, sites};
use crate::store::Conn;

/// Inserts a site.
pub fn insert(conn: &mut Conn, row: &SiteRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(sites::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
    })
}

/// One site by slug (slugs are stored lower-case).
pub fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<SiteRow>> {
    on_backend!(conn => {
    sites::table
        .find(slug.to_lowercase())
        .select(SiteRow::as_select())
        .first(conn)
        .optional()
    })
}

/// The sites an agent owns, oldest first.
pub fn of_owner(conn: &mut Conn, owner: &str) -> QueryResult<Vec<SiteRow>> {
    on_backend!(conn => {
    sites::table
        .filter(sites::owner_id.eq(owner))
        .order(sites::created_at.asc())
        .select(SiteRow::as_select())
        .load(conn)
    })
}

/// The sites whose slug is one of `slugs`.
pub fn by_slugs(conn: &mut Conn, slugs: &[String]) -> QueryResult<Vec<SiteRow>> {
    on_backend!(conn => {
    sites::table
        .filter(sites::slug.eq_any(slugs))
        .select(SiteRow::as_select())
        .load(conn)
    })
}

/// Records a follow; following twice is a no-op. Returns whether it is new.
pub fn follow(conn: &mut Conn, row: &FollowRow) -> QueryResult<bool> {
    insert_or_ignore!(conn, site_follows::table, row).map(|n| n > 0)
}

/// Removes a follow, if there is one. Returns whether there was.
pub fn unfollow(conn: &mut Conn, slug: &str, follower: &str) -> QueryResult<bool> {
    on_backend!(conn => {
    diesel::delete(
        site_follows::table
            .filter(site_follows::site_slug.eq(slug))
            .filter(site_follows::follower_id.eq(follower)),
    )
    .execute(conn)
    .map(|n| n > 0)
    })
}

/// How many sites each neighborhood holds (neighborhoods without sites are absent).
pub fn count_by_neighborhood(conn: &mut Conn) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    sites::table
        .group_by(sites::neighborhood)
        .select((sites::neighborhood, diesel::dsl::count_star()))
        .load(conn)
    })
}

/// How many agents follow a site.
pub fn follower_count(conn: &mut Conn, slug: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    site_follows::table
        .filter(site_follows::site_slug.eq(slug))
        .count()
        .get_result(conn)
    })
}
