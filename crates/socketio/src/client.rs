//! One Socket.IO client per Engine.IO session: decodes packets in order, runs the
//! namespace state rules (CONNECT / DISCONNECT / EVENT / ACK), the connect timeout, the
//! attachment timeout, and disconnects every socket when the connection ends. Joining a
//! namespace admits the Engine.IO session (its full size limits apply from then on).

use super::admission::Inbound;
use super::engine::{new_id, BoxFuture, Conversation};
use super::engine_packet::Frame;
use super::handler::DisconnectReason;
use super::io::IoInner;
use super::packet::{connect_error_data, Packet, PacketType};
use super::parser::{Decoder, Encoded, ParserKind};
use super::session::{CloseReason, EngineSession};
use super::socket::{AckResponder, Socket};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The Socket.IO side of one connection. On a WebSocket-only session the transport's reader
/// runs it directly (as a [`Conversation`]); a polling session feeds it from its task, [`run`].
pub(crate) struct Client {
    io: Arc<IoInner>,
    engine: Arc<EngineSession>,
    decoder: Decoder,
    /// The namespaces joined: one or two, so a list (each socket knows its namespace).
    sockets: Vec<Socket>,
    permits: Arc<Semaphore>,
    /// When a namespace must have been joined; `None` once that was checked.
    connect_due: Option<Instant>,
    /// When the packet now waiting for attachments must be complete.
    attachments_due: Option<Instant>,
}

impl Client {
    /// A client for a session that just opened.
    pub(crate) fn new(io: Arc<IoInner>, engine: Arc<EngineSession>) -> Client {
        let config = &io.config;
        Client {
            decoder: Decoder::new(config.max_attachments)
                .with_attachment_bytes(config.max_attachment_bytes),
            connect_due: Some(Instant::now() + config.connect_timeout),
            attachments_due: None,
            sockets: Vec::new(),
            permits: Arc::new(Semaphore::new(
                config.handler_concurrency.clamp(1, Semaphore::MAX_PERMITS),
            )),
            io,
            engine,
        }
    }

    /// Handles one batch of messages in order; an error is the reason to close the session.
    async fn handle(&mut self, frames: Vec<Frame>) -> Result<(), CloseReason> {
        for frame in frames {
            // Boxed: a packet's handling (a namespace join runs the handler's on_connect)
            // would otherwise size the idle connection for good.
            Box::pin(self.on_frame(frame)).await?;
        }
        self.attachments_due = match self.attachments_due {
            _ if !self.decoder.is_pending() => None,
            Some(due) => Some(due),
            None => Some(Instant::now() + self.io.config.attachment_timeout),
        };
        Ok(())
    }

    /// The next deadline: the connect timeout, then attachments still to come.
    fn next_deadline(&self) -> Option<Instant> {
        [self.connect_due, self.attachments_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Acts on the deadlines that passed; an error is the reason to close the session.
    fn deadline_passed(&mut self, now: Instant) -> Result<(), CloseReason> {
        if self.attachments_due.is_some_and(|d| d <= now) {
            // Announced attachments that do not come must not be held for ever.
            log::debug!(
                "socket.io connection {}: attachments not complete in time",
                self.engine.sid()
            );
            return Err(CloseReason::ParseError);
        }
        if self.connect_due.is_some_and(|d| d <= now) {
            self.connect_due = None;
            self.prune();
            if self.sockets.is_empty() {
                // No namespace joined in time (the reference's connectTimeout).
                self.engine.close_after_flush(CloseReason::ServerClose);
            }
        }
        Ok(())
    }

    /// The connection ended: every socket on it disconnects.
    fn end(&mut self, reason: CloseReason) {
        let reason = DisconnectReason::from(reason);
        for socket in self.sockets.drain(..) {
            socket.finish(reason, false, true);
        }
    }
}

impl Conversation for Client {
    fn on_frames(&mut self, frames: Vec<Frame>) -> BoxFuture<'_, Result<(), CloseReason>> {
        Box::pin(self.handle(frames))
    }

    fn deadline(&self) -> Option<Instant> {
        self.next_deadline()
    }

    fn on_deadline(&mut self, now: Instant) -> Result<(), CloseReason> {
        self.deadline_passed(now)
    }

    fn finish(mut self: Box<Self>, reason: CloseReason) {
        self.end(reason);
    }
}

/// Runs the client of a polling session until the connection closes.
pub(crate) async fn run(io: Arc<IoInner>, engine: Arc<EngineSession>, mut inbound: Inbound) {
    let mut client = Client::new(io, Arc::clone(&engine));
    // One timer serves both deadlines: each `Sleep` held by an idle connection costs it 112 B.
    let timer = tokio::time::sleep_until(Instant::now());
    tokio::pin!(timer);
    let reason = loop {
        let due = client.next_deadline();
        if let Some(due) = due {
            if timer.deadline() != due {
                timer.as_mut().reset(due);
            }
        }
        let step = tokio::select! {
            batch = inbound.recv() => match batch {
                Some(frames) => client.handle(frames).await,
                None => Err(CloseReason::TransportClose),
            },
            _ = &mut timer, if due.is_some() => client.deadline_passed(Instant::now()),
            _ = engine.closing() => {
                break engine.close_state().reason().unwrap_or(CloseReason::TransportClose);
            }
        };
        if let Err(reason) = step {
            engine.close(reason);
            break reason;
        }
    };
    client.end(reason);
}

impl Client {
    /// The socket joined to `nsp`, if any.
    fn joined(&self, nsp: &str) -> Option<&Socket> {
        self.sockets.iter().find(|s| s.namespace() == nsp)
    }

