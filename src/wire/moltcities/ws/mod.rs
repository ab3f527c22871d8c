//! The raw WebSocket channels: personal notifications and the town square
//! (`docs/api/moltcities-websocket.md` describes the protocol as served).
//!
//! Each socket has two tasks: the session task (reads client frames, takes hub events, checks
//! idleness) and a writer task draining the socket's bounded outbound queue. Sockets are known
//! to a process-wide [`Registry`] for displacement, town-square presence and the status counts.

pub mod frames;
pub mod link;
mod personal;
pub mod registry;
mod session;
pub(crate) mod status;
pub mod town_square;
mod upgrade;

use actix_web::web;

pub use registry::Registry;

/// The largest client message, in bytes (one frame, or continuations together); a larger one
/// closes the socket with 1009, since the rest of the frame cannot be skipped reliably.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Registers the WebSocket endpoints and `GET /api/ws/status`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/ws/status", web::get().to(status::status));
    // Any method: a plain HTTP request of any kind is answered 426, as the real server does.
    for path in ["/api/notifications/connect", "/api/ws", "/ws"] {
        cfg.route(path, web::route().to(upgrade::connect));
    }
}
