//! One Socket.IO client per Engine.IO session: decodes packets in order, runs the
//! namespace state rules (CONNECT / DISCONNECT / EVENT / ACK), the connect timeout, the
//! attachment timeout, and disconnects every socket when the connection ends. Joining a
//! namespace admits the Engine.IO session (its full size limits apply from then on).

use super::admission::Inbound;
use super::engine::new_id;
use super::engine_packet::Frame;
use super::handler::DisconnectReason;
use super::io::IoInner;
use super::packet::{connect_error_data, Packet, PacketType};
use super::parser::{Decoder, Encoded, ParserKind};
use super::session::{CloseReason, EngineSession};
use super::socket::{AckResponder, Socket};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::time::Instant;

struct Client {
    io: Arc<IoInner>,
    engine: Arc<EngineSession>,
    decoder: Decoder,
    sockets: HashMap<String, Socket>,
    permits: Arc<Semaphore>,
    /// When the packet now waiting for attachments must be complete.
    attachments_due: Option<Instant>,
}

/// Runs the client until the connection closes.
pub(crate) async fn run(io: Arc<IoInner>, engine: Arc<EngineSession>, mut inbound: Inbound) {
    let config = Arc::clone(&io.config);
    let mut client = Client {
        decoder: Decoder::new(config.max_attachments)
            .with_attachment_bytes(config.max_attachment_bytes),
        attachments_due: None,
        sockets: HashMap::new(),
        permits: Arc::new(Semaphore::new(
            config.handler_concurrency.clamp(1, Semaphore::MAX_PERMITS),
        )),
        io,
        engine: Arc::clone(&engine),
    };
    let connect_due = Instant::now() + config.connect_timeout;
    let mut connect_checked = false;
    // One timer serves both deadlines (the connect timeout, attachments still to come): each
    // `Sleep` held by an idle connection costs it 112 B.
    let timer = tokio::time::sleep_until(connect_due);
    tokio::pin!(timer);
    let reason = 'run: loop {
        let due = [
            (!connect_checked).then_some(connect_due),
            client.attachments_due,
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(due) = due {
            if timer.deadline() != due {
                timer.as_mut().reset(due);
            }
        }
        tokio::select! {
            batch = inbound.recv() => {
                let Some(frames) = batch else { break 'run CloseReason::TransportClose };
                for frame in frames {
                    // Boxed: a packet's handling (a namespace join runs the handler's
                    // on_connect) would otherwise size this idle task for good.
                    if let Err(reason) = Box::pin(client.on_frame(frame)).await {
                        engine.close(reason);
                        break 'run reason;
                    }
                }
                client.attachments_due = match client.attachments_due {
                    _ if !client.decoder.is_pending() => None,
                    Some(due) => Some(due),
                    None => Some(Instant::now() + config.attachment_timeout),
                };
            }
            _ = &mut timer, if due.is_some() => {
                let now = Instant::now();
                if client.attachments_due.is_some_and(|d| d <= now) {
                    // Announced attachments that do not come must not be held for ever.
                    log::debug!(
                        "socket.io connection {}: attachments not complete in time",
                        engine.sid()
                    );
                    engine.close(CloseReason::ParseError);
                    break 'run CloseReason::ParseError;
                }
                if !connect_checked && connect_due <= now {
                    connect_checked = true;
                    client.prune();
                    if client.sockets.is_empty() {
                        // No namespace joined in time (the reference's connectTimeout).
                        engine.close_after_flush(CloseReason::ServerClose);
                    }
                }
            }
            _ = engine.closing() => {
                let reason = engine.close_state().reason();
                break 'run reason.unwrap_or(CloseReason::TransportClose);
            }
        }
    };
    let reason = DisconnectReason::from(reason);
    for (_, socket) in client.sockets.drain() {
        socket.finish(reason, false, true);
    }
}

impl Client {
    /// Forgets sockets the server disconnected meanwhile.
    fn prune(&mut self) {
        self.sockets.retain(|_, s| s.connected());
    }

    fn parser(&self) -> ParserKind {
        self.decoder.kind().unwrap_or(ParserKind::Json)
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), CloseReason> {
        let sockets = &self.sockets;
        let joined = |nsp: &str| sockets.get(nsp).is_some_and(|s| s.connected());
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
        if self
            .sockets
            .get(&packet.nsp)
            .is_some_and(|s| !s.connected())
        {
            self.sockets.remove(&packet.nsp);
        }
        if packet.kind == PacketType::Connect {
            // A second CONNECT for a joined namespace breaks the state rules.
            if self.sockets.contains_key(&packet.nsp) {
                return Err(CloseReason::ParseError);
            }
            self.connect(packet).await;
            return Ok(());
        }
        // Anything else needs a joined namespace.
        let Some(socket) = self.sockets.get(&packet.nsp).cloned() else {
            return Err(CloseReason::ParseError);
        };
        match packet.kind {
            PacketType::Disconnect => {
                self.sockets.remove(&packet.nsp);
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
                    self.sockets.insert(packet.nsp, socket);
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
