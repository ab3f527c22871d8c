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
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

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

/// A failure of the storage layer itself (not of a query's logic).
#[derive(Debug, Clone)]
pub enum StoreError {
    /// The database cannot take the request now; retrying later may work.
    Unavailable(Cause, String),
    /// Any other database error.
    Internal(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(_, m) => write!(f, "database unavailable: {m}"),
            StoreError::Internal(m) => write!(f, "database error: {m}"),
        }
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        classify(&e)
    }
}

/// Sorts a Diesel error into "try again later" (503), with its cause, or an internal fault.
pub fn classify(e: &diesel::result::Error) -> StoreError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let transient = [
        ("database or disk is full", Cause::DiskFull),
        ("database is locked", Cause::Locked),
        ("busy", Cause::Locked),
        ("disk i/o error", Cause::Other),
        ("readonly", Cause::Other),
    ];
    match transient.iter().find(|(t, _)| lower.contains(t)) {
        Some((_, cause)) => StoreError::Unavailable(*cause, text),
        None => StoreError::Internal(text),
    }
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
                E::from(StoreError::Unavailable(
                    Cause::Other,
                    format!("no read connection: {e}"),
                ))
            })?;
            f(&mut conn)
        })
        .await;
        match joined {
            Ok(r) => r,
            Err(e) => Err(E::from(StoreError::Internal(format!(
                "read task failed: {e}"
            )))),
        }
    }
}

/// Shared handle type used by higher layers.
pub type SharedStore = Arc<Store>;
