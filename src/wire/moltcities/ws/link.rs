//! The outbound side of one socket: a bounded frame queue drained by a writer task, and a
//! one-shot close request that any party (the socket itself, a displacing socket, a broadcast
//! that found the queue full, shutdown) can make. The first close request wins.
//!
//! The queue is a `VecDeque` under a lock with two `Notify`s rather than tokio channels: an
//! idle socket's queue holds no allocation, where an mpsc and a watch channel cost about
//! 1.8 KB per socket whether or not anything is ever queued.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use actix_web::web::Bytes;
use bytestring::ByteString;
use serde::Serialize;
use tokio::sync::Notify;

use super::frames::{self, PresenceEvent};
use crate::websocket::{Batch, CloseFrame, Writer};

/// Close codes this server sends.
pub mod code {
    /// The client closed normally (echoed when the client gave no code).
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message was not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// The key the socket authenticated with was revoked.
    pub const POLICY: u16 = 1008;
    /// An inbound message exceeded the frame size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The server could not serve the socket (e.g. the database failed).
    pub const INTERNAL: u16 = 1011;
    /// No inbound frame within the idle timeout.
    pub const TIMEOUT: u16 = 4000;
    /// A newer socket of the same agent on the same channel replaced this one.
    pub const DISPLACED: u16 = 4003;
    /// The client did not read its frames fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
}

/// How long closing may wait for room in the socket's send buffer: a client that stopped
/// reading gets this long to drain before the connection is dropped without a close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// One outbound frame.
#[derive(Debug)]
pub enum Out {
    /// A JSON text frame; a frame fanned out to many sockets is one shared buffer.
    Text(ByteString),
    /// The answer to an RFC 6455 ping.
    Pong(Bytes),
}

/// A request to close the socket.
#[derive(Debug, Clone)]
pub struct Closing {
    /// The WebSocket close code.
    pub code: u16,
    /// The close reason string.
    pub reason: String,
    /// What the town square tells the others; `None` says nothing (displacement, shutdown).
    pub presence: Option<PresenceEvent>,
}

/// A queue that grew past this many slots is given back once it empties.
const KEPT_SLOTS: usize = 8;

#[derive(Default)]
struct Queue {
    frames: VecDeque<Out>,
    /// The answer to the latest ping, outside the frame queue and its capacity: pongs are
    /// never a reason to close a socket as a slow consumer. Only the latest is kept, as
    /// RFC 6455 §5.5.3 allows, so a burst of pings costs one slot.
    pong: Option<Bytes>,
    closing: Option<Closing>,
}

/// The handle to a socket's outbound side, shared by the socket's tasks and everyone who
/// sends to it.
pub struct Link {
    queue: Mutex<Queue>,
    capacity: usize,
    /// Wakes the writer: a frame was queued or a close requested.
    wake_writer: Notify,
    /// Wakes everyone else waiting: a close was requested or room was made.
    changed: Notify,
}

