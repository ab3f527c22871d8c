//! Storage: the Diesel schema, row models, queries, the connection pool and the single writer.
//! The only module that writes SQL.

mod connection;
pub mod models;
pub mod queries;
mod savepoint;
pub mod schema;
mod writer;

use std::path::Path;
use std::sync::Arc;

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use writer::{Writer, WriterStats};

/// The embedded migrations, run at start-up.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A database connection as the query functions take it.
pub type Conn = SqliteConnection;

/// Why the database cannot take a request now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// SQLITE_FULL: no room left on the disk.
    DiskFull,
    /// Another connection holds the lock longer than the busy timeout.
    Locked,
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

/// The transient cause of a database error, by its SQLite result code. Diesel reports these as
/// `DatabaseErrorKind::Unknown` and keeps only SQLite's message, which for these codes is the
/// code's own description (`sqlite3_errstr`): the comparison is with that, exactly.
fn transient_cause(e: &diesel::result::Error) -> Option<Cause> {
    use libsqlite3_sys as ffi;
    let diesel::result::Error::DatabaseError(_, info) = e else {
        return None;
    };
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
        .find(|(code, _)| info.message() == sqlite_errstr(*code))
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

/// The store: one writer thread that group-commits, and a pool of read connections.
#[derive(Clone)]
pub struct Store {
    writer: Writer,
    readers: Pool<ConnectionManager<SqliteConnection>>,
}

impl Store {
    /// Opens (creating if needed) the database, runs pending migrations and starts the writer.
    pub fn open(path: &Path, read_pool_size: u32) -> Result<Store, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create database directory {}: {e}", dir.display()))?;
        }
        let url = path.to_string_lossy().to_string();
        let mut conn = connection::open(&url)?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| format!("migrations failed: {e}"))?;
        let readers = Pool::builder()
            .max_size(read_pool_size.max(1))
            // A local SQLite file does not go stale like a network connection; the check would
            // cost a parsed `SELECT 1` on every read.
            .test_on_check_out(false)
            .connection_customizer(Box::new(connection::Pragmas))
            .build(ConnectionManager::<SqliteConnection>::new(url))
            .map_err(|e| format!("cannot open read pool: {e}"))?;
        Ok(Store {
            writer: Writer::start(conn)?,
            readers,
        })
    }

    /// Runs `f` inside the next group-committed write transaction (in its own savepoint) and
    /// answers only after COMMIT. `on_commit` runs on the writer thread right after the commit,
    /// in commit order, so live delivery sees writes in the order they became durable.
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
        self.writer.submit(f, on_commit).await
    }

    /// The writer's counters.
    pub fn writer_stats(&self) -> &Arc<WriterStats> {
        self.writer.stats()
    }

    /// Runs a read on a pooled connection, off the async workers.
    pub async fn read<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
    {
        let pool = self.readers.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| {
                E::from(StoreError::Unavailable {
                    cause: Cause::Other,
                    source: Arc::new(e),
                })
            })?;
            f(&mut conn)
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => Err(E::from(StoreError::Internal(Arc::new(e)))),
        }
    }
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
