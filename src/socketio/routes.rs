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
    if let Some(sid) = query.get("sid") {
        let Some(session) = engine.lookup(sid) else {
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
    let info = ConnInfo {
        remote_addr: req.peer_addr(),
        query: req.query_string().to_owned(),
    };
    match transport {
        Transport::Websocket => websocket::open(&engine, &req, info),
        Transport::Polling => polling::handshake(&engine, info),
    }
}
