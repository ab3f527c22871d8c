//! Cluster mode's bus: carries live events between nodes over Redis pub/sub. It moves opaque
//! payloads on one channel and knows nothing of the domain; `core::live` gives them meaning.
//! Redis pub/sub delivers at most once, so nothing here is the truth: the database is, and the
//! receiver fills what the bus lost from it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

/// Payloads waiting for the publisher; beyond this the bus drops them (they are counted, and
/// receivers fill the gap from the database).
const OUTBOX: usize = 65_536;

/// Most payloads in one pipelined round trip to Redis.
const BATCH: usize = 512;

/// Wait between attempts to reach Redis again.
const RETRY: Duration = Duration::from_millis(500);

/// What a node does with what arrives on the bus.
pub trait Receiver: Send + Sync + 'static {
    /// A payload another node (or this one) published.
    fn received(&self, payload: &[u8]);
    /// The subscription was lost and is back: anything published meanwhile was missed.
    fn resubscribed(&self);
}

/// The bus's counters, for `/metrics`.
#[derive(Default)]
pub struct BusStats {
    /// Payloads handed to Redis.
    pub published: AtomicU64,
    /// Payloads dropped before Redis took them (outbox full, or Redis unreachable).
    pub dropped: AtomicU64,
    /// Payloads received.
    pub received: AtomicU64,
    /// Times the subscription was re-established after a loss.
    pub resubscribed: AtomicU64,
}

/// A node's handle on the bus.
#[derive(Clone)]
pub struct Bus {
    outbox: mpsc::Sender<Vec<u8>>,
    stats: Arc<BusStats>,
    counters: Counters,
}

/// The connection that commands (PUBLISH, the counters) go on, made again after a timeout or
/// a lost connection. redis-rs gives up on a command after 0.5 s, but a connection whose
/// replies were lost in a partition stays out of step for good, and `ConnectionManager` only
/// reconnects when the connection itself reports an error.
#[derive(Clone)]
struct Commands {
    client: redis::Client,
    conn: Arc<RwLock<Option<redis::aio::MultiplexedConnection>>>,
}

impl Commands {
    /// The connection, made first if there is none.
    async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let current = self.conn.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(conn) = current {
            return Ok(conn);
        }
        let conn = self.client.get_multiplexed_async_connection().await?;
        *self.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        Ok(conn)
    }

    /// A command failed: after a timeout or a lost connection the next one connects again.
    fn failed(&self, e: &redis::RedisError) {
        if e.is_timeout() || e.is_io_error() || e.is_connection_dropped() {
            *self.conn.write().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// Runs a command.
    async fn command<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let mut conn = self.connection().await?;
        let result = cmd.query_async(&mut conn).await;
        self.checked(result)
    }

    /// Runs a pipeline.
    async fn pipeline<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> redis::RedisResult<T> {
        let mut conn = self.connection().await?;
        let result = pipe.query_async(&mut conn).await;
        self.checked(result)
    }

    fn checked<T>(&self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if let Err(e) = &result {
            self.failed(e);
        }
        result
    }
}

/// Counters in Redis that every node shares: the cluster-wide rate limits.
#[derive(Clone)]
pub struct Counters {
    commands: Commands,
}

impl Counters {
    /// Takes one of `capacity` actions per `window` for `key`, or says how many whole seconds
    /// until one is allowed. One per window is exact (a key that lives for the window); more is
    /// counted in fixed windows.
    pub async fn take(
        &self,
        key: &str,
        capacity: u32,
        window: Duration,
    ) -> redis::RedisResult<Result<(), u64>> {
        let window_ms = window.as_millis().max(1) as u64;
        let secs = |ms: u64| ms.div_ceil(1000).max(1);
        if capacity == 1 {
            let key = format!("agentgate:limit:{key}");
            let mut set = redis::cmd("SET");
            set.arg(&key).arg(1).arg("NX").arg("PX").arg(window_ms);
            let taken: Option<String> = self.commands.command(&set).await?;
            if taken.is_some() {
                return Ok(Ok(()));
            }
            let mut ttl = redis::cmd("PTTL");
            ttl.arg(&key);
            let left: i64 = self.commands.command(&ttl).await?;
            return Ok(Err(secs(left.max(0) as u64)));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let key = format!("agentgate:limit:{key}:{}", now / window_ms);
        let mut pipe = redis::pipe();
        pipe.cmd("INCR")
            .arg(&key)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window_ms * 2)
            .ignore();
        let (count,): (u64,) = self.commands.pipeline(&pipe).await?;
        if count > u64::from(capacity) {
            return Ok(Err(secs(window_ms - now % window_ms)));
        }
        Ok(Ok(()))
    }
}

