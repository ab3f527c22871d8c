//! Engine.IO session state (transport, outbox, heartbeat, upgrade, close) and the
//! session registry shared by all actix workers.

use super::admission::{batch_bytes, Batch, Inbound, InboundQueue};
use super::config::SocketIoConfig;
use super::engine_packet::{push_payload_frame, push_payload_packet, EnginePacket, Frame};
use agentgate_net::AddressSlot;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak,
};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// A batch of messages queued atomically (e.g. a header and its attachments).
pub type SharedFrames = Arc<dyn AsRef<[Frame]> + Send + Sync>;

/// Locks a mutex, recovering the data if another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read-locks an RwLock, recovering from poisoning.
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

/// Write-locks an RwLock, recovering from poisoning.
pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

/// Current transport of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    Websocket,
}

/// Why an Engine.IO session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed the transport or sent `1`.
    TransportClose,
    /// A transport-level error (duplicate poll, socket error, oversized frame).
    TransportError,
    /// No pong within `ping_timeout`.
    PingTimeout,
    /// The client sent a packet that does not parse.
    ParseError,
    /// The server closed the connection.
    ServerClose,
    /// The outbound queue overflowed.
    SlowConsumer,
}

impl CloseReason {
    /// The reference server's wording of the reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ServerClose => "forced close",
            CloseReason::SlowConsumer => "slow consumer",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a message could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection is closed or closing.
    Closed,
    /// The outbound queue was full; the connection has been closed ("slow consumer").
    Full,
    /// Pre-encoded bytes were made for another parser or namespace.
    Mismatch,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Closed => "connection closed",
            SendError::Full => "outbound queue full (slow consumer)",
            SendError::Mismatch => "encoded for another parser or namespace",
        })
    }
}

impl std::error::Error for SendError {}

/// Lifecycle of a session, published through a watch channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseState {
    /// Open.
    Open,
    /// Closing: the queued messages and a close are being flushed.
    Closing(CloseReason),
    /// Closed for good.
    Closed(CloseReason),
}

impl CloseState {
    /// The reason, once closing or closed.
    pub fn reason(&self) -> Option<CloseReason> {
        match self {
            CloseState::Open => None,
            CloseState::Closing(r) | CloseState::Closed(r) => Some(*r),
        }
    }
}

/// What the request that opened the session looked like.
#[derive(Clone, Debug, Default)]
pub struct ConnInfo {
    /// Peer address of the opening request.
    pub remote_addr: Option<SocketAddr>,
    /// Raw query string of the opening request.
    pub query: String,
}

/// One queued outbound item.
pub(crate) enum Outgoing {
    /// An Engine.IO control packet (open, ping, noop, close); not counted against capacity.
    Control(EnginePacket),
    /// Application messages queued as one atomic batch.
    Frames(SharedFrames),
}

struct Upgrade {
    /// When the probe succeeded (`3probe` answered).
    probed_at: Option<Instant>,
}

struct State {
    life: CloseState,
    transport: TransportKind,
    outbox: VecDeque<Outgoing>,
    /// Number of `Outgoing::Frames` items in the outbox (the bounded part).
    queued: usize,
    get_pending: bool,
    /// Closed by a client POST `1` while no GET was pending: one racing GET still gets `6`.
    linger: bool,
    post_inflight: bool,
    upgrade: Option<Upgrade>,
    pong_deadline: Option<Instant>,
    /// When the next ping is due (while no pong is awaited).
    next_ping: Instant,
    /// This connection's place in its address's count of connections not yet admitted.
    slot: Option<AddressSlot>,
}

/// Registry of live sessions, shared by all actix workers.
#[derive(Default)]
pub struct SessionRegistry {
    map: RwLock<HashMap<String, Arc<EngineSession>>>,
}

impl SessionRegistry {
    /// Finds a session by sid.
    pub fn get(&self, sid: &str) -> Option<Arc<EngineSession>> {
        read(&self.map).get(sid).cloned()
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        read(&self.map).len()
    }

