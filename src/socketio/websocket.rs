//! WebSocket transport on actix-ws: WebSocket-only sessions, the polling → WebSocket
//! upgrade (`2probe` / `3probe` / `5`), and the reader and writer tasks.

use super::engine::Engine;
use super::engine_packet::{EnginePacket, Frame};
use super::routes::{engine_error, EngineError};
use super::session::{
    wait_closed, wait_closing, CloseReason, CloseState, ConnInfo, EngineSession, Outgoing,
    TransportKind,
};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, Session as WsSession};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long closing a WebSocket may wait for room in its send buffer.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

fn accept(
    req: &HttpRequest,
    body: web::Payload,
    max_payload: usize,
) -> Option<(HttpResponse, WsSession, AggregatedMessageStream)> {
    let (res, ws, stream) = actix_ws::handle(req, body).ok()?;
    // actix-ws caps frames at 64 KiB by default; maxPayload is the limit that applies.
    let stream = stream
        .max_frame_size(max_payload)
        .aggregate_continuations()
        .max_continuation_size(max_payload);
    Some((res, ws, stream))
}

/// `?EIO=4&transport=websocket` without sid: a WebSocket-only session.
pub(crate) fn open(
    engine: &Engine,
    req: &HttpRequest,
    body: web::Payload,
    info: ConnInfo,
) -> HttpResponse {
    let (res, ws, stream) = match accept(req, body, engine.config().max_payload) {
        Some(t) => t,
        None => return engine_error(EngineError::BadRequest),
    };
    let session = engine.create_session(TransportKind::Websocket, info);
    actix_web::rt::spawn(run(session, ws, stream));
    res
}

/// `?EIO=4&transport=websocket&sid=…`: an upgrade of a polling session.
pub(crate) fn upgrade(
    session: Arc<EngineSession>,
    req: &HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let (res, ws, stream) = match accept(req, body, session.config().max_payload) {
        Some(t) => t,
        None => return engine_error(EngineError::BadRequest),
    };
    if !session.begin_upgrade() {
        // Already upgraded or upgrading: like the reference, accept and close at once.
        actix_web::rt::spawn(async move {
            let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
        });
        return res;
    }
    actix_web::rt::spawn(probe_then_run(session, ws, stream));
    res
}

/// What the probe WebSocket said next.
enum ProbeStep {
    Text(String),
    Other,
}

async fn next_probe_message(ws: &mut WsSession, stream: &mut AggregatedMessageStream) -> ProbeStep {
    loop {
        match stream.recv().await {
            Some(Ok(AggregatedMessage::Text(t))) => return ProbeStep::Text(t.to_string()),
            Some(Ok(AggregatedMessage::Ping(b))) => {
                let _ = ws.pong(&b).await;
            }
            Some(Ok(AggregatedMessage::Pong(_))) => {}
            _ => return ProbeStep::Other,
        }
    }
}

async fn probe_then_run(
    session: Arc<EngineSession>,
    mut ws: WsSession,
    mut stream: AggregatedMessageStream,
) {
    let mut close_rx = session.watch_close();
    let timeout = session.config().upgrade_timeout;
    let probe = async {
        match next_probe_message(&mut ws, &mut stream).await {
            ProbeStep::Text(t) if t == "2probe" => {}
            _ => return false,
        }
        if ws.text("3probe").await.is_err() {
            return false;
        }
        session.mark_probed();
        matches!(next_probe_message(&mut ws, &mut stream).await, ProbeStep::Text(t) if t == "5")
    };
    let ok = tokio::select! {
        r = tokio::time::timeout(timeout, probe) => r.unwrap_or(false),
        _ = wait_closing(&mut close_rx) => false,
    };
    if ok && session.complete_upgrade() {
        run(session, ws, stream).await;
    } else {
        // A failed probe must not kill the session: it stays on polling.
        session.abort_upgrade();
        let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
    }
}

/// Runs the transport: a writer task draining the outbox and this reader loop.
async fn run(session: Arc<EngineSession>, ws: WsSession, stream: AggregatedMessageStream) {
    actix_web::rt::spawn(writer(Arc::clone(&session), ws.clone()));
    reader(session, ws, stream).await;
}

