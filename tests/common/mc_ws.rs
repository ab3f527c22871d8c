//! A raw MoltCities WebSocket client for the integration tests, plus helpers that make
//! notifications and town-square posts through the MoChat REST API.
#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};

use super::{Agent, Client, Server, TOWN_SQUARE};

type Framed = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

/// How long any expected frame may take.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long to listen to be sure nothing else arrives.
pub const QUIET: Duration = Duration::from_millis(500);

/// One open socket.
pub struct Ws {
    framed: Framed,
    /// The close frame received, if any: (code, reason).
    pub closed: Option<(u16, String)>,
    /// Whether the connection ended (close frame or end of stream).
    pub ended: bool,
}

/// What a frame read produced.
#[derive(Debug)]
pub enum Read {
    Json(Value),
    Pong(Vec<u8>),
    Closed(Option<(u16, String)>),
    Timeout,
}

/// The WebSocket URL of a path on the server.
pub fn ws_url(s: &Server, path_and_query: &str) -> String {
    format!("{}{}", s.base.replacen("http", "ws", 1), path_and_query)
}

impl Ws {
    /// Opens a socket; `Err(status)` when the handshake is refused (0: no answer).
    pub async fn try_open(url: &str, auth: Option<&str>) -> Result<Ws, u16> {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        Ws::try_open_with(url, &headers).await
    }

    /// Opens a WebSocket with these request headers, or returns the refusal's status.
    pub async fn try_open_with(url: &str, headers: &[(&str, &str)]) -> Result<Ws, u16> {
        let mut req = awc::Client::builder()
            .timeout(Duration::from_secs(10))
            .finish()
            .ws(url)
            .max_frame_size(16 * 1024 * 1024);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        match req.connect().await {
            Ok((_, framed)) => Ok(Ws {
                framed,
                closed: None,
                ended: false,
            }),
            Err(awc::error::WsClientError::InvalidResponseStatus(s)) => Err(s.as_u16()),
            // No answer at all (the connection failed or was cut): status 0.
            Err(e) => {
                eprintln!("ws connect to {url}: {e}");
                Err(0)
            }
        }
    }

    /// Opens a socket with `?token=` on the given channel (`None` = personal).
    pub async fn open(s: &Server, token: &str, channel: Option<&str>) -> Ws {
        let mut url = ws_url(s, &format!("/api/notifications/connect?token={token}"));
        if let Some(c) = channel {
            url.push_str(&format!("&channel={c}"));
        }
        Ws::try_open(&url, None).await.expect("handshake refused")
    }

    /// Opens a personal socket and reads its `connected` frame.
    pub async fn personal(s: &Server, a: &Agent) -> (Ws, Value) {
        let mut ws = Ws::open(s, &a.token, None).await;
        let c = ws.json().await;
        assert_eq!(c["type"], "connected", "{c}");
        assert_eq!(c["channel"], "personal", "{c}");
        (ws, c)
    }

    /// Opens a town-square socket and reads its `connected` frame.
    pub async fn square(s: &Server, a: &Agent) -> (Ws, Value) {
        let mut ws = Ws::open(s, &a.token, Some("town-square")).await;
        let c = ws.json().await;
        assert_eq!(c["type"], "connected", "{c}");
        assert_eq!(c["channel"], "town-square", "{c}");
        (ws, c)
    }

    /// Reads the next frame, waiting at most `wait`.
    pub async fn read(&mut self, wait: Duration) -> Read {
        if self.ended {
            return Read::Closed(self.closed.clone());
        }
        let frame = match tokio::time::timeout(wait, self.framed.next()).await {
            Err(_) => return Read::Timeout,
            Ok(None) | Ok(Some(Err(_))) => {
                self.ended = true;
                return Read::Closed(self.closed.clone());
            }
            Ok(Some(Ok(f))) => f,
        };
        match frame {
            awc::ws::Frame::Text(b) => Read::Json(
                serde_json::from_slice(&b)
                    .unwrap_or_else(|e| panic!("server sent non-JSON text: {e}")),
            ),
            awc::ws::Frame::Pong(p) => Read::Pong(p.to_vec()),
            awc::ws::Frame::Close(r) => {
                self.closed = Some(
                    r.map(|r| (u16::from(r.code), r.description.unwrap_or_default()))
                        .unwrap_or((1005, String::new())),
                );
                self.ended = true;
                Read::Closed(self.closed.clone())
            }
            other => panic!("unexpected frame {other:?}"),
        }
    }

    /// The next JSON frame; panics on anything else.
    pub async fn json(&mut self) -> Value {
        match self.read(WAIT).await {
            Read::Json(v) => v,
            other => panic!("expected a JSON frame, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for a while.
    pub async fn quiet(&mut self) {
        match self.read(QUIET).await {
            Read::Timeout => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }

    /// Reads until the close frame (skipping other frames) and returns (code, reason).
    pub async fn close_frame(&mut self, wait: Duration) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.read(left).await {
                Read::Closed(Some(c)) => return c,
                Read::Closed(None) => panic!("connection ended without a close frame"),
                Read::Timeout => panic!("no close frame within {wait:?}"),
                _ => {}
            }
        }
    }

    /// Sends a text frame.
    pub async fn text(&mut self, t: &str) {
        self.framed
            .send(awc::ws::Message::Text(t.to_string().into()))
            .await
            .expect("ws send");
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, v: Value) {
        self.text(&v.to_string()).await;
    }

    /// Sends a binary frame.
    pub async fn binary(&mut self, b: &[u8]) {
        self.framed
            .send(awc::ws::Message::Binary(b.to_vec().into()))
            .await
            .expect("ws send");
    }

    /// Sends an RFC 6455 ping.
    pub async fn rfc_ping(&mut self, payload: &[u8]) {
        self.framed
            .send(awc::ws::Message::Ping(payload.to_vec().into()))
            .await
            .expect("ws send");
    }

    /// Sends `{"type":"ping"}` and returns the `pong` frame.
    pub async fn ping(&mut self) -> Value {
        self.send(json!({"type": "ping"})).await;
        let p = self.json().await;
        assert_eq!(p["type"], "pong", "{p}");
        p
    }

    /// Closes from the client side with 1000 and waits for the server's close frame, which it
    /// returns.
    pub async fn close(mut self) -> Option<(u16, String)> {
        let _ = self
            .framed
            .send(awc::ws::Message::Close(Some(awc::ws::CloseReason {
                code: awc::ws::CloseCode::Normal,
                description: Some("Client disconnect".into()),
            })))
            .await;
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.ended {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if let Read::Timeout = self.read(left).await {
                panic!("server did not answer the close");
            }
        }
        self.closed
    }
}

/// Sends a direct message from `from` to `to` (a MoChat DM: an inbox.message notification for
/// `to`); returns the message.
pub async fn dm(c: &Client, from: &Agent, to: &Agent, content: &str) -> Value {
    let sid = c.session(from, &[to]).await;
    c.say(from, &sid, content).await
}

/// Posts to the town-square panel; returns the message.
pub async fn post_square(c: &Client, a: &Agent, content: &str) -> Value {
    let r = c
        .call(
            a,
            "groups/panels/send",
            json!({"panelId": TOWN_SQUARE, "content": content}),
        )
        .await;
    r.data()["message"].clone()
}

/// Whether a string is a lowercase UUID v4.
pub fn is_uuid_v4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && parts[2].starts_with('4')
        && matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b'))
}

/// Whether a string is `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn is_iso_ms(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[23] == b'Z'
        && s.chars().filter(|c| c.is_ascii_digit()).count() == 17
}
