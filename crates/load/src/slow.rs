//! Scenario 7: slow consumers. H town-square listeners read everything while the square gets
//! steady posts of 9 KB; the same phase is run twice — alone, then beside S sockets that never
//! read a byte. The figures: the healthy listeners' post → receive latency in both phases (it
//! must not move), and how the stalled sockets ended (4008 `Slow consumer`, once their bounded
//! queue filled).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use awc::ws::Frame;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::watch;

use super::api::{post_raw, Agent, TOWN_SQUARE};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{round2, Latencies, Summary, PROGRESS};
use super::wsconn::{connect, listen, mark, Kind, Spec, Tally};

/// Bytes of padding per post: large frames fill a non-reader's buffers quickly.
const PADDING: usize = 9_000;

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "slow",
        "7. Slow consumers: healthy listeners' latency beside sockets that never read",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[4], &[50, 200]);
    let healthy = if ctx.smoke { 10 } else { 50 };
    // Full size: long enough at this rate to fill a non-reader's socket buffers and its
    // 1,024-frame queue (about 15 MB); the smoke size only checks the harness.
    let duration = ctx.duration_or(Duration::from_secs(3), Duration::from_secs(30));
    let rate = ctx.rate.unwrap_or(if ctx.smoke { 40.0 } else { 100.0 });
    let max = sizes.iter().copied().max().unwrap_or(0);
    let agents = ctx.ensure_agents(healthy + max + 1).await?;
    let poster = agents[healthy + max].clone();
    for stalled in sizes {
        let label = format!("{healthy} listeners, {stalled} stalled");
        PROGRESS.phase(format!("slow: {label}: baseline"));
        let alone = phase(ctx, &agents[..healthy], &poster, rate, duration, &[]).await?;
        PROGRESS.phase(format!("slow: {label}: with stalled sockets"));
        let side = &agents[healthy..healthy + stalled];
        let beside = phase(ctx, &agents[..healthy], &poster, rate, duration, side).await?;
        for (name, p) in [("alone", &alone), ("beside stalled", &beside)] {
            rep.row(vec![
                ("healthy", json!(healthy)),
                (
                    "stalled",
                    json!(if p.stalled_total == 0 { 0 } else { stalled }),
                ),
                ("phase", json!(name)),
                ("posts", json!(p.posts)),
                (
                    "delivered %",
                    json!(round2(
                        100.0 * p.delivered as f64 / p.expected.max(1) as f64
                    )),
                ),
                ("p50 ms", json!(p.latency.p50_ms)),
                ("p99 ms", json!(p.latency.p99_ms)),
                ("max ms", json!(p.latency.max_ms)),
                ("stalled closed 4008", json!(p.stalled_4008)),
                ("stalled dropped", json!(p.stalled_dropped)),
                ("stalled still open", json!(p.stalled_open)),
            ]);
        }
        if alone.delivered < alone.expected || beside.delivered < beside.expected {
            rep.fail(format!("{label}: a healthy listener missed frames"));
        }
        if stalled > 0 && beside.stalled_4008 + beside.stalled_dropped == 0 && !ctx.smoke {
            rep.fail(format!("{label}: no stalled socket was cut off"));
        }
        ctx.gate.check_alive()?;
    }
    rep.note(format!(
        "posts of {PADDING} bytes at {rate}/s for {:.0} s to the town square; the healthy listeners are raw WebSocket town-square sockets that read everything",
        duration.as_secs_f64()
    ));
    rep.note("stalled sockets connect, then read nothing until the phase ends; then they read what is buffered: a 4008 close frame, or the end of a connection the server dropped after waiting 5 s to write its close frame, or silence (still open)");
    Ok(())
}

struct Measured {
    posts: u64,
    delivered: u64,
    expected: u64,
    latency: Summary,
    stalled_total: usize,
    stalled_4008: u64,
    stalled_dropped: u64,
    stalled_open: u64,
}

