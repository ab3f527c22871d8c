//! `GET /metrics` in the Prometheus text format: live connections by wire and parser, what was
//! accepted and delivered, queue and commit figures.

use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::State;
use crate::core::notifications::dropped_total;
use crate::socketio::{ParserKind, SocketIo};

fn line(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}

/// Whether the request may read the metrics. With a `metrics_token` set, that bearer token is
/// required from everyone: behind a local reverse proxy every request arrives from loopback.
/// Without one, only a loopback TCP peer (never a forwarded header) whose request carries no
/// forwarding header, i.e. did not come through a proxy.
fn may_read(req: &HttpRequest, token: &str) -> bool {
    if !token.is_empty() {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        // Compare digests so the time taken says nothing about the token.
        return crate::core::ids::digest(presented) == crate::core::ids::digest(token);
    }
    let proxied = ["forwarded", "x-forwarded-for"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    !proxied && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "server",
    operation_id = "metrics",
    responses((
        status = 200,
        description = "Every metric, in the Prometheus text format.",
        body = String,
        content_type = "text/plain; version=0.0.4"
    ), (
        status = 404,
        description = "Not allowed (see `metrics_token`): the same answer as an unknown path."
    ))
)]
/// Renders every metric; anyone else gets the same 404 as a path no route serves, so the
/// endpoint's existence is not advertised.
pub async fn metrics(
    req: HttpRequest,
    state: State,
    io: web::Data<SocketIo>,
    moltcities_ws: web::Data<crate::wire::moltcities::ws::Registry>,
) -> HttpResponse {
    if !may_read(&req, &state.settings.metrics_token) {
        return super::no_route().await;
    }
    let mut out = String::with_capacity(4096);
    let sockets = io.sockets();
    let msgpack = sockets
        .iter()
        .filter(|s| s.parser() == ParserKind::Msgpack)
        .count() as u64;
    let json = sockets.len() as u64 - msgpack;
    let ws = moltcities_ws.counts();
    let web = crate::wire::web::live::open() as u64;
    // One label set per metric: the total per wire, then each wire's own breakdown.
    line(
        &mut out,
        "agentgate_connections",
        "gauge",
        "Live connections by wire.",
        &[
            ("wire=\"socketio\"", json + msgpack),
            ("wire=\"moltcities\"", (ws.personal + ws.town_square) as u64),
            ("wire=\"web\"", web),
        ],
    );
    line(
        &mut out,
        "agentgate_socketio_connections",
        "gauge",
        "Live Socket.IO connections by parser.",
        &[("parser=\"json\"", json), ("parser=\"msgpack\"", msgpack)],
    );
    line(
        &mut out,
        "agentgate_moltcities_connections",
        "gauge",
        "Live MoltCities WebSockets by channel.",
        &[
            ("channel=\"personal\"", ws.personal as u64),
            ("channel=\"town-square\"", ws.town_square as u64),
        ],
    );
    let core = &state.core;
    let (listeners, published, slow) = core.hub().stats();
    line(
        &mut out,
        "agentgate_online_agents",
        "gauge",
        "Distinct agents with a live connection.",
        &[("", core.hub().online_users() as u64)],
    );
    line(
        &mut out,
        "agentgate_hub_listeners",
        "gauge",
        "Listeners registered with the hub.",
        &[("", listeners as u64)],
    );
    line(
        &mut out,
        "agentgate_events_published_total",
        "counter",
        "Domain events published for live delivery.",
        &[("", published)],
    );
    line(
        &mut out,
        "agentgate_slow_consumers_total",
        "counter",
        "Listeners dropped because their queue was full.",
        &[("", slow)],
    );
    let stats = core.stats();
    line(
        &mut out,
        "agentgate_messages_total",
        "counter",
        "Messages committed (sessions, panels, inbox, town square).",
        &[("", stats.messages.load(Relaxed))],
    );
    line(
        &mut out,
        "agentgate_notifications_total",
        "counter",
        "Notifications queued.",
        &[("", stats.notifications.load(Relaxed))],
    );
    line(
        &mut out,
        "agentgate_notifications_dropped_total",
        "counter",
        "Queued notifications dropped from replay by the cap or age limit.",
        &[("", dropped_total())],
    );
    let w = core.writer_stats();
    line(
        &mut out,
        "agentgate_commits_total",
        "counter",
        "Write transactions committed (one fsync each).",
        &[("", w.batches.load(Relaxed))],
    );
    line(
        &mut out,
        "agentgate_writes_total",
        "counter",
        "Writes committed, by outcome.",
        &[
            ("outcome=\"committed\"", w.writes.load(Relaxed)),
            ("outcome=\"failed\"", w.failed.load(Relaxed)),
        ],
    );
    w.commit_latency.render(
        "agentgate_commit_seconds",
        "Time to run, commit and answer one write batch.",
        &mut out,
    );
    stats.publish_latency.render(
        "agentgate_publish_latency_seconds",
        "Time from accepting a message to its live publication.",
        &mut out,
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
