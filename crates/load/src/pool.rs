//! Client threads. awc clients are thread-local (`Rc` inside), so each thread runs its own
//! actix System and jobs are sent to it as closures that build their future on that thread.

use std::cell::RefCell;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use futures_util::stream::{self, StreamExt};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of client threads.
pub struct Pool {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    handles: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `n` threads (at least one).
    pub fn new(n: usize) -> Pool {
        let n = n.max(1);
        let mut senders = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let handle = std::thread::Builder::new()
                .name(format!("load-{i}"))
                .spawn(move || {
                    let system = actix_web::rt::System::new();
                    system.block_on(async move {
                        while let Some(job) = rx.recv().await {
                            job();
                        }
                    });
                })
                .expect("spawn a client thread");
            senders.push(tx);
            handles.push(handle);
        }
        Pool { senders, handles }
    }

    pub fn size(&self) -> usize {
        self.senders.len()
    }

    /// Runs `f()` on thread `thread % size`; the receiver yields its output.
    pub fn spawn<F, Fut, T>(&self, thread: usize, f: F) -> oneshot::Receiver<T>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            actix_web::rt::spawn(async move {
                let _ = tx.send(f().await);
            });
        });
        let _ = self.senders[thread % self.senders.len()].send(job);
        rx
    }

    /// Runs `f(i)` for every `i` in `0..n`, spread over the threads, at most `concurrency`
    /// at a time in all; results in index order (`None` for a job that was lost).
    pub async fn map<T, F>(&self, n: usize, concurrency: usize, f: F) -> Vec<Option<T>>
    where
        F: Fn(usize) -> LocalBoxFuture<'static, T> + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = std::sync::Arc::new(f);
        let threads = self.size().min(n.max(1));
        let per_thread = concurrency.div_ceil(threads).max(1);
        let mut parts = Vec::with_capacity(threads);
        for t in 0..threads {
            let f = f.clone();
            parts.push(self.spawn(t, move || async move {
                let indices: Vec<usize> = (t..n).step_by(threads).collect();
                stream::iter(indices)
                    .map(|i| {
                        let fut = f(i);
                        async move { (i, fut.await) }
                    })
                    .buffer_unordered(per_thread)
                    .collect::<Vec<(usize, T)>>()
                    .await
            }));
        }
        let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
        for part in parts {
            if let Ok(items) = part.await {
                for (i, v) in items {
                    out[i] = Some(v);
                }
            }
        }
        out
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.senders.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

thread_local! {
    static HTTP: RefCell<Option<awc::Client>> = const { RefCell::new(None) };
    static WS: RefCell<Vec<awc::Client>> = const { RefCell::new(Vec::new()) };
}

/// How many loopback source addresses WebSockets are opened from (127.0.0.1 up to
/// 127.0.0.N): one address has about 28,000 ephemeral ports toward one server port, so
/// 100,000 sockets need four or more. Set once, before any socket is opened.
static SOURCE_ADDRESSES: OnceLock<u8> = OnceLock::new();
/// The next source address, round robin across threads.
static NEXT_SOURCE: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of loopback source addresses (1..=250); false if it was set already.
pub fn set_source_addresses(n: u8) -> bool {
    SOURCE_ADDRESSES.set(n.max(1)).is_ok()
}

/// The number of loopback source addresses WebSockets are opened from.
pub fn source_addresses() -> u8 {
    *SOURCE_ADDRESSES.get().unwrap_or(&1)
}

/// A client with no connection limit, generous timeouts (long-polls wait up to 25 s) and no
/// redirects, its connections made from `source` when given.
fn client(source: Option<IpAddr>) -> awc::Client {
    let mut connector = awc::Connector::new()
        .limit(0)
        .timeout(Duration::from_secs(15));
    if let Some(ip) = source {
        connector = connector.local_address(ip);
    }
    awc::Client::builder()
        .connector(connector)
        .timeout(Duration::from_secs(60))
        .disable_redirects()
        .finish()
}

/// This thread's HTTP client.
pub fn http() -> awc::Client {
    HTTP.with(|c| c.borrow_mut().get_or_insert_with(|| client(None)).clone())
}

/// A client for the next WebSocket: from the next loopback source address when more than one
/// is set (`--source-addresses`), else this thread's HTTP client.
pub fn ws_client() -> awc::Client {
    let n = usize::from(source_addresses());
    if n <= 1 {
        return http();
    }
    let i = NEXT_SOURCE.fetch_add(1, Ordering::Relaxed) % n;
    WS.with(|c| {
        let mut clients = c.borrow_mut();
        if clients.is_empty() {
            *clients = (0..n)
                .map(|k| client(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, k as u8 + 1)))))
                .collect();
        }
        clients[i].clone()
    })
}
