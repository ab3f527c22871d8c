//! The Socket.IO socket handle (one client in one namespace) and the ack responder.

use super::handler::{DisconnectReason, NamespaceHandler};
use super::io::IoInner;
use super::packet::{Packet, Payload};
use super::parser::{Encoded, ParserKind};
use super::session::{lock, ConnInfo, EngineSession, SendError, SharedFrames, TransportKind};
use serde_json::Value;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Why an `emit_with_ack` produced no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckError {
    /// The event could not be queued.
    Send(SendError),
    /// No ack within the timeout.
    Timeout,
    /// The socket disconnected before the ack arrived.
    Disconnected,
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AckError::Send(e) => write!(f, "ack not sent: {e}"),
            AckError::Timeout => f.write_str("ack timeout"),
            AckError::Disconnected => f.write_str("socket disconnected"),
        }
    }
}

impl std::error::Error for AckError {}

enum SocketState {
    /// `on_connect` is running; emits wait here until the CONNECT reply is sent.
    Connecting(Vec<SharedFrames>),
    Connected,
    Disconnected,
}

/// The application's values, by type. A socket holds one or two, so a list costs less than a
/// map's smallest table.
type Extensions = Vec<(TypeId, Arc<dyn Any + Send + Sync>)>;

struct SocketInner {
    id: String,
    nsp: String,
    parser: ParserKind,
    engine: Arc<EngineSession>,
    io: Arc<IoInner>,
    handler: Arc<dyn NamespaceHandler>,
    state: Mutex<SocketState>,
    next_ack: AtomicU64,
    acks: Mutex<HashMap<u64, oneshot::Sender<Payload>>>,
    extensions: Mutex<Extensions>,
}

/// One client in one namespace. Cheap to clone; all clones are the same socket.
#[derive(Clone)]
pub struct Socket {
    inner: Arc<SocketInner>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.id)
            .field("nsp", &self.inner.nsp)
            .field("parser", &self.inner.parser)
            .finish()
    }
}

impl Socket {
    pub(crate) fn new(
        id: String,
        nsp: String,
        parser: ParserKind,
        engine: Arc<EngineSession>,
        io: Arc<IoInner>,
        handler: Arc<dyn NamespaceHandler>,
    ) -> Socket {
        Socket {
            inner: Arc::new(SocketInner {
                id,
                nsp,
                parser,
                engine,
                io,
                handler,
                state: Mutex::new(SocketState::Connecting(Vec::new())),
                next_ack: AtomicU64::new(1),
                acks: Mutex::new(HashMap::new()),
                extensions: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The socket id (sent to the client in the CONNECT reply; not the Engine.IO sid).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.nsp
    }

    /// The parser this connection speaks.
    pub fn parser(&self) -> ParserKind {
        self.inner.parser
    }

    /// The Engine.IO session id of the underlying connection.
    pub fn engine_sid(&self) -> &str {
        self.inner.engine.sid()
    }

    /// Address and query of the request that opened the connection.
    pub fn info(&self) -> &ConnInfo {
        self.inner.engine.info()
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        self.inner.engine.transport()
    }

    /// True while connected to the namespace.
    pub fn connected(&self) -> bool {
        matches!(*lock(&self.inner.state), SocketState::Connected)
    }

    /// Sends an event. `Err` if the socket is gone or its queue overflowed (which closes it).
    pub fn emit(&self, event: &str, data: impl Into<Payload>) -> Result<(), SendError> {
        self.send_packet(&Packet::event(&self.inner.nsp, event, &data.into(), None))
    }

    /// Sends an event expecting an ack; resolves to the client's ack arguments. The ack is
    /// registered before this returns, so ordering with other emits is kept.
    /// `timeout: None` uses `SocketIoConfig::ack_timeout`.
    pub fn emit_with_ack(
        &self,
        event: &str,
        data: impl Into<Payload>,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<Payload, AckError>> + Send + 'static {
        let id = self.inner.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.inner.acks).insert(id, tx);
        let sent = self.send_packet(&Packet::event(
            &self.inner.nsp,
            event,
            &data.into(),
            Some(id),
        ));
        let timeout = timeout.unwrap_or(self.inner.io.config.ack_timeout);
        let me = self.clone();
        async move {
            if let Err(e) = sent {
                me.take_ack(id);
                return Err(AckError::Send(e));
            }
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(payload)) => Ok(payload),
                Ok(Err(_)) => Err(AckError::Disconnected),
                Err(_) => {
                    me.take_ack(id);
                    Err(AckError::Timeout)
                }
            }
        }
    }

    /// Sends bytes made once by `encode_event` (for the same parser and namespace).
    pub fn send_encoded(&self, encoded: Arc<Encoded>) -> Result<(), SendError> {
        if encoded.parser() != self.inner.parser || encoded.nsp() != self.inner.nsp {
            return Err(SendError::Mismatch);
        }
        self.send_frames(encoded)
    }

    /// Leaves the namespace from the server side (DISCONNECT; the client will not reconnect).
    /// The connection stays open.
    /// `on_disconnect` runs on a spawned task, never inside this call, so callers may hold
    /// their own locks.
    pub fn disconnect(&self) {
        self.finish(DisconnectReason::ServerNamespaceDisconnect, true, false);
    }

    /// Closes the whole connection after flushing (the client reconnects, re-authenticating).
    pub fn close_connection(&self) {
        self.inner
            .engine
            .close_after_flush(super::session::CloseReason::ServerClose);
    }

    /// Stores a value of type `T` for the application (replacing any previous `T`).
    pub fn insert_ext<T: Any + Send + Sync>(&self, value: Arc<T>) {
        let mut exts = lock(&self.inner.extensions);
        exts.retain(|(t, _)| *t != TypeId::of::<T>());
        exts.reserve_exact(1);
        exts.push((TypeId::of::<T>(), value));
    }

