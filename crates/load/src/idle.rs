//! Scenario 3: idle connections. Opens sockets in steps (1k, 5k, 10k by default) to a fresh
//! server process and reads its resident memory (`VmRSS`) at each step; memory per connection
//! is the growth over the baseline divided by the connections. Raw WebSocket (personal channel,
//! one agent per socket) and Socket.IO (connected and subscribed to the group's panels) are
//! measured on separate processes, and so is the Node reference.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use super::api::{self, Agent};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{round2, PROGRESS};
use super::target::{rss_kib, spawn_reference};
use super::wsconn::{open_listeners, Kind, Spec, Tally};

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new("idle", "3. Idle connections: server memory per connection");
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    // Later scenarios get a fresh process too.
    ctx.restart_for_next(&mut rep);
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let mut sizes = ctx.sizes_or(&[50], &[1000, 5000, 10000]);
    sizes.sort_unstable();
    sizes.dedup();
    let limit = ctx.fd_limit.saturating_sub(256) as usize;
    if sizes.iter().any(|&s| s > limit) {
        rep.note(format!(
            "`ulimit -n` is {}: sizes above {limit} are left out",
            ctx.fd_limit
        ));
        sizes.retain(|&s| s <= limit);
    }
    let Some(&max) = sizes.last() else {
        return Err("no size to measure".into());
    };
    let mut kinds = ctx
        .kinds
        .clone()
        .unwrap_or_else(|| vec![Kind::Raw, Kind::SioJson]);
    if ctx.kinds.is_none() {
        if ctx.reference.is_some() {
            kinds.push(Kind::NodeJson);
        } else {
            rep.note("Node reference not measured (no --reference folder with node_modules)");
        }
    }
    // Agents of their own: a personal socket replays its agent's queued notifications, and the
    // agents of earlier scenarios have some.
    let agents = Arc::new(ctx.fresh_agents(max).await?);
    if !ctx.gate.can_restart() {
        rep.note("external server: measured in the running process (not a fresh one)");
    }
    for kind in kinds {
        if let Err(e) = measure(ctx, rep, &agents, kind, &sizes).await {
            rep.fail(format!("{}: {e}", kind.name()));
        }
        ctx.gate.check_alive()?;
    }
    rep.note("raw WebSocket sockets are on the personal channel, one agent each (with an empty notification queue); Socket.IO sockets are connected and subscribed to every panel of the group");
    rep.note("per connection = (VmRSS now − VmRSS of the fresh process before the first socket) ÷ open sockets; marginal = growth since the previous row ÷ sockets added");
    Ok(())
}

