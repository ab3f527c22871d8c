//! What a connection may hold before the application admits it (for Socket.IO: before it
//! joins a namespace): the inbound queue, whose bytes are counted against a small room until
//! then. Such connections are also counted per address (`net::AddressCounts`, in the engine).

use super::engine_packet::Frame;
use super::session::{lock, EngineSession};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// One batch handed to the application, with the bytes it took from the pre-admission room.
pub(crate) struct Batch {
    pub(crate) frames: Vec<Frame>,
    pub(crate) counted: u32,
}

/// The inbound queue between a session's transport (one producer at a time: a polling POST
/// or the WebSocket reader) and its application (one consumer). A tokio mpsc channel
/// allocates its shared state and a 32-slot block when made, about 1 KiB per idle connection
/// (heaptrack, 1,000 idle Socket.IO connections); this holds nothing while empty.
#[derive(Default)]
pub(crate) struct InboundQueue {
    state: Mutex<QueueState>,
    /// Woken when a batch is queued.
    items: Notify,
    /// Woken when a batch is taken or the consumer is gone.
    space: Notify,
}

#[derive(Default)]
struct QueueState {
    batches: VecDeque<Batch>,
    /// The consumer is gone.
    closed: bool,
}

impl InboundQueue {
    /// Queues a batch once fewer than `capacity` wait; `Err` once the consumer is gone.
    pub(crate) async fn push(&self, batch: Batch, capacity: usize) -> Result<(), ()> {
        loop {
            {
                let mut st = lock(&self.state);
                if st.closed {
                    return Err(());
                }
                if st.batches.len() < capacity.max(1) {
                    st.batches.push_back(batch);
                    drop(st);
                    self.items.notify_one();
                    return Ok(());
                }
            }
            // notify_one keeps a permit when nobody waits, so a wake between the check and
            // this wait is not lost (there is one producer and one consumer).
            self.space.notified().await;
        }
    }

    /// The next batch, waiting for one.
    async fn pop(&self) -> Batch {
        loop {
            if let Some(b) = lock(&self.state).batches.pop_front() {
                self.space.notify_one();
                return b;
            }
            self.items.notified().await;
        }
    }

    /// The consumer is gone: queued batches are dropped and the producer stops waiting.
    fn close(&self) {
        let mut st = lock(&self.state);
        st.closed = true;
        st.batches.clear();
        drop(st);
        self.space.notify_one();
    }
}

/// A session's inbound messages, in order, batched per request or WebSocket message.
/// Taking a batch gives its bytes back to the session's pre-admission room.
pub struct Inbound {
    session: Arc<EngineSession>,
}

impl Inbound {
    pub(crate) fn new(session: Arc<EngineSession>) -> Inbound {
        Inbound { session }
    }

    /// The next batch. The session outlives this receiver, so the queue never ends by
    /// itself: the application stops on the session's close signal.
    pub async fn recv(&mut self) -> Option<Vec<Frame>> {
        let batch = self.session.intake()?.queue.pop().await;
        self.session.release_room(batch.counted);
        Some(batch.frames)
    }
}

impl Drop for Inbound {
    fn drop(&mut self) {
        // Nobody will take batches any more: wake a transport waiting for room.
        if let Some(intake) = self.session.intake() {
            intake.queue.close();
        }
        self.session.close_room();
    }
}

/// The bytes a batch holds (text as UTF-8).
pub(crate) fn batch_bytes(frames: &[Frame]) -> usize {
    frames
        .iter()
        .map(|f| match f {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SocketIoConfig;
    use crate::session::{ConnInfo, SessionRegistry, TransportKind};
    use std::time::Duration;

    fn text(n: usize) -> Vec<Frame> {
        vec![Frame::Text("x".repeat(n))]
    }

    /// True if `deliver` finished within a short wait (false: it waits for room).
    async fn delivered(session: &EngineSession, n: usize) -> bool {
        tokio::time::timeout(Duration::from_millis(50), session.deliver(text(n)))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn queued_bytes_are_bounded_before_and_after_admission() {
        let config = SocketIoConfig {
            pre_auth_max_payload: 100,
            max_payload: 300,
            max_inbound_bytes: 500,
            ..SocketIoConfig::default()
        };
        let registry = Arc::new(SessionRegistry::default());
        let session = EngineSession::new(
            "s".into(),
            Arc::new(config),
            &registry,
            TransportKind::Polling,
            ConnInfo::default(),
            None,
        );
        let mut inbound = session.open_inbound();
        assert_eq!(session.message_limit(), 100);
        assert!(delivered(&session, 60).await);
        // 60 + 60 > 100: waits until the application takes the first batch.
        let second = session.deliver(text(60));
        tokio::pin!(second);
        assert!(tokio::time::timeout(Duration::from_millis(50), &mut second)
            .await
            .is_err());
        assert_eq!(inbound.recv().await.map(|f| batch_bytes(&f)), Some(60));
        tokio::time::timeout(Duration::from_millis(500), second)
            .await
            .unwrap();
        // Admitted: 500 bytes in all (60 still queued).
        session.admit();
        assert_eq!(session.message_limit(), 300);
        assert!(delivered(&session, 300).await);
        assert!(delivered(&session, 140).await);
        assert!(!delivered(&session, 1).await);
        for want in [60, 300, 140] {
            assert_eq!(inbound.recv().await.map(|f| batch_bytes(&f)), Some(want));
        }
        assert!(delivered(&session, 400).await);
        // Once nobody takes batches, a waiting transport is let go.
        drop(inbound);
        assert!(delivered(&session, 400).await);
    }
}
