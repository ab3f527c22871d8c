//! Storage: the Diesel schema, row models, queries, the connection pools and SQLite's single
//! writer. The only module that writes SQL. One code path serves both backends: the embedded
//! SQLite default and PostgreSQL for cluster mode (docs/cluster.md).

pub mod blobs;
mod connection;
pub mod models;
mod outage;
pub mod queries;
mod savepoint;
pub mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use connection::{redact, AnyConnection};
pub use writer::{Writer, WriterStats};

/// The embedded SQLite migrations, run at start-up.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The same schema in PostgreSQL's dialect (`scripts/check-schema.sh` proves the two agree).
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations-postgres");

/// A database connection as the query functions take it: either backend.
pub type Conn = AnyConnection;

/// Where the data lives, from the `database` setting: a `postgres://` or `postgresql://` URL
/// selects PostgreSQL; anything else is a SQLite file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by libpq connection URL.
    Postgres(String),
}

impl Location {
    /// Reads the `database` setting.
    pub fn parse(setting: &str) -> Location {
        if setting.starts_with("postgres://") || setting.starts_with("postgresql://") {
            Location::Postgres(setting.to_string())
        } else {
            Location::Sqlite(PathBuf::from(setting))
        }
    }

    /// The location for messages and logs: a path, or a URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// Concurrent write transactions per node on PostgreSQL. PostgreSQL flushes the WAL of
/// transactions that commit together once, so a few writers give group commit without holding
/// one transaction's row locks across other requests.
const POSTGRES_WRITERS: u32 = 8;

/// How long a request waits for a PostgreSQL connection before it is answered 503: a server
/// that is down must not hold requests for r2d2's default 30 s.
const POSTGRES_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// A lock key all nodes take while migrating, so two nodes starting together do not both apply
/// the same migration.
const MIGRATION_LOCK: i64 = 0x6167_656e_7467_6174;

/// Why the database cannot take a request now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// SQLITE_FULL: no room left on the disk.
    DiskFull,
    /// Another connection holds the lock longer than the busy timeout, or PostgreSQL chose this
    /// transaction as a deadlock's or a serialization conflict's victim.
    Locked,
    /// PostgreSQL cannot be reached: the server is down or the connection was lost.
    Unreachable,
    /// An I/O error, a read-only file, the writer gone.
    Other,
}

/// A failure of the storage layer itself (not of a query's logic). It keeps the database's own
/// error as its source, for the log; clients are told only the cause.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot take the request now; retrying later may work.
    #[error("database unavailable ({cause:?})")]
    Unavailable {
        cause: Cause,
        #[source]
        source: Source,
    },
    /// The writer thread is gone (shutting down): nothing was written.
    #[error("database unavailable: {0}")]
    WriterStopped(&'static str),
    /// Any other database error.
    #[error("database error")]
    Internal(#[source] Source),
}

/// The underlying error, shared: one failed batch answers every job in it.
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

impl StoreError {
    /// Why the database cannot take the request now, when retrying later may work.
    pub fn unavailable(&self) -> Option<Cause> {
        match self {
            StoreError::Unavailable { cause, .. } => Some(*cause),
            StoreError::WriterStopped(_) => Some(Cause::Other),
            StoreError::Internal(_) => None,
        }
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        match transient_cause(&e) {
            Some(cause) => StoreError::Unavailable {
                cause,
                source: Arc::new(e),
            },
            None => StoreError::Internal(Arc::new(e)),
        }
    }
}

/// An error with its sources, for the log (never for a client).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The transient cause of a database error. PostgreSQL's come by kind (a lost connection, a
/// serialization failure) or, for a deadlock, which Diesel reports as `Unknown`, by the
/// server's message. SQLite's come by result code: Diesel reports these as `Unknown` and keeps
/// only SQLite's message, which for these codes is the code's own description
/// (`sqlite3_errstr`): the comparison is with that, exactly.
fn transient_cause(e: &diesel::result::Error) -> Option<Cause> {
    use diesel::result::DatabaseErrorKind as Kind;
    use libsqlite3_sys as ffi;
    let diesel::result::Error::DatabaseError(kind, info) = e else {
        return match e {
            diesel::result::Error::BrokenTransactionManager => Some(Cause::Unreachable),
            _ => None,
        };
    };
    match kind {
        Kind::ClosedConnection => return Some(Cause::Unreachable),
        Kind::SerializationFailure => return Some(Cause::Locked),
        _ => {}
    }
    let message = info.message();
    if message.starts_with("deadlock detected")
        || message.starts_with("canceling statement due to lock timeout")
    {
        return Some(Cause::Locked);
    }
    if message.starts_with("canceling statement due to statement timeout")
        || message.starts_with("terminating connection")
        || message.starts_with("server closed the connection")
        || message.starts_with("no connection to the server")
        || message.starts_with("could not receive data from server")
        || message.starts_with("could not send data to server")
    {
        return Some(Cause::Unreachable);
    }
    let codes = [
        (ffi::SQLITE_FULL, Cause::DiskFull),
        (ffi::SQLITE_BUSY, Cause::Locked),
        (ffi::SQLITE_LOCKED, Cause::Locked),
        (ffi::SQLITE_IOERR, Cause::Other),
        (ffi::SQLITE_READONLY, Cause::Other),
        (ffi::SQLITE_CANTOPEN, Cause::Other),
    ];
    codes
        .into_iter()
        .find(|(code, _)| message == sqlite_errstr(*code))
        .map(|(_, cause)| cause)
}

/// SQLite's description of a result code.
fn sqlite_errstr(code: i32) -> &'static str {
    // SAFETY: sqlite3_errstr returns a pointer to a static, NUL-terminated English string for
    // every code (an "unknown error" one for codes it does not know); it is never freed.
    let text = unsafe { std::ffi::CStr::from_ptr(libsqlite3_sys::sqlite3_errstr(code)) };
    text.to_str().unwrap_or("")
}

