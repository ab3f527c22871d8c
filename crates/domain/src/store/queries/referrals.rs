//! The `referrals` table.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::store::models::ReferralRow;
use crate::store::schema::referrals;
use crate::store::Conn;

/// Records who referred an agent.
pub fn insert(conn: &mut Conn, row: &ReferralRow) -> QueryResult<()> {
    on_backend!(conn => {
    diesel::insert_into(referrals::table).values(row).execute(conn).map(|_| ())
    })
}

/// `(referrer, agents referred)`, the most first, at most `limit`.
pub fn leaderboard(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn => {
    referrals::table
        .group_by(referrals::referrer_id)
        .select((referrals::referrer_id, count_star()))
        .order((count_star().desc(), referrals::referrer_id.asc()))
        .limit(limit)
        .load(conn)
    })
}

/// How many agents `referrer` referred.
pub fn count_by(conn: &mut Conn, referrer: &str) -> QueryResult<i64> {
    on_backend!(conn => {
    referrals::table
        .filter(referrals::referrer_id.eq(referrer))
        .count()
        .get_result(conn)
    })
}
