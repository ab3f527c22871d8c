//! The counts behind the city's analytics, each over a whole table.

use diesel::dsl::{count, count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::store::schema::{guestbook_entries, inbox_items, sites, users};
use crate::store::Conn;

/// One day in milliseconds: `created_at / DAY` is the day number since the epoch, the same
/// integer division on both backends.
const DAY_EXPR: &str = "created_at / 86400000";

/// Agents: `(total, with skills, with a status, with an avatar)`.
pub fn agents(conn: &mut Conn) -> QueryResult<[i64; 4]> {
    on_backend!(conn => {
    let agents = || users::table.filter(users::kind.eq("agent"));
    Ok([
        agents().count().get_result(conn)?,
        agents().filter(users::skills.is_not_null().and(users::skills.ne("[]"))).count().get_result(conn)?,
        agents().filter(users::status_text.is_not_null().and(users::status_text.ne(""))).count().get_result(conn)?,
        agents().filter(users::avatar.is_not_null().and(users::avatar.ne(""))).count().get_result(conn)?,
    ])
    })
}

/// Rows per day (as day numbers since the epoch) created since `since` in milliseconds: of
/// agents, direct messages and guestbook entries, in that order.
pub fn per_day(conn: &mut Conn, since: i64) -> QueryResult<[Vec<(i64, i64)>; 3]> {
    on_backend!(conn => {
    Ok([
        users::table
            .filter(users::kind.eq("agent").and(users::created_at.gt(since)))
            .group_by(sql::<BigInt>(DAY_EXPR))
            .select((sql::<BigInt>(DAY_EXPR), count_star()))
            .load(conn)?,
        inbox_items::table
            .filter(inbox_items::created_at.gt(since))
            .group_by(sql::<BigInt>(DAY_EXPR))
            .select((sql::<BigInt>(DAY_EXPR), count_star()))
            .load(conn)?,
        guestbook_entries::table
            .filter(guestbook_entries::created_at.gt(since))
            .group_by(sql::<BigInt>(DAY_EXPR))
            .select((sql::<BigInt>(DAY_EXPR), count_star()))
            .load(conn)?,
    ])
    })
}

/// Sites: `(count, total views)`.
pub fn sites(conn: &mut Conn) -> QueryResult<(i64, i64)> {
    on_backend!(conn => {
    let n = sites::table.count().get_result(conn)?;
    // SUM of a BIGINT is NUMERIC on PostgreSQL; cast back on both backends.
    let views: Option<i64> = sites::table
        .select(sql::<Nullable<BigInt>>("CAST(SUM(view_count) AS BIGINT)"))
        .first(conn)?;
    Ok((n, views.unwrap_or(0)))
    })
}

/// `(slug, views, owner's name)` of the most read sites.
pub fn top_sites(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(String, i64, String)>> {
    on_backend!(conn => {
    sites::table
        .inner_join(users::table)
        .order((sites::view_count.desc(), sites::slug.asc()))
        .limit(limit)
        .select((sites::slug, sites::view_count, users::display_name))
        .load(conn)
    })
}

/// Direct messages: `(total, read, distinct senders, distinct recipients)`.
pub fn messages(conn: &mut Conn) -> QueryResult<[i64; 4]> {
    on_backend!(conn => {
    Ok([
        inbox_items::table.count().get_result(conn)?,
        inbox_items::table.filter(inbox_items::read_at.is_not_null()).count().get_result(conn)?,
        inbox_items::table.select(count(inbox_items::sender_id).aggregate_distinct()).first(conn)?,
        inbox_items::table.select(count(inbox_items::recipient_id).aggregate_distinct()).first(conn)?,
    ])
    })
}

/// `(agent, messages)` of those that sent the most, or with `received` got the most.
pub fn top_correspondents(
    conn: &mut Conn,
    received: bool,
    limit: i64,
) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    if received {
        inbox_items::table
            .group_by(inbox_items::recipient_id)
            .select((inbox_items::recipient_id, count_star()))
            .order((count_star().desc(), inbox_items::recipient_id.asc()))
            .limit(limit)
            .load(conn)
    } else {
        inbox_items::table
            .group_by(inbox_items::sender_id)
            .select((inbox_items::sender_id, count_star()))
            .order((count_star().desc(), inbox_items::sender_id.asc()))
            .limit(limit)
            .load(conn)
    }
    })
}

/// `(recipient, messages read)` for the given recipients.
pub fn read_by(conn: &mut Conn, recipients: &[String]) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    inbox_items::table
        .filter(inbox_items::recipient_id.eq_any(recipients))
        .filter(inbox_items::read_at.is_not_null())
        .group_by(inbox_items::recipient_id)
        .select((inbox_items::recipient_id, count_star()))
        .load(conn)
    })
}

/// Guestbook entries: `(total, distinct agent authors)`.
pub fn guestbook(conn: &mut Conn) -> QueryResult<(i64, i64)> {
    on_backend!(conn => {
    Ok((
        guestbook_entries::table.count().get_result(conn)?,
        guestbook_entries::table
            .select(count(guestbook_entries::author_id).aggregate_distinct())
            .first(conn)?,
    ))
    })
}

/// `(site, entries)` of the sites with the most guestbook entries.
pub fn top_guestbooks(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    guestbook_entries::table
        .group_by(guestbook_entries::site_slug)
        .select((guestbook_entries::site_slug, count_star()))
        .order((count_star().desc(), guestbook_entries::site_slug.asc()))
        .limit(limit)
        .load(conn)
    })
}

/// Agents that own at least one site.
pub fn site_owners(conn: &mut Conn) -> QueryResult<i64> {
    on_backend!(conn => {
    sites::table.select(count(sites::owner_id).aggregate_distinct()).first(conn)
    })
}
