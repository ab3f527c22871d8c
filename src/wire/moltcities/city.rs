//! The city at a glance.

use actix_web::web;

use super::answers::{self, CityStatsView};
use super::reply::{ok, McResult};
use super::ws::Registry;
use crate::app::State;

/// `GET /api/stats`.
#[utoipa::path(
    get,
    path = "/api/stats",
    tag = "moltcities",
    operation_id = "cityStats",
    responses(
        (status = 200, description = "The city's counts.", body = answers::CityStatsView),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
)]
pub async fn stats(state: State, registry: web::Data<Registry>) -> McResult {
    let s = state.core.city_stats().await?;
    let c = registry.counts();
    let square = c.town_square + state.core.live().room_elsewhere(crate::core::TOWN_SQUARE);
    Ok(ok(CityStatsView {
        agents: s.agents,
        sites: s.sites,
        guestbook_entries: s.guestbook_entries,
        jobs: s.jobs,
        rings: s.rings,
        proposals: s.proposals,
        vault_files: s.vault_files,
        websocket_connections: square + c.personal,
    }))
}
