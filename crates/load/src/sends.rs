//! Scenario 1: durable REST sends. Each agent alternates `sessions/send` (its own DM) and
//! `groups/panels/send` (the `general` panel), one request at a time, as fast as the answers
//! come: the figure is accepted (2xx = committed) messages per second and the latency of
//! each request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::api::{self, post_raw, TOWN_SQUARE};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{lat, now_us, round2, Latencies, PROGRESS};
use super::target::CpuMeter;

#[derive(Default)]
struct Worker {
    ok: u64,
    session_ok: u64,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    first_error: Option<String>,
    lat_us: Latencies,
    end_us: u64,
}

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "sends",
        "1. Durable REST sends (sessions/send and groups/panels/send, 2xx = committed)",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[8], &[16, 64, 256]);
    let duration = ctx.duration_or(Duration::from_secs(1), Duration::from_secs(10));
    let max = sizes.iter().copied().max().unwrap_or(1);
    let agents = ctx.ensure_agents(max + 1).await?;
    let base = Arc::new(ctx.gate.base());
    let general = match api::panel_named(&base, &agents[0], "general").await {
        Ok(p) => p,
        Err(e) => {
            rep.note(format!(
                "no general panel ({e}); panel sends go to the town square"
            ));
            TOWN_SQUARE.to_string()
        }
    };
    PROGRESS.phase(format!("sends: opening {max} DM sessions"));
    let sessions = {
        let (base, agents) = (base.clone(), agents.clone());
        ctx.pool
            .map(max, 32, move |i| {
                let (base, agents) = (base.clone(), agents.clone());
                Box::pin(async move { api::session(&base, &agents[i], &[&agents[i + 1]]).await })
            })
            .await
    };
    let mut sids = Vec::with_capacity(max);
    for s in sessions {
        sids.push(s.ok_or("a session job was lost")??);
    }
    let sids = Arc::new(sids);
    let general = Arc::new(general);
    for &size in &sizes {
        PROGRESS.phase(format!("sends: {size} agents for {duration:?}"));
        let before = seqs(ctx, &base, &agents, &sids, size).await?;
        let start_at = Instant::now() + Duration::from_millis(300);
        let end_at = start_at + duration;
        let start_us = now_us() + 300_000;
        let cpu = CpuMeter::start_at(ctx.gate.pid(), start_at);
        let results = {
            let (base, agents, sids, general) =
                (base.clone(), agents.clone(), sids.clone(), general.clone());
            ctx.pool
                .map(size, size, move |i| {
                    let (base, agents, sids, general) =
                        (base.clone(), agents.clone(), sids.clone(), general.clone());
                    Box::pin(async move {
                        worker(
                            &base,
                            &agents[i].token,
                            &sids[i],
                            &general,
                            i,
                            start_at,
                            end_at,
                        )
                        .await
                    })
                })
                .await
        };
        let (server_cpu, client_cpu) = cpu.read();
        let threads = cpu.top_threads(4);
        let mut total = Worker::default();
        let mut lats = Latencies::default();
        for w in results.into_iter().flatten() {
            total.ok += w.ok;
            total.session_ok += w.session_ok;
            total.errors += w.errors;
            for (s, n) in w.statuses {
                *total.statuses.entry(s).or_default() += n;
            }
            if total.first_error.is_none() {
                total.first_error = w.first_error;
            }
            total.end_us = total.end_us.max(w.end_us);
            lats.extend([w.lat_us]);
        }
        let elapsed = (total.end_us.saturating_sub(start_us)) as f64 / 1e6;
        let s = lats.summary();
        let rejected: u64 = total.statuses.values().sum();
        // Every accepted session send must be in its session's log.
        let after = seqs(ctx, &base, &agents, &sids, size).await?;
        let logged: u64 = after.iter().zip(&before).map(|(a, b)| a - b).sum();
        let verified = logged == total.session_ok;
        rep.row(vec![
            ("agents (concurrency)", json!(size)),
            ("seconds", json!(round2(elapsed))),
            ("accepted", json!(total.ok)),
            ("msg/s", json!(round2(total.ok as f64 / elapsed.max(1e-9)))),
            ("p50 ms", json!(s.p50_ms)),
            ("p99 ms", json!(s.p99_ms)),
            ("max ms", json!(s.max_ms)),
            ("non-2xx", json!(rejected)),
            ("errors", json!(total.errors)),
            ("server CPU %", json!(server_cpu)),
            ("client CPU %", json!(client_cpu)),
            (
                "session log check",
                json!(if verified { "ok" } else { "MISMATCH" }),
            ),
        ]);
        rep.note(format!("{size} agents: busiest server threads: {threads}"));
        if !total.statuses.is_empty() {
            rep.note(format!(
                "{size} agents: non-2xx answers by status: {:?}",
                total.statuses
            ));
        }
        if let Some(e) = total.first_error {
            rep.note(format!("{size} agents: first error: {e}"));
        }
        if total.ok == 0 {
            rep.fail(format!("{size} agents: no send was accepted"));
        }
        if total.errors > 0 || rejected > 0 {
            rep.fail(format!(
                "{size} agents: {} transport errors, {rejected} non-2xx answers",
                total.errors
            ));
        }
        if !verified {
            rep.fail(format!(
                "{size} agents: {} session sends accepted but {logged} new messages in the logs",
                total.session_ok
            ));
        }
        ctx.gate.check_alive()?;
    }
    rep.note("each agent has one request in flight; latency is the client's request → answer time");
    rep.note("CPU %: of one core, user + system, over the measured interval (the machine has two)");
    Ok(())
}