    /// True when there is no live session.
    pub fn is_empty(&self) -> bool {
        read(&self.map).is_empty()
    }

    /// Closes every session (the server is stopping).
    pub fn close_all(&self) {
        let sessions: Vec<_> = read(&self.map).values().cloned().collect();
        for s in sessions {
            s.close(CloseReason::ServerClose);
        }
    }

    pub(crate) fn insert(&self, session: Arc<EngineSession>) {
        write(&self.map).insert(session.sid.clone(), session);
    }

    fn remove(&self, sid: &str) {
        write(&self.map).remove(sid);
    }
}

/// Result of one look at the session by a pending polling GET.
pub(crate) enum GetStep {
    /// Answer 200 with this payload; `finalize` when it carried the close packet.
    Respond { body: String, finalize: bool },
    /// Answer 400 (the session moved to WebSocket meanwhile).
    BadRequest,
    /// Nothing yet; wait for a change (or until the instant, if given).
    Wait(Option<Instant>),
}

/// Why a polling request was refused before doing anything.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RequestRefused {
    /// The session is gone.
    UnknownSid,
    /// The session is on WebSocket now.
    BadRequest,
    /// A second GET or POST at the same time; the session was closed.
    Overlap,
}

/// Per-GET context for the upgrade window.
pub(crate) struct GetCtx {
    /// An upgrade had begun (its WebSocket was open) when this GET arrived: a client that
    /// polls after opening the WebSocket may be sending `5` at the same moment, so such a GET
    /// waits for it briefly and answers 400 if it comes. A GET from before the upgrade is the
    /// one the client waits for: it gets `6` as soon as the probe succeeds.
    entered_upgrading: bool,
    /// When this GET arrived.
    entered_at: Instant,
}

/// One Engine.IO connection.
pub struct EngineSession {
    sid: String,
    config: Arc<SocketIoConfig>,
    registry: Weak<SessionRegistry>,
    info: ConnInfo,
    state: Mutex<State>,
    /// Woken on every change a drainer (GET or WS writer) cares about.
    pub(crate) changed: Notify,
    /// Wakes the polling heartbeat: a pong came, or the session is closing.
    pong: Notify,
    /// The lifecycle as the application sees it (a close keeps the reason of the closing that
    /// came first). A lock and a `Notify` rather than a `watch` channel, which allocates its
    /// shared state apart and makes every wait on it 100 B bigger.
    lifecycle: Mutex<CloseState>,
    /// Woken whenever `lifecycle` changes, and on admission.
    lifecycle_changed: Notify,
    /// The application's queue, when it reads one (`open_inbound`); a session whose reader
    /// runs a `Conversation` has none, and saves its room.
    intake: OnceLock<Box<Intake>>,
    /// The application vouched for the connection (Socket.IO: a namespace was joined); until
    /// then messages are limited to `pre_auth_max_payload` and counted against the room.
    admitted: AtomicBool,
}

/// Batches waiting for the application, and the bytes that may still join them:
/// `pre_auth_max_payload` in all before admission, `max_inbound_bytes` after.
pub(crate) struct Intake {
    pub(crate) queue: InboundQueue,
    room: Semaphore,
}

impl fmt::Debug for EngineSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineSession")
            .field("sid", &self.sid)
            .finish()
    }
}

/// What woke the WebSocket reader other than a message.
pub(crate) enum ReaderEvent {
    /// The application vouched for the connection: its message limit goes up.
    Admitted,
    /// Closing: the application lets go at once.
    Closing,
    /// Closed for good.
    Closed,
}

/// How long, after the probe, a GET that arrived during an upgrade waits for the `5` before
/// answering `6`.
const PROBE_WINDOW: Duration = Duration::from_millis(100);

/// How long a client-closed polling session stays known for one racing GET.
const LINGER: Duration = Duration::from_secs(1);

