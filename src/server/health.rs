//! `GET /health`: liveness plus the number of agents connected live.

use actix_web::HttpResponse;
use serde_json::json;

use super::State;
use crate::core::clock::{iso, now_ms};

/// Answers once the server accepts requests; not wrapped in the MoChat envelope.
pub async fn health(state: State) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "timestamp": iso(now_ms()),
        "connectedUsers": state.core.hub().online_users(),
    }))
}
