//! Scenario 5: long-poll. W concurrent `sessions/watch` requests wait on one session (each on
//! its own connection); then one message is sent into it. The figure is the wake-up latency:
//! the moment the send request was issued → the moment each watcher had its answer.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::api::{self, post_raw};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{lat, now_us, round2, Latencies, PROGRESS};
use super::target::CpuMeter;

struct Watched {
    rx_us: u64,
    status: u16,
    with_event: bool,
    error: Option<String>,
}

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "longpoll",
        "5. Long-poll: concurrent sessions/watch waiters woken by one message",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[50], &[100, 500, 1000]);
    let rounds = if ctx.smoke { 2 } else { 5 };
    let limit = ctx.fd_limit.saturating_sub(256) as usize;
    if let Some(&too_big) = sizes.iter().find(|&&s| s > limit) {
        return Err(format!(
            "{too_big} watchers need more open files than `ulimit -n` allows ({})",
            ctx.fd_limit
        ));
    }
    let base = ctx.gate.base();
    let pair = ctx.fresh_agents(2).await?;
    let (a, b) = (pair[0].clone(), pair[1].clone());
    let sid = api::session(&base, &a, &[&b]).await?;
    let mut cursor = api::last_seq(&base, &b, &sid).await?;
    let watch_url = Arc::new(format!("{base}/api/claw/sessions/watch"));
    let send_url = format!("{base}/api/claw/sessions/send");
    for w in sizes {
        let mut lats = Latencies::default();
        let mut send_acks = Latencies::default();
        let (mut woke, mut early, mut errors) = (0u64, 0u64, 0u64);
        let mut first_error = None;
        let mut last_cpu: (Option<f64>, Option<f64>, String) = (None, None, String::new());
        for round in 1..=rounds {
            PROGRESS.phase(format!(
                "long-poll: {w} watchers, round {round} of {rounds}"
            ));
            let done = Arc::new(AtomicU64::new(0));
            let body = Arc::new(
                json!({ "sessionId": sid, "cursor": cursor, "timeoutMs": 20000 }).to_string(),
            );
            let mut waiting = Vec::with_capacity(w);
            for i in 0..w {
                let (url, body, token, done) = (
                    watch_url.clone(),
                    body.clone(),
                    b.token.clone(),
                    done.clone(),
                );
                waiting.push(ctx.pool.spawn(i, move || async move {
                    let r = post_raw(&url, Some(&token), (*body).clone()).await;
                    let rx_us = now_us();
                    done.fetch_add(1, Relaxed);
                    match r {
                        Ok((status, bytes)) => Watched {
                            rx_us,
                            status,
                            with_event: bytes.windows(11).any(|x| x == b"\"events\":[{"),
                            error: None,
                        },
                        Err(e) => Watched {
                            rx_us,
                            status: 0,
                            with_event: false,
                            error: Some(e),
                        },
                    }
                }));
            }
            // Time for every request to reach the server and park.
            let settle = Duration::from_millis(if ctx.smoke { 300 } else { 1000 } + w as u64);
            tokio::time::sleep(settle).await;
            let done_before = done.load(Relaxed);
            let cpu = CpuMeter::start(ctx.gate.pid());
            let t_send = now_us();
            let content = format!("wake {round}");
            let (status, bytes) = post_raw(
                &send_url,
                Some(&a.token),
                json!({ "sessionId": sid, "content": content }).to_string(),
            )
            .await?;
            send_acks.push(lat(t_send, now_us()));
            if status != 200 {
                return Err(format!("sessions/send: HTTP {status}"));
            }
            let sent: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let seq = sent["data"]["message"]["seq"]
                .as_u64()
                .unwrap_or(cursor + 1);
            let end = Instant::now() + Duration::from_secs(30);
            for wt in waiting {
                let left = end.saturating_duration_since(Instant::now());
                match tokio::time::timeout(left, wt).await {
                    Ok(Ok(r)) => {
                        if let Some(e) = r.error {
                            errors += 1;
                            first_error.get_or_insert(e);
                        } else if r.rx_us < t_send || !r.with_event || r.status != 200 {
                            early += 1;
                        } else {
                            woke += 1;
                            lats.push(lat(t_send, r.rx_us));
                        }
                    }
                    _ => {
                        errors += 1;
                        first_error.get_or_insert("no answer within 30 s".into());
                    }
                }
            }
            if done_before > 0 {
                first_error.get_or_insert(format!(
                    "{done_before} watchers answered before the message was sent"
                ));
            }
            let (server_cpu, client_cpu) = cpu.read();
            last_cpu = (server_cpu, client_cpu, cpu.top_threads(3));
            cursor = seq;
            ctx.gate.check_alive()?;
        }
        let s = lats.summary();
        let ack = send_acks.summary();
        rep.row(vec![
            ("watchers", json!(w)),
            ("rounds", json!(rounds)),
            ("woken", json!(woke)),
            ("not woken by the message", json!(early)),
            ("errors", json!(errors)),
            ("wake p50 ms", json!(s.p50_ms)),
            ("wake p99 ms", json!(s.p99_ms)),
            ("wake max ms", json!(s.max_ms)),
            ("send ack p50 ms", json!(round2(ack.p50_ms))),
            ("server CPU % (last round)", json!(last_cpu.0)),
            ("client CPU % (last round)", json!(last_cpu.1)),
        ]);
        if let Some(e) = first_error {
            rep.note(format!("{w} watchers: {e}"));
        }
        rep.note(format!(
            "{w} watchers, last round, send → all answered: busiest server threads: {}",
            last_cpu.2
        ));
        if woke == 0 {
            rep.fail(format!("{w} watchers: none was woken"));
        } else if early + errors > 0 {
            rep.fail(format!(
                "{w} watchers: {early} not woken by the message, {errors} errors"
            ));
        }
    }
    rep.note("wake latency: the send request issued → the watcher's answer read (includes the commit of the message)");
    Ok(())
}
