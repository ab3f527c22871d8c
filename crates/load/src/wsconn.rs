//! WebSocket listeners: MoltCities raw WebSocket, Socket.IO with the JSON or the msgpack
//! parser (agentgate's MoChat realtime, or the Node reference peer).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use awc::ws::{CloseCode, Frame, Message};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{oneshot, watch};

use super::pool::{ws_client, Pool};
use super::stats::{lat, now_us, wait_for, PROGRESS};

pub type Framed = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

/// What a listener connects to and how it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// MoltCities raw WebSocket (`/api/notifications/connect`).
    Raw,
    /// The web client's live channel (`/web/live`); the spec's token is a session cookie.
    Web,
    /// agentgate Socket.IO, JSON parser.
    SioJson,
    /// agentgate Socket.IO, msgpack parser.
    SioMsgpack,
    /// The Node reference (socket.io 4.8), JSON parser.
    NodeJson,
    /// The Node reference, msgpack parser.
    NodeMsgpack,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Raw => "agentgate raw-ws",
            Kind::Web => "agentgate web-live",
            Kind::SioJson => "agentgate sio-json",
            Kind::SioMsgpack => "agentgate sio-msgpack",
            Kind::NodeJson => "node sio-json",
            Kind::NodeMsgpack => "node sio-msgpack",
        }
    }

    pub fn is_node(self) -> bool {
        matches!(self, Kind::NodeJson | Kind::NodeMsgpack)
    }

    /// Whether the kind speaks Engine.IO (answers its pings).
    pub fn is_sio(self) -> bool {
        !matches!(self, Kind::Raw | Kind::Web)
    }

    pub fn msgpack(self) -> bool {
        matches!(self, Kind::SioMsgpack | Kind::NodeMsgpack)
    }

    /// The parser name the Node reference is started with.
    pub fn node_parser(self) -> &'static str {
        if self.msgpack() {
            "msgpack"
        } else {
            "json"
        }
    }

    /// The Node kind measured against this agentgate kind.
    pub fn reference(self) -> Option<Kind> {
        match self {
            Kind::SioJson => Some(Kind::NodeJson),
            Kind::SioMsgpack => Some(Kind::NodeMsgpack),
            _ => None,
        }
    }
}

/// One listener.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub token: String,
    /// Raw WebSocket: the town-square channel (else the personal channel).
    pub town_square: bool,
    /// agentgate Socket.IO: subscribe every panel of the group after connecting.
    pub subscribe: bool,
}

/// Counters shared by the listeners of one run.
#[derive(Default)]
pub struct Tally {
    pub connected: AtomicU64,
    pub failed: AtomicU64,
    pub frames: AtomicU64,
    pub marked: AtomicU64,
    pub closed_early: AtomicU64,
    /// The latest receive time of a marked frame (`now_us`).
    pub last_rx_us: AtomicU64,
    /// How many listeners received each marked seq.
    pub per_seq: Vec<AtomicU32>,
}

impl Tally {
    /// Counters for marked seqs `0..seqs`.
    pub fn new(seqs: usize) -> Tally {
        Tally {
            per_seq: (0..seqs).map(|_| AtomicU32::new(0)).collect(),
            ..Tally::default()
        }
    }

    /// Listeners still connected.
    pub fn live(&self) -> u64 {
        self.connected
            .load(Relaxed)
            .saturating_sub(self.closed_early.load(Relaxed))
    }
}

/// How the server (or the network) ended a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// A close frame, with its code when it carried one.
    CloseFrame(Option<u16>),
    /// The connection ended or broke without a close frame.
    Cut,
}

/// When (`now_us`) and how a listener was ended from the other side.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    pub at_us: u64,
    pub by: EndedBy,
}

/// What one listener saw.
#[derive(Debug, Default)]
pub struct Outcome {
    pub connected: bool,
    pub error: Option<String>,
    /// Set when the socket ended other than by `stop`.
    pub ended: Option<Ended>,
    pub frames: u64,
    pub marked: u64,
    /// (seq, post → receive latency in microseconds) of the marked frames.
    pub lat: Vec<(u32, u32)>,
}

impl Outcome {
    /// Records that the other side ended the socket, now.
    fn end(&mut self, by: EndedBy, error: String) {
        self.ended = Some(Ended {
            at_us: now_us(),
            by,
        });
        self.error = Some(error);
    }
}

/// At most this many latencies are kept per listener.
const MAX_SAMPLES: usize = 200_000;