/// The latest seq of each of the first `n` sessions.
async fn seqs(
    ctx: &Ctx,
    base: &Arc<String>,
    agents: &Arc<Vec<api::Agent>>,
    sids: &Arc<Vec<String>>,
    n: usize,
) -> Result<Vec<u64>, String> {
    let (base, agents, sids) = (base.clone(), agents.clone(), sids.clone());
    let r = ctx
        .pool
        .map(n, 32, move |i| {
            let (base, agents, sids) = (base.clone(), agents.clone(), sids.clone());
            Box::pin(async move { api::last_seq(&base, &agents[i], &sids[i]).await })
        })
        .await;
    r.into_iter()
        .map(|x| x.ok_or_else(|| "a job was lost".to_string())?)
        .collect()
}

async fn worker(
    base: &str,
    token: &str,
    session: &str,
    panel: &str,
    i: usize,
    start_at: Instant,
    end_at: Instant,
) -> Worker {
    let mut w = Worker::default();
    tokio::time::sleep_until(start_at.into()).await;
    let session_url = format!("{base}/api/claw/sessions/send");
    let panel_url = format!("{base}/api/claw/groups/panels/send");
    let mut n: u64 = 0;
    // Bounded by time and by count.
    while Instant::now() < end_at && n < 5_000_000 {
        let to_session = n.is_multiple_of(2);
        let (url, body) = if to_session {
            (
                &session_url,
                format!(r#"{{"sessionId":"{session}","content":"load {i} {n}"}}"#),
            )
        } else {
            (
                &panel_url,
                format!(r#"{{"panelId":"{panel}","content":"load {i} {n}"}}"#),
            )
        };
        let t = now_us();
        match post_raw(url, Some(token), body).await {
            Ok((s, _)) if (200..300).contains(&s) => {
                w.ok += 1;
                if to_session {
                    w.session_ok += 1;
                }
                w.lat_us.push(lat(t, now_us()));
            }
            Ok((s, body)) => {
                *w.statuses.entry(s).or_default() += 1;
                if w.first_error.is_none() {
                    w.first_error = Some(format!("HTTP {s}: {}", String::from_utf8_lossy(&body)));
                }
                PROGRESS
                    .errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                w.errors += 1;
                w.first_error.get_or_insert(e);
                PROGRESS
                    .errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        n += 1;
    }
    w.end_us = now_us();
    w
}
