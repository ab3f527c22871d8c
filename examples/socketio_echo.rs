//! Conformance fixture for the official Engine.IO and Socket.IO protocol test suites:
//! an Engine.IO echo at `/engine.io/` and the Socket.IO fixture at `/socket.io/`, on
//! 127.0.0.1:3000 (`PORT` overrides), with pingInterval 300, pingTimeout 200,
//! maxPayload 1e6 and connectTimeout 1000.

use agentgate::socketio::{
    configure_engine, AckResponder, BoxFuture, EchoApp, Engine, NamespaceHandler, Payload, Socket,
    SocketIo, SocketIoConfig,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// `/`: emits `auth` on connect, echoes `message` as `message-back`, acks `message-with-ack`.
struct Main;

impl NamespaceHandler for Main {
    fn on_connect(&self, socket: Socket, auth: Option<Value>) -> BoxFuture<Result<(), Value>> {
        Box::pin(async move {
            let _ = socket.emit("auth", auth.unwrap_or_else(|| json!({})));
            Ok(())
        })
    }

    fn on_event(
        &self,
        socket: Socket,
        event: String,
        args: Payload,
        ack: Option<AckResponder>,
    ) -> BoxFuture<()> {
        Box::pin(async move {
            match (event.as_str(), ack) {
                ("message-with-ack", Some(ack)) => {
                    let _ = ack.send(args);
                }
                ("message", _) => {
                    let _ = socket.emit("message-back", args);
                }
                _ => {}
            }
        })
    }
}

/// `/custom`: emits `auth` on connect.
struct Custom;

impl NamespaceHandler for Custom {
    fn on_connect(&self, socket: Socket, auth: Option<Value>) -> BoxFuture<Result<(), Value>> {
        Box::pin(async move {
            let _ = socket.emit("auth", auth.unwrap_or_else(|| json!({})));
            Ok(())
        })
    }

    fn on_event(&self, _: Socket, _: String, _: Payload, _: Option<AckResponder>) -> BoxFuture<()> {
        Box::pin(async {})
    }
}

fn suite_config() -> SocketIoConfig {
    SocketIoConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_payload: 1_000_000,
        connect_timeout: Duration::from_millis(1000),
        ..SocketIoConfig::default()
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::init_from_env(env_logger::Env::default().default_filter_or("info"));
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    // Built once, outside the worker factory, so every worker shares the sessions.
    let echo = Engine::new(suite_config(), Arc::new(EchoApp));
    let io = SocketIo::new(suite_config());
    io.ns("/", Arc::new(Main));
    io.ns("/custom", Arc::new(Custom));
    log::info!("listening on 127.0.0.1:{port}");
    // agentgate's HTTP server, whose upgrade path hands WebSockets their TCP stream.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    agentgate::server::http::listen(actix_server::Server::build(), listener, move |cfg| {
        configure_engine(cfg, "/engine.io/", Arc::clone(&echo));
        io.configure("/socket.io/")(cfg);
    })?
    .run()
    .await
}
