//! Scenario 6: reconnect storm. N receivers — MoltCities raw WebSocket (personal channel, acks
//! every notification), Socket.IO JSON and Socket.IO msgpack (MoChat `subscribeSessions` with
//! the last cursor seen) in turn — each drop their connection at random every few seconds and
//! come back after a random pause, while one sender posts DMs to them at a steady rate. When the
//! storm ends they stay connected until everything arrived (or a deadline passes).
//!
//! Figures: eventual delivery of every accepted (2xx) message (must be 100 %), duplicates
//! delivered, replay latency (reconnect started → arrival of a message posted while the receiver
//! was away) and live latency (post → arrival).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use awc::ws::{Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::api::{self, post_raw, Agent};
use super::ctx::Ctx;
use super::drain::notification;
use super::report::Report;
use super::stats::{lat, now_us, round2, Latencies, PROGRESS};
use super::wsconn::{connect, mp_packet, Framed, Kind, Spec};

/// What the receivers are told to do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Drop the connection at random moments.
    Storm,
    /// Stay connected (reconnect once if needed) and collect the rest.
    Settle,
    /// Close and report.
    Stop,
}

/// Per posted message: when its 2xx arrived (0 = not accepted), and how often it was received.
struct Ledger {
    accepted_us: Vec<AtomicU64>,
    received: Vec<AtomicU32>,
}

impl Ledger {
    fn new(n: usize) -> Ledger {
        Ledger {
            accepted_us: (0..n).map(|_| AtomicU64::new(0)).collect(),
            received: (0..n).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    fn accepted(&self) -> usize {
        self.accepted_us
            .iter()
            .filter(|a| a.load(Relaxed) > 0)
            .count()
    }

    /// Accepted messages received at least once.
    fn delivered(&self) -> usize {
        self.accepted_us
            .iter()
            .zip(&self.received)
            .filter(|(a, r)| a.load(Relaxed) > 0 && r.load(Relaxed) > 0)
            .count()
    }
}

/// What one receiver saw.
#[derive(Default)]
struct Seen {
    connects: u64,
    connect_failures: u64,
    kills: u64,
    /// Server-initiated closes (should be none).
    server_closes: u64,
    duplicates: u64,
    replay_us: Latencies,
    live_us: Latencies,
    first_error: Option<String>,
}

/// A tiny xorshift: the generator's randomness needs no quality, only no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, max_ms: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(self.0 % max_ms.max(1))
    }
}

/// Every `lgm#<seq>#<sent_us>#` marker in a frame (a backlog frame carries many).
fn marks(b: &[u8]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut rest = b;
    while let Some(i) = rest.windows(4).position(|w| w == b"lgm#") {
        if let Some(m) = super::wsconn::find_mark(&rest[i..]) {
            out.push(m);
        }
        rest = &rest[i + 4..];
    }
    out
}

