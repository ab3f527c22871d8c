//! A minimal Socket.IO v5 client over a raw WebSocket (JSON parser), for precise in-repo tests
//! of ordering and delivery. The third-party clients live in `conformance/`.

use std::collections::VecDeque;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};

type Framed = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

/// One connected socket on namespace `/`.
pub struct Sio {
    framed: Framed,
    next_id: u64,
    events: VecDeque<(String, Value)>,
    pub disconnected: bool,
}

/// How a connection attempt ended.
pub enum Connect {
    Ok(Sio),
    Refused(Value),
}

impl Sio {
    /// Opens a WebSocket Engine.IO session and sends CONNECT with `auth`.
    pub async fn connect(base: &str, auth: Value) -> Connect {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replacen("http", "ws", 1)
        );
        let (_, framed) = awc::Client::new()
            .ws(url)
            .connect()
            .await
            .expect("ws connect");
        let mut s = Sio {
            framed,
            next_id: 1,
            events: VecDeque::new(),
            disconnected: false,
        };
        let open = s.text(Duration::from_secs(5)).await.expect("open packet");
        assert!(open.starts_with("0{"), "{open}");
        let open: Value = serde_json::from_str(&open[1..]).unwrap();
        assert!(
            open["sid"].is_string() && open["pingInterval"].is_u64(),
            "{open}"
        );
        // No auth at all is a bare CONNECT, as socket.io-client sends it.
        s.send(if auth.is_null() {
            "40".to_string()
        } else {
            format!("40{auth}")
        })
        .await;
        loop {
            let t = s
                .text(Duration::from_secs(5))
                .await
                .expect("connect answer");
            if let Some(rest) = t.strip_prefix("40") {
                let v: Value = serde_json::from_str(rest).unwrap();
                assert!(v["sid"].is_string(), "{t}");
                return Connect::Ok(s);
            }
            if let Some(rest) = t.strip_prefix("44") {
                return Connect::Refused(serde_json::from_str(rest).unwrap());
            }
        }
    }

    /// Connects with a token; panics if refused.
    pub async fn with_token(base: &str, token: &str) -> Sio {
        match Sio::connect(base, json!({ "token": token })).await {
            Connect::Ok(s) => s,
            Connect::Refused(v) => panic!("refused: {v}"),
        }
    }

    async fn send(&mut self, text: String) {
        self.framed
            .send(awc::ws::Message::Text(text.into()))
            .await
            .expect("ws send");
    }

    /// The next text frame, answering pings; `None` on timeout or close.
    async fn text(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.framed.next())
                .await
                .ok()??;
            match frame.ok()? {
                awc::ws::Frame::Text(b) => {
                    let t = String::from_utf8_lossy(&b).to_string();
                    if t == "2" {
                        self.send("3".into()).await;
                        continue;
                    }
                    return Some(t);
                }
                awc::ws::Frame::Close(_) => {
                    self.disconnected = true;
                    return None;
                }
                awc::ws::Frame::Ping(p) => {
                    let _ = self.framed.send(awc::ws::Message::Pong(p)).await;
                }
                _ => {}
            }
        }
    }

    /// Handles one Socket.IO packet: events are queued; returns an ack's payload if it is one.
    fn take(&mut self, t: &str) -> Option<(u64, Value)> {
        if let Some(rest) = t.strip_prefix("42") {
            let start = rest.find('[').unwrap_or(0);
            let v: Value = serde_json::from_str(&rest[start..]).unwrap();
            let name = v[0].as_str().unwrap_or_default().to_string();
            self.events
                .push_back((name, v.get(1).cloned().unwrap_or(Value::Null)));
        } else if let Some(rest) = t.strip_prefix("43") {
            let start = rest.find('[').unwrap();
            let id: u64 = rest[..start].parse().unwrap();
            let v: Value = serde_json::from_str(&rest[start..]).unwrap();
            return Some((id, v[0].clone()));
        } else if t.starts_with("41") {
            self.disconnected = true;
        }
        None
    }

    /// Emits an event and waits for its ack.
    pub async fn call(&mut self, event: &str, data: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(format!("42{id}{}", json!([event, data]))).await;
        loop {
            let t = self.text(Duration::from_secs(10)).await.expect("ack");
            if let Some((got, v)) = self.take(&t) {
                assert_eq!(got, id);
                return v;
            }
        }
    }

    /// Emits an event without asking for an ack.
    pub async fn emit(&mut self, event: &str, data: Value) {
        self.send(format!("42{}", json!([event, data]))).await;
    }

    /// The next pushed event within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let t = self.text(left).await?;
            self.take(&t);
            if self.disconnected && self.events.is_empty() {
                return None;
            }
        }
    }

    /// The next event with this name (others are skipped) within `wait`.
    pub async fn next_named(&mut self, name: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (n, v) = self.next(left).await?;
            if n == name {
                return Some(v);
            }
        }
    }

    /// Every event that arrives within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Some(e) = self
            .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            out.push(e);
        }
        out
    }

    /// Closes the WebSocket.
    pub async fn close(mut self) {
        let _ = self.framed.send(awc::ws::Message::Close(None)).await;
    }
}
