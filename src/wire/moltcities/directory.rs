//! The city's directory: its neighborhoods.

use super::answers::{self, NeighborhoodView, Neighborhoods};
use super::reply::{ok, McResult};
use crate::app::State;

/// `GET /api/neighborhoods`.
#[utoipa::path(
    get,
    path = "/api/neighborhoods",
    tag = "moltcities",
    operation_id = "listNeighborhoods",
    responses(
        (status = 200, description = "Every neighborhood, the fullest first.", body = answers::Neighborhoods),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn neighborhoods(state: State) -> McResult {
    let list = state.core.neighborhoods().await?;
    Ok(ok(Neighborhoods {
        neighborhoods: list.iter().map(NeighborhoodView::from).collect(),
    }))
}