async fn measure(
    ctx: &mut Ctx,
    rep: &mut Report,
    agents: &Arc<Vec<Agent>>,
    kind: Kind,
    sizes: &[usize],
) -> Result<(), String> {
    PROGRESS.phase(format!("idle {}: fresh process", kind.name()));
    let node = if kind.is_node() {
        let dir = ctx.reference.as_ref().ok_or("no Node reference folder")?;
        Some(spawn_reference(
            dir,
            kind.node_parser(),
            &ctx.scratch.dir.join("node.log"),
        )?)
    } else {
        if ctx.gate.can_restart() {
            ctx.gate.restart()?;
        }
        None
    };
    let (base, pid) = match &node {
        Some(p) => (p.base.clone(), Some(p.pid())),
        None => (ctx.gate.base(), ctx.gate.pid()),
    };
    if !kind.is_node() {
        api::health(&base).await?;
    }
    let quiet = Duration::from_millis(if ctx.smoke { 500 } else { 2000 });
    tokio::time::sleep(quiet).await;
    let baseline = pid.and_then(rss_kib);
    // How long the sockets sit before each reading: `--duration` past the connect timeout
    // (45 s) shows what a long-lived idle connection keeps.
    let settle = ctx.duration_or(quiet, quiet);
    if pid.is_none() {
        rep.note(format!(
            "{}: memory not measured (no pid: pass --server-pid with --url)",
            kind.name()
        ));
    }
    // Browser pages all use one human's session, as tabs of one person would.
    let cookie = if kind == Kind::Web {
        Some(api::web_session(&base, &format!("idle{}@load.example", opened_marker())).await?)
    } else {
        None
    };
    let tally = Arc::new(Tally::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut outcomes = Vec::new();
    let mut opened = 0usize;
    // (RSS, sockets) at the previous step, starting from the baseline.
    let mut prev: Option<(u64, u64)> = baseline.map(|b| (b, 0));
    let mut result = Ok(());
    for &size in sizes {
        PROGRESS.phase(format!("idle {}: opening {size} sockets", kind.name()));
        let started = Instant::now();
        let end =
            Instant::now() + Duration::from_secs(120) + Duration::from_millis(10 * size as u64);
        let specs = (opened..size).map(|i| Spec {
            kind,
            base: base.clone(),
            token: cookie
                .clone()
                .unwrap_or_else(|| agents[i % agents.len()].token.clone()),
            town_square: false,
            subscribe: true,
        });
        outcomes.extend(open_listeners(&ctx.pool, specs, opened, &tally, &stop_rx, end).await);
        opened = size;
        let connect_s = started.elapsed().as_secs_f64();
        let live = tally.live();
        let failed = tally.failed.load(Relaxed);
        tokio::time::sleep(settle).await;
        let rss = pid.and_then(rss_kib);
        let per_conn = match (baseline, rss) {
            (Some(b), Some(r)) if live > 0 => Some(round2(
                (r.saturating_sub(b) as f64 * 1024.0) / live as f64 / 1024.0,
            )),
            _ => None,
        };
        // Growth since the previous step: the fixed costs (threads, pools) drop out.
        let marginal = match (prev, rss) {
            (Some((pr, pc)), Some(r)) if live > pc => {
                Some(round2(r.saturating_sub(pr) as f64 / (live - pc) as f64))
            }
            _ => None,
        };
        prev = rss.map(|r| (r, live));
        let threads = pid.and_then(threads_of);
        rep.row(vec![
            ("server", json!(kind.name())),
            ("connections", json!(live)),
            ("connect s", json!(round2(connect_s))),
            (
                "baseline MiB",
                json!(baseline.map(|b| round2(b as f64 / 1024.0))),
            ),
            ("RSS MiB", json!(rss.map(|r| round2(r as f64 / 1024.0)))),
            ("KiB / connection", json!(per_conn)),
            ("marginal KiB / connection", json!(marginal)),
            ("server threads", json!(threads)),
            ("target", target_kib(kind)),
        ]);
        if failed > 0 || live < size as u64 {
            result = Err(format!(
                "{live} of {size} sockets open ({failed} failed to connect, {} closed)",
                tally.closed_early.load(Relaxed)
            ));
            break;
        }
    }
    let _ = stop_tx.send(true);
    let mut first_error = None;
    let end = Instant::now() + Duration::from_secs(30);
    for o in outcomes {
        let left = end.saturating_duration_since(Instant::now());
        if let Ok(Ok(o)) = tokio::time::timeout(left, o).await {
            if first_error.is_none() {
                first_error = o.error;
            }
        }
    }
    if let (Err(_), Some(e)) = (&result, &first_error) {
        rep.note(format!("{}: first socket error: {e}", kind.name()));
    }
    if let Some(p) = node {
        p.stop();
    }
    tokio::time::sleep(Duration::from_millis(if ctx.smoke { 200 } else { 1000 })).await;
    result
}

/// The memory target per connection of a kind (issue 18), for the tables.
pub fn target_kib(kind: Kind) -> serde_json::Value {
    match kind {
        Kind::Raw | Kind::Web => json!("≤ 8 KiB"),
        Kind::SioJson | Kind::SioMsgpack => json!("≤ 16 KiB"),
        _ => json!("-"),
    }
}

/// A number unique to this process run, for fresh email addresses.
fn opened_marker() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The thread count of a process (`Threads:` of `/proc/<pid>/status`).
pub fn threads_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}
