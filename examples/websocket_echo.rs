//! An echo server on agentgate's own WebSocket layer (`agentgate::websocket`), for
//! Autobahn|Testsuite (`conformance/autobahn/run.sh`): text and binary messages come back as
//! they went in, pings are answered, and every close follows RFC 6455.
//!
//! Usage: `websocket_echo [--port N] [--max-message BYTES]`. Port 0 (the default) picks a free
//! one; the address is printed as `listening on 127.0.0.1:PORT`. The message limit defaults to
//! the MoltCities wire's 64 KiB; Autobahn section 9 needs `--max-message 16777216` or more.

use actix_web::{web, HttpRequest, HttpResponse};
use agentgate::websocket::{self, CloseFrame, Message};

/// The MoltCities wire's limit (`wire::moltcities::ws::MAX_FRAME_BYTES`).
const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// Command-line settings.
#[derive(Clone, Copy)]
struct Args {
    port: u16,
    max_message: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        max_message: DEFAULT_MAX_MESSAGE,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| format!("bad port {value}"))?,
            "--max-message" => {
                args.max_message = value
                    .parse()
                    .map_err(|_| format!("bad --max-message {value}"))?
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// Upgrades any GET to a WebSocket that echoes until it closes.
async fn upgrade(req: HttpRequest, max_message: web::Data<usize>) -> HttpResponse {
    let (res, pending) = match websocket::accept(&req) {
        Ok(t) => t,
        Err(e) => return HttpResponse::build(e.status()).body(e.message()),
    };
    let max_message = **max_message;
    actix_web::rt::spawn(async move {
        if let Some(socket) = pending.socket().await {
            echo(socket, max_message).await;
        }
    });
    res
}

/// Echoes messages until the client closes or breaks the protocol.
async fn echo(socket: websocket::Socket, max_message: usize) {
    let (mut reader, writer) = socket.split(max_message);
    while let Some(next) = reader.recv().await {
        let sent = match next {
            Ok(Message::Text(t)) => writer.text(&t).await,
            Ok(Message::Binary(b)) => writer.binary(&b).await,
            Ok(Message::Ping(p)) => writer.pong(&p).await,
            Ok(Message::Pong(_)) => Ok(()),
            Ok(Message::Close(c)) => {
                let _ = writer.close(CloseFrame::reply_to(c.as_ref())).await;
                return;
            }
            Err(e) => {
                if let Some(reply) = e.close_frame() {
                    let _ = writer.close(Some(reply)).await;
                }
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "websocket_echo: {e}\nusage: websocket_echo [--port N] [--max-message BYTES]"
            );
            std::process::exit(2);
        }
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))?;
    println!("listening on {}", listener.local_addr()?);
    let max_message = web::Data::new(args.max_message);
    agentgate::server::http::listen(actix_server::Server::build(), listener, move |cfg| {
        cfg.app_data(max_message.clone())
            .default_service(web::to(upgrade));
    })?
    .workers(1)
    .run()
    .await
}
