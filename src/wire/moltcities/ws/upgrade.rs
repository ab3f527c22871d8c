//! The upgrade request: the key is checked before the handshake, so a bad key gets an HTTP
//! status and a JSON body rather than a WebSocket close (spec §2, §7.10).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::link::{self, Link};
use super::registry::{Channel, Member};
use super::session::{drive, Socket};
use super::{personal, town_square, MAX_FRAME_BYTES};
use crate::app::State;
use crate::core::model::User;
use crate::core::{ids, Error, TOWN_SQUARE};
use crate::hub::Topic;
use crate::websocket;
use crate::wire::moltcities::answers::ErrorBody;

/// A JSON response as the MoltCities API writes them: pretty-printed, open to any origin.
pub fn json_response<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_string_pretty(body) {
        Ok(text) => HttpResponse::build(status)
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .content_type("application/json")
            .body(text),
        Err(e) => {
            log::error!("MoltCities answer not serializable: {e}");
            HttpResponse::InternalServerError()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .finish()
        }
    }
}

/// 429 with the wait, in the header and in the body.
pub fn rate_limited(retry_after_secs: u64, message: &str) -> HttpResponse {
    let mut res = json_response(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        &ErrorBody::rate_limited(message, retry_after_secs),
    );
    if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Whether the request asks for a WebSocket (the `Upgrade` header, in any case).
fn wants_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("websocket"))
}

/// The query parameters; a malformed query reads as empty.
fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// The key: query `token`, else `api_key`, else `key`, else the `Authorization` header with
/// or without `Bearer `. Empty values count as absent, as the real server's `||` chain does.
fn key_of(req: &HttpRequest, q: &HashMap<String, String>) -> Option<String> {
    ["token", "api_key", "key"]
        .iter()
        .filter_map(|k| q.get(*k))
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
        .map(str::to_string)
        .or_else(|| {
            let a = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
            let a = a.trim();
            let key = a
                .strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
                .unwrap_or(a)
                .trim();
            // A scheme with nothing after it (trailing spaces are trimmed away) carries no key.
            (!key.is_empty() && !key.eq_ignore_ascii_case("bearer")).then(|| key.to_string())
        })
}

/// `channel=town-square` selects the square; any other value, or none, the personal channel.
fn channel_of(q: &HashMap<String, String>) -> Channel {
    match q.get("channel").map(String::as_str) {
        Some("town-square") => Channel::TownSquare,
        _ => Channel::Personal,
    }
}

/// `GET /api/notifications/connect`, `/api/ws`, `/ws` (any method reaches the 426 check).
pub async fn connect(
    req: HttpRequest,
    state: State,
    registry: web::Data<super::Registry>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    if !wants_upgrade(&req) {
        return HttpResponse::UpgradeRequired()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .content_type("text/plain")
            .body("Expected WebSocket upgrade");
    }
    if let Err(reason) = crate::net::origin::check(&req) {
        return json_response(StatusCode::FORBIDDEN, &ErrorBody::new(reason));
    }
    let client = crate::net::client_key(&req);
    if let Err(Error::RateLimited {
        retry_after_secs,
        message,
    }) = state.core.check_auth_throttle(&client)
    {
        return rate_limited(retry_after_secs, &message);
    }
    let q = query(&req);
    let Some(key) = key_of(&req, &q) else {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &ErrorBody {
                hint: Some("Add ?token=mc_xxx to the WebSocket URL".into()),
                ..ErrorBody::new("Missing authentication")
            },
        );
    };
    let user = match state.core.authenticate(&key, &client).await {
        Ok(u) => u,
        Err(Error::RateLimited {
            retry_after_secs,
            message,
        }) => return rate_limited(retry_after_secs, &message),
        Err(Error::Unauthorized(_)) => {
            return json_response(StatusCode::UNAUTHORIZED, &ErrorBody::new("Invalid API key"))
        }
        Err(e) => {
            log::warn!("WebSocket authentication failed: {e}");
            return json_response(StatusCode::SERVICE_UNAVAILABLE, &ErrorBody::internal());
        }
    };
    let (res, pending) = match websocket::accept(&req) {
        Ok(t) => t,
        Err(e) => return json_response(e.status(), &ErrorBody::new(e.message())),
    };

    let settings = &state.settings;
    let registry = registry.into_inner();
    let link = Arc::new(Link::new(settings.outbound_queue));
    // Registering with the agent's id counts the socket as the agent's presence (/health).
    let (registration, events) = state
        .core
        .hub()
        .register(settings.outbound_queue, Some(user.id.to_string()));
    // The agent's own topic carries notifications and key revocations.
    registration.subscribe(Topic::User(user.id.to_string()));
    let channel = channel_of(&q);
    if channel == Channel::TownSquare {
        registration.subscribe(Topic::Conversation(TOWN_SQUARE.to_string()));
    }
    let handle = super::frames::handle_of(&user).to_string();
    // The socket lives as long as the agent stays connected and needs only the agent's id: the
    // profile (metadata holds the soul, skills and public key, often a kilobyte) is let go.
    let user = User {
        metadata: None,
        email: None,
        avatar: None,
        ..user
    };
    let socket = Socket {
        member: Member {
            id: registry.next_id(),
            agent_id: user.id.to_string(),
            handle,
            link: link.clone(),
        },
        state: state.clone(),
        registry,
        digest: ids::digest(&key),
        channel,
        user,
    };
    actix_web::rt::spawn(async move {
        // The client may leave before the answer is written; its registration goes with it.
        let Some(ws) = pending.socket().await else {
            return;
        };
        // One limit for a frame and for a message assembled from continuations.
        let (reader, writer) = ws.split(MAX_FRAME_BYTES);
        actix_web::rt::spawn(link::writer(writer, link));
        match channel {
            Channel::Personal => {
                let handler = personal::Personal::default();
                actix_web::rt::spawn(drive(socket, handler, reader, events, registration))
            }
            Channel::TownSquare => {
                let handler = town_square::TownSquare;
                actix_web::rt::spawn(drive(socket, handler, reader, events, registration))
            }
        };
    });
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn key(uri: &str, auth: Option<&str>) -> Option<String> {
        let mut r = TestRequest::get().uri(uri);
        if let Some(a) = auth {
            r = r.insert_header((header::AUTHORIZATION, a));
        }
        let req = r.to_http_request();
        key_of(&req, &query(&req))
    }

    #[test]
    fn key_sources_in_order() {
        assert_eq!(
            key("/ws?token=a&api_key=b&key=c", None).as_deref(),
            Some("a")
        );
        assert_eq!(key("/ws?api_key=b&key=c", None).as_deref(), Some("b"));
        assert_eq!(key("/ws?key=c", Some("Bearer d")).as_deref(), Some("c"));
        assert_eq!(key("/ws?token=", Some("Bearer d")).as_deref(), Some("d"));
        assert_eq!(key("/ws", Some("d")).as_deref(), Some("d"), "bare key");
        assert_eq!(key("/ws", Some("Bearer ")), None);
        assert_eq!(key("/ws", None), None);
    }

    #[test]
    fn channel_selection() {
        let q = |s: &str| {
            query(
                &TestRequest::get()
                    .uri(&format!("/ws?{s}"))
                    .to_http_request(),
            )
        };
        assert_eq!(channel_of(&q("channel=town-square")), Channel::TownSquare);
        assert_eq!(channel_of(&q("channel=personal")), Channel::Personal);
        assert_eq!(channel_of(&q("channel=Town-Square")), Channel::Personal);
        assert_eq!(channel_of(&q("")), Channel::Personal);
    }
}
