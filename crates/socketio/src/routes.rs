//! actix-web mounting: request validation in the reference server's order, its error
//! codes and bodies, and dispatch to the polling and WebSocket transports.

use super::engine::{Engine, TooManyWaiting};
use super::polling;
use super::session::ConnInfo;
use super::websocket;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::Arc;

/// The reference server's request errors (`{"code":N,"message":…}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// 0 "Transport unknown".
    UnknownTransport,
    /// 1 "Session ID unknown".
    UnknownSid,
    /// 2 "Bad handshake method".
    BadHandshakeMethod,
    /// 3 "Bad request".
    BadRequest,
    /// 4 "Forbidden" (HTTP 403).
    Forbidden,
    /// 5 "Unsupported protocol version".
    UnsupportedProtocolVersion,
}

impl EngineError {
    /// Numeric code and message as the reference sends them.
    pub fn code_message(&self) -> (u8, &'static str) {
        match self {
            EngineError::UnknownTransport => (0, "Transport unknown"),
            EngineError::UnknownSid => (1, "Session ID unknown"),
            EngineError::BadHandshakeMethod => (2, "Bad handshake method"),
            EngineError::BadRequest => (3, "Bad request"),
            EngineError::Forbidden => (4, "Forbidden"),
            EngineError::UnsupportedProtocolVersion => (5, "Unsupported protocol version"),
        }
    }
}

/// The error response: 400 (403 for Forbidden) with a JSON body.
pub fn engine_error(err: EngineError) -> HttpResponse {
    let (code, message) = err.code_message();
    let status = if err == EngineError::Forbidden {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(format!("{{\"code\":{code},\"message\":\"{message}\"}}"))
}

/// The body of a handshake refused by the per-address limit on connections not yet admitted.
#[derive(serde::Serialize)]
struct TooManyBody {
    /// agentgate's own code next to the reference's 0–5.
    code: u8,
    message: String,
    limit: usize,
}

/// Code of [`too_many_waiting`] answers (the reference's codes end at 5).
pub const TOO_MANY_WAITING_CODE: u8 = 6;

/// 429 with a JSON body naming the limit: the address has too many connections that have not
/// authenticated yet.
pub fn too_many_waiting(err: TooManyWaiting) -> HttpResponse {
    let body = TooManyBody {
        code: TOO_MANY_WAITING_CODE,
        message: format!(
            "Too many connections from this address waiting to authenticate (limit {})",
            err.limit
        ),
        limit: err.limit,
    };
    HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(serde_json::to_string(&body).unwrap_or_default())
}

/// A refusal in the reference's error shape, with why and, when waiting helps, how long.
#[derive(serde::Serialize)]
struct Refusal<'a> {
    code: u8,
    message: &'static str,
    reason: &'a str,
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

fn refusal(status: StatusCode, err: EngineError, reason: &str, wait: Option<u64>) -> HttpResponse {
    let (code, message) = err.code_message();
    let body = Refusal {
        code,
        message,
        reason,
        retry_after: wait,
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, "application/json"));
    if let Some(w) = wait {
        res.insert_header((header::RETRY_AFTER, w.to_string()));
    }
    res.body(serde_json::to_string(&body).unwrap_or_default())
}

/// 429 for an address that presented too many unknown sids, with the wait.
fn too_many_unknown_sids(wait: u64) -> HttpResponse {
    let reason = format!("too many unknown session ids from this address; retry in {wait} s");
    refusal(
        StatusCode::TOO_MANY_REQUESTS,
        EngineError::UnknownSid,
        &reason,
        Some(wait),
    )
}

/// 403 for a handshake from a browser origin that is not allowed (code 4, as the reference's
/// refused requests), with the reason.
fn forbidden_origin(reason: &str) -> HttpResponse {
    refusal(StatusCode::FORBIDDEN, EngineError::Forbidden, reason, None)
}

/// Mounts an engine at `path` (e.g. `/socket.io/`; with and without the trailing slash).
pub fn configure_engine(cfg: &mut web::ServiceConfig, path: &str, engine: Arc<Engine>) {
    let trimmed = path.trim_end_matches('/');
    let with_slash = format!("{trimmed}/");
    let paths = if trimmed.is_empty() {
        vec![with_slash]
    } else {
        vec![with_slash, trimmed.to_owned()]
    };
    cfg.service(web::resource(paths).route(web::route().to(
        move |req: HttpRequest, body: web::Payload| {
            let engine = Arc::clone(&engine);
            async move { handle(engine, req, body).await }
        },
    )));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Polling,
    Websocket,
}

fn is_websocket_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Validates and dispatches one request, in the order of the reference's `verify()`.
pub async fn handle(engine: Arc<Engine>, req: HttpRequest, body: web::Payload) -> HttpResponse {
    let query: HashMap<String, String> =
        web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
    let transport = match query.get("transport").map(String::as_str) {
        Some("polling") => Transport::Polling,
        Some("websocket") => Transport::Websocket,
        _ => return engine_error(EngineError::UnknownTransport),
    };
    let upgrade = is_websocket_upgrade(&req);
    let client = agentgate_net::client_key(&req);
    if let Some(sid) = query.get("sid") {
        // A blocked address is refused before its sid is looked up, so guessing learns nothing.
        if let Some(wait) = engine.unknown_sids().blocked(&client) {
            return too_many_unknown_sids(wait);
        }
        let Some(session) = engine.lookup(sid) else {
            if engine.unknown_sids().fail(&client) {
                log::warn!("client {client:?} blocked after too many unknown Engine.IO sids");
            }
            return engine_error(EngineError::UnknownSid);
        };
        return match transport {
            Transport::Websocket if upgrade => websocket::upgrade(session, &req),
            Transport::Websocket => engine_error(EngineError::BadRequest),
            Transport::Polling if *req.method() == Method::GET => polling::get(session).await,
            Transport::Polling if *req.method() == Method::POST => {
                polling::post(session, &req, body).await
            }
            Transport::Polling => engine_error(EngineError::BadRequest),
        };
    }
    if *req.method() != Method::GET {
        return engine_error(EngineError::BadHandshakeMethod);
    }
    if transport == Transport::Websocket && !upgrade {
        return engine_error(EngineError::BadRequest);
    }
    if query.get("EIO").map(String::as_str) != Some("4") {
        return engine_error(EngineError::UnsupportedProtocolVersion);
    }
    if let Err(reason) = agentgate_net::origin::check(&req) {
        return forbidden_origin(&reason);
    }
    let info = ConnInfo {
        // The client behind any trusted proxy; the port is the peer's (proxies hide the real one).
        remote_addr: agentgate_net::client_ip(&req)
            .map(|ip| std::net::SocketAddr::new(ip, req.peer_addr().map_or(0, |a| a.port()))),
        query: req.query_string().to_owned(),
    };
    match transport {
        Transport::Websocket => websocket::open(&engine, &req, info),
        Transport::Polling => polling::handshake(&engine, info),
    }
}
