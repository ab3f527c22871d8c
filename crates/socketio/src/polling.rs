//! HTTP long-polling transport: handshake, GET (receive) and POST (send).

use super::engine::Engine;
use super::engine_packet::{decode_payload, EnginePacket};
use super::routes::{engine_error, too_many_waiting, EngineError};
use super::session::{
    CloseReason, ConnInfo, EngineSession, GetStep, RequestRefused, TransportKind,
};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::BytesMut;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::time::Instant;

/// Clears the session's "GET pending" flag however the handler ends.
struct GetGuard(Arc<EngineSession>);

impl Drop for GetGuard {
    fn drop(&mut self) {
        self.0.end_get();
    }
}

/// Clears the session's "POST in flight" flag however the handler ends.
struct PostGuard(Arc<EngineSession>);

impl Drop for PostGuard {
    fn drop(&mut self) {
        self.0.end_post();
    }
}

fn text_payload(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=UTF-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

fn refused(r: RequestRefused) -> HttpResponse {
    match r {
        RequestRefused::UnknownSid => engine_error(EngineError::UnknownSid),
        RequestRefused::BadRequest => engine_error(EngineError::BadRequest),
        // The reference answers an overlapping request without a body.
        RequestRefused::Overlap => HttpResponse::BadRequest().finish(),
    }
}

/// Opens a polling session: the body is the open packet.
pub(crate) fn handshake(engine: &Engine, info: ConnInfo) -> HttpResponse {
    let slot = match engine.reserve(&info) {
        Ok(slot) => slot,
        Err(e) => return too_many_waiting(e),
    };
    let (session, _) = engine.create_session(TransportKind::Polling, info, slot);
    let open = session.open_packet(true).encode_text().unwrap_or_default();
    text_payload(open)
}

/// GET: answers with everything queued, or holds until something is.
pub(crate) async fn get(session: Arc<EngineSession>) -> HttpResponse {
    let ctx = match session.begin_get() {
        Ok(ctx) => ctx,
        Err(r) => return refused(r),
    };
    let _guard = GetGuard(Arc::clone(&session));
    // actix may not cancel a handler whose client left, so never hold a GET unbounded.
    let cfg = session.config();
    let safety = Instant::now() + cfg.ping_interval + cfg.ping_timeout;
    loop {
        let notified = session.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match session.get_step(&ctx) {
            GetStep::Respond { body, finalize } => {
                if finalize {
                    session.finish_closing();
                }
                return text_payload(body);
            }
            GetStep::BadRequest => return engine_error(EngineError::BadRequest),
            GetStep::Wait(deadline) => {
                let until = deadline.map_or(safety, |d| d.min(safety));
                tokio::select! {
                    _ = &mut notified => {}
                    _ = tokio::time::sleep_until(until) => {
                        if Instant::now() >= safety {
                            return text_payload("6".to_owned());
                        }
                    }
                }
            }
        }
    }
}

/// POST: decodes the payload and hands the messages to the application.
pub(crate) async fn post(
    session: Arc<EngineSession>,
    req: &HttpRequest,
    mut body: web::Payload,
) -> HttpResponse {
    if let Err(r) = session.begin_post() {
        return refused(r);
    }
    let _guard = PostGuard(Arc::clone(&session));
    // v4 clients never send octet-stream; the reference treats it as an error.
    if req.headers().get(header::CONTENT_TYPE)
        == Some(&HeaderValue::from_static("application/octet-stream"))
    {
        session.close(CloseReason::TransportError);
        return engine_error(EngineError::BadRequest);
    }
    // Before the connection has joined a namespace only a small body is read at all.
    let max = session.message_limit();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return HttpResponse::new(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            return engine_error(EngineError::BadRequest);
        };
        if buf.len() + chunk.len() > max {
            return HttpResponse::new(StatusCode::PAYLOAD_TOO_LARGE);
        }
        buf.extend_from_slice(&chunk);
    }
    let packets = match std::str::from_utf8(&buf)
        .ok()
        .and_then(|s| decode_payload(s).ok())
    {
        Some(p) => p,
        None => {
            session.close(CloseReason::ParseError);
            return engine_error(EngineError::BadRequest);
        }
    };
    let mut frames = Vec::new();
    let mut close = false;
    for packet in packets {
        session.touch();
        match packet {
            EnginePacket::Message(f) => frames.push(f),
            EnginePacket::Pong(_) => session.on_pong(),
            EnginePacket::Close => {
                close = true;
                break;
            }
            EnginePacket::Ping(_) => {
                // In v4 only the server pings ("invalid heartbeat direction").
                session.close(CloseReason::TransportError);
                return engine_error(EngineError::BadRequest);
            }
            EnginePacket::Open(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }
    session.deliver(frames).await;
    if close {
        session.close_by_client();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html"))
        .body("ok")
}