/// What the writer takes next.
pub enum Next {
    /// A frame to write.
    Frame(Out),
    /// A close was requested: send the close frame.
    Close,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Link {
    /// A link whose queue holds `capacity` frames.
    pub fn new(capacity: usize) -> Link {
        Link {
            queue: Mutex::default(),
            capacity: capacity.max(1),
            wake_writer: Notify::new(),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update leaves the queue consistent, so a poisoned lock is still usable.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a frame (a [`frames::ServerFrame`]) without waiting; a full queue closes the
    /// socket as a slow consumer. Returns whether the frame was queued.
    pub fn send<T: Serialize + ?Sized>(&self, frame: &T) -> bool {
        match frames::render(frame) {
            Some(text) => self.send_out(Out::Text(text)),
            None => false,
        }
    }

    /// Queues an already rendered text frame, like [`Link::send`].
    pub fn send_text(&self, text: ByteString) -> bool {
        self.send_out(Out::Text(text))
    }

    /// Queues the answer to a ping, replacing one still pending; never counts against the
    /// queue's capacity. False once the socket is closing.
    pub fn pong(&self, payload: Bytes) -> bool {
        {
            let mut q = self.lock();
            if q.closing.is_some() {
                return false;
            }
            q.pong = Some(payload);
        }
        self.wake_writer.notify_one();
        true
    }

    fn send_out(&self, frame: Out) -> bool {
        {
            let mut q = self.lock();
            if q.closing.is_some() {
                return false;
            }
            if q.frames.len() < self.capacity {
                q.frames.push_back(frame);
                drop(q);
                self.wake_writer.notify_one();
                return true;
            }
        }
        self.close(
            code::SLOW_CONSUMER,
            "Slow consumer",
            Some(PresenceEvent::Left),
        );
        false
    }

    /// Queues a frame, waiting for room: for bounded batches the socket sends of its own accord
    /// (the queued replay), never for live traffic. False once the socket is closing.
    pub async fn send_waiting<T: Serialize + ?Sized>(&self, frame: &T) -> bool {
        let Some(text) = frames::render(frame) else {
            return false;
        };
        let mut frame = Some(Out::Text(text));
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut q = self.lock();
                if q.closing.is_some() {
                    return false;
                }
                if q.frames.len() < self.capacity {
                    if let Some(f) = frame.take() {
                        q.frames.push_back(f);
                    }
                    drop(q);
                    self.wake_writer.notify_one();
                    return true;
                }
            }
            changed.await;
        }
    }

    /// The writer's next step, waiting for one.
    pub async fn next(&self) -> Next {
        loop {
            if let Some(next) = self.try_next() {
                return next;
            }
            // A notification sent since the check is kept as a permit, so none is lost.
            self.wake_writer.notified().await;
        }
    }

    /// The writer's next step, if one is ready: a close request goes before a pending pong,
    /// and the pong before queued frames (control frames may go between messages).
    pub fn try_next(&self) -> Option<Next> {
        let mut q = self.lock();
        if q.closing.is_some() {
            return Some(Next::Close);
        }
        if let Some(p) = q.pong.take() {
            return Some(Next::Frame(Out::Pong(p)));
        }
        let frame = q.frames.pop_front()?;
        if q.frames.is_empty() && q.frames.capacity() > KEPT_SLOTS {
            q.frames = VecDeque::new();
        }
        drop(q);
        self.changed.notify_waiters();
        Some(Next::Frame(frame))
    }

    /// Requests a close; ignored when one was already requested.
    pub fn close(&self, code: u16, reason: &str, presence: Option<PresenceEvent>) {
        {
            let mut q = self.lock();
            if q.closing.is_some() {
                return;
            }
            q.closing = Some(Closing {
                code,
                reason: reason.to_string(),
                presence,
            });
            // Frames still queued are dropped: the socket is going away.
            q.frames = VecDeque::new();
            q.pong = None;
        }
        self.wake_writer.notify_one();
        self.changed.notify_waiters();
    }

    /// Whether a close was requested.
    pub fn is_closing(&self) -> bool {
        self.lock().closing.is_some()
    }

    /// The close request, if any.
    pub fn closing(&self) -> Option<Closing> {
        self.lock().closing.clone()
    }

    /// Waits until a close is requested.
    pub async fn closed(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_closing() {
                return;
            }
            changed.await;
        }
    }
}

/// Writes queued frames to the socket until a close is requested, then sends the close frame.
/// Frames waiting together go out in one write. A write under way when the close comes gets
/// [`CLOSE_WAIT`] to finish, so the close frame never cuts a frame in half.
pub async fn writer(ws: Writer, link: std::sync::Arc<Link>) {
    while let Next::Frame(first) = link.next().await {
        let mut batch = Batch::default();
        add(&mut batch, first);
        while batch.len() < BATCH_BYTES {
            match link.try_next() {
                Some(Next::Frame(f)) => add(&mut batch, f),
                // The close is still requested when the loop asks again.
                _ => break,
            }
        }
        let write = ws.send_batch(&batch);
        tokio::pin!(write);
        let sent = tokio::select! {
            biased;
            r = &mut write => r,
            _ = link.closed() => {
                // Abandoned halfway, the frame is torn and the writer refuses the close frame.
                let _ = tokio::time::timeout(CLOSE_WAIT, &mut write).await;
                break;
            }
        };
        if sent.is_err() {
            // The connection is gone; nothing more can be written.
            return;
        }
    }
    let reason = link.closing().map(|c| CloseFrame {
        code: c.code,
        reason: c.reason,
    });
    let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(reason)).await;
}

