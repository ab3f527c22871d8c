//! The `sites` and `site_follows` tables.

use diesel::prelude::*;

use super::lower;
use crate::store::models::{FollowRow, ProfileRow, SiteChanges, SiteRow, UserRow};
use crate::store::schema::{guestbook_entries, site_follows, sites, users};
use crate::store::Conn;

/// A site with its owner's user and profile columns.
pub type Listed = (SiteRow, UserRow, ProfileRow);

/// The visibility of the sites that discovery lists.
const LISTED: &str = "public";

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The newest first.
    Recent,
    /// The most read first.
    Popular,
}

/// Which listed sites a listing shows: all, or those of a neighborhood and/or whose owner's
/// skills contain a (lower-case, `LIKE`-escaped with `\`) pattern.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub neighborhood: Option<String>,
    pub skill_pattern: Option<String>,
}

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

/// Listed sites with their owners, by `filter`, in `order`: at most `limit`, after skipping
/// `offset`.
pub fn listed(
    conn: &mut Conn,
    filter: &Filter,
    order: Order,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Listed>> {
    on_backend!(conn => {
    let mut q = sites::table
        .inner_join(users::table)
        .filter(sites::visibility.eq(LISTED))
        .select((SiteRow::as_select(), UserRow::as_select(), ProfileRow::as_select()))
        .into_boxed();
    if let Some(hood) = &filter.neighborhood {
        q = q.filter(sites::neighborhood.eq(hood.clone()));
    }
    if let Some(pattern) = &filter.skill_pattern {
        q = q.filter(lower(users::skills).like(pattern.clone()).escape('\\'));
    }
    q = match order {
        Order::Recent => q.order((sites::created_at.desc(), sites::slug.asc())),
        Order::Popular => q.order((sites::view_count.desc(), sites::created_at.desc())),
    };
    q.limit(limit).offset(offset).load(conn)
    })
}

/// How many sites `filter` lists.
pub fn count_listed(conn: &mut Conn, filter: &Filter) -> QueryResult<i64> {
    on_backend!(conn => {
    let mut q = sites::table
        .inner_join(users::table)
        .filter(sites::visibility.eq(LISTED))
        .into_boxed();
    if let Some(hood) = &filter.neighborhood {
        q = q.filter(sites::neighborhood.eq(hood.clone()));
    }
    if let Some(pattern) = &filter.skill_pattern {
        q = q.filter(lower(users::skills).like(pattern.clone()).escape('\\'));
    }
    q.count().get_result(conn)
    })
}

/// The listed site at `offset` in slug order, with its owner.
pub fn listed_at(conn: &mut Conn, offset: i64) -> QueryResult<Option<Listed>> {
    on_backend!(conn => {
    sites::table
        .inner_join(users::table)
        .filter(sites::visibility.eq(LISTED))
        .order(sites::slug.asc())
        .offset(offset)
        .select((SiteRow::as_select(), UserRow::as_select(), ProfileRow::as_select()))
        .first(conn)
        .optional()
    })
}

/// The listed sites among `slugs`, with their owners, in no particular order.
pub fn listed_among(conn: &mut Conn, slugs: &[String]) -> QueryResult<Vec<Listed>> {
    on_backend!(conn => {
    sites::table
        .inner_join(users::table)
        .filter(sites::visibility.eq(LISTED))
        .filter(sites::slug.eq_any(slugs))
        .select((SiteRow::as_select(), UserRow::as_select(), ProfileRow::as_select()))
        .load(conn)
    })
}

/// Applies an owner's changes to a site.
pub fn update(conn: &mut Conn, slug: &str, changes: &SiteChanges) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::update(sites::table.find(slug))
        .set(changes)
        .execute(conn)
        .map(|_| ())
    })
}

/// Deletes a site with its follows and guestbook (tables that reference a site by slug and
/// cascade are emptied by the database).
pub fn delete(conn: &mut Conn, slug: &str) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::delete(site_follows::table.filter(site_follows::site_slug.eq(slug))).execute(conn)?;
    diesel::delete(guestbook_entries::table.filter(guestbook_entries::site_slug.eq(slug)))
        .execute(conn)?;
    diesel::delete(sites::table.find(slug)).execute(conn).map(|_| ())
    })
}

/// Adds `n` reads to each site's view count (sites deleted since are skipped).
pub fn add_views(conn: &mut Conn, views: &[(String, i64)]) -> QueryResult<()> {
    on_backend!(conn => {
    for (slug, n) in views {
        diesel::update(sites::table.find(slug))
            .set(sites::view_count.eq(sites::view_count + n))
            .execute(conn)?;
    }
    Ok(())
    })
}
