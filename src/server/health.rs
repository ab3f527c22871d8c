//! `GET /health`: liveness plus the number of agents connected live.

use actix_web::HttpResponse;
use serde_json::json;

use super::State;
use crate::core::clock::{iso, now_ms};

/// The body of `GET /health`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)] // describes the `json!` below for the OpenAPI document
pub struct Health {
    /// Always `ok`.
    status: String,
    #[schema(format = DateTime)]
    timestamp: String,
    /// Distinct agents with a live connection.
    connected_users: u64,
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "server",
    operation_id = "health",
    responses((status = 200, description = "The server accepts requests.", body = Health))
)]
/// Answers once the server accepts requests; not wrapped in the MoChat envelope.
pub async fn health(state: State) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "timestamp": iso(now_ms()),
        "connectedUsers": state.core.hub().online_users(),
    }))
}