/// True when the error is a UNIQUE constraint violation (a conflict with existing data).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The store: a pool of read connections, and the write path of its backend.
#[derive(Clone)]
pub struct Store {
    writes: Writes,
    readers: Pool<ConnectionManager<Conn>>,
    stats: Arc<WriterStats>,
    outage: Arc<outage::Outage>,
}

/// How writes reach the database.
#[derive(Clone)]
enum Writes {
    /// SQLite: one writer thread that group-commits.
    Sqlite(Writer),
    /// PostgreSQL: one transaction per write, on a pool of connections.
    Postgres(Pool<ConnectionManager<Conn>>),
}

impl Store {
    /// Opens (creating if needed) the database, runs pending migrations and starts the write
    /// path.
    pub fn open(location: &Location, read_pool_size: u32) -> Result<Store, String> {
        match location {
            Location::Sqlite(path) => Store::open_sqlite(path, read_pool_size),
            Location::Postgres(url) => Store::open_postgres(url, read_pool_size),
        }
    }

    fn open_sqlite(path: &Path, read_pool_size: u32) -> Result<Store, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create database directory {}: {e}", dir.display()))?;
        }
        let url = path.to_string_lossy().to_string();
        let mut conn = connection::open_sqlite(&url)?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| format!("migrations failed: {e}"))?;
        let readers = Pool::builder()
            .max_size(read_pool_size.max(1))
            // A local SQLite file does not go stale like a network connection; the check would
            // cost a parsed `SELECT 1` on every read.
            .test_on_check_out(false)
            .connection_customizer(Box::new(connection::Configure))
            .build(ConnectionManager::<Conn>::new(url))
            .map_err(|e| format!("cannot open read pool: {e}"))?;
        let writer = Writer::start(AnyConnection::Sqlite(conn))?;
        Ok(Store {
            stats: writer.stats().clone(),
            writes: Writes::Sqlite(writer),
            readers,
            outage: Arc::default(),
        })
    }

    fn open_postgres(url: &str, read_pool_size: u32) -> Result<Store, String> {
        let mut conn = connection::open_postgres(url)?;
        migrate_postgres(&mut conn)?;
        let pool = |size: u32| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(POSTGRES_CHECKOUT_TIMEOUT)
                // A pooled connection may have died with the server or the network; a dead one
                // is replaced at check-out, so the node recovers without a restart.
                .test_on_check_out(true)
                .connection_customizer(Box::new(connection::Configure))
                .build(ConnectionManager::<Conn>::new(url))
                .map_err(|e| format!("cannot open a pool on {}: {e}", redact(url)))
        };
        Ok(Store {
            readers: pool(read_pool_size.max(1))?,
            writes: Writes::Postgres(pool(POSTGRES_WRITERS)?),
            stats: Arc::new(WriterStats::default()),
            outage: Arc::default(),
        })
    }

    /// Which backend this store runs on, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self.writes {
            Writes::Sqlite(_) => "sqlite",
            Writes::Postgres(_) => "postgres",
        }
    }

    /// Runs `f` in a write transaction and answers only after COMMIT. `on_commit` runs right
    /// after the commit. On SQLite, `f` runs in its own savepoint of the next group-committed
    /// batch, and `on_commit` runs on the writer thread in commit order. On PostgreSQL, `f` runs
    /// in a transaction of its own, concurrently with other writes; writes that touch the same
    /// rows are ordered by PostgreSQL's row locks.
    pub async fn write<R, E, F>(
        &self,
        f: F,
        on_commit: impl FnOnce(&R) + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
    {
        match &self.writes {
            Writes::Sqlite(writer) => writer.submit(f, on_commit).await,
            Writes::Postgres(pool) => {
                let stats = self.stats.clone();
                blocking(pool.clone(), self.outage.clone(), move |conn| {
                    let started = Instant::now();
                    let result = conn.transaction(f);
                    stats.commit_latency.observe(started.elapsed());
                    stats.batches.fetch_add(1, Ordering::Relaxed);
                    match &result {
                        Ok(r) => {
                            stats.writes.fetch_add(1, Ordering::Relaxed);
                            on_commit(r);
                        }
                        Err(_) => {
                            stats.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    result
                })
                .await
            }
        }
    }

    /// The write path's counters.
    pub fn writer_stats(&self) -> &Arc<WriterStats> {
        &self.stats
    }

    /// Runs a read on a pooled connection, off the async workers.
    pub async fn read<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
    {
        blocking(self.readers.clone(), self.outage.clone(), f).await
    }
}

/// Runs `f` on a connection of `pool` on tokio's blocking threads; refuses at once while a
/// recent check-out failed.
async fn blocking<R, E, F>(
    pool: Pool<ConnectionManager<Conn>>,
    outage: Arc<outage::Outage>,
    f: F,
) -> Result<R, E>
where
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
{
    let unreachable = |source: Source| {
        E::from(StoreError::Unavailable {
            cause: Cause::Unreachable,
            source,
        })
    };
    if outage.refusing() {
        return Err(unreachable(Arc::new(outage::StillUnreachable)));
    }
    let joined = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| {
            outage.began();
            unreachable(Arc::new(e))
        })?;
        f(&mut conn)
    })
    .await;
    match joined {
        Ok(r) => r,
        Err(e) => Err(E::from(StoreError::Internal(Arc::new(e)))),
    }
}

