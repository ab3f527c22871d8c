//! The raw WebSocket channels: personal notifications and the town square.

use actix_web::web;

/// Registers the WebSocket endpoints.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
