//! Migrations: each runs up, down and up again on a real SQLite file.

use diesel::{Connection, SqliteConnection};
use diesel_migrations::MigrationHarness;

#[test]
fn every_migration_goes_up_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let applied = conn
        .run_pending_migrations(agentgate::store::MIGRATIONS)
        .unwrap();
    assert!(!applied.is_empty());
    let n = applied.len();
    conn.revert_all_migrations(agentgate::store::MIGRATIONS)
        .unwrap();
    assert!(conn
        .has_pending_migration(agentgate::store::MIGRATIONS)
        .unwrap());
    let again = conn
        .run_pending_migrations(agentgate::store::MIGRATIONS)
        .unwrap();
    assert_eq!(again.len(), n);
    assert!(!conn
        .has_pending_migration(agentgate::store::MIGRATIONS)
        .unwrap());
}
