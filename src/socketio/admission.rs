//! What a connection may hold before the application admits it (for Socket.IO: before it
//! joins a namespace): a per-address count of such connections, and the inbound queue whose
//! bytes are counted against a small room until then.

use super::engine_packet::Frame;
use super::session::{lock, EngineSession};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Connections not yet admitted, per client IP, shared by every worker.
#[derive(Default)]
pub(crate) struct AddressCounts {
    map: Mutex<HashMap<IpAddr, usize>>,
}

impl AddressCounts {
    /// Counts one more connection from `ip`; `None` when `limit` are already waiting.
    pub(crate) fn reserve(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<AddressSlot> {
        let mut map = lock(&self.map);
        let n = map.entry(ip).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            counts: Arc::clone(self),
            ip,
        })
    }

    /// Connections from `ip` waiting now.
    #[cfg(test)]
    fn waiting(&self, ip: IpAddr) -> usize {
        lock(&self.map).get(&ip).copied().unwrap_or(0)
    }
}

/// One counted connection; dropping it (on admission or close) uncounts it.
pub(crate) struct AddressSlot {
    counts: Arc<AddressCounts>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = lock(&self.counts.map);
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // No entry stays behind for an address that has nothing waiting.
                map.remove(&self.ip);
            }
        }
    }
}

/// One batch handed to the application, with the bytes it took from the pre-admission room.
pub(crate) struct Batch {
    pub(crate) frames: Vec<Frame>,
    pub(crate) counted: u32,
}

/// A session's inbound messages, in order, batched per request or WebSocket message.
/// Taking a batch gives its bytes back to the session's pre-admission room.
pub struct Inbound {
    rx: mpsc::Receiver<Batch>,
    session: Arc<EngineSession>,
}

impl Inbound {
    pub(crate) fn new(rx: mpsc::Receiver<Batch>, session: Arc<EngineSession>) -> Inbound {
        Inbound { rx, session }
    }

    /// The next batch; `None` once the session's transport is gone.
    pub async fn recv(&mut self) -> Option<Vec<Frame>> {
        let batch = self.rx.recv().await?;
        self.session.release_room(batch.counted);
        Some(batch.frames)
    }
}

impl Drop for Inbound {
    fn drop(&mut self) {
        // Nobody will take batches any more: wake a transport waiting for room.
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
    use crate::socketio::config::SocketIoConfig;
    use crate::socketio::session::{ConnInfo, SessionRegistry, TransportKind};
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
        let (session, mut inbound) = EngineSession::new(
            "s".into(),
            Arc::new(config),
            &registry,
            TransportKind::Polling,
            ConnInfo::default(),
            None,
        );
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

    #[test]
    fn counts_per_address_and_uncounts_on_drop() {
        let counts = Arc::new(AddressCounts::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = counts.reserve(a, 2).unwrap();
        let s2 = counts.reserve(a, 2).unwrap();
        assert!(counts.reserve(a, 2).is_none());
        let s3 = counts.reserve(b, 2).unwrap();
        assert_eq!((counts.waiting(a), counts.waiting(b)), (2, 1));
        drop(s1);
        assert_eq!(counts.waiting(a), 1);
        let s4 = counts.reserve(a, 2).unwrap();
        drop((s2, s3, s4));
        assert!(lock(&counts.map).is_empty());
    }
}