/// How many bytes of frames one write gathers at most.
const BATCH_BYTES: usize = 64 * 1024;

fn add(batch: &mut Batch, frame: Out) {
    match frame {
        Out::Text(t) => batch.text(&t),
        Out::Pong(p) => batch.pong(&p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(next: Option<Next>) -> Option<String> {
        match next {
            Some(Next::Frame(Out::Text(t))) => Some(t.to_string()),
            _ => None,
        }
    }

    #[test]
    fn a_full_queue_closes_as_slow_consumer_and_the_first_close_wins() {
        let link = Link::new(1);
        assert!(link.send(&json!({"n": 1})));
        assert!(!link.send(&json!({"n": 2})), "full");
        let c = link.closing().expect("closing");
        assert_eq!(c.code, code::SLOW_CONSUMER);
        assert_eq!(c.reason, "Slow consumer");
        link.close(code::DISPLACED, "New connection opened", None);
        assert_eq!(link.closing().map(|c| c.code), Some(code::SLOW_CONSUMER));
        assert!(!link.send(&json!({"n": 3})), "closing refuses frames");
        assert!(
            matches!(link.try_next(), Some(Next::Close)),
            "the close goes first"
        );
    }

    #[test]
    fn pongs_never_fill_the_queue_and_only_the_latest_is_kept() {
        let link = Link::new(2);
        assert!(link.send(&json!(1)));
        assert!(link.send(&json!(2)));
        for n in 0..2_000u32 {
            assert!(link.pong(Bytes::from(n.to_string())), "pong {n}");
        }
        assert!(
            !link.is_closing(),
            "a full queue plus pongs is no slow consumer"
        );
        match link.try_next() {
            Some(Next::Frame(Out::Pong(p))) => assert_eq!(&p[..], b"1999"),
            _ => panic!("the latest pong goes first"),
        }
        assert_eq!(text(link.try_next()).as_deref(), Some("1"));
        assert_eq!(text(link.try_next()).as_deref(), Some("2"));
        assert!(link.try_next().is_none());
        link.close(code::GOING_AWAY, "bye", None);
        assert!(
            !link.pong(Bytes::from_static(b"late")),
            "closing refuses pongs"
        );
    }

    #[test]
    fn frames_leave_in_order_and_an_emptied_queue_lets_go_of_its_memory() {
        let link = Link::new(64);
        for n in 0..20 {
            assert!(link.send(&json!(n)));
        }
        for n in 0..20 {
            assert_eq!(text(link.try_next()), Some(n.to_string()));
        }
        assert!(link.try_next().is_none());
        assert_eq!(link.lock().frames.capacity(), 0);
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_frame_and_for_a_close() {
        let link = std::sync::Arc::new(Link::new(4));
        let l2 = link.clone();
        let t = tokio::spawn(async move { (text(Some(l2.next().await)), l2) });
        tokio::task::yield_now().await;
        assert!(link.send(&json!("x")));
        let (got, l2) = t.await.unwrap();
        assert_eq!(got.as_deref(), Some("\"x\""));
        let t = tokio::spawn(async move { matches!(l2.next().await, Next::Close) });
        tokio::task::yield_now().await;
        link.close(code::GOING_AWAY, "bye", None);
        assert!(t.await.unwrap());
    }

    #[tokio::test]
    async fn waiting_send_waits_for_room_and_gives_up_when_closed() {
        let link = std::sync::Arc::new(Link::new(1));
        assert!(link.send_waiting(&json!(1)).await);
        let l2 = link.clone();
        let t = tokio::spawn(async move { l2.send_waiting(&json!(2)).await });
        tokio::task::yield_now().await;
        assert_eq!(text(link.try_next()).as_deref(), Some("1"), "room made");
        assert!(t.await.unwrap());
        assert_eq!(text(link.try_next()).as_deref(), Some("2"));
        assert!(link.send(&json!(3)));
        let l2 = link.clone();
        let t = tokio::spawn(async move { l2.send_waiting(&json!(4)).await });
        tokio::task::yield_now().await;
        link.close(code::GOING_AWAY, "bye", None);
        assert!(!t.await.unwrap());
    }
}
