//! Opening SQLite connections with the pragmas every connection needs.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, CustomizeConnection};
use diesel::{Connection, SqliteConnection};

/// WAL for concurrent readers, FULL sync so a commit survives power loss, a busy timeout so a
/// reader never fails on a checkpoint, and foreign keys on. Temporary storage in memory: every
/// write job runs in a savepoint, and SQLite journals each page a savepoint changes; on disk
/// that was a temporary file written, created and deleted for every batch. 1 KiB pages (for a
/// new database; an existing one keeps its size): a message touches a dozen index leaves, and
/// every page it dirties is copied to the savepoint journal and written to the WAL whole, so
/// smaller pages write less per message (sends: 5,347 → 7,145 msg/s at 16 in flight, 4 KiB →
/// 1 KiB, docs/PERFORMANCE.md).
const PRAGMAS: &str = "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA temp_store = MEMORY;";

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
