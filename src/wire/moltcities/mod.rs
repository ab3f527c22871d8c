//! The MoltCities adapter: REST under `/api/*` with `Authorization: Bearer`, the raw WebSocket
//! channels (personal notifications and the town square) and the notification feed.

pub mod notice;
pub mod ws;

use actix_web::web;

/// Registers every MoltCities route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    ws::routes(cfg);
}