/// The marker the posters put in every measured message: `lgm#<seq>#<sent_us>#`.
pub fn mark(seq: u64) -> String {
    format!("lgm#{seq}#{}#", now_us())
}

/// Finds a marker in a frame (text or msgpack: strings are raw bytes in both).
pub fn find_mark(b: &[u8]) -> Option<(u64, u64)> {
    let i = b.windows(4).position(|w| w == b"lgm#")?;
    let mut parts = b[i + 4..].splitn(3, |&c| c == b'#');
    let num = |p: Option<&[u8]>| -> Option<u64> { std::str::from_utf8(p?).ok()?.parse().ok() };
    let seq = num(parts.next())?;
    let sent = num(parts.next())?;
    Some((seq, sent))
}

fn ws_url(base: &str, path_and_query: &str) -> String {
    format!("{}{path_and_query}", base.replacen("http://", "ws://", 1))
}

/// Opens a WebSocket.
pub async fn open(url: &str) -> Result<Framed, String> {
    open_with(url, &[]).await
}

/// Opens a WebSocket with extra request headers.
pub async fn open_with(url: &str, headers: &[(&str, &str)]) -> Result<Framed, String> {
    let mut req = ws_client().ws(url).max_frame_size(16 << 20);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (res, framed) = req.connect().await.map_err(|e| format!("connect: {e}"))?;
    if res.status().as_u16() != 101 {
        return Err(format!("connect: HTTP {}", res.status()));
    }
    Ok(framed)
}

/// The next data frame (text or binary), answering pings on the way; `None` on close or
/// timeout.
async fn next_data(framed: &mut Framed, wait: Duration) -> Result<(bool, Bytes), String> {
    let deadline = tokio::time::Instant::now() + wait;
    // Bounded: each turn consumes a frame, and the deadline ends it.
    loop {
        let frame = tokio::time::timeout_at(deadline, framed.next())
            .await
            .map_err(|_| "timed out waiting for a frame".to_string())?;
        match frame {
            None => return Err("connection ended".into()),
            Some(Err(e)) => return Err(format!("protocol error: {e}")),
            Some(Ok(Frame::Text(b))) => return Ok((false, b)),
            Some(Ok(Frame::Binary(b))) => return Ok((true, b)),
            Some(Ok(Frame::Ping(p))) => {
                let _ = framed.send(Message::Pong(p)).await;
            }
            Some(Ok(Frame::Close(r))) => return Err(format!("closed by the server: {r:?}")),
            Some(Ok(_)) => {}
        }
    }
}

/// A msgpack Socket.IO packet `{type, nsp: "/", data?, id?}`.
pub fn mp_packet(ty: u8, data: Option<rmpv::Value>, id: Option<u64>) -> Vec<u8> {
    let mut map = vec![
        (rmpv::Value::from("type"), rmpv::Value::from(ty)),
        (rmpv::Value::from("nsp"), rmpv::Value::from("/")),
    ];
    if let Some(d) = data {
        map.push((rmpv::Value::from("data"), d));
    }
    if let Some(i) = id {
        map.push((rmpv::Value::from("id"), rmpv::Value::from(i)));
    }
    let mut buf = Vec::with_capacity(64);
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut buf, &rmpv::Value::Map(map));
    buf
}

/// `type` and `id` of a msgpack Socket.IO packet.
fn mp_head(b: &[u8]) -> Option<(u64, Option<u64>)> {
    let v = rmpv::decode::read_value(&mut &b[..]).ok()?;
    let map = v.as_map()?;
    let get = |k: &str| {
        map.iter()
            .find(|(key, _)| key.as_str() == Some(k))
            .map(|(_, v)| v)
    };
    Some((get("type")?.as_u64()?, get("id").and_then(|v| v.as_u64())))
}

