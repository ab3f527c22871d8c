//! The Engine.IO server: settings, session registry and the application that consumes
//! each session's messages (the Socket.IO layer, or a bare echo for the conformance suite).

use super::admission::Inbound;
use super::config::SocketIoConfig;
use super::engine_packet::Frame;
use super::session::{CloseReason, ConnInfo, EngineSession, SessionRegistry, TransportKind};
use agentgate_net::{AddressCounts, AddressSlot};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::sync::Arc;
use tokio::time::Instant;

/// A boxed future borrowing its owner.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// What runs on top of Engine.IO; told about every new session.
pub trait EngineApp: Send + Sync + 'static {
    /// A session opened; `inbound` yields its messages in order, batched per request/frame.
    /// Must not block: spawn the consuming task. Until the app calls
    /// [`EngineSession::admit`], the session is held to the pre-authentication limits.
    fn on_open(&self, session: Arc<EngineSession>, inbound: Inbound);

    /// A WebSocket-only session opened: the application's side of it, run by the WebSocket
    /// reader itself, so that an idle connection holds no task and no queue for it. `None`
    /// (the default) falls back to [`on_open`](Self::on_open).
    fn converse(&self, _session: &Arc<EngineSession>) -> Option<Box<dyn Conversation>> {
        None
    }
}

/// The application's side of one WebSocket session, driven by the session's reader: messages
/// in order, one deadline, and the end.
pub trait Conversation: Send {
    /// Handles the messages of one WebSocket message; an error closes the session with that
    /// reason. The reader reads nothing more meanwhile, which is the back-pressure.
    fn on_frames(&mut self, frames: Vec<Frame>) -> BoxFuture<'_, Result<(), CloseReason>>;
    /// When [`on_deadline`](Self::on_deadline) is due next, if ever.
    fn deadline(&self) -> Option<Instant>;
    /// The deadline passed; an error closes the session with that reason.
    fn on_deadline(&mut self, now: Instant) -> Result<(), CloseReason>;
    /// The session is closing: let go of it.
    fn finish(self: Box<Self>, reason: CloseReason);
}

/// A handshake refused because its address has too many connections not yet admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyWaiting {
    /// The per-address limit.
    pub limit: usize,
}

/// One Engine.IO endpoint: its settings, sessions and application.
pub struct Engine {
    config: Arc<SocketIoConfig>,
    registry: Arc<SessionRegistry>,
    app: Arc<dyn EngineApp>,
    waiting: Arc<AddressCounts>,
    /// Unknown sids per client address: a flood of guesses is refused.
    unknown_sids: agentgate_net::FailureWindow,
}

impl Engine {
    /// Creates an engine; build it once and share the `Arc` with every actix worker.
    pub fn new(config: SocketIoConfig, app: Arc<dyn EngineApp>) -> Arc<Engine> {
        Arc::new(Engine {
            unknown_sids: agentgate_net::FailureWindow::new(
                config.unknown_sid_failures,
                config.unknown_sid_window,
            ),
            config: Arc::new(config),
            registry: Arc::new(SessionRegistry::default()),
            app,
            waiting: Arc::new(AddressCounts::default()),
        })
    }

    /// The engine settings.
    pub fn config(&self) -> &SocketIoConfig {
        &self.config
    }

    /// Unknown session ids presented, per client address.
    pub(crate) fn unknown_sids(&self) -> &agentgate_net::FailureWindow {
        &self.unknown_sids
    }

    /// The live sessions.
    pub fn sessions(&self) -> &SessionRegistry {
        &self.registry
    }

    /// Finds a live session; a session whose pong deadline passed is closed and not returned.
    pub(crate) fn lookup(&self, sid: &str) -> Option<Arc<EngineSession>> {
        let session = self.registry.get(sid)?;
        if session.expire_if_due() {
            return None;
        }
        Some(session)
    }

    /// Counts a new connection from the request's address among those not yet admitted;
    /// refused when that address already has `max_unauthenticated_per_address` of them.
    pub(crate) fn reserve(&self, info: &ConnInfo) -> Result<Option<AddressSlot>, TooManyWaiting> {
        let limit = self.config.max_unauthenticated_per_address;
        let Some(addr) = info.remote_addr else {
            return Ok(None);
        };
        if limit == 0 {
            return Ok(None);
        }
        self.waiting
            .reserve(addr.ip().to_canonical(), limit)
            .map(Some)
            .ok_or(TooManyWaiting { limit })
    }

    /// Creates, registers and starts a session (heartbeat and application task); `slot` (from
    /// [`reserve`](Self::reserve)) is released when the session is admitted or closes. A
    /// WebSocket session may get the application's [`Conversation`] for its reader to run
    /// instead of a task.
    pub(crate) fn create_session(
        &self,
        transport: TransportKind,
        info: ConnInfo,
        slot: Option<AddressSlot>,
    ) -> (Arc<EngineSession>, Option<Box<dyn Conversation>>) {
        let session = EngineSession::new(
            new_id(),
            Arc::clone(&self.config),
            &self.registry,
            transport,
            info,
            slot,
        );
        // A WebSocket-only session starts with the open packet, before anything the app sends.
        if transport == TransportKind::Websocket {
            session.send_control(session.open_packet(false));
        }
        self.registry.insert(Arc::clone(&session));
        // A WebSocket session's writer drives its heartbeat.
        if transport == TransportKind::Polling {
            tokio::spawn(Arc::clone(&session).heartbeat());
        }
        let conversation = match transport {
            TransportKind::Websocket => self.app.converse(&session),
            TransportKind::Polling => None,
        };
        if conversation.is_none() {
            self.app
                .on_open(Arc::clone(&session), session.open_inbound());
        }
        (session, conversation)
    }
}

/// A random URL-safe id (22 chars, 128 bits).
pub(crate) fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

/// Bare Engine.IO echo: every message is sent back as is (the official suite's fixture).
pub struct EchoApp;

impl EngineApp for EchoApp {
    fn on_open(&self, session: Arc<EngineSession>, mut inbound: Inbound) {
        // There is nothing to authenticate: the full limits apply from the start.
        session.admit();
        tokio::spawn(async move {
            loop {
                let frames = tokio::select! {
                    f = inbound.recv() => f,
                    _ = session.closing() => None,
                };
                let Some(frames) = frames else { break };
                // One batch per inbound request keeps a POST's echoes in one GET response.
                if session.send(Arc::new(frames)).is_err() {
                    break;
                }
            }
        });
    }
}
