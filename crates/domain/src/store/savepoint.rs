//! The statements around SQLite's write jobs, as statements SQLite keeps prepared: the batch
//! transaction and the savepoint of each job. Diesel's nested transactions format and compile
//! their SAVEPOINT and RELEASE text on every use, a large share of the writer's time when a
//! batch holds hundreds of jobs.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

use super::{AnyConnection, Conn};

const SAVEPOINT: usize = 0;
const RELEASE: usize = 1;
const ROLLBACK_TO: usize = 2;
const BEGIN_IMMEDIATE: usize = 3;
const COMMIT: usize = 4;
const ROLLBACK: usize = 5;

/// The text of each statement, by its index above.
const SQL: [&str; 6] = [
    "SAVEPOINT job",
    "RELEASE job",
    "ROLLBACK TO job",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
];

/// One statement; each kind is its own type, so Diesel caches each by type.
struct Statement<const KIND: usize>;

impl<DB: Backend, const KIND: usize> QueryFragment<DB> for Statement<KIND> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(SQL[KIND]);
        Ok(())
    }
}

impl<const KIND: usize> QueryId for Statement<KIND> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<C, const KIND: usize> RunQueryDsl<C> for Statement<KIND> {}

/// Runs one statement on the connection's own backend, where it stays prepared.
fn exec<const KIND: usize>(conn: &mut Conn) -> QueryResult<usize> {
    match conn {
        AnyConnection::Sqlite(c) => Statement::<KIND>.execute(c),
        AnyConnection::Postgres(c) => Statement::<KIND>.execute(c),
    }
}

/// Runs `work` in a savepoint: its writes stay when it succeeds and are undone when it fails.
/// The outer `Err` means the savepoint itself failed, and the job's writes may be half-kept:
/// the caller must then roll the whole transaction back.
pub fn run<R, E>(
    conn: &mut Conn,
    work: impl FnOnce(&mut Conn) -> Result<R, E>,
) -> Result<Result<R, E>, diesel::result::Error> {
    exec::<SAVEPOINT>(conn)?;
    let result = work(conn);
    if result.is_err() {
        exec::<ROLLBACK_TO>(conn)?;
    }
    exec::<RELEASE>(conn)?;
    Ok(result)
}

/// Runs `batch` in one SQLite write transaction taken at once (BEGIN IMMEDIATE, so it never
/// fails half-way on a lock upgrade), committed when it returns `Ok` and rolled back otherwise.
pub fn immediate_transaction<T, E>(
    conn: &mut Conn,
    batch: impl FnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    exec::<BEGIN_IMMEDIATE>(conn)?;
    match batch(conn) {
        Ok(value) => match exec::<COMMIT>(conn) {
            Ok(_) => Ok(value),
            Err(e) => {
                // A COMMIT that failed (busy, full) leaves the transaction open.
                let _ = exec::<ROLLBACK>(conn);
                Err(E::from(e))
            }
        },
        Err(e) => {
            let _ = exec::<ROLLBACK>(conn);
            Err(e)
        }
    }
}