    /// Forgets sockets the server disconnected meanwhile.
    fn prune(&mut self) {
        self.sockets.retain(|s| s.connected());
    }

    fn parser(&self) -> ParserKind {
        self.decoder.kind().unwrap_or(ParserKind::Json)
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), CloseReason> {
        let sockets = &self.sockets;
        let joined = |nsp: &str| {
            sockets
                .iter()
                .any(|s| s.namespace() == nsp && s.connected())
        };
        match self.decoder.feed_for(frame, joined) {
            Ok(Some(packet)) => self.dispatch(packet).await,
            Ok(None) => Ok(()),
            Err(e) => {
                log::debug!("socket.io connection {}: {e}", self.engine.sid());
                Err(CloseReason::ParseError)
            }
        }
    }

    async fn dispatch(&mut self, packet: Packet) -> Result<(), CloseReason> {
        self.sockets
            .retain(|s| s.namespace() != packet.nsp || s.connected());
        if packet.kind == PacketType::Connect {
            // A second CONNECT for a joined namespace breaks the state rules.
            if self.joined(&packet.nsp).is_some() {
                return Err(CloseReason::ParseError);
            }
            self.connect(packet).await;
            return Ok(());
        }
        // Anything else needs a joined namespace.
        let Some(socket) = self.joined(&packet.nsp).cloned() else {
            return Err(CloseReason::ParseError);
        };
        match packet.kind {
            PacketType::Disconnect => {
                self.sockets.retain(|s| s.namespace() != packet.nsp);
                socket.finish(DisconnectReason::ClientNamespaceDisconnect, false, true);
                Ok(())
            }
            PacketType::Event | PacketType::BinaryEvent => {
                let id = packet.id;
                let Some((event, args)) = packet.into_event() else {
                    return Err(CloseReason::ParseError);
                };
                let ack = id.map(|id| AckResponder::new(socket.clone(), id));
                // Bounded concurrency: waiting here back-pressures the transport.
                let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
                let fut = socket.handler().on_event(socket, event, args, ack);
                tokio::spawn(async move {
                    fut.await;
                    drop(permit);
                });
                Ok(())
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let id = packet.id;
                match (id, packet.into_ack_payload()) {
                    (Some(id), Some(payload)) => socket.resolve_ack(id, payload),
                    (_, None) => return Err(CloseReason::ParseError),
                    // An ack without id answers nothing; ignore it.
                    (None, Some(_)) => {}
                }
                Ok(())
            }
            PacketType::ConnectError | PacketType::Connect => Err(CloseReason::ParseError),
        }
    }

    async fn connect(&mut self, packet: Packet) {
        let parser = self.parser();
        let Some(handler) = self.io.namespace(&packet.nsp) else {
            let refusal =
                Packet::connect_error(&packet.nsp, connect_error_data("Invalid namespace", None));
            let _ = self.engine.send(Arc::new(Encoded::new(parser, &refusal)));
            return;
        };
        let socket = Socket::new(
            new_id(),
            packet.nsp.clone(),
            parser,
            Arc::clone(&self.engine),
            Arc::clone(&self.io),
            Arc::clone(&handler),
        );
        match handler.on_connect(socket.clone(), packet.data).await {
            Ok(()) => {
                // Before the CONNECT reply goes out, so that the client's first emit after it
                // already meets the full limits.
                self.engine.admit();
                // False if the handler already disconnected it from inside on_connect.
                if socket.activate() {
                    self.sockets.reserve_exact(1);
                    self.sockets.push(socket);
                } else {
                    // Its on_connect succeeded, so the handler still hears that it left: what
                    // on_connect set up (a listener, a place under a cap) must be released.
                    handler.on_disconnect(socket, DisconnectReason::ServerNamespaceDisconnect);
                }
            }
            Err(data) => socket.reject(data),
        }
    }
}