async fn phase(
    ctx: &Ctx,
    listeners: &[Agent],
    poster: &Agent,
    rate: f64,
    duration: Duration,
    stalled: &[Agent],
) -> Result<Measured, String> {
    let base = ctx.gate.base();
    let total = ((rate * duration.as_secs_f64()).round() as u64).max(1);
    let tally = Arc::new(Tally::new(total as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let spec = |a: &Agent| Spec {
        kind: Kind::Raw,
        base: base.clone(),
        token: a.token.clone(),
        town_square: true,
        subscribe: false,
    };
    let mut outcomes = Vec::new();
    for (i, a) in listeners.iter().enumerate() {
        let (s, t, stop) = (spec(a), tally.clone(), stop_rx.clone());
        outcomes.push(ctx.pool.spawn(i, move || listen(s, t, stop)));
    }
    let mut holders = Vec::new();
    for (i, a) in stalled.iter().enumerate() {
        let (s, stop) = (spec(a), stop_rx.clone());
        holders.push(ctx.pool.spawn(i, move || hold(s, stop)));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while tally.connected.load(Relaxed) < listeners.len() as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Presence frames of the joins settle before the measurement.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let url = format!("{base}/api/claw/groups/panels/send");
    let padding = "p".repeat(PADDING);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut joins = Vec::new();
    for seq in 0..total {
        ticker.tick().await;
        let body = json!({ "panelId": TOWN_SQUARE, "content": format!("{} {padding}", mark(seq)) });
        let (url, token) = (url.clone(), poster.token.clone());
        joins.push(actix_web::rt::spawn(async move {
            matches!(
                post_raw(&url, Some(&token), body.to_string()).await,
                Ok((200, _))
            )
        }));
    }
    let mut posts = 0;
    for j in joins {
        posts += u64::from(j.await.unwrap_or(false));
    }
    let live = tally.live();
    let expected = posts * live;
    let settle = Instant::now() + Duration::from_secs(10);
    while tally.marked.load(Relaxed) < expected && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let mut lat = Latencies::default();
    for o in outcomes {
        if let Ok(Ok(o)) = tokio::time::timeout(Duration::from_secs(10), o).await {
            lat.extend(o.lat.into_iter().map(|(_, l)| l));
        }
    }
    let (mut stalled_4008, mut stalled_dropped, mut stalled_open) = (0, 0, 0);
    for h in holders {
        match tokio::time::timeout(Duration::from_secs(30), h).await {
            Ok(Ok(Some(Ended::Code(4008)))) => stalled_4008 += 1,
            Ok(Ok(Some(Ended::Dropped))) => stalled_dropped += 1,
            Ok(Ok(Some(Ended::Open))) => stalled_open += 1,
            _ => {}
        }
    }
    // The next phase starts on a quiet server.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(Measured {
        posts,
        delivered: tally.marked.load(Relaxed),
        expected,
        latency: lat.summary(),
        stalled_total: stalled.len(),
        stalled_4008,
        stalled_dropped,
        stalled_open,
    })
}

/// How a stalled socket ended.
enum Ended {
    /// The server sent this close code.
    Code(u16),
    /// The connection ended without a close frame (the server gave up writing one).
    Dropped,
    /// Still open: a second passed without a frame.
    Open,
}

/// Connects and reads nothing until `stop`; then drains what was buffered and tells how the
/// socket ended.
async fn hold(spec: Spec, mut stop: watch::Receiver<bool>) -> Option<Ended> {
    let mut framed = connect(&spec).await.ok()?;
    let _ = stop.changed().await;
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    // Bounded by `end` and by the one-second silence.
    while tokio::time::Instant::now() < end {
        match tokio::time::timeout(Duration::from_secs(1), framed.next()).await {
            Ok(Some(Ok(Frame::Close(r)))) => {
                return Some(Ended::Code(r.map_or(1005, |r| u16::from(r.code))))
            }
            Ok(Some(Ok(_))) => {}
            Ok(None) | Ok(Some(Err(_))) => return Some(Ended::Dropped),
            Err(_) => return Some(Ended::Open),
        }
    }
    Some(Ended::Open)
}