    /// The application's value of type `T`, if stored.
    pub fn ext<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let v = lock(&self.inner.extensions)
            .iter()
            .find(|(t, _)| *t == TypeId::of::<T>())
            .map(|(_, v)| v.clone())?;
        v.downcast::<T>().ok()
    }

    /// Removes the application's value of type `T`.
    pub fn remove_ext<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let mut exts = lock(&self.inner.extensions);
        let at = exts.iter().position(|(t, _)| *t == TypeId::of::<T>())?;
        exts.swap_remove(at).1.downcast::<T>().ok()
    }

    pub(crate) fn handler(&self) -> Arc<dyn NamespaceHandler> {
        Arc::clone(&self.inner.handler)
    }

    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), SendError> {
        self.send_frames(Arc::new(Encoded::new(self.inner.parser, packet)))
    }

    fn send_frames(&self, frames: SharedFrames) -> Result<(), SendError> {
        let mut st = lock(&self.inner.state);
        match &mut *st {
            SocketState::Connecting(buf) => {
                if buf.len() >= self.inner.io.config.outbound_capacity {
                    return Err(SendError::Full);
                }
                buf.push(frames);
                Ok(())
            }
            // Sent under the state lock so a concurrent disconnect cannot overtake it.
            SocketState::Connected => self.inner.engine.send(frames),
            SocketState::Disconnected => Err(SendError::Closed),
        }
    }

    /// `on_connect` succeeded: send the CONNECT reply, then what was emitted meanwhile.
    pub(crate) fn activate(&self) -> bool {
        let connect = Packet::connect(&self.inner.nsp, &self.inner.id);
        let connect: SharedFrames = Arc::new(Encoded::new(self.inner.parser, &connect));
        let mut st = lock(&self.inner.state);
        if let SocketState::Connecting(buf) = &mut *st {
            let mut batches = Vec::with_capacity(buf.len() + 1);
            batches.push(connect);
            batches.append(buf);
            // A failure closes the connection; the connection task then disconnects us.
            let _ = self.inner.engine.send_all(batches);
            *st = SocketState::Connected;
            // Registered under the state lock so a concurrent `finish` cannot run before it.
            self.inner.io.add_socket(self.clone());
            return true;
        }
        false
    }

    /// `on_connect` refused: send CONNECT_ERROR and drop what was emitted meanwhile.
    pub(crate) fn reject(&self, data: Value) {
        *lock(&self.inner.state) = SocketState::Disconnected;
        lock(&self.inner.acks).clear();
        let packet = Packet::connect_error(&self.inner.nsp, data);
        let _ = self
            .inner
            .engine
            .send(Arc::new(Encoded::new(self.inner.parser, &packet)));
    }

    /// Leaves the namespace once: unregisters, fails pending acks, tells the handler.
    /// `inline` runs `on_disconnect` here; otherwise on a task (when a runtime is available).
    pub(crate) fn finish(&self, reason: DisconnectReason, send_packet: bool, inline: bool) {
        let prev = std::mem::replace(&mut *lock(&self.inner.state), SocketState::Disconnected);
        lock(&self.inner.acks).clear();
        match prev {
            SocketState::Disconnected => return,
            // Never connected from the client's view: no DISCONNECT, no on_disconnect.
            SocketState::Connecting(_) => return,
            SocketState::Connected => {}
        }
        self.inner.io.remove_socket(&self.inner.id);
        if send_packet {
            let packet = Packet::disconnect(&self.inner.nsp);
            let _ = self
                .inner
                .engine
                .send(Arc::new(Encoded::new(self.inner.parser, &packet)));
        }
        let me = self.clone();
        let notify = move || {
            me.inner.handler.on_disconnect(me.clone(), reason);
            // Extensions may hold references back to app state; release them with the socket.
            lock(&me.inner.extensions).clear();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if !inline => {
                handle.spawn(async move { notify() });
            }
            _ => notify(),
        }
    }

    pub(crate) fn resolve_ack(&self, id: u64, payload: Payload) {
        if let Some(tx) = self.take_ack(id) {
            let _ = tx.send(payload);
        }
    }

    fn take_ack(&self, id: u64) -> Option<oneshot::Sender<Payload>> {
        lock(&self.inner.acks).remove(&id)
    }

    pub(crate) fn auto_ack(&self) -> bool {
        self.inner.io.config.auto_ack
    }
}

/// Answers one client ack. Consumed by `send`; dropped unanswered it sends `[]`
/// when `SocketIoConfig::auto_ack` is on (clients with `retries` wait for every ack).
pub struct AckResponder {
    socket: Socket,
    id: u64,
    done: bool,
}

impl fmt::Debug for AckResponder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AckResponder")
            .field("id", &self.id)
            .finish()
    }
}

impl AckResponder {
    pub(crate) fn new(socket: Socket, id: u64) -> AckResponder {
        AckResponder {
            socket,
            id,
            done: false,
        }
    }

    /// The client's ack id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sends the ack with these arguments (BINARY_ACK when there are attachments).
    pub fn send(mut self, data: impl Into<Payload>) -> Result<(), SendError> {
        self.done = true;
        let packet = Packet::ack(self.socket.namespace(), self.id, data.into());
        self.socket.send_packet(&packet)
    }
}

impl Drop for AckResponder {
    fn drop(&mut self) {
        if !self.done && self.socket.auto_ack() {
            let packet = Packet::ack(self.socket.namespace(), self.id, Payload::empty());
            let _ = self.socket.send_packet(&packet);
        }
    }
}
