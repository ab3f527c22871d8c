//! `GET /metrics` in the Prometheus text format (0.0.4), through prometheus-client: live
//! connections by wire and parser, what was accepted and delivered, queue and commit figures.
//! Each metric has one label set, fixed by its type below.

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::State;
use crate::core::notifications::dropped_total;
use crate::socketio::{ParserKind, SocketIo};
use crate::wire::moltcities::ws::Registry as MoltCitiesSockets;

/// `agentgate_connections`: by wire.
#[derive(EncodeLabelSet, Debug, Clone, PartialEq, Eq, Hash)]
struct ByWire {
    wire: &'static str,
}

/// `agentgate_socketio_connections`: by parser.
#[derive(EncodeLabelSet, Debug, Clone, PartialEq, Eq, Hash)]
struct ByParser {
    parser: &'static str,
}

/// `agentgate_moltcities_connections`: by channel.
#[derive(EncodeLabelSet, Debug, Clone, PartialEq, Eq, Hash)]
struct ByChannel {
    channel: &'static str,
}

/// `agentgate_writes_total`: by outcome.
#[derive(EncodeLabelSet, Debug, Clone, PartialEq, Eq, Hash)]
struct ByOutcome {
    outcome: &'static str,
}

/// The figures read at each scrape, from the live registries and the core's counters.
struct Scrape {
    state: State,
    io: web::Data<SocketIo>,
    moltcities: web::Data<MoltCitiesSockets>,
}

impl fmt::Debug for Scrape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scrape")
    }
}

/// One metric family of constant samples.
fn family<L: EncodeLabelSet, M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    samples: &[(L, M)],
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, metric) in samples {
        metric.encode(family.encode_family(labels)?)?;
    }
    Ok(())
}

