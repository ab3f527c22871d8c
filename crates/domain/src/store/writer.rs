//! SQLite's single writer: SQLite has one writer, so every write goes through one thread that
//! commits whole batches (group commit): one fsync per batch, not per request. (PostgreSQL takes
//! concurrent writers and groups their commits itself: `store::Store` runs its writes on a pool.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use crate::histogram::Histogram;

use tokio::sync::oneshot;

use super::savepoint;
use super::{Conn, StoreError};

/// Most jobs one transaction takes; bounds the latency of the first job in a batch.
const MAX_BATCH: usize = 256;

/// One write waiting for the writer thread.
trait Job: Send {
    /// Runs inside the batch transaction, in a savepoint of its own. The error says the
    /// savepoint failed and the whole batch must roll back.
    fn run(self: Box<Self>, conn: &mut Conn) -> (Box<dyn Done>, Result<(), StoreError>);
    /// The batch could not start: answer with the error.
    fn abort(self: Box<Self>, err: StoreError);
}

/// A job that ran and waits for the batch's COMMIT.
trait Done: Send {
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

struct TypedJob<F, C, R, E> {
    work: F,
    on_commit: C,
    reply: oneshot::Sender<Result<R, E>>,
}

struct TypedDone<C, R, E> {
    result: Result<R, E>,
    on_commit: C,
    reply: oneshot::Sender<Result<R, E>>,
}

impl<F, C, R, E> Job for TypedJob<F, C, R, E>
where
    F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
    C: FnOnce(&R) + Send + 'static,
    R: Send + 'static,
    E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut Conn) -> (Box<dyn Done>, Result<(), StoreError>) {
        let this = *self;
        // A failed job rolls back only its own changes.
        let (result, batch) = match savepoint::run(conn, this.work) {
            Ok(result) => (result, Ok(())),
            Err(e) => {
                let err = StoreError::from(e);
                (Err(E::from(err.clone())), Err(err))
            }
        };
        let done = Box::new(TypedDone {
            result,
            on_commit: this.on_commit,
            reply: this.reply,
        });
        (done, batch)
    }

    fn abort(self: Box<Self>, err: StoreError) {
        let _ = self.reply.send(Err(E::from(err)));
    }
}

impl<C, R, E> Done for TypedDone<C, R, E>
where
    C: FnOnce(&R) + Send + 'static,
    R: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let this = *self;
        let answer = match commit {
            Ok(()) => {
                if let Ok(r) = &this.result {
                    (this.on_commit)(r);
                }
                this.result
            }
            Err(e) => Err(E::from(e)),
        };
        // The requester may have gone away; the write is durable either way.
        let _ = this.reply.send(answer);
    }
}

/// What the writer has done since start-up.
#[derive(Default)]
pub struct WriterStats {
    /// Transactions committed (each one fsync).
    pub batches: AtomicU64,
    /// Writes committed.
    pub writes: AtomicU64,
    /// Writes refused because the batch could not commit.
    pub failed: AtomicU64,
    /// Time to run, commit (fsync) and answer each batch.
    pub commit_latency: Histogram,
}

/// Handle to the writer thread.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    stats: Arc<WriterStats>,
}

impl Writer {
    /// Starts the writer thread on its own connection.
    pub fn start(conn: Conn) -> Result<Writer, String> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let stats = Arc::new(WriterStats::default());
        let counters = stats.clone();
        std::thread::Builder::new()
            .name("agentgate-writer".into())
            .spawn(move || run(conn, queue, &counters))
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(Writer { jobs, stats })
    }

    /// The writer's counters.
    pub fn stats(&self) -> &Arc<WriterStats> {
        &self.stats
    }

    /// Queues a job and waits for its committed result.
    pub async fn submit<F, C, R, E>(&self, work: F, on_commit: C) -> Result<R, E>
    where
        F: FnOnce(&mut Conn) -> Result<R, E> + Send + 'static,
        C: FnOnce(&R) + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(TypedJob {
            work,
            on_commit,
            reply,
        });
        if self.jobs.send(job).is_err() {
            return Err(E::from(StoreError::WriterStopped("the writer has stopped")));
        }
        match answer.await {
            Ok(r) => r,
            Err(_) => Err(E::from(StoreError::WriterStopped(
                "the write was abandoned",
            ))),
        }
    }
}

fn run(mut conn: Conn, queue: mpsc::Receiver<Box<dyn Job>>, stats: &WriterStats) {
    // Ends when every sender is gone, after the queued jobs have been committed.
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let n = batch.len() as u64;
        let started = Instant::now();
        let ok = commit_batch(&mut conn, batch);
        stats.commit_latency.observe(started.elapsed());
        stats.batches.fetch_add(1, Ordering::Relaxed);
        if ok {
            stats.writes.fetch_add(n, Ordering::Relaxed);
        } else {
            stats.failed.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// Commits one batch; false when the whole batch failed.
fn commit_batch(conn: &mut Conn, mut batch: Vec<Box<dyn Job>>) -> bool {
    let mut done: Vec<Box<dyn Done>> = Vec::with_capacity(batch.len());
    let outcome = savepoint::immediate_transaction(conn, |c| {
        for job in batch.drain(..) {
            let (finished, savepoint) = job.run(c);
            done.push(finished);
            savepoint?;
        }
        Ok::<(), StoreError>(())
    });
    match outcome {
        Ok(()) => {
            for d in done {
                d.finish(Ok(()));
            }
            true
        }
        Err(err) => {
            log::error!(
                "write batch of {} failed: {}",
                done.len() + batch.len(),
                super::describe(&err)
            );
            for d in done {
                d.finish(Err(err.clone()));
            }
            for job in batch {
                job.abort(err.clone());
            }
            false
        }
    }
}
