//! The application-facing namespace handler trait and disconnect reasons.

use super::packet::Payload;
use super::session::CloseReason;
use super::socket::{AckResponder, Socket};
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed `Send` future, as returned by handler methods.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Handles one namespace. Register it with `SocketIo::ns`; unregistered namespaces are
/// refused with CONNECT_ERROR `{"message":"Invalid namespace"}`.
pub trait NamespaceHandler: Send + Sync + 'static {
    /// A client asks to join. `auth` is the CONNECT payload (`None` if it sent none).
    /// `Err(data)` refuses with CONNECT_ERROR carrying `data` (see `connect_error_data`).
    /// Emits made before this resolves are delivered right after the CONNECT reply.
    fn on_connect(&self, socket: Socket, auth: Option<Value>) -> BoxFuture<Result<(), Value>>;

    /// An event arrived. `ack` is set when the client expects an answer; dropping it
    /// unanswered sends `[]` when `SocketIoConfig::auto_ack` is on. Handlers of one
    /// connection run concurrently (up to `handler_concurrency`).
    fn on_event(
        &self,
        socket: Socket,
        event: String,
        args: Payload,
        ack: Option<AckResponder>,
    ) -> BoxFuture<()>;

    /// The socket left (called once, only for sockets whose `on_connect` succeeded).
    /// Runs on the connection's task: keep it short and non-blocking.
    fn on_disconnect(&self, socket: Socket, reason: DisconnectReason) {
        let _ = (socket, reason);
    }
}

/// Why a socket left its namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The client closed the connection.
    TransportClose,
    /// A transport error (duplicate poll, socket error, oversized message).
    TransportError,
    /// The client stopped answering pings.
    PingTimeout,
    /// The client sent an invalid packet.
    ParseError,
    /// The server closed the whole connection.
    ServerClose,
    /// The outbound queue overflowed; the connection was closed.
    SlowConsumer,
    /// The client sent DISCONNECT for this namespace.
    ClientNamespaceDisconnect,
    /// The server called `Socket::disconnect`.
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// The reference server's wording (plus "slow consumer").
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ServerClose => "forced server close",
            DisconnectReason::SlowConsumer => "slow consumer",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(r: CloseReason) -> Self {
        match r {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ServerClose => DisconnectReason::ServerClose,
            CloseReason::SlowConsumer => DisconnectReason::SlowConsumer,
        }
    }
}
