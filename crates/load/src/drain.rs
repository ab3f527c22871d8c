//! Scenario 4: offline drain. Agent A sends N DMs to agent B, who is offline: each queues an
//! `inbox.message` notification for B. B then opens its personal MoltCities WebSocket; the
//! figure is the time from the connect request until all N queued notifications arrived.
//! Nothing is acknowledged, so every reconnect replays all N: the drain is repeated.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use awc::ws::{CloseCode, Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

use super::api::{self, post_raw};
use super::ctx::Ctx;
use super::report::Report;
use super::stats::{lat, now_us, round2, Latencies, PROGRESS};
use super::target::CpuMeter;
use super::wsconn::open;

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "drain",
        "4. Offline drain: queued notifications replayed on reconnect",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[200], &[10_000]);
    let repeats = if ctx.smoke { 2 } else { 3 };
    let base = ctx.gate.base();
    for n in sizes {
        let pair = ctx.fresh_agents(2).await?;
        let (a, b) = (pair[0].clone(), pair[1].clone());
        let sid = api::session(&base, &a, &[&b]).await?;
        PROGRESS.phase(format!("drain: queueing {n} notifications"));
        let started = Instant::now();
        let url = std::sync::Arc::new(format!("{base}/api/claw/sessions/send"));
        let (token, sid2) = (
            std::sync::Arc::new(a.token.clone()),
            std::sync::Arc::new(sid),
        );
        let sent = ctx
            .pool
            .map(n, 64, move |i| {
                let (url, token, sid) = (url.clone(), token.clone(), sid2.clone());
                Box::pin(async move {
                    let t = now_us();
                    let body = json!({ "sessionId": *sid, "content": format!("queued {i}") });
                    match post_raw(&url, Some(&token), body.to_string()).await {
                        Ok((200, _)) => Ok(lat(t, now_us())),
                        Ok((s, b)) => Err(format!("HTTP {s}: {}", String::from_utf8_lossy(&b))),
                        Err(e) => Err(e),
                    }
                })
            })
            .await;
        let queue_s = started.elapsed().as_secs_f64();
        let mut ok_lat = Latencies::default();
        let mut first_err = None;
        for r in sent {
            match r {
                Some(Ok(l)) => ok_lat.push(l),
                Some(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                None => {
                    first_err.get_or_insert("a job was lost".into());
                }
            }
        }
        let accepted = ok_lat.len();
        let s = ok_lat.summary();
        rep.note(format!(
            "queueing {n}: {accepted} DMs accepted in {queue_s:.2} s ({:.0}/s, 64 in flight, p99 {:.2} ms)",
            accepted as f64 / queue_s.max(1e-9),
            s.p99_ms
        ));
        if let Some(e) = first_err {
            rep.fail(format!(
                "queueing {n}: {} sends failed; first: {e}",
                n - accepted
            ));
        }
        for r in 1..=repeats {
            PROGRESS.phase(format!(
                "drain: reconnect {r} of {repeats} ({accepted} queued)"
            ));
            let cpu = CpuMeter::start(ctx.gate.pid());
            let result = drain_once(&base, &b.token, accepted).await;
            let (server_cpu, client_cpu) = cpu.read();
            match result {
                Ok(d) => {
                    rep.row(vec![
                        ("queued", json!(accepted)),
                        ("reconnect", json!(r)),
                        ("connected ms", json!(round2(d.connected_ms))),
                        ("all arrived ms", json!(round2(d.all_ms))),
                        (
                            "notifications/s",
                            json!(round2(d.received as f64 / (d.all_ms / 1000.0).max(1e-9))),
                        ),
                        ("received", json!(d.received)),
                        ("queued:true", json!(d.queued_flag)),
                        ("duplicates", json!(d.duplicates)),
                        ("server CPU %", json!(server_cpu)),
                        ("client CPU %", json!(client_cpu)),
                        ("target", json!("≤ 1000 ms for 10,000")),
                    ]);
                    if d.received < accepted {
                        rep.fail(format!(
                            "reconnect {r}: {} of {accepted} notifications arrived{}",
                            d.received,
                            d.error.map(|e| format!(" ({e})")).unwrap_or_default()
                        ));
                    }
                }
                Err(e) => rep.fail(format!("reconnect {r}: {e}")),
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        ctx.gate.check_alive()?;
    }
    rep.note("time is measured from the WebSocket connect request to the last queued notification; the client reads every frame and acknowledges none");
    Ok(())
}

struct Drained {
    connected_ms: f64,
    all_ms: f64,
    received: usize,
    queued_flag: usize,
    duplicates: usize,
    error: Option<String>,
}

/// The notification id and the `queued` flag of a frame (a byte scan; JSON parse as fallback).
pub fn notification(b: &[u8]) -> Option<(Vec<u8>, bool)> {
    let find = |pat: &[u8]| b.windows(pat.len()).position(|w| w == pat);
    if find(b"\"type\":\"notification\"").is_some() {
        // Keys are sorted, so `data` (which holds other ids) comes first: look for the
        // notification id's own prefix.
        if let Some(i) = find(b"\"id\":\"notif_") {
            let rest = &b[i + 6..];
            if let Some(end) = rest.iter().position(|&c| c == b'"') {
                let queued = find(b"\"queued\":true").is_some();
                return Some((rest[..end].to_vec(), queued));
            }
        }
    }
    let v: Value = serde_json::from_slice(b).ok()?;
    if v["type"] != "notification" {
        return None;
    }
    Some((
        v["id"].as_str()?.as_bytes().to_vec(),
        v["queued"] == json!(true),
    ))
}

async fn drain_once(base: &str, token: &str, n: usize) -> Result<Drained, String> {
    let t0 = now_us();
    let url = format!(
        "{}/api/notifications/connect?token={token}",
        base.replacen("http://", "ws://", 1)
    );
    let mut framed = open(&url).await?;
    let mut d = Drained {
        connected_ms: 0.0,
        all_ms: 0.0,
        received: 0,
        queued_flag: 0,
        duplicates: 0,
        error: None,
    };
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(n);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    // Bounded by the count and the deadline.
    while seen.len() < n {
        let frame = match tokio::time::timeout_at(deadline, framed.next()).await {
            Err(_) => {
                d.error = Some("timed out after 120 s".into());
                break;
            }
            Ok(f) => f,
        };
        let b = match frame {
            Some(Ok(Frame::Text(b))) => b,
            Some(Ok(Frame::Ping(p))) => {
                let _ = framed.send(Message::Pong(p)).await;
                continue;
            }
            Some(Ok(Frame::Close(r))) => {
                d.error = Some(format!("closed by the server: {r:?}"));
                break;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                d.error = Some(format!("protocol error: {e}"));
                break;
            }
            None => {
                d.error = Some("connection ended".into());
                break;
            }
        };
        PROGRESS
            .frames
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if d.connected_ms == 0.0 && b.windows(11).any(|w| w == b"\"connected\"") {
            d.connected_ms = lat(t0, now_us()) as f64 / 1000.0;
            continue;
        }
        if let Some((id, queued)) = notification(&b) {
            if queued {
                d.queued_flag += 1;
            }
            if !seen.insert(id) {
                d.duplicates += 1;
            }
        }
    }
    d.all_ms = lat(t0, now_us()) as f64 / 1000.0;
    d.received = seen.len();
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        framed.send(Message::Close(Some(CloseCode::Normal.into()))),
    )
    .await;
    // Reads until the server's close answer (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(f)) = framed.next().await {
            if matches!(f, Frame::Close(_)) {
                break;
            }
        }
    })
    .await;
    Ok(d)
}
