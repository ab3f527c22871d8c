//! Migrations: each runs up, down and up again on a real SQLite file.

use diesel::{Connection, RunQueryDsl, SqliteConnection};
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

/// Runs every migration but the last, so that data can be written in the older shape.
fn all_but_last(conn: &mut SqliteConnection) {
    let mut total = conn
        .pending_migrations(agentgate::store::MIGRATIONS)
        .unwrap()
        .len();
    while total > 1 {
        conn.run_next_migration(agentgate::store::MIGRATIONS)
            .unwrap();
        total -= 1;
    }
}

fn queued(conn: &mut SqliteConnection) -> Vec<(String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        recipient_id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        queued: i64,
    }
    diesel::sql_query("SELECT recipient_id, queued FROM notification_queues ORDER BY recipient_id")
        .load::<Row>(conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.recipient_id, r.queued))
        .collect()
}

#[test]
fn queue_depths_of_an_existing_database_are_counted_by_the_upgrade_and_kept_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    all_but_last(&mut conn);
    // Data written before the queue-depth table existed: a has 3 queued (one more read, one
    // more acknowledged), b has one read only.
    for stmt in [
        "INSERT INTO users (id, kind, display_name, created_at, updated_at) VALUES ('a', 'agent', 'A', 1, 1)",
        "INSERT INTO users (id, kind, display_name, created_at, updated_at) VALUES ('b', 'agent', 'B', 1, 1)",
        "INSERT INTO notifications VALUES ('n1', 'a', 'dm', 's', '{}', 1, NULL, NULL)",
        "INSERT INTO notifications VALUES ('n2', 'a', 'dm', 's', '{}', 2, NULL, NULL)",
        "INSERT INTO notifications VALUES ('n3', 'a', 'dm', 's', '{}', 3, NULL, NULL)",
        "INSERT INTO notifications VALUES ('n4', 'a', 'dm', 's', '{}', 4, 5, NULL)",
        "INSERT INTO notifications VALUES ('n5', 'a', 'dm', 's', '{}', 5, NULL, 6)",
        "INSERT INTO notifications VALUES ('n6', 'b', 'dm', 's', '{}', 6, 7, NULL)",
    ] {
        diesel::sql_query(stmt).execute(&mut conn).unwrap();
    }
    let applied = conn
        .run_pending_migrations(agentgate::store::MIGRATIONS)
        .unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(queued(&mut conn), vec![("a".to_string(), 3)]);
    // From here the triggers keep the figure: one more queued for b, one acknowledged for a.
    diesel::sql_query(
        "INSERT INTO notifications VALUES ('n7', 'b', 'dm', 's', '{}', 8, NULL, NULL)",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("UPDATE notifications SET acked_at = 9 WHERE id = 'n1'")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        queued(&mut conn),
        vec![("a".to_string(), 2), ("b".to_string(), 1)]
    );
}