impl EngineSession {
    pub(crate) fn new(
        sid: String,
        config: Arc<SocketIoConfig>,
        registry: &Arc<SessionRegistry>,
        transport: TransportKind,
        info: ConnInfo,
        slot: Option<AddressSlot>,
    ) -> Arc<EngineSession> {
        let next_ping = Instant::now() + config.ping_interval;
        Arc::new(EngineSession {
            sid,
            config,
            registry: Arc::downgrade(registry),
            info,
            state: Mutex::new(State {
                life: CloseState::Open,
                transport,
                outbox: VecDeque::new(),
                queued: 0,
                get_pending: false,
                linger: false,
                post_inflight: false,
                upgrade: None,
                pong_deadline: None,
                next_ping,
                slot,
            }),
            changed: Notify::new(),
            pong: Notify::new(),
            lifecycle: Mutex::new(CloseState::Open),
            lifecycle_changed: Notify::new(),
            intake: OnceLock::new(),
            admitted: AtomicBool::new(false),
        })
    }

    /// The queue the application reads this session's messages from (the one it was opened
    /// with, if it already was).
    pub(crate) fn open_inbound(self: &Arc<Self>) -> Inbound {
        self.intake.get_or_init(|| {
            Box::new(Intake {
                queue: InboundQueue::default(),
                room: Semaphore::new(room_size(&self.config, self.is_admitted())),
            })
        });
        Inbound::new(Arc::clone(self))
    }

    /// The application's queue, if it reads one.
    pub(crate) fn intake(&self) -> Option<&Intake> {
        self.intake.get().map(|i| &**i)
    }

    /// The application vouches for this connection (Socket.IO: it joined a namespace): the
    /// full `max_payload` applies from now on, and it leaves its address's waiting count.
    pub fn admit(&self) {
        if self.admitted.swap(true, Ordering::AcqRel) {
            return;
        }
        let slot = lock(&self.state).slot.take();
        drop(slot);
        let more = room_size(&self.config, true) - room_size(&self.config, false);
        if let Some(intake) = self.intake() {
            intake.room.add_permits(more);
        }
        // The WebSocket reader raises its message limit (`reader_event`).
        self.lifecycle_changed.notify_waiters();
    }

    /// Whether [`admit`](Self::admit) was called.
    pub fn is_admitted(&self) -> bool {
        self.admitted.load(Ordering::Acquire)
    }

    /// The largest message or POST body accepted now.
    pub fn message_limit(&self) -> usize {
        if self.is_admitted() {
            self.config.max_payload
        } else {
            self.config
                .pre_auth_max_payload
                .min(self.config.max_payload)
        }
    }

    /// Gives bytes of a batch the application took back to the room.
    pub(crate) fn release_room(&self, counted: u32) {
        if let Some(intake) = self.intake().filter(|_| counted > 0) {
            intake.room.add_permits(counted as usize);
        }
    }