/// Connects and completes the protocol's handshake; the socket is then live.
pub async fn connect(spec: &Spec) -> Result<Framed, String> {
    const WAIT: Duration = Duration::from_secs(20);
    if spec.kind == Kind::Web {
        let cookie = format!("agentgate_session={}", spec.token);
        let headers = [("Cookie", cookie.as_str()), ("Origin", spec.base.as_str())];
        let mut framed = open_with(&ws_url(&spec.base, "/web/live"), &headers).await?;
        let (_, b) = next_data(&mut framed, WAIT).await?;
        if !b.starts_with(br#"{"type":"ready"#) {
            return Err(format!(
                "expected ready, got {:?}",
                String::from_utf8_lossy(&b)
            ));
        }
        return Ok(framed);
    }
    if spec.kind == Kind::Raw {
        let mut q = format!("/api/notifications/connect?token={}", spec.token);
        if spec.town_square {
            q.push_str("&channel=town-square");
        }
        let mut framed = open(&ws_url(&spec.base, &q)).await?;
        // Bounded by the deadline inside next_data.
        loop {
            let (_, b) = next_data(&mut framed, WAIT).await?;
            let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
            if v["type"] == "connected" {
                return Ok(framed);
            }
        }
    }
    let mut framed = open(&ws_url(&spec.base, "/socket.io/?EIO=4&transport=websocket")).await?;
    let (_, open_packet) = next_data(&mut framed, WAIT).await?;
    if !open_packet.starts_with(b"0{") {
        return Err(format!(
            "expected the Engine.IO open packet, got {:?}",
            String::from_utf8_lossy(&open_packet)
        ));
    }
    let subscribe = spec.subscribe && !spec.kind.is_node();
    if spec.kind.msgpack() {
        let auth = rmpv::Value::Map(vec![(
            rmpv::Value::from("token"),
            rmpv::Value::from(spec.token.as_str()),
        )]);
        send(
            &mut framed,
            Message::Binary(mp_packet(0, Some(auth), None).into()),
        )
        .await?;
        wait_mp(&mut framed, 0, None, WAIT).await?;
        if subscribe {
            let data = rmpv::Value::Array(vec![
                rmpv::Value::from("com.claw.im.subscribePanels"),
                rmpv::Value::Map(vec![(
                    rmpv::Value::from("panelIds"),
                    rmpv::Value::Array(vec![]),
                )]),
            ]);
            send(
                &mut framed,
                Message::Binary(mp_packet(2, Some(data), Some(0)).into()),
            )
            .await?;
            wait_mp(&mut framed, 3, Some(0), WAIT).await?;
        }
    } else {
        let connect = format!("40{}", serde_json::json!({ "token": spec.token }));
        send(&mut framed, Message::Text(connect.into())).await?;
        wait_text(&mut framed, "40", WAIT).await?;
        if subscribe {
            let sub = r#"420["com.claw.im.subscribePanels",{"panelIds":[]}]"#;
            send(&mut framed, Message::Text(sub.into())).await?;
            let ack = wait_text(&mut framed, "430", WAIT).await?;
            if !ack.contains("\"result\":true") {
                return Err(format!("subscribePanels refused: {ack}"));
            }
        }
    }
    Ok(framed)
}

async fn send(framed: &mut Framed, m: Message) -> Result<(), String> {
    framed.send(m).await.map_err(|e| format!("send: {e}"))
}

/// Waits for a text packet starting with `prefix` (answering Engine.IO pings); a CONNECT_ERROR
/// fails.
async fn wait_text(framed: &mut Framed, prefix: &str, wait: Duration) -> Result<String, String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (binary, b) = next_data(framed, left).await?;
        if binary {
            continue;
        }
        let text = String::from_utf8_lossy(&b).into_owned();
        if text == "2" {
            send(framed, Message::Text("3".into())).await?;
        } else if text.starts_with("44") {
            return Err(format!("connect refused: {text}"));
        } else if text.starts_with(prefix) {
            return Ok(text);
        }
    }
}

/// Waits for a msgpack packet of this type (and ack id).
async fn wait_mp(
    framed: &mut Framed,
    ty: u64,
    id: Option<u64>,
    wait: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (binary, b) = next_data(framed, left).await?;
        if !binary {
            if &b[..] == b"2" {
                send(framed, Message::Text("3".into())).await?;
            }
            continue;
        }
        match mp_head(&b) {
            Some((4, _)) => return Err("connect refused (CONNECT_ERROR)".into()),
            Some((t, i)) if t == ty && (id.is_none() || i == id) => return Ok(()),
            _ => {}
        }
    }
}

