//! Opening SQLite connections with the pragmas every connection needs.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, CustomizeConnection};
use diesel::{Connection, SqliteConnection};

/// WAL for concurrent readers, FULL sync so a commit survives power loss, a busy timeout so a
/// reader never fails on a checkpoint, and foreign keys on. The rest is for the writer (see
/// docs/PERFORMANCE.md, round 3):
/// - temporary storage in memory: each write job runs in a savepoint, whose journal of changed
///   pages was otherwise a temporary file created, written and deleted for every batch;
/// - 1 KiB pages (a new database only): a message dirties a dozen index leaves, each copied
///   whole to the savepoint journal and the WAL, so smaller pages write less per message;
/// - a checkpoint every 8,192 WAL pages rather than 1,000: a page written again before the
///   checkpoint is copied into the database once. Only the writer commits, so only it
///   checkpoints.
const PRAGMAS: &str = "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192;";

/// Opens one connection with the pragmas applied.
pub fn open(url: &str) -> Result<SqliteConnection, String> {
    let mut conn =
        SqliteConnection::establish(url).map_err(|e| format!("cannot open database {url}: {e}"))?;
    conn.batch_execute(PRAGMAS)
        .map_err(|e| format!("cannot configure database: {e}"))?;
    Ok(conn)
}

/// Applies the pragmas to every pooled read connection.
#[derive(Debug)]
pub struct Pragmas;

impl CustomizeConnection<SqliteConnection, r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute(PRAGMAS).map_err(r2d2::Error::QueryError)
    }
}
