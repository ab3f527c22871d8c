//! The savepoint around each write job, as statements SQLite keeps prepared. Diesel's nested
//! transactions format and compile their SAVEPOINT and RELEASE text on every use, a large share
//! of the writer's time when a batch holds hundreds of jobs.

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl, SqliteConnection};

const BEGIN: u8 = 0;
const RELEASE: u8 = 1;
const ROLLBACK: u8 = 2;

/// One savepoint statement; each kind is its own type, so Diesel caches each by type.
struct Statement<const KIND: u8>;

impl<const KIND: u8> QueryFragment<Sqlite> for Statement<KIND> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(match KIND {
            BEGIN => "SAVEPOINT job",
            RELEASE => "RELEASE job",
            _ => "ROLLBACK TO job",
        });
        Ok(())
    }
}

impl<const KIND: u8> QueryId for Statement<KIND> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const KIND: u8> RunQueryDsl<SqliteConnection> for Statement<KIND> {}

/// Runs `work` in a savepoint: its writes stay when it succeeds and are undone when it fails.
/// The outer `Err` means the savepoint itself failed, and the job's writes may be half-kept:
/// the caller must then roll the whole transaction back.
pub fn run<R, E>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&mut SqliteConnection) -> Result<R, E>,
) -> Result<Result<R, E>, diesel::result::Error> {
    Statement::<BEGIN>.execute(conn)?;
    let result = work(conn);
    if result.is_err() {
        Statement::<ROLLBACK>.execute(conn)?;
    }
    Statement::<RELEASE>.execute(conn)?;
    Ok(result)
}
