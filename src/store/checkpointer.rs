//! The checkpointer: copies committed WAL pages into the database file on a thread of its own,
//! so the writer only appends to the WAL and fsyncs it. SQLite's automatic checkpoint would
//! run inside the writer's COMMIT and stall every write queued behind it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::SqliteConnection;

/// Least time between two checkpoints: pages written again within it are copied once.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// What the checkpointer has done since start-up.
#[derive(Default)]
pub struct CheckpointStats {
    /// Checkpoints run.
    pub runs: AtomicU64,
    /// Checkpoints that failed (retried after the next commit).
    pub failed: AtomicU64,
}

/// Wakes the checkpointer after a commit; never blocks the writer.
#[derive(Clone)]
pub struct Nudge(SyncSender<()>);

impl Nudge {
    /// Tells the checkpointer the WAL has new pages.
    pub fn committed(&self) {
        match self.0.try_send(()) {
            // Full: a wake-up is already pending. Disconnected: shutting down.
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

/// Starts the checkpointer thread on its own connection.
pub fn start(conn: SqliteConnection) -> Result<(Nudge, Arc<CheckpointStats>), String> {
    let (tx, rx) = mpsc::sync_channel(1);
    let stats = Arc::new(CheckpointStats::default());
    let counters = stats.clone();
    std::thread::Builder::new()
        .name("agentgate-ckpt".into())
        .spawn(move || run(conn, rx, &counters))
        .map_err(|e| format!("cannot start the checkpoint thread: {e}"))?;
    Ok((Nudge(tx), stats))
}

fn run(mut conn: SqliteConnection, nudges: Receiver<()>, stats: &CheckpointStats) {
    let mut last = Instant::now() - MIN_INTERVAL;
    // Ends when the writer is gone; closing the last connection checkpoints what is left.
    while nudges.recv().is_ok() {
        let since = last.elapsed();
        if since < MIN_INTERVAL {
            std::thread::sleep(MIN_INTERVAL - since);
        }
        // Commits that arrived while sleeping are covered by this run.
        let _ = nudges.try_recv();
        last = Instant::now();
        // PASSIVE never waits for readers or the writer; what it cannot copy now, a later run does.
        match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            Ok(()) => stats.runs.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                log::warn!("checkpoint failed (retried after the next commit): {e}");
                stats.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}