async fn reader(
    session: Arc<EngineSession>,
    mut ws: WsSession,
    mut stream: AggregatedMessageStream,
) {
    let mut close_rx = session.watch_close();
    loop {
        let msg = tokio::select! {
            m = stream.recv() => m,
            _ = wait_closed(&mut close_rx) => return,
        };
        let msg = match msg {
            None => {
                session.close(CloseReason::TransportClose);
                return;
            }
            Some(Err(e)) => {
                // Includes frames over maxPayload.
                log::debug!("engine.io session {}: websocket error {e}", session.sid());
                session.close(CloseReason::TransportError);
                return;
            }
            Some(Ok(m)) => m,
        };
        match msg {
            AggregatedMessage::Text(t) => {
                session.touch();
                match EnginePacket::decode_text(&t) {
                    Ok(EnginePacket::Message(f)) => session.deliver(vec![f]).await,
                    Ok(EnginePacket::Pong(_)) => session.on_pong(),
                    Ok(EnginePacket::Close) => {
                        // Close at once instead of waiting for the ping timeout like Node.
                        session.close(CloseReason::TransportClose);
                        return;
                    }
                    Ok(EnginePacket::Ping(_)) => {
                        session.close(CloseReason::TransportError);
                        return;
                    }
                    Ok(EnginePacket::Open(_) | EnginePacket::Upgrade | EnginePacket::Noop) => {}
                    Err(_) => {
                        session.close(CloseReason::ParseError);
                        return;
                    }
                }
            }
            AggregatedMessage::Binary(b) => {
                session.touch();
                session.deliver(vec![Frame::Binary(b)]).await;
            }
            AggregatedMessage::Ping(b) => {
                let _ = ws.pong(&b).await;
            }
            AggregatedMessage::Pong(_) => {}
            AggregatedMessage::Close(_) => {
                session.close(CloseReason::TransportClose);
                return;
            }
        }
    }
}

/// Sends one WS message unless the session is closed for good meanwhile.
async fn write(
    ws: &mut WsSession,
    close_rx: &mut watch::Receiver<CloseState>,
    msg: WsOut<'_>,
) -> bool {
    let send = async {
        match msg {
            WsOut::Text(t) => ws.text(t).await,
            WsOut::Binary(b) => ws.binary(b.clone()).await,
        }
    };
    tokio::select! {
        r = send => r.is_ok(),
        _ = wait_closed(close_rx) => false,
    }
}

enum WsOut<'a> {
    Text(String),
    Binary(&'a bytes::Bytes),
}

async fn writer(session: Arc<EngineSession>, mut ws: WsSession) {
    let mut close_rx = session.watch_close();
    loop {
        let notified = session.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (items, life) = session.drain_for_ws();
        if let CloseState::Closed(_) = life {
            let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
            return;
        }
        for item in items {
            let ok = match item {
                Outgoing::Control(EnginePacket::Close) => {
                    // WebSocket clients are closed with a close frame, not an EIO `1`.
                    let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
                    session.finish_closing();
                    return;
                }
                Outgoing::Control(p) => match p.encode_text() {
                    Some(t) => write(&mut ws, &mut close_rx, WsOut::Text(t)).await,
                    None => true,
                },
                Outgoing::Frames(frames) => {
                    let mut ok = true;
                    for f in frames.as_ref().as_ref() {
                        let out = match f {
                            Frame::Text(t) => {
                                let mut s = String::with_capacity(t.len() + 1);
                                s.push('4');
                                s.push_str(t);
                                WsOut::Text(s)
                            }
                            Frame::Binary(b) => WsOut::Binary(b),
                        };
                        if !write(&mut ws, &mut close_rx, out).await {
                            ok = false;
                            break;
                        }
                    }
                    ok
                }
            };
            if !ok {
                session.close(CloseReason::TransportClose);
                let _ = tokio::time::timeout(CLOSE_WAIT, ws.close(None)).await;
                return;
            }
        }
        notified.await;
    }
}
