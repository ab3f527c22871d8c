//! Scenario 2: fan-out. N listeners on the town square (agentgate: raw WebSocket town-square
//! channel, or Socket.IO subscribed to the group's panels, JSON or msgpack; the Node reference:
//! every socket), and one poster:
//!
//! - steady: a fixed post rate for a fixed time; post → receive latency of every frame;
//! - saturation: the next post goes out as soon as the post `window` places back has reached
//!   every listener (delivery-clocked, so no queue grows without bound); delivered frames/s.
//!
//! Each post carries `lgm#<seq>#<sent_us>#`; listeners find it in the frame's bytes.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use super::api::{post_raw, TOWN_SQUARE};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{lat, now_us, round2, wait_for, Latencies, Summary, PROGRESS};
use super::target::{spawn_reference, CpuMeter};
use super::wsconn::{mark, open_listeners, Kind, Outcome, Spec, Tally};

/// Posts in flight (not yet delivered to every listener) in the saturation phase.
const WINDOW: u64 = 8;
/// At most this many posts in one saturation phase.
const SATURATION_CAP: u64 = 200_000;

/// Where the poster sends its marked posts.
#[derive(Clone)]
pub struct PostTarget {
    url: String,
    token: Option<String>,
    /// agentgate: the town-square panel (else the Node reference's `/post`).
    panel: bool,
}

impl PostTarget {
    /// agentgate's town-square panel, posted as the agent with this token.
    pub fn town_square(base: &str, token: &str) -> PostTarget {
        PostTarget {
            url: format!("{base}/api/claw/groups/panels/send"),
            token: Some(token.to_string()),
            panel: true,
        }
    }
}

async fn post_one(t: &PostTarget, seq: u64) -> Result<u32, String> {
    let body = if t.panel {
        json!({ "panelId": TOWN_SQUARE, "content": mark(seq) })
    } else {
        json!({ "content": mark(seq) })
    };
    let t0 = now_us();
    let (s, b) = post_raw(&t.url, t.token.as_deref(), body.to_string()).await?;
    if (200..300).contains(&s) {
        Ok(lat(t0, now_us()))
    } else {
        Err(format!("HTTP {s}: {}", String::from_utf8_lossy(&b)))
    }
}

/// The posts of one phase.
#[derive(Default)]
pub struct Posted {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Post → HTTP answer latencies.
    pub ack_us: Latencies,
    /// When the first post went out (`now_us`).
    pub first_us: u64,
    /// Saturation: waits for delivery that gave up after 5 s.
    pub stalls: u64,
}

impl Posted {
    fn add(&mut self, r: Result<Result<u32, String>, tokio::task::JoinError>) {
        match r {
            Ok(Ok(l)) => {
                self.ok += 1;
                self.ack_us.push(l);
            }
            Ok(Err(e)) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
                PROGRESS.errors.fetch_add(1, Relaxed);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e.to_string());
            }
        }
    }
}

/// `total` posts at `rate` per second, seqs `0..total`.
pub async fn post_steady(t: &PostTarget, total: u64, rate: f64) -> Posted {
    let mut p = Posted {
        first_us: now_us(),
        ..Posted::default()
    };
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut joins = Vec::with_capacity(total as usize);
    for seq in 0..total {
        ticker.tick().await;
        let t = t.clone();
        joins.push(actix_web::rt::spawn(async move { post_one(&t, seq).await }));
    }
    for j in joins {
        p.add(j.await);
    }
    p
}

