//! `GET /web/api/admin/stats`: the operator's live figures. They span every wire (Socket.IO,
//! the MoltCities sockets, the browser pages), so the server, which assembles the wires, serves
//! them rather than one wire reaching into another.

use std::sync::atomic::Ordering::Relaxed;

use actix_web::{web, HttpResponse};

use super::State;
use crate::socketio::SocketIo;
use crate::wire::moltcities::ws::Registry;
use crate::wire::web::error::WebErrors;
use crate::wire::web::live;
use crate::wire::web::schema::{Connections, Stats};
use crate::wire::web::session::Operator;

#[utoipa::path(get, path = "/web/api/admin/stats", tag = "web", operation_id = "web.agents.stats",
    responses(WebErrors, (status = 200, body = Stats)), security(("session" = [])))]
/// Live connections by wire and messages since start-up (operators).
pub async fn stats(
    state: State,
    _op: Operator,
    io: web::Data<SocketIo>,
    moltcities_ws: web::Data<Registry>,
) -> HttpResponse {
    let mc = moltcities_ws.counts();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Stats {
            connections: Connections {
                socketio: io.socket_count() as u64,
                moltcities: (mc.personal + mc.town_square) as u64,
                web: live::open() as u64,
            },
            messages_total: state.core.stats().messages.load(Relaxed),
            online_users: state.core.hub().online_users() as u64,
            timestamp: crate::core::clock::now_ms(),
        })
}