impl Bus {
    /// Connects to Redis at `url`, subscribes to `channel` and starts the publisher and the
    /// subscriber on the current tokio runtime. Fails when Redis cannot be reached now; after
    /// that, both reconnect by themselves. A subscription that receives nothing for `silence`
    /// is taken for lost and made again: a connection cut without a word (a partition) never
    /// ends on its own. The caller publishes more often than that (`core::live`'s heartbeat),
    /// so silence means the connection, not the cluster, is quiet.
    pub async fn start(
        url: &str,
        channel: &str,
        silence: Duration,
        receiver: Arc<dyn Receiver>,
    ) -> Result<Bus, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad bus URL: {e}"))?;
        let commands = Commands {
            client: client.clone(),
            conn: Arc::default(),
        };
        commands
            .connection()
            .await
            .map_err(|e| format!("cannot reach the bus at {url}: {e}"))?;
        let mut first = client
            .get_async_pubsub()
            .await
            .map_err(|e| format!("cannot subscribe on the bus at {url}: {e}"))?;
        first
            .subscribe(channel)
            .await
            .map_err(|e| format!("cannot subscribe on the bus at {url}: {e}"))?;
        let stats = Arc::new(BusStats::default());
        let counters = Counters {
            commands: commands.clone(),
        };
        let (outbox, queue) = mpsc::channel(OUTBOX);
        tokio::spawn(publish(commands, channel.to_string(), queue, stats.clone()));
        tokio::spawn(subscribe(
            client,
            first,
            channel.to_string(),
            silence,
            receiver,
            stats.clone(),
        ));
        Ok(Bus {
            outbox,
            stats,
            counters,
        })
    }

    /// Queues a payload for every node. Never waits: it runs right after a COMMIT, on the
    /// thread that committed.
    pub fn publish(&self, payload: Vec<u8>) {
        if self.outbox.try_send(payload).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The bus's counters.
    pub fn stats(&self) -> &Arc<BusStats> {
        &self.stats
    }

    /// The shared counters behind cluster-wide rate limits.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

/// Sends queued payloads in pipelined batches. A batch Redis does not take is dropped and
/// counted: receivers fill the gap from the database.
async fn publish(
    commands: Commands,
    channel: String,
    mut queue: mpsc::Receiver<Vec<u8>>,
    stats: Arc<BusStats>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for payload in &batch {
            pipe.cmd("PUBLISH").arg(&channel).arg(payload).ignore();
        }
        let n = batch.len() as u64;
        match commands.pipeline::<()>(&pipe).await {
            Ok(()) => stats.published.fetch_add(n, Ordering::Relaxed),
            Err(e) => {
                log::warn!("bus: {n} event(s) not published: {e}");
                stats.dropped.fetch_add(n, Ordering::Relaxed)
            }
        };
        batch.clear();
    }
}

/// Hands every payload to the receiver; when the subscription is lost, subscribes again and
/// tells the receiver so.
async fn subscribe(
    client: redis::Client,
    mut pubsub: redis::aio::PubSub,
    channel: String,
    silence: Duration,
    receiver: Arc<dyn Receiver>,
    stats: Arc<BusStats>,
) {
    loop {
        {
            let mut messages = pubsub.on_message();
            loop {
                match tokio::time::timeout(silence, messages.next()).await {
                    Ok(Some(message)) => {
                        stats.received.fetch_add(1, Ordering::Relaxed);
                        receiver.received(message.get_payload_bytes());
                    }
                    Ok(None) => break,
                    Err(_) => {
                        log::warn!("bus: nothing received for {silence:?}");
                        break;
                    }
                }
            }
        }
        log::warn!("bus: subscription lost; reconnecting");
        pubsub = loop {
            tokio::time::sleep(RETRY).await;
            // A connection attempt lost in a partition may never answer.
            match tokio::time::timeout(silence, resubscribe(&client, &channel)).await {
                Ok(Ok(p)) => break p,
                Ok(Err(e)) => log::warn!("bus: cannot subscribe again yet: {e}"),
                Err(_) => log::warn!("bus: no answer to a subscription within {silence:?}"),
            }
        };
        stats.resubscribed.fetch_add(1, Ordering::Relaxed);
        log::info!("bus: subscribed again");
        receiver.resubscribed();
    }
}

async fn resubscribe(
    client: &redis::Client,
    channel: &str,
) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}
