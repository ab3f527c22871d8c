//! The outbound side of one socket: a bounded frame queue drained by a writer task, and a
//! one-shot close request that any party (the socket itself, a displacing socket, a broadcast
//! that found the queue full, shutdown) can make. The first close request wins.

use std::time::Duration;

use actix_web::web::Bytes;
use bytestring::ByteString;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::frames::PresenceEvent;
use crate::websocket::{CloseFrame, Writer};

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

/// The handle others hold to a socket: its queue and its close request.
#[derive(Debug)]
pub struct Link {
    out: mpsc::Sender<Out>,
    closing: watch::Sender<Option<Closing>>,
}

/// What the socket's own tasks hold: the receiving ends.
pub struct LinkEnds {
    /// Frames to write, in order.
    pub out: mpsc::Receiver<Out>,
    /// Becomes `Some` once a close is requested.
    pub closing: watch::Receiver<Option<Closing>>,
}

impl Link {
    /// A link whose queue holds `capacity` frames.
    pub fn new(capacity: usize) -> (Link, LinkEnds) {
        let (out, out_rx) = mpsc::channel(capacity.max(1));
        let (closing, closing_rx) = watch::channel(None);
        (
            Link { out, closing },
            LinkEnds {
                out: out_rx,
                closing: closing_rx,
            },
        )
    }

    /// Queues a frame without waiting; a full queue closes the socket as a slow consumer.
    /// Returns whether the frame was queued.
    pub fn send(&self, frame: &Value) -> bool {
        self.send_out(Out::Text(frame.to_string().into()))
    }

    /// Queues an already rendered text frame, like [`Link::send`].
    pub fn send_text(&self, text: ByteString) -> bool {
        self.send_out(Out::Text(text))
    }

    /// Queues a protocol pong, like [`Link::send`].
    pub fn pong(&self, payload: Bytes) -> bool {
        self.send_out(Out::Pong(payload))
    }

    fn send_out(&self, frame: Out) -> bool {
        if self.is_closing() {
            return false;
        }
        match self.out.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(
                    code::SLOW_CONSUMER,
                    "Slow consumer",
                    Some(PresenceEvent::Left),
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a frame, waiting for room: for bounded batches the socket sends of its own accord
    /// (the queued replay), never for live traffic. False once the socket is closing.
    pub async fn send_waiting(&self, frame: &Value) -> bool {
        let mut closing = self.closing.subscribe();
        if closing.borrow().is_some() {
            return false;
        }
        tokio::select! {
            r = self.out.send(Out::Text(frame.to_string().into())) => r.is_ok(),
            _ = closing.wait_for(Option::is_some) => false,
        }
    }

    /// Requests a close; ignored when one was already requested.
    pub fn close(&self, code: u16, reason: &str, presence: Option<PresenceEvent>) {
        self.closing.send_if_modified(|c| {
            if c.is_some() {
                return false;
            }
            *c = Some(Closing {
                code,
                reason: reason.to_string(),
                presence,
            });
            true
        });
    }

    /// Whether a close was requested.
    pub fn is_closing(&self) -> bool {
        self.closing.borrow().is_some()
    }

    /// The close request, if any.
    pub fn closing(&self) -> Option<Closing> {
        self.closing.borrow().clone()
    }

    /// Waits until a close is requested.
    pub async fn closed(&self) {
        let mut rx = self.closing.subscribe();
        let _ = rx.wait_for(Option::is_some).await;
    }
}

/// Writes queued frames to the socket until a close is requested, then sends the close frame.
/// A frame being written when the close comes gets [`CLOSE_WAIT`] to finish, so the close frame
/// never cuts one in half; frames still queued are dropped: the socket is going away.
pub async fn writer(ws: Writer, ends: LinkEnds) {
    let LinkEnds {
        mut out,
        mut closing,
    } = ends;
    loop {
        let next = tokio::select! {
            biased;
            _ = closing.wait_for(Option::is_some) => break,
            m = out.recv() => m,
        };
        let Some(next) = next else { break };
        let write = async {
            match next {
                Out::Text(t) => ws.text(&t).await,
                Out::Pong(p) => ws.pong(&p).await,
            }
        };
        tokio::pin!(write);
        let sent = tokio::select! {
            biased;
            r = &mut write => r,
            _ = closing.wait_for(Option::is_some) => {
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
    let reason = closing.borrow().as_ref().map(|c| CloseFrame {
        code: c.code,
        reason: c.reason.clone(),
    });
    let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(reason)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_full_queue_closes_as_slow_consumer_and_the_first_close_wins() {
        let (link, mut ends) = Link::new(1);
        assert!(link.send(&json!({"n": 1})));
        assert!(!link.send(&json!({"n": 2})), "full");
        let c = link.closing().expect("closing");
        assert_eq!(c.code, code::SLOW_CONSUMER);
        assert_eq!(c.reason, "Slow consumer");
        link.close(code::DISPLACED, "New connection opened", None);
        assert_eq!(link.closing().map(|c| c.code), Some(code::SLOW_CONSUMER));
        assert!(!link.send(&json!({"n": 3})), "closing refuses frames");
        assert!(matches!(ends.out.recv().await, Some(Out::Text(t)) if &*t == "{\"n\":1}"));
        assert!(ends.closing.borrow().is_some());
    }

    #[tokio::test]
    async fn waiting_send_gives_up_when_closed() {
        let (link, _ends) = Link::new(1);
        assert!(link.send_waiting(&json!(1)).await);
        let l = std::sync::Arc::new(link);
        let l2 = l.clone();
        let t = tokio::spawn(async move { l2.send_waiting(&json!(2)).await });
        tokio::task::yield_now().await;
        l.close(code::GOING_AWAY, "bye", None);
        assert!(!t.await.unwrap());
    }
}
