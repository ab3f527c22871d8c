//! Test harness: the real actix server on 127.0.0.1:0 and small raw Engine.IO clients
//! (awc polling + WebSocket) that see the exact bytes on the wire.
#![allow(dead_code)]

use actix_server::ServerHandle;
use agentgate::socketio::{configure_engine, EchoApp, Engine, SocketIo, SocketIoConfig};
use awc::ws;
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::Value;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Upper bound for any single wait in the tests.
pub const WAIT: Duration = Duration::from_secs(5);

/// A running server: Engine.IO echo at `/engine.io/`, Socket.IO at `/socket.io/`.
pub struct TestServer {
    pub port: u16,
    pub io: SocketIo,
    pub echo: Arc<Engine>,
    handle: ServerHandle,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_rt::spawn(async move { handle.stop(false).await });
    }
}

/// Settings with short heartbeats so timeouts are quick to observe.
pub fn fast_config() -> SocketIoConfig {
    SocketIoConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        connect_timeout: Duration::from_millis(1000),
        ack_timeout: Duration::from_millis(500),
        ..SocketIoConfig::default()
    }
}

/// Starts the server with `config`; `setup` registers namespaces.
pub fn start(config: SocketIoConfig, setup: impl FnOnce(&SocketIo)) -> TestServer {
    let io = SocketIo::new(config.clone());
    setup(&io);
    let echo = Engine::new(config, Arc::new(EchoApp));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (io2, echo2) = (io.clone(), Arc::clone(&echo));
    let builder = actix_server::Server::build()
        // Two workers, so requests of one session really land on different threads.
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1);
    let server = agentgate::server::http::listen(builder, listener, move |cfg| {
        configure_engine(cfg, "/engine.io/", Arc::clone(&echo2));
        io2.configure("/socket.io/")(cfg);
    })
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_rt::spawn(server);
    TestServer {
        port,
        io,
        echo,
        handle,
    }
}

impl TestServer {
    pub fn url(&self, path: &str, query: &str) -> String {
        format!("http://127.0.0.1:{}{}?{}", self.port, path, query)
    }
}

/// HTTP client with a bound on every request.
pub fn http() -> awc::Client {
    awc::Client::builder().timeout(WAIT).finish()
}

/// One HTTP exchange: status, content type, body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

pub async fn get(url: &str) -> Reply {
    let mut res = http().get(url).send().await.expect("GET");
    reply(&mut res).await
}

pub async fn post(url: &str, body: impl Into<Bytes>) -> Reply {
    let mut res = http()
        .post(url)
        .insert_header(("content-type", "text/plain;charset=UTF-8"))
        .send_body(body.into())
        .await
        .expect("POST");
    reply(&mut res).await
}

async fn reply<S>(res: &mut awc::ClientResponse<S>) -> Reply
where
    S: futures_util::Stream<Item = Result<Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res.body().limit(10_000_000).await.expect("body");
    Reply {
        status,
        content_type,
        body: String::from_utf8(body.to_vec()).expect("utf8 body"),
    }
}

/// Polling handshake on `path`; returns the sid and the open JSON.
pub async fn polling_open(srv: &TestServer, path: &str) -> (String, Value) {
    let r = get(&srv.url(path, "EIO=4&transport=polling")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let open: Value = serde_json::from_str(r.body.strip_prefix('0').expect("open")).expect("json");
    (open["sid"].as_str().expect("sid").to_owned(), open)
}

/// A message seen on a raw WebSocket.
#[derive(Debug, PartialEq, Eq)]
pub enum WsMsg {
    Text(String),
    Binary(Bytes),
    Closed,
}

/// Raw WebSocket client.
pub struct WsClient {
    sink: Pin<Box<dyn Sink<ws::Message, Error = awc::error::WsProtocolError>>>,
    stream: Pin<Box<dyn Stream<Item = Result<ws::Frame, awc::error::WsProtocolError>>>>,
}

impl WsClient {
    pub async fn connect(url: &str) -> WsClient {
        let url = url.replacen("http://", "ws://", 1);
        let (_res, framed) = awc::Client::builder()
            .timeout(WAIT)
            .finish()
            .ws(url)
            .max_frame_size(4_000_000)
            .connect()
            .await
            .expect("ws connect");
        let (sink, stream) = framed.split();
        WsClient {
            sink: Box::pin(sink),
            stream: Box::pin(stream),
        }
    }

    pub async fn send_text(&mut self, s: &str) {
        let _ = self.sink.send(ws::Message::Text(s.into())).await;
    }

    pub async fn send_binary(&mut self, b: impl Into<Bytes>) {
        let _ = self.sink.send(ws::Message::Binary(b.into())).await;
    }

    pub async fn close(&mut self) {
        let _ = self.sink.send(ws::Message::Close(None)).await;
    }

    /// Next message (answers WS-level pings); `Closed` on close or stream end.
    pub async fn recv(&mut self) -> WsMsg {
        loop {
            let next = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for a websocket message");
            match next {
                Some(Ok(ws::Frame::Text(t))) => {
                    return WsMsg::Text(String::from_utf8(t.to_vec()).expect("utf8"))
                }
                Some(Ok(ws::Frame::Binary(b))) => return WsMsg::Binary(b),
                Some(Ok(ws::Frame::Ping(p))) => {
                    let _ = self.sink.send(ws::Message::Pong(p)).await;
                }
                Some(Ok(ws::Frame::Pong(_))) | Some(Ok(ws::Frame::Continuation(_))) => {}
                Some(Ok(ws::Frame::Close(_))) | Some(Err(_)) | None => return WsMsg::Closed,
            }
        }
    }

    /// Next message that is not an Engine.IO ping (pings are answered with `3`).
    pub async fn recv_app(&mut self) -> WsMsg {
        loop {
            match self.recv().await {
                WsMsg::Text(t) if t == "2" => self.send_text("3").await,
                other => return other,
            }
        }
    }

    pub async fn recv_text(&mut self) -> String {
        match self.recv_app().await {
            WsMsg::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    pub async fn recv_binary(&mut self) -> Bytes {
        match self.recv_app().await {
            WsMsg::Binary(b) => b,
            other => panic!("expected binary, got {other:?}"),
        }
    }

    /// Waits until the server closes the socket (answering nothing meanwhile).
    pub async fn expect_closed(&mut self) {
        loop {
            if self.recv().await == WsMsg::Closed {
                return;
            }
        }
    }
}

/// Polls `cond` until true (bounded by `WAIT`).
pub async fn wait_until(mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < WAIT, "condition not met in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