/// Applies PostgreSQL's pending migrations under a cluster-wide lock: every node runs this at
/// start-up, and the first one to take the lock does the work.
fn migrate_postgres(conn: &mut diesel::PgConnection) -> Result<(), String> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;
    let outcome = conn
        .run_pending_migrations(POSTGRES_MIGRATIONS)
        .map(|_| ())
        .map_err(|e| format!("migrations failed: {e}"));
    let unlocked = conn
        .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .map_err(|e| format!("cannot release the migration lock: {e}"));
    outcome.and(unlocked)
}

/// Shared handle type used by higher layers.
pub type SharedStore = Arc<Store>;

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn sqlite_error(message: &'static str) -> StoreError {
        StoreError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(Info(message)),
        ))
    }

    #[test]
    fn errors_are_classified_by_sqlite_result_code_and_keep_their_source() {
        let full = sqlite_error("database or disk is full");
        assert_eq!(full.unavailable(), Some(Cause::DiskFull));
        assert!(
            describe(&full).ends_with("database or disk is full"),
            "{}",
            describe(&full)
        );
        assert_eq!(
            sqlite_error("database is locked").unavailable(),
            Some(Cause::Locked)
        );
        assert_eq!(
            sqlite_error("disk I/O error").unavailable(),
            Some(Cause::Other)
        );
        // Only the code's own description counts, not a word inside another message.
        assert_eq!(
            sqlite_error("no such table: busy_things").unavailable(),
            None
        );
        assert_eq!(StoreError::from(DieselError::NotFound).unavailable(), None);
    }
}
