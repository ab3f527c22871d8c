//! The two backends behind one connection type, and opening their connections with the
//! settings each needs.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, CustomizeConnection};
use diesel::{Connection, SqliteConnection};

/// A connection to either backend. Queries written once against Diesel's DSL run on both; the
/// few statements the two dialects spell differently match on the variant.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// The embedded default: one SQLite file.
    Sqlite(SqliteConnection),
    /// Cluster mode: a PostgreSQL server shared by every node.
    Postgres(PgConnection),
}

impl AnyConnection {
    /// True on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, AnyConnection::Postgres(_))
    }
}

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
const SQLITE_PRAGMAS: &str = "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
     PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192;";

/// A statement that waits longer than this for a lock or a slow server fails, so a request
/// never hangs on PostgreSQL; the client gets a 503 and retries.
const POSTGRES_SETTINGS: &str = "SET statement_timeout = '10s'; SET lock_timeout = '5s'; \
     SET idle_in_transaction_session_timeout = '30s';";

/// Opens one SQLite connection with the pragmas applied.
pub fn open_sqlite(url: &str) -> Result<SqliteConnection, String> {
    let mut conn =
        SqliteConnection::establish(url).map_err(|e| format!("cannot open database {url}: {e}"))?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(|e| format!("cannot configure database: {e}"))?;
    Ok(conn)
}

/// Opens one PostgreSQL connection with the session settings applied.
pub fn open_postgres(url: &str) -> Result<PgConnection, String> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
    conn.batch_execute(POSTGRES_SETTINGS)
        .map_err(|e| format!("cannot configure the PostgreSQL session: {e}"))?;
    Ok(conn)
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // A password may also come as a query parameter: the whole query goes.
    let rest = match rest.split_once('?') {
        Some((before, _)) => format!("{before}?***"),
        None => rest.to_string(),
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => format!("{scheme}://{rest}"),
    }
}

/// Applies each backend's per-connection settings to every pooled connection.
#[derive(Debug)]
pub struct Configure;

impl CustomizeConnection<AnyConnection, r2d2::Error> for Configure {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        let settings = match conn {
            AnyConnection::Sqlite(_) => SQLITE_PRAGMAS,
            AnyConnection::Postgres(_) => POSTGRES_SETTINGS,
        };
        conn.batch_execute(settings)
            .map_err(r2d2::Error::QueryError)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact("postgres://agent:s3cret@db.example:5432/agentgate"),
            "postgres://agent:***@db.example:5432/agentgate"
        );
        assert_eq!(
            redact("postgres://127.0.0.1/agentgate"),
            "postgres://127.0.0.1/agentgate"
        );
        assert_eq!(
            redact("postgres://agent@h/db?password=s3cret"),
            "postgres://agent@h/db?***"
        );
        assert_eq!(redact("./data/agentgate.db"), "./data/agentgate.db");
    }
}