/// Connects, then reads until `stop`: answers heartbeats, counts frames and measures the
/// marked ones. Never sends anything else.
pub async fn listen(spec: Spec, tally: Arc<Tally>, mut stop: watch::Receiver<bool>) -> Outcome {
    let mut out = Outcome::default();
    let mut framed = tokio::select! {
        r = connect(&spec) => match r {
            Ok(f) => f,
            Err(e) => {
                tally.failed.fetch_add(1, Relaxed);
                PROGRESS.errors.fetch_add(1, Relaxed);
                out.error = Some(e);
                return out;
            }
        },
        _ = stop.changed() => {
            out.error = Some("stopped before connecting".into());
            return out;
        }
    };
    out.connected = true;
    tally.connected.fetch_add(1, Relaxed);
    PROGRESS.conns.fetch_add(1, Relaxed);
    let sio = spec.kind.is_sio();
    // Bounded by `stop`, which every run sends before its own deadline passes.
    loop {
        let frame = tokio::select! {
            _ = stop.changed() => break,
            f = framed.next() => f,
        };
        let b = match frame {
            None => {
                out.end(EndedBy::Cut, "connection ended".into());
                break;
            }
            Some(Err(e)) => {
                out.end(EndedBy::Cut, format!("protocol error: {e}"));
                break;
            }
            Some(Ok(Frame::Text(b))) | Some(Ok(Frame::Binary(b))) => b,
            Some(Ok(Frame::Ping(p))) => {
                let _ = framed.send(Message::Pong(p)).await;
                continue;
            }
            Some(Ok(Frame::Close(r))) => {
                let code = r.as_ref().map(|r| u16::from(r.code));
                out.end(
                    EndedBy::CloseFrame(code),
                    format!("closed by the server: {r:?}"),
                );
                // Completes the closing handshake as a browser would (RFC 6455 5.5.1).
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), framed.send(Message::Close(r)))
                        .await;
                break;
            }
            Some(Ok(_)) => continue,
        };
        out.frames += 1;
        tally.frames.fetch_add(1, Relaxed);
        PROGRESS.frames.fetch_add(1, Relaxed);
        if sio && &b[..] == b"2" {
            if framed.send(Message::Text("3".into())).await.is_err() {
                out.end(EndedBy::Cut, "send failed".into());
                break;
            }
            continue;
        }
        if let Some((seq, sent)) = find_mark(&b) {
            let now = now_us();
            out.marked += 1;
            tally.marked.fetch_add(1, Relaxed);
            tally.last_rx_us.fetch_max(now, Relaxed);
            if let Some(c) = tally.per_seq.get(seq as usize) {
                c.fetch_add(1, Relaxed);
            }
            if out.lat.len() < MAX_SAMPLES {
                out.lat
                    .push((seq.min(u32::MAX as u64) as u32, lat(sent, now)));
            }
        }
    }
    if out.error.is_some() {
        tally.closed_early.fetch_add(1, Relaxed);
        PROGRESS.errors.fetch_add(1, Relaxed);
    } else {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            framed.send(Message::Close(Some(CloseCode::Normal.into()))),
        )
        .await;
    }
    out
}

/// Handshakes in flight at most while [`open_listeners`] opens sockets.
const OPEN_BATCH: usize = 200;

/// Starts one listener per spec (the `i`th on pool thread `first + i`), waiting after every
/// [`OPEN_BATCH`] until they connected or failed, so handshakes never pile up; every wait ends
/// by `deadline`. Returns the listeners' outcomes, in spec order.
pub async fn open_listeners(
    pool: &Pool,
    specs: impl IntoIterator<Item = Spec>,
    first: usize,
    tally: &Arc<Tally>,
    stop: &watch::Receiver<bool>,
    deadline: Instant,
) -> Vec<oneshot::Receiver<Outcome>> {
    let settled = || tally.connected.load(Relaxed) + tally.failed.load(Relaxed);
    let before = settled();
    let mut outcomes = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        let (t, s) = (tally.clone(), stop.clone());
        outcomes.push(pool.spawn(first + i, move || listen(spec, t, s)));
        if (i + 1).is_multiple_of(OPEN_BATCH) {
            let want = before + (i + 1) as u64;
            wait_for(deadline, || settled() >= want).await;
        }
    }
    let want = before + outcomes.len() as u64;
    wait_for(deadline, || settled() >= want).await;
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_found_in_json_and_msgpack() {
        assert_eq!(
            find_mark(br#"{"message":"lgm#12#3456#"}"#),
            Some((12, 3456))
        );
        let mp = mp_packet(2, Some(rmpv::Value::from("lgm#1#2#")), None);
        assert_eq!(find_mark(&mp), Some((1, 2)));
        assert_eq!(find_mark(b"lgm#x#2#"), None);
        assert_eq!(find_mark(b"nothing"), None);
    }
}