/// Delivery-clocked posts from seq `first` for `duration`.
async fn post_saturated(t: &PostTarget, tally: &Tally, first: u64, duration: Duration) -> Posted {
    let mut p = Posted {
        first_us: now_us(),
        ..Posted::default()
    };
    let end = Instant::now() + duration;
    let mut joins = Vec::new();
    let mut seq = first;
    let last = (first + SATURATION_CAP).min(tally.per_seq.len() as u64);
    while Instant::now() < end && seq < last {
        if seq >= first + WINDOW {
            let gate = &tally.per_seq[(seq - WINDOW) as usize];
            let give_up = Instant::now() + Duration::from_secs(5);
            // Bounded by `give_up`.
            while (gate.load(Relaxed) as u64) < tally.live() && Instant::now() < give_up {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if Instant::now() >= give_up {
                p.stalls += 1;
            }
        }
        let t = t.clone();
        joins.push(actix_web::rt::spawn(async move { post_one(&t, seq).await }));
        seq += 1;
    }
    for j in joins {
        p.add(j.await);
    }
    p
}

/// Waits until the frame count stops moving for `quiet` (presence storms on the town square).
pub async fn settle(tally: &Tally, quiet: Duration, max: Duration) {
    let end = Instant::now() + max;
    let mut last = tally.frames.load(Relaxed);
    let mut since = Instant::now();
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = tally.frames.load(Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

/// The measured figures of one phase.
pub struct Phase {
    pub posts: Posted,
    /// (server, client) CPU in % of one core.
    pub cpu: (Option<f64>, Option<f64>),
    pub delivered: u64,
    pub expected: u64,
    pub frames_per_s: f64,
    pub latency: Summary,
    pub seconds: f64,
}

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "fanout",
        "2. Fan-out: town-square listeners, post → receive",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[20], &[100, 1000, 2000]);
    let duration = ctx.duration_or(Duration::from_secs(1), Duration::from_secs(10));
    let rate = ctx.rate.unwrap_or(if ctx.smoke { 20.0 } else { 10.0 });
    let mut kinds = ctx
        .kinds
        .clone()
        .unwrap_or_else(|| vec![Kind::Raw, Kind::SioJson, Kind::SioMsgpack]);
    if ctx.kinds.is_none() {
        if ctx.reference.is_some() {
            kinds.extend([Kind::NodeJson, Kind::NodeMsgpack]);
        } else {
            rep.note("Node reference not measured (no --reference folder with node_modules)");
        }
    }
    let max = sizes.iter().copied().max().unwrap_or(1);
    let limit = ctx.fd_limit.saturating_sub(256) as usize;
    if max > limit {
        return Err(format!(
            "{max} listeners need more open files than `ulimit -n` allows ({})",
            ctx.fd_limit
        ));
    }
    let agents = ctx.ensure_agents(max + 1).await?;
    // (size, kind) → (steady, saturation)
    let mut measured: HashMap<(usize, Kind), (f64, f64, f64)> = HashMap::new();
    for &size in &sizes {
        for &kind in &kinds {
            let label = format!("fan-out {} × {size}", kind.name());
            match measure(ctx, &agents, kind, size, rate, duration).await {
                Ok((steady, sat, closed)) => {
                    for (mode, ph) in [
                        (format!("steady {rate}/s"), &steady),
                        (format!("saturation ({WINDOW} in flight)"), &sat),
                    ] {
                        rep.row(vec![
                            ("server", json!(kind.name())),
                            ("listeners", json!(size)),
                            ("mode", json!(mode)),
                            ("posts", json!(ph.posts.ok)),
                            (
                                "posts/s",
                                json!(round2(ph.posts.ok as f64 / ph.seconds.max(1e-9))),
                            ),
                            ("delivered", json!(ph.delivered)),
                            (
                                "delivered %",
                                json!(round2(
                                    100.0 * ph.delivered as f64 / (ph.expected.max(1)) as f64
                                )),
                            ),
                            ("frames/s", json!(round2(ph.frames_per_s))),
                            ("p50 ms", json!(ph.latency.p50_ms)),
                            ("p99 ms", json!(ph.latency.p99_ms)),
                            ("max ms", json!(ph.latency.max_ms)),
                            ("post ack p99 ms", json!(ph.posts.ack_us.summary().p99_ms)),
                            ("closed early", json!(closed)),
                            ("server CPU %", json!(ph.cpu.0)),
                            ("client CPU %", json!(ph.cpu.1)),
                        ]);
                        if let Some(e) = &ph.posts.first_error {
                            rep.note(format!(
                                "{label}: {} post errors, first: {e}",
                                ph.posts.errors
                            ));
                        }
                        if ph.posts.stalls > 0 {
                            rep.note(format!(
                                "{label}: {} saturation posts waited 5 s for delivery and went on",
                                ph.posts.stalls
                            ));
                        }
                    }
                    if steady.delivered == 0 || sat.delivered == 0 {
                        rep.fail(format!("{label}: nothing delivered"));
                    }
                    if steady.posts.errors + sat.posts.errors > 0 {
                        rep.fail(format!(
                            "{label}: {} posts failed",
                            steady.posts.errors + sat.posts.errors
                        ));
                    }
                    if closed > 0 {
                        rep.fail(format!("{label}: {closed} listeners were closed early"));
                    }
                    if steady.delivered < steady.expected {
                        rep.fail(format!(
                            "{label}: steady phase delivered {} of {} frames",
                            steady.delivered, steady.expected
                        ));
                    }
                    measured.insert(
                        (size, kind),
                        (steady.latency.p99_ms, sat.frames_per_s, sat.latency.p99_ms),
                    );
                }
                Err(e) => rep.fail(format!("{label}: {e}")),
            }
            ctx.gate.check_alive()?;
        }
    }
    // agentgate / reference.
    for &size in &sizes {
        for &kind in &kinds {
            let Some(reference) = kind.reference() else {
                continue;
            };
            let (Some(a), Some(n)) = (
                measured.get(&(size, kind)),
                measured.get(&(size, reference)),
            ) else {
                continue;
            };
            rep.note(format!(
                "{size} listeners, {} vs {}: saturation frames/s {:.0} vs {:.0} = {:.2}×; steady p99 {:.2} vs {:.2} ms; saturation p99 {:.2} vs {:.2} ms",
                kind.name(),
                reference.name(),
                a.1,
                n.1,
                a.1 / n.1.max(1e-9),
                a.0,
                n.0,
                a.2,
                n.2
            ));
        }
    }
    rep.note("latency: the poster's clock when the POST was built → the listener's clock when the frame was read (one process, one monotonic clock)");
    rep.note("CPU %: of one core, user + system, over the phase (the machine has two)");
    rep.note("agentgate commits every post (synchronous=FULL) before it fans out; the Node reference writes nothing");
    Ok(())
}

async fn measure(
    ctx: &mut Ctx,
    agents: &Arc<Vec<super::api::Agent>>,
    kind: Kind,
    size: usize,
    rate: f64,
    duration: Duration,
) -> Result<(Phase, Phase, u64), String> {
    PROGRESS.phase(format!("fan-out {} × {size}: connecting", kind.name()));
    let node = match (kind.is_node(), &ctx.reference) {
        (true, Some(dir)) => Some(spawn_reference(
            dir,
            kind.node_parser(),
            &ctx.scratch.dir.join("node.log"),
        )?),
        (true, None) => return Err("no Node reference folder".into()),
        _ => None,
    };
    let base = node
        .as_ref()
        .map(|p| p.base.clone())
        .unwrap_or_else(|| ctx.gate.base());
    let server_pid = match &node {
        Some(p) => Some(p.pid()),
        None => ctx.gate.pid(),
    };
    let target = if kind.is_node() {
        PostTarget {
            url: format!("{base}/post"),
            token: None,
            panel: false,
        }
    } else {
        PostTarget::town_square(&base, &agents[size].token)
    };
    let steady_total = ((rate * duration.as_secs_f64()).round() as u64).max(1);
    let tally = Arc::new(Tally::new((steady_total + SATURATION_CAP) as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let connect_end =
        Instant::now() + Duration::from_secs(60) + Duration::from_millis(20 * size as u64);
    let specs = agents[..size].iter().map(|a| Spec {
        kind,
        base: base.clone(),
        token: a.token.clone(),
        town_square: true,
        subscribe: true,
    });
    let outcomes = open_listeners(&ctx.pool, specs, 0, &tally, &stop_rx, connect_end).await;
    let connected = tally.connected.load(Relaxed);
    let failed = tally.failed.load(Relaxed);
    if connected < size as u64 {
        let _ = stop_tx.send(true);
        let first = first_error(outcomes).await;
        return Err(format!(
            "{connected} of {size} listeners connected ({failed} failed; first error: {first})"
        ));
    }
    PROGRESS.note(&format!(
        "{size} listeners connected; waiting for the presence frames to settle"
    ));
    settle(&tally, Duration::from_millis(500), Duration::from_secs(60)).await;

    PROGRESS.phase(format!("fan-out {} × {size}: steady {rate}/s", kind.name()));
    tally.marked.store(0, Relaxed);
    tally.last_rx_us.store(0, Relaxed);
    let cpu = CpuMeter::start(server_pid);
    let posts = post_steady(&target, steady_total, rate).await;
    let steady = finish_phase(&tally, posts, &cpu).await;

    PROGRESS.phase(format!("fan-out {} × {size}: saturation", kind.name()));
    tally.marked.store(0, Relaxed);
    tally.last_rx_us.store(0, Relaxed);
    let cpu = CpuMeter::start(server_pid);
    let posts = post_saturated(&target, &tally, steady_total, duration).await;
    let mut sat = finish_phase(&tally, posts, &cpu).await;

    let _ = stop_tx.send(true);
    let mut steady_lat = Latencies::default();
    let mut sat_lat = Latencies::default();
    let collect_end = Instant::now() + Duration::from_secs(30);
    for o in outcomes {
        let left = collect_end.saturating_duration_since(Instant::now());
        if let Ok(Ok(o)) = tokio::time::timeout(left, o).await {
            for (seq, l) in o.lat {
                if (seq as u64) < steady_total {
                    steady_lat.push(l);
                } else {
                    sat_lat.push(l);
                }
            }
        }
    }
    let mut steady = steady;
    steady.latency = steady_lat.summary();
    sat.latency = sat_lat.summary();
    let closed = tally.closed_early.load(Relaxed);
    if let Some(p) = node {
        p.stop();
    }
    // Let the server finish closing the sockets before the next run.
    tokio::time::sleep(Duration::from_millis(if ctx.smoke { 200 } else { 2000 })).await;
    Ok((steady, sat, closed))
}

/// Waits (bounded) for the stragglers of a phase, then computes its figures (all but the
/// latency, which the listeners report when they stop).
pub async fn finish_phase(tally: &Arc<Tally>, posts: Posted, cpu: &CpuMeter) -> Phase {
    let live = tally.live();
    let expected = posts.ok * live;
    let t = tally.clone();
    wait_for(Instant::now() + Duration::from_secs(10), move || {
        t.marked.load(Relaxed) >= expected
    })
    .await;
    let delivered = tally.marked.load(Relaxed);
    let cpu = cpu.read();
    let last = tally.last_rx_us.load(Relaxed);
    let seconds = last.saturating_sub(posts.first_us) as f64 / 1e6;
    Phase {
        frames_per_s: delivered as f64 / seconds.max(1e-9),
        delivered,
        expected,
        latency: Summary::default(),
        cpu,
        seconds,
        posts,
    }
}

async fn first_error(outcomes: Vec<tokio::sync::oneshot::Receiver<Outcome>>) -> String {
    for o in outcomes {
        if let Ok(Ok(o)) = tokio::time::timeout(Duration::from_secs(5), o).await {
            if let Some(e) = o.error {
                return e;
            }
        }
    }
    "none recorded".into()
}