    /// The application stopped taking batches: nobody waits for room any more.
    pub(crate) fn close_room(&self) {
        if let Some(intake) = self.intake() {
            intake.room.close();
        }
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The opening request's address and query. Its headers are not kept: a copy of the
    /// request's header map cost more than the rest of an idle session.
    pub fn info(&self) -> &ConnInfo {
        &self.info
    }

    /// The engine settings.
    pub fn config(&self) -> &SocketIoConfig {
        &self.config
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        lock(&self.state).transport
    }

    /// The lifecycle state now.
    pub fn close_state(&self) -> CloseState {
        *lock(&self.lifecycle)
    }

    /// Resolves once the session is closing or closed.
    pub(crate) async fn closing(&self) {
        self.lifecycle_reaches(|s| s != CloseState::Open).await;
    }

    /// Resolves once the session is closed for good.
    pub(crate) async fn closed(&self) {
        self.lifecycle_reaches(|s| matches!(s, CloseState::Closed(_)))
            .await;
    }

    async fn lifecycle_reaches(&self, reached: fn(CloseState) -> bool) {
        loop {
            let changed = self.lifecycle_changed.notified();
            tokio::pin!(changed);
            // Registered before the look, so that a change in between still wakes it.
            changed.as_mut().enable();
            if reached(self.close_state()) {
                return;
            }
            changed.await;
        }
    }

    /// What the WebSocket reader must act on besides the next message: admission (while it
    /// waits for it), closing (while it runs a conversation), the close. One wait for all
    /// three, written out rather than on `lifecycle_reaches`: the idle reader holds it.
    pub(crate) async fn reader_event(&self, admission: bool, closing: bool) -> ReaderEvent {
        loop {
            let changed = self.lifecycle_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.close_state() {
                CloseState::Closed(_) => return ReaderEvent::Closed,
                CloseState::Closing(_) if closing => return ReaderEvent::Closing,
                _ if admission && self.is_admitted() => return ReaderEvent::Admitted,
                _ => changed.await,
            }
        }
    }

    /// The handshake packet body (`0` + JSON) for this session.
    pub(crate) fn open_packet(&self, upgrades: bool) -> EnginePacket {
        let upgrades = if upgrades { "[\"websocket\"]" } else { "[]" };
        EnginePacket::Open(format!(
            "{{\"sid\":\"{}\",\"upgrades\":{},\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
            self.sid,
            upgrades,
            self.config.ping_interval.as_millis(),
            self.config.ping_timeout.as_millis(),
            self.config.max_payload
        ))
    }

    /// Queues one batch of messages; on overflow closes the session ("slow consumer").
    pub fn send(&self, frames: SharedFrames) -> Result<(), SendError> {
        self.send_all(vec![frames])
    }

    /// Queues several batches atomically (nothing can interleave with them).
    pub fn send_all(&self, batches: Vec<SharedFrames>) -> Result<(), SendError> {
        if batches.is_empty() {
            return Ok(());
        }
        {
            let mut st = lock(&self.state);
            if st.life != CloseState::Open {
                return Err(SendError::Closed);
            }
            if st.queued + batches.len() > self.config.outbound_capacity {
                drop(st);
                log::warn!("engine.io session {}: outbound queue full", self.sid);
                self.close(CloseReason::SlowConsumer);
                return Err(SendError::Full);
            }
            st.queued += batches.len();
            st.outbox.extend(batches.into_iter().map(Outgoing::Frames));
        }
        self.changed.notify_waiters();
        Ok(())
    }

    /// Queues a control packet (not counted against the capacity).
    pub(crate) fn send_control(&self, packet: EnginePacket) -> bool {
        {
            let mut st = lock(&self.state);
            if st.life != CloseState::Open {
                return false;
            }
            st.outbox.push_back(Outgoing::Control(packet));
        }
        self.changed.notify_waiters();
        true
    }

    /// Closes now: queued messages are dropped, a pending GET gets `1` (`6` after a client close).
    pub fn close(&self, reason: CloseReason) {
        self.close_inner(reason, false);
    }

    /// A polling client POSTed `1`. Its GET may be in flight on another connection and
    /// arrive just after (the official suite sends both at once): if none is pending, keep
    /// the sid known briefly so that one GET is answered `6` like a pending one would be.
    pub(crate) fn close_by_client(self: &Arc<Self>) {
        let linger = {
            let st = lock(&self.state);
            !st.get_pending && st.transport == TransportKind::Polling
        };
        let linger = linger && tokio::runtime::Handle::try_current().is_ok();
        self.close_inner(CloseReason::TransportClose, linger);
        if linger {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                tokio::time::sleep(LINGER).await;
                me.forget();
            });
        }
    }

    fn forget(&self) {
        lock(&self.state).linger = false;
        if let Some(reg) = self.registry.upgrade() {
            reg.remove(&self.sid);
        }
    }

    fn close_inner(&self, reason: CloseReason, linger: bool) {
        {
            let mut st = lock(&self.state);
            if let CloseState::Closed(_) = st.life {
                return;
            }
            st.life = CloseState::Closed(reason);
            st.outbox.clear();
            st.queued = 0;
            st.linger = linger;
            st.slot = None;
        }
        log::debug!("engine.io session {} closed: {reason}", self.sid);
        if !linger {
            if let Some(reg) = self.registry.upgrade() {
                reg.remove(&self.sid);
            }
        }
        // Keep the first reason visible to the app if it was closing already.
        {
            let mut life = lock(&self.lifecycle);
            *life = CloseState::Closed(life.reason().unwrap_or(reason));
        }
        self.lifecycle_changed.notify_waiters();
        self.changed.notify_waiters();
        self.pong.notify_waiters();
    }

    /// Closes after flushing what is queued: polling clients get the close packet on their next
    /// GET, WebSocket clients get a close frame after the queued messages.
    pub fn close_after_flush(self: &Arc<Self>, reason: CloseReason) {
        {
            let mut st = lock(&self.state);
            if st.life != CloseState::Open {
                return;
            }
            st.life = CloseState::Closing(reason);
            st.outbox.push_back(Outgoing::Control(EnginePacket::Close));
        }
        *lock(&self.lifecycle) = CloseState::Closing(reason);
        self.lifecycle_changed.notify_waiters();
        self.changed.notify_waiters();
        self.pong.notify_waiters();
        // A polling client that never polls again must not keep the session alive.
        let grace = self.config.ping_interval + self.config.ping_timeout;
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let me = Arc::clone(self);
                handle.spawn(async move {
                    tokio::time::sleep(grace).await;
                    me.close(reason);
                });
            }
            Err(_) => self.close(reason),
        }
    }

    /// Completes a flush-then-close once the close packet went out.
    pub(crate) fn finish_closing(&self) {
        let reason = match lock(&self.state).life {
            CloseState::Closing(r) => r,
            _ => return,
        };
        self.close(reason);
    }

    /// Lazy expiry: closes the session if its pong deadline passed. True if it is gone.
    pub(crate) fn expire_if_due(&self) -> bool {
        let due = {
            let st = lock(&self.state);
            match st.life {
                CloseState::Closed(_) => return !st.linger,
                CloseState::Closing(_) => false,
                CloseState::Open => {
                    st.upgrade.is_none() && st.pong_deadline.is_some_and(|d| d <= Instant::now())
                }
            }
        };
        if due {
            self.close(CloseReason::PingTimeout);
        }
        due
    }

    /// Records a pong: the client is alive.
    pub(crate) fn on_pong(&self) {
        {
            let mut st = lock(&self.state);
            // An unasked pong does not delay the next ping.
            if st.pong_deadline.take().is_some() {
                st.next_ping = Instant::now() + self.config.ping_interval;
            }
        }
        self.pong.notify_waiters();
    }

    /// Any packet while waiting for a pong refreshes the deadline (as the npm engine.io does).
    pub(crate) fn touch(&self) {
        let mut st = lock(&self.state);
        if st.pong_deadline.is_some() {
            st.pong_deadline = Some(Instant::now() + self.config.ping_timeout);
        }
    }

    /// Hands messages to the application (awaits room in the bounded inbound queue).
    /// The batch first waits for room: at most `pre_auth_max_payload` bytes are queued at
    /// once before admission, `max_inbound_bytes` after, however many messages the client sends.
    pub(crate) async fn deliver(&self, frames: Vec<Frame>) {
        // Only a session opened with an inbound queue has anywhere to put them; a conversation
        // is handed its messages by the reader instead.
        let Some(intake) = self.intake().filter(|_| !frames.is_empty()) else {
            return;
        };
        // A batch never exceeds the room (the transports refuse bigger ones); clamp anyway so
        // that a wait can always end.
        let room = room_size(&self.config, self.is_admitted());
        let counted = batch_bytes(&frames).min(room) as u32;
        let Ok(permit) = intake.room.acquire_many(counted).await else {
            return;
        };
        let batch = Batch { frames, counted };
        if intake
            .queue
            .push(batch, self.config.inbound_capacity)
            .await
            .is_err()
        {
            log::debug!("engine.io session {}: application gone", self.sid);
            return;
        }
        // The application gives the bytes back when it takes the batch. Until the send is
        // done the permit returns them itself, should this future be dropped halfway.
        permit.forget();
    }

    // ----- heartbeat -----

    /// One step of the heartbeat: queues a ping when one is due, closes the session when its
    /// pong is overdue, and tells when to look again (`None` once the session is closing).
    /// Whoever drives it (the polling heartbeat task or the WebSocket writer) just calls it
    /// again at that instant; a second driver finds nothing to do.
    pub(crate) fn heartbeat_step(&self, now: Instant) -> Option<Instant> {
        // Pings pause while an upgrade is in progress (the client is switching transports).
        const UPGRADE_RECHECK: Duration = Duration::from_millis(50);
        {
            let mut st = lock(&self.state);
            if st.life != CloseState::Open {
                return None;
            }
            let upgrading = st.upgrade.is_some();
            match st.pong_deadline {
                Some(deadline) if deadline > now => return Some(deadline),
                Some(_) if upgrading => return Some(now + UPGRADE_RECHECK),
                Some(_) => {}
                None if st.next_ping > now => return Some(st.next_ping),
                None if upgrading => return Some(now + UPGRADE_RECHECK),
                None => {
                    // The deadline counts from when the ping is queued, not when a GET
                    // delivers it.
                    let deadline = now + self.config.ping_timeout;
                    st.pong_deadline = Some(deadline);
                    st.outbox
                        .push_back(Outgoing::Control(EnginePacket::Ping(String::new())));
                    drop(st);
                    self.changed.notify_waiters();
                    return Some(deadline);
                }
            }
        }
        self.close(CloseReason::PingTimeout);
        None
    }

    /// The heartbeat of a polling session: the first ping `ping_interval` after open, then
    /// `ping_interval` after each pong. It ends once the session is on WebSocket, whose writer
    /// drives the heartbeat from then on.
    pub(crate) async fn heartbeat(self: Arc<Self>) {
        loop {
            let notified = self.pong.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.transport() == TransportKind::Websocket {
                return;
            }
            let Some(at) = self.heartbeat_step(Instant::now()) else {
                return;
            };
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(at) => {}
            }
        }
    }

    // ----- polling -----

    /// Starts a GET; a second concurrent GET closes the session.
    pub(crate) fn begin_get(&self) -> Result<GetCtx, RequestRefused> {
        let refused = {
            let mut st = lock(&self.state);
            if let CloseState::Closed(_) = st.life {
                if !st.linger {
                    return Err(RequestRefused::UnknownSid);
                }
                // The one racing GET after a client close: answered `6`, then the sid is gone.
                drop(st);
                self.forget();
                return Ok(GetCtx {
                    entered_upgrading: false,
                    entered_at: Instant::now(),
                });
            }
            if st.transport != TransportKind::Polling {
                return Err(RequestRefused::BadRequest);
            }
            if st.get_pending {
                true
            } else {
                st.get_pending = true;
                return Ok(GetCtx {
                    entered_upgrading: st.upgrade.is_some(),
                    entered_at: Instant::now(),
                });
            }
        };
        if refused {
            self.close(CloseReason::TransportError);
        }
        Err(RequestRefused::Overlap)
    }

    /// Ends a GET (called from a drop guard, so it runs even if actix drops the handler).
    pub(crate) fn end_get(&self) {
        lock(&self.state).get_pending = false;
    }

    /// One look at the session for a pending GET.
    pub(crate) fn get_step(&self, ctx: &GetCtx) -> GetStep {
        let mut st = lock(&self.state);
        match st.life {
            CloseState::Closed(reason) => {
                let body = if reason == CloseReason::TransportClose {
                    "6"
                } else {
                    "1"
                };
                GetStep::Respond {
                    body: body.to_owned(),
                    finalize: false,
                }
            }
            CloseState::Closing(_) => {
                let body = drain_payload(&mut st);
                GetStep::Respond {
                    body,
                    finalize: true,
                }
            }
            CloseState::Open => {
                if st.transport != TransportKind::Polling {
                    return GetStep::BadRequest;
                }
                if let Some(probed_at) = st.upgrade.as_ref().and_then(|u| u.probed_at) {
                    // Release the poll so the client can finish the upgrade; data waits for
                    // the WebSocket.
                    let window_end = ctx.entered_at.max(probed_at) + PROBE_WINDOW;
                    if !ctx.entered_upgrading || Instant::now() >= window_end {
                        return GetStep::Respond {
                            body: "6".to_owned(),
                            finalize: false,
                        };
                    }
                    return GetStep::Wait(Some(window_end));
                }
                if st.outbox.is_empty() {
                    return GetStep::Wait(None);
                }
                let body = drain_payload(&mut st);
                GetStep::Respond {
                    body,
                    finalize: false,
                }
            }
        }
    }

    /// Starts a POST; a second concurrent POST closes the session.
    pub(crate) fn begin_post(&self) -> Result<(), RequestRefused> {
        let overlap = {
            let mut st = lock(&self.state);
            if let CloseState::Closed(_) = st.life {
                return Err(RequestRefused::UnknownSid);
            }
            if st.transport != TransportKind::Polling {
                return Err(RequestRefused::BadRequest);
            }
            if st.post_inflight {
                true
            } else {
                st.post_inflight = true;
                return Ok(());
            }
        };
        if overlap {
            self.close(CloseReason::TransportError);
        }
        Err(RequestRefused::Overlap)
    }

    /// Ends a POST (drop guard).
    pub(crate) fn end_post(&self) {
        lock(&self.state).post_inflight = false;
    }

    // ----- websocket -----

    /// Takes everything queued for the WebSocket writer. The queue's buffer goes with it, so an
    /// idle session holds none.
    pub(crate) fn drain_for_ws(&self) -> (VecDeque<Outgoing>, CloseState) {
        let mut st = lock(&self.state);
        if let CloseState::Closed(_) = st.life {
            return (VecDeque::new(), st.life);
        }
        if st.transport != TransportKind::Websocket {
            return (VecDeque::new(), st.life);
        }
        st.queued = 0;
        (std::mem::take(&mut st.outbox), st.life)
    }

    /// Marks the start of a polling → WebSocket upgrade; false if not allowed now.
    pub(crate) fn begin_upgrade(&self) -> bool {
        let mut st = lock(&self.state);
        if st.life != CloseState::Open
            || st.transport != TransportKind::Polling
            || st.upgrade.is_some()
        {
            return false;
        }
        st.upgrade = Some(Upgrade { probed_at: None });
        true
    }

    /// The probe succeeded: release any pending GET with a noop.
    pub(crate) fn mark_probed(&self) {
        if let Some(up) = lock(&self.state).upgrade.as_mut() {
            up.probed_at = Some(Instant::now());
        }
        self.changed.notify_waiters();
    }

    /// The client sent `5`: the WebSocket becomes the transport.
    pub(crate) fn complete_upgrade(&self) -> bool {
        {
            let mut st = lock(&self.state);
            if st.life != CloseState::Open || st.upgrade.is_none() {
                return false;
            }
            st.upgrade = None;
            st.transport = TransportKind::Websocket;
        }
        self.changed.notify_waiters();
        true
    }

    /// The probe failed: the session stays on polling.
    pub(crate) fn abort_upgrade(&self) {
        lock(&self.state).upgrade = None;
        self.changed.notify_waiters();
    }
}

/// Bytes a connection may have queued for the application, before or after admission.
fn room_size(config: &SocketIoConfig, admitted: bool) -> usize {
    let pre = config.pre_auth_max_payload.clamp(1, u32::MAX as usize);
    let size = if admitted {
        // Never below what one message may carry, nor below the pre-admission room.
        config
            .max_inbound_bytes
            .max(config.max_payload)
            .clamp(pre, u32::MAX as usize)
    } else {
        pre
    };
    size.min(Semaphore::MAX_PERMITS)
}

/// Builds a polling payload of everything queued and empties the queue.
fn drain_payload(st: &mut State) -> String {
    let mut body = String::new();
    for item in st.outbox.drain(..) {
        match item {
            Outgoing::Control(p) => push_payload_packet(&mut body, &p),
            Outgoing::Frames(frames) => {
                for f in frames.as_ref().as_ref() {
                    push_payload_frame(&mut body, f);
                }
            }
        }
    }
    st.queued = 0;
    body
}
