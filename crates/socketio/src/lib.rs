//! Engine.IO v4 + Socket.IO v5 server on actix-web and agentgate's WebSocket
//! ([`agentgate_websocket`]). Knows nothing about the
//! application: it speaks the protocols and hands sockets, events and acks to handlers.
//!
//! # Mounting
//! ```text
//! let io = SocketIo::new(SocketIoConfig::default());      // once, outside the factory
//! io.ns("/", Arc::new(MyHandler { .. }));                  // NamespaceHandler impl
//! server::http::listen(Server::build(), listener, move |cfg| io.configure("/socket.io/")(cfg))
//! ```
//! The registry lives in `SocketIo`/`Engine` (one `Arc`), so every actix worker sees every
//! session. A bare Engine.IO endpoint (no Socket.IO) is `Engine::new(config, app)` +
//! `configure_engine(cfg, path, engine)`; `EchoApp` is the conformance suite's echo.
//!
//! # Application interface
//! - [`NamespaceHandler`]: `on_connect(socket, auth) -> Result<(), connect_error_data>`,
//!   `on_event(socket, event, args: Payload, ack: Option<AckResponder>)`,
//!   `on_disconnect(socket, DisconnectReason)`. Emits made inside `on_connect` are sent
//!   right after the CONNECT reply. Event handlers of one connection run concurrently
//!   (bounded by `handler_concurrency`); acks from the client are resolved without waiting
//!   for them.
//! - [`Payload`]: `args: Vec<serde_json::Value>` + `attachments: Vec<Bytes>`; binary values
//!   are `{"_placeholder":true,"num":i}` in `args`. Both parsers round-trip it exactly
//!   (the default parser sends placeholders + attachments; msgpack sends native `bin`).
//!   Deviation from a `Vec<Payload>` per argument: attachment numbers are global to the
//!   packet on the wire, so they live once per event.
//! - [`Socket`]: `id()`, `namespace()`, `parser()`, `emit()`, `emit_with_ack()`,
//!   `send_encoded(encode_event(parser, nsp, event, &payload))`, `disconnect()`,
//!   `close_connection()`, `insert_ext/ext/remove_ext` (typed per-socket slots), `info()`.
//! - [`SocketIo`]: `ns()`, `socket(id)`, `disconnect_socket(id)`, `close_connection(id)`,
//!   `socket_count()`, `connection_count()`, `configure(path)`.
//!
//! # Transport behaviour
//! Parser per connection: the client's first Socket.IO packet decides (text → default JSON
//! parser, binary → msgpack); all later packets on that connection use it. Each connection
//! has a bounded outbound queue (`outbound_capacity` batches); overflow closes it with
//! [`DisconnectReason::SlowConsumer`] and `emit` returns `Err(SendError::Full)`.

// No panicking shortcuts outside tests: malformed input must never take a worker down.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)
)]
// Every public item carries a doc line.
#![warn(missing_docs)]

mod admission;
mod client;
pub mod config;
pub mod engine;
pub mod engine_packet;
pub mod handler;
mod io;
pub mod packet;
pub mod parser;
pub mod parser_json;
pub mod parser_msgpack;
mod polling;
pub mod routes;
pub mod session;
pub mod socket;
mod websocket;

pub use admission::Inbound;
pub use config::SocketIoConfig;
pub use engine::{EchoApp, Engine, EngineApp, TooManyWaiting};
pub use engine_packet::Frame;
pub use handler::{BoxFuture, DisconnectReason, NamespaceHandler};
pub use io::SocketIo;
pub use packet::{connect_error_data, Packet, PacketType, ParseError, Payload};
pub use parser::{encode_event, Encoded, ParserKind};
pub use routes::configure_engine;
pub use session::{CloseReason, ConnInfo, EngineSession, SendError, TransportKind};
pub use socket::{AckError, AckResponder, Socket};