/// One metric without labels.
fn single(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> fmt::Result {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> fmt::Result {
    single(encoder, name, help, &ConstGauge::new(v as i64))
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, v: u64) -> fmt::Result {
    single(encoder, name, help, &ConstCounter::new(v))
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        let sockets = self.io.sockets();
        let msgpack = sockets
            .iter()
            .filter(|s| s.parser() == ParserKind::Msgpack)
            .count() as i64;
        let json = sockets.len() as i64 - msgpack;
        let ws = self.moltcities.counts();
        let (personal, square) = (ws.personal as i64, ws.town_square as i64);
        let web = crate::wire::web::live::open() as i64;
        let by_wire = |wire| ByWire { wire };
        family(
            &mut e,
            "agentgate_connections",
            "Live connections by wire.",
            MetricType::Gauge,
            &[
                (by_wire("socketio"), ConstGauge::new(json + msgpack)),
                (by_wire("moltcities"), ConstGauge::new(personal + square)),
                (by_wire("web"), ConstGauge::new(web)),
            ],
        )?;
        family(
            &mut e,
            "agentgate_socketio_connections",
            "Live Socket.IO connections by parser.",
            MetricType::Gauge,
            &[
                (ByParser { parser: "json" }, ConstGauge::new(json)),
                (ByParser { parser: "msgpack" }, ConstGauge::new(msgpack)),
            ],
        )?;
        family(
            &mut e,
            "agentgate_moltcities_connections",
            "Live MoltCities WebSockets by channel.",
            MetricType::Gauge,
            &[
                (
                    ByChannel {
                        channel: "personal",
                    },
                    ConstGauge::new(personal),
                ),
                (
                    ByChannel {
                        channel: "town-square",
                    },
                    ConstGauge::new(square),
                ),
            ],
        )?;
        let core = &self.state.core;
        let (listeners, published, slow) = core.hub().stats();
        gauge(
            &mut e,
            "agentgate_online_agents",
            "Distinct agents with a live connection.",
            core.hub().online_users() as u64,
        )?;
        gauge(
            &mut e,
            "agentgate_hub_listeners",
            "Listeners registered with the hub.",
            listeners as u64,
        )?;
        counter(
            &mut e,
            "agentgate_events_published",
            "Domain events published for live delivery.",
            published,
        )?;
        counter(
            &mut e,
            "agentgate_slow_consumers",
            "Listeners dropped because their queue was full.",
            slow,
        )?;
        let stats = core.stats();
        counter(
            &mut e,
            "agentgate_messages",
            "Messages committed (sessions, panels, inbox, town square).",
            stats.messages.load(Relaxed),
        )?;
        counter(
            &mut e,
            "agentgate_notifications",
            "Notifications queued.",
            stats.notifications.load(Relaxed),
        )?;
        counter(
            &mut e,
            "agentgate_notifications_dropped",
            "Queued notifications dropped from replay by the cap or age limit.",
            dropped_total(),
        )?;
        let w = core.writer_stats();
        counter(
            &mut e,
            "agentgate_commits",
            "Write transactions committed (one fsync each).",
            w.batches.load(Relaxed),
        )?;
        family(
            &mut e,
            "agentgate_writes",
            "Writes committed, by outcome.",
            MetricType::Counter,
            &[
                (
                    ByOutcome {
                        outcome: "committed",
                    },
                    ConstCounter::new(w.writes.load(Relaxed)),
                ),
                (
                    ByOutcome { outcome: "failed" },
                    ConstCounter::new(w.failed.load(Relaxed)),
                ),
            ],
        )?;
        single(
            &mut e,
            "agentgate_commit_seconds",
            "Time to run, commit and answer one write batch.",
            w.commit_latency.buckets(),
        )?;
        single(
            &mut e,
            "agentgate_publish_latency_seconds",
            "Time from accepting a message to its live publication.",
            stats.publish_latency.buckets(),
        )?;
        let live = core.live().stats();
        counter(
            &mut e,
            "agentgate_live_early",
            "Messages that reached this node before a predecessor and waited (cluster mode, PostgreSQL).",
            live.early.load(Relaxed),
        )?;
        counter(
            &mut e,
            "agentgate_live_filled",
            "Messages read back from the database to fill a gap in live delivery.",
            live.filled.load(Relaxed),
        )?;
        counter(
            &mut e,
            "agentgate_live_duplicates",
            "Message copies dropped because their seq was already delivered.",
            live.duplicates.load(Relaxed),
        )?;
        let Some(bus) = core.live().bus() else {
            return Ok(());
        };
        let b = bus.stats();
        gauge(
            &mut e,
            "agentgate_cluster_nodes",
            "Other nodes heard from on the bus within the expiry.",
            core.hub().remote.nodes() as u64,
        )?;
        family(
            &mut e,
            "agentgate_bus_payloads",
            "Payloads on the bus, by what happened to them.",
            MetricType::Counter,
            &[
                (
                    ByOutcome {
                        outcome: "published",
                    },
                    ConstCounter::new(b.published.load(Relaxed)),
                ),
                (
                    ByOutcome { outcome: "dropped" },
                    ConstCounter::new(b.dropped.load(Relaxed)),
                ),
                (
                    ByOutcome {
                        outcome: "received",
                    },
                    ConstCounter::new(b.received.load(Relaxed)),
                ),
            ],
        )?;
        counter(
            &mut e,
            "agentgate_bus_resubscribed",
            "Times the bus subscription was lost and made again.",
            b.resubscribed.load(Relaxed),
        )
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
    moltcities_ws: web::Data<MoltCitiesSockets>,
) -> HttpResponse {
    if !may_read(&req, &state.settings.metrics_token) {
        return super::no_route().await;
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape {
        state,
        io,
        moltcities: moltcities_ws,
    }));
    let mut out = String::with_capacity(4096);
    if prometheus_client::encoding::prometheus_text::encode(&mut out, &registry).is_err() {
        // Writing into a String cannot fail; answer honestly if it ever does.
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
