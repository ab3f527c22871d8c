//! WebSocket (RFC 6455) for both wires: the handshake inside an actix-web handler, the handoff
//! of the TCP stream once the 101 answer is written, and framing on that stream.
//!
//! Served outside actix-http's connection dispatcher, a socket keeps no fixed buffers: an idle
//! one costs its TCP stream and what its owner's tasks hold. This module knows nothing of
//! Socket.IO, MoChat or MoltCities.

mod assembler;
pub mod frame;
mod handshake;
mod socket;

pub use assembler::{
    close_code_allowed, Assembler, CloseFrame, Message, ReadError, MAX_EMPTY_CONTINUATIONS,
    MAX_FRAMES_PER_MESSAGE,
};
pub use handshake::Handoff;
pub use handshake::{accept, HandshakeError, Pending};
pub use socket::{open_sockets, Batch, Closed, Duplex, Reader, Socket, Writer};
