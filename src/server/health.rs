//! `GET /health`: liveness plus the number of agents connected live.

use actix_web::HttpResponse;
use serde::Serialize;

use super::State;
use crate::core::clock::{iso, now_ms};

/// The body of `GET /health`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `ok`.
    status: &'static str,
    #[schema(format = DateTime)]
    timestamp: String,
    /// Distinct agents with a live connection.
    connected_users: usize,
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
    HttpResponse::Ok().json(Health {
        status: "ok",
        timestamp: iso(now_ms()),
        connected_users: state.core.hub().online_users(),
    })
}
