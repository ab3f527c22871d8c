//! Queries, one file per table. Each takes a connection and returns Diesel results.

/// Runs `$body` on the connection's own backend: `$conn` is rebound to the concrete SQLite or
/// PostgreSQL connection, and the body is compiled once for each. Diesel then keeps each
/// statement prepared by its type, as on a plain connection; through `AnyConnection` itself
/// every execution formats its SQL again, which cost SQLite's writer 15-20 % of its sends
/// (docs/PERFORMANCE.md, round 8).
macro_rules! on_backend {
    ($conn:ident => $body:expr) => {
        match $conn {
            $crate::store::AnyConnection::Sqlite($conn) => $body,
            $crate::store::AnyConnection::Postgres($conn) => $body,
        }
    };
}

/// `INSERT` that skips a row conflicting with one already there, in each backend's spelling
/// (Diesel's multi-backend DSL has no conflict clause). Evaluates to the rows inserted.
macro_rules! insert_or_ignore {
    ($conn:expr, $table:expr, $values:expr) => {
        match $conn {
            $crate::store::AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into($table)
                .values($values)
                .execute(c),
            $crate::store::AnyConnection::Postgres(c) => diesel::insert_into($table)
                .values($values)
                .on_conflict_do_nothing()
                .execute(c),
        }
    };
}

diesel::define_sql_function!(
    /// SQL `lower()`: both backends have it; PostgreSQL's `LIKE` is case-sensitive.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>
);

pub mod accounts;
pub mod activity;
pub mod agent_jobs;
pub mod agent_stats;
pub mod analytics;
pub mod census;
pub mod challenges;
pub mod conversations;
pub mod disputes;
pub mod groups;
pub mod guestbook;
pub mod inbox;
pub mod invites;
pub mod job_checks;
pub mod jobs;
pub mod messages;
pub mod notifications;
pub mod proposals;
pub mod ratings;
pub mod read_marks;
pub mod referrals;
pub mod reports;
pub mod rings;
pub mod site_search;
pub mod sites;
pub mod subscriptions;
pub mod suspensions;
pub mod tokens;
pub mod users;
pub mod vault;