fn mp_to_json(v: rmpv::Value) -> Value {
    match v {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => json!(b),
        rmpv::Value::Integer(i) => i.as_u64().map(Value::from).unwrap_or(json!(i.as_i64())),
        rmpv::Value::F64(f) => json!(f),
        rmpv::Value::F32(f) => json!(f),
        rmpv::Value::String(s) => json!(s.as_str().unwrap_or_default()),
        rmpv::Value::Array(a) => Value::Array(a.into_iter().map(mp_to_json).collect()),
        rmpv::Value::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), mp_to_json(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A Socket.IO frame as JSON: `[type, id?, data]`-free, just the packet's data.
fn sio_data(binary: bool, b: &[u8]) -> Option<Value> {
    if binary {
        let v = rmpv::decode::read_value(&mut &b[..]).ok()?;
        return Some(mp_to_json(v)["data"].clone());
    }
    let start = b.iter().position(|&c| c == b'[' || c == b'{')?;
    serde_json::from_slice(&b[start..]).ok()
}

/// The largest event `seq` anywhere in a `claw.session.events` push or a subscribe ack.
fn max_seq(v: &Value) -> Option<u64> {
    match v {
        Value::Array(a) => a.iter().filter_map(max_seq).max(),
        Value::Object(o) => {
            let own = o
                .get("events")
                .and_then(Value::as_array)
                .and_then(|evs| evs.iter().filter_map(|e| e["seq"].as_u64()).max());
            o.values().filter_map(max_seq).chain(own).max()
        }
        _ => None,
    }
}

struct Receiver {
    spec: Spec,
    session_id: String,
    ledger: Arc<Ledger>,
    phase: watch::Receiver<Phase>,
    kill_every_ms: u64,
    pause_ms: u64,
    rng: Rng,
    /// The last session seq seen (Socket.IO cursor).
    cursor: u64,
    got: HashSet<u64>,
    seen: Seen,
}

impl Receiver {
    async fn run(mut self) -> Seen {
        // Bounded: every turn connects once; the phase reaches Stop before the scenario's
        // deadline.
        while *self.phase.borrow() != Phase::Stop {
            let t_connect = now_us();
            let framed = match self.open().await {
                Ok(f) => f,
                Err(e) => {
                    self.seen.connect_failures += 1;
                    self.seen.first_error.get_or_insert(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            self.seen.connects += 1;
            PROGRESS.conns.fetch_add(1, Relaxed);
            self.read(framed, t_connect).await;
            if *self.phase.borrow() == Phase::Storm {
                let pause = self.rng.below(self.pause_ms);
                tokio::time::sleep(pause).await;
            }
        }
        self.seen
    }

    async fn open(&mut self) -> Result<Framed, String> {
        let mut framed = connect(&self.spec).await?;
        if self.spec.kind == Kind::Raw {
            return Ok(framed);
        }
        let arg = json!({
            "sessionIds": [self.session_id],
            "cursors": { self.session_id.clone(): self.cursor },
            "limit": 100,
        });
        let m = if self.spec.kind.msgpack() {
            let data = rmpv::Value::Array(vec![
                rmpv::Value::from("com.claw.im.subscribeSessions"),
                json_to_mp(&arg),
            ]);
            Message::Binary(mp_packet(2, Some(data), Some(1)).into())
        } else {
            Message::Text(format!(r#"421["com.claw.im.subscribeSessions",{arg}]"#).into())
        };
        framed.send(m).await.map_err(|e| format!("send: {e}"))?;
        Ok(framed)
    }

    /// Reads until the kill moment (storm), everything arrived (settle) or stop.
    async fn read(&mut self, mut framed: Framed, t_connect: u64) {
        let kill_at = tokio::time::Instant::now()
            + Duration::from_millis(self.kill_every_ms / 4)
            + self.rng.below(self.kill_every_ms);
        let mut phase = self.phase.clone();
        loop {
            let storm = *phase.borrow() == Phase::Storm;
            let frame = tokio::select! {
                _ = tokio::time::sleep_until(kill_at), if storm => {
                    // Abrupt: no close frame, the TCP connection just goes away.
                    self.seen.kills += 1;
                    drop(framed);
                    return;
                }
                changed = phase.changed() => {
                    if changed.is_err() || *phase.borrow() == Phase::Stop {
                        let _ = framed.send(Message::Close(None)).await;
                        return;
                    }
                    continue;
                }
                f = framed.next() => f,
            };
            let (binary, b) = match frame {
                Some(Ok(Frame::Text(b))) => (false, b),
                Some(Ok(Frame::Binary(b))) => (true, b),
                Some(Ok(Frame::Ping(p))) => {
                    let _ = framed.send(Message::Pong(p)).await;
                    continue;
                }
                Some(Ok(Frame::Close(r))) => {
                    self.seen.server_closes += 1;
                    self.seen
                        .first_error
                        .get_or_insert(format!("closed by the server: {r:?}"));
                    return;
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => {
                    self.seen.server_closes += 1;
                    return;
                }
            };
            PROGRESS.frames.fetch_add(1, Relaxed);
            let now = now_us();
            for (seq, sent) in marks(&b) {
                if let Some(r) = self.ledger.received.get(seq as usize) {
                    r.fetch_add(1, Relaxed);
                }
                if !self.got.insert(seq) {
                    self.seen.duplicates += 1;
                } else if sent < t_connect {
                    self.seen.replay_us.push(lat(t_connect, now));
                } else {
                    self.seen.live_us.push(lat(sent, now));
                }
            }
            let reply = if self.spec.kind == Kind::Raw {
                notification(&b).map(|(id, _)| {
                    let id = String::from_utf8_lossy(&id);
                    Message::Text(
                        json!({ "type": "ack", "notification_id": id })
                            .to_string()
                            .into(),
                    )
                })
            } else if !binary && &b[..] == b"2" {
                Some(Message::Text("3".into()))
            } else {
                if let Some(s) = sio_data(binary, &b).as_ref().and_then(max_seq) {
                    self.cursor = self.cursor.max(s);
                }
                None
            };
            if let Some(m) = reply {
                if framed.send(m).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn json_to_mp(v: &Value) -> rmpv::Value {
    match v {
        Value::Null => rmpv::Value::Nil,
        Value::Bool(b) => rmpv::Value::from(*b),
        Value::Number(n) => n
            .as_u64()
            .map(rmpv::Value::from)
            .unwrap_or_else(|| rmpv::Value::from(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => rmpv::Value::from(s.as_str()),
        Value::Array(a) => rmpv::Value::Array(a.iter().map(json_to_mp).collect()),
        Value::Object(o) => rmpv::Value::Map(
            o.iter()
                .map(|(k, v)| (rmpv::Value::from(k.as_str()), json_to_mp(v)))
                .collect(),
        ),
    }
}

pub async fn run(ctx: &mut Ctx) -> Report {
    let mut rep = Report::new(
        "storm",
        "6. Reconnect storm: receivers dropped at random while DMs flow",
    );
    if let Err(e) = run_inner(ctx, &mut rep).await {
        rep.fail(e);
    }
    rep
}

async fn run_inner(ctx: &mut Ctx, rep: &mut Report) -> Result<(), String> {
    let sizes = ctx.sizes_or(&[12], &[100, 300, 1000]);
    let duration = ctx.duration_or(Duration::from_secs(3), Duration::from_secs(20));
    let rate = ctx.rate.unwrap_or(if ctx.smoke { 60.0 } else { 200.0 });
    let (kill_every_ms, pause_ms) = if ctx.smoke { (600, 300) } else { (3000, 1000) };
    let kinds = ctx
        .kinds
        .clone()
        .unwrap_or_else(|| vec![Kind::Raw, Kind::SioJson, Kind::SioMsgpack]);
    if kinds.iter().any(|k| k.is_node()) {
        return Err("the storm runs against agentgate only".into());
    }
    let base = ctx.gate.base();
    for n in sizes {
        let mut agents = ctx.fresh_agents(n + 1).await?;
        let Some(sender) = agents.pop() else {
            return Err("no agents".into());
        };
        PROGRESS.phase(format!("storm × {n}: opening {n} DM sessions"));
        let mut sessions = Vec::with_capacity(n);
        for a in &agents {
            sessions.push(api::session(&base, &sender, &[a]).await?);
        }
        let total = ((rate * duration.as_secs_f64()).round() as usize).max(n);
        let ledger = Arc::new(Ledger::new(total));
        let (phase_tx, phase_rx) = watch::channel(Phase::Storm);
        let mut outcomes = Vec::with_capacity(n);
        for (i, (a, sid)) in agents.iter().zip(&sessions).enumerate() {
            let r = Receiver {
                spec: Spec {
                    kind: kinds[i % kinds.len()],
                    base: base.clone(),
                    token: a.token.clone(),
                    town_square: false,
                    subscribe: false,
                },
                session_id: sid.clone(),
                ledger: ledger.clone(),
                phase: phase_rx.clone(),
                kill_every_ms,
                pause_ms,
                rng: Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1) * 0x2545_f491)),
                cursor: 0,
                got: HashSet::new(),
                seen: Seen::default(),
            };
            outcomes.push(ctx.pool.spawn(i, move || r.run()));
        }
        PROGRESS.phase(format!("storm × {n}: {total} DMs at {rate}/s"));
        let started = Instant::now();
        let post_errors = send_all(&base, &sender, &sessions, &ledger, total, rate).await;
        let storm_s = started.elapsed().as_secs_f64();
        let _ = phase_tx.send(Phase::Settle);
        PROGRESS.phase(format!("storm × {n}: settling"));
        let accepted = ledger.accepted();
        let settle_start = Instant::now();
        let settle_end = settle_start + Duration::from_secs(if ctx.smoke { 15 } else { 60 });
        while ledger.delivered() < accepted && Instant::now() < settle_end {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let settle_s = settle_start.elapsed().as_secs_f64();
        let _ = phase_tx.send(Phase::Stop);
        let mut all = Seen::default();
        let collect_end = Instant::now() + Duration::from_secs(30);
        for o in outcomes {
            let left = collect_end.saturating_duration_since(Instant::now());
            if let Ok(Ok(s)) = tokio::time::timeout(left, o).await {
                all.connects += s.connects;
                all.connect_failures += s.connect_failures;
                all.kills += s.kills;
                all.server_closes += s.server_closes;
                all.duplicates += s.duplicates;
                all.replay_us.extend([s.replay_us]);
                all.live_us.extend([s.live_us]);
                if all.first_error.is_none() {
                    all.first_error = s.first_error;
                }
            } else {
                rep.fail(format!("storm × {n}: a receiver did not report"));
            }
        }
        let delivered = ledger.delivered();
        let replayed = all.replay_us.len();
        let replay = all.replay_us.summary();
        let live = all.live_us.summary();
        rep.row(vec![
            ("receivers", json!(n)),
            ("storm s", json!(round2(storm_s))),
            ("DMs accepted", json!(accepted)),
            ("delivered", json!(delivered)),
            (
                "delivered %",
                json!(round2(100.0 * delivered as f64 / accepted.max(1) as f64)),
            ),
            ("duplicates", json!(all.duplicates)),
            ("kills", json!(all.kills)),
            ("closed by server", json!(all.server_closes)),
            ("reconnects", json!(all.connects.saturating_sub(n as u64))),
            ("replayed", json!(replayed)),
            ("replay p50 ms", json!(replay.p50_ms)),
            ("replay p99 ms", json!(replay.p99_ms)),
            ("live p50 ms", json!(live.p50_ms)),
            ("live p99 ms", json!(live.p99_ms)),
            ("settle s", json!(round2(settle_s))),
        ]);
        if post_errors > 0 {
            rep.fail(format!("storm × {n}: {post_errors} posts were refused"));
        }
        if delivered < accepted {
            rep.fail(format!(
                "storm × {n}: {delivered} of {accepted} accepted DMs arrived{}",
                all.first_error
                    .as_ref()
                    .map(|e| format!(" (first receiver error: {e})"))
                    .unwrap_or_default()
            ));
        }
        if all.kills == 0 {
            rep.fail(format!("storm × {n}: no connection was dropped"));
        }
        if all.connect_failures > 0 {
            rep.note(format!(
                "storm × {n}: {} connect attempts failed and were retried; first: {}",
                all.connect_failures,
                all.first_error.unwrap_or_default()
            ));
        }
        ctx.gate.check_alive()?;
    }
    rep.note(format!(
        "receivers: {} in turn; each drops its connection (no close frame) {}–{} ms after connecting and reconnects after 0–{} ms",
        kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        kill_every_ms / 4,
        kill_every_ms / 4 + kill_every_ms,
        pause_ms
    ));
    rep.note("raw WebSocket receivers acknowledge every notification; Socket.IO receivers resubscribe with the last seq they saw");
    rep.note("replay: reconnect started → arrival of a DM posted while the receiver was away; live: post → arrival");
    rep.note("duplicates: a raw receiver's ack lost with its dropped connection means the notification is replayed (at least once)");
    Ok(())
}

/// Posts `total` DMs round-robin over the sessions at `rate`; returns how many were refused.
async fn send_all(
    base: &str,
    sender: &Agent,
    sessions: &[String],
    ledger: &Arc<Ledger>,
    total: usize,
    rate: f64,
) -> u64 {
    let url = Arc::new(format!("{base}/api/claw/sessions/send"));
    let token = Arc::new(sender.token.clone());
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut joins = Vec::with_capacity(total);
    for seq in 0..total {
        ticker.tick().await;
        let body = json!({
            "sessionId": sessions[seq % sessions.len()],
            "content": super::wsconn::mark(seq as u64),
        })
        .to_string();
        let (url, token, ledger) = (url.clone(), token.clone(), ledger.clone());
        joins.push(actix_web::rt::spawn(async move {
            match post_raw(&url, Some(&token), body).await {
                Ok((200, _)) => {
                    ledger.accepted_us[seq].store(now_us().max(1), Relaxed);
                    0
                }
                _ => 1,
            }
        }));
    }
    let mut errors = 0;
    for j in joins {
        errors += j.await.unwrap_or(1);
    }
    errors
}
