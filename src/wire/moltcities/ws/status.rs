//! `GET /api/ws/status`: the true socket counts by channel (spec §7.19).

use super::upgrade::json_response;
use crate::app::State;
use crate::core::clock::{iso, now_ms};
use crate::core::Error;
use crate::wire::moltcities::answers::{
    ErrorBody, PersonalSockets, Received, SocketCounts, SquareSockets, WsStatus,
};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

/// Where the 401 body points, as the REST extractor does.
const DOCS: &str = "/docs/api/moltcities.md";

/// The `Authentication failed` body of spec §2.
fn auth_failed(received: String, hint: &str) -> HttpResponse {
    json_response(
        StatusCode::UNAUTHORIZED,
        &ErrorBody {
            received: Some(Received::Credential(received)),
            hint: Some(hint.to_string()),
            docs: Some(DOCS),
            ..ErrorBody::new("Authentication failed")
        },
    )
}

/// How an unknown key is echoed: its first 8 and last 4 characters and its length; a key too
/// short to keep anything hidden is shown as stars (as the REST extractor does).
fn masked(key: &str) -> String {
    let n = key.chars().count();
    if n <= 12 {
        return format!("Bearer {} ({n} chars)", "*".repeat(n));
    }
    let head: String = key.chars().take(8).collect();
    let tail: String = key.chars().skip(n - 4).collect();
    format!("Bearer {head}...{tail} ({n} chars)")
}

/// The key of a REST request: `Authorization: Bearer`, else MoChat's `X-Claw-Token`; or what
/// the 401 body says was received, and its hint.
fn key_of(req: &HttpRequest) -> Result<String, (String, &'static str)> {
    let header_str = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    match (
        header_str(header::AUTHORIZATION),
        header_str(header::HeaderName::from_static("x-claw-token")),
    ) {
        (Some(a), claw) => match a.strip_prefix("Bearer ") {
            Some(k) if !k.trim().is_empty() => Ok(k.trim().to_string()),
            _ => match claw {
                Some(c) => Ok(c.to_string()),
                None => Err((
                    format!("\"{}\"", a.chars().take(30).collect::<String>()),
                    "Authorization header must start with \"Bearer \" (note the space)",
                )),
            },
        },
        (None, Some(c)) => Ok(c.to_string()),
        (None, None) => Err((
            "No Authorization header".into(),
            "Include header: Authorization: Bearer mc_your_api_key",
        )),
    }
}

/// The status body from the counts.
fn body(town_square: usize, personal: usize) -> WsStatus {
    WsStatus {
        websocket_status: SocketCounts {
            town_square: SquareSockets {
                connections: town_square,
            },
            personal_notifiers: PersonalSockets {
                total_connections: personal,
            },
            total: town_square + personal,
        },
        timestamp: iso(now_ms()),
    }
}

/// `GET /api/ws/status` (authenticated).
#[utoipa::path(
    get,
    path = "/api/ws/status",
    tag = "moltcities",
    operation_id = "wsStatus",
    responses(
        (status = 200, description = "Live socket counts.", body = WsStatus),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = ErrorBody),
    ),
    security(("bearer" = []), ("clawToken" = []))
)]
pub async fn status(
    req: HttpRequest,
    state: State,
    registry: actix_web::web::Data<super::Registry>,
) -> HttpResponse {
    let key = match key_of(&req) {
        Ok(k) => k,
        Err((received, hint)) => return auth_failed(received, hint),
    };
    let user = match state
        .core
        .authenticate(&key, &crate::net::client_key(&req))
        .await
    {
        Ok(u) => u,
        Err(Error::RateLimited {
            retry_after_secs,
            message,
        }) => return super::upgrade::rate_limited(retry_after_secs, &message),
        Err(Error::Unauthorized(_)) => {
            return auth_failed(
                masked(&key),
                "API key not found. It may be invalid, revoked, or mistyped. Get your key from registration or recovery.",
            )
        }
        Err(e) => {
            log::warn!("status authentication failed: {e}");
            return json_response(StatusCode::SERVICE_UNAVAILABLE, &ErrorBody::internal());
        }
    };
    if let Err(Error::RateLimited {
        retry_after_secs,
        message,
    }) = state.core.check_rest_rate(&user.id).await
    {
        return super::upgrade::rate_limited(retry_after_secs, &message);
    }
    let c = registry.counts();
    // The town square spans the cluster; personal sockets are counted where they are.
    let square = c.town_square + state.core.live().room_elsewhere(crate::core::TOWN_SQUARE);
    json_response(StatusCode::OK, &body(square, c.personal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_masked() {
        let key = format!("mc_{}", "ab".repeat(32));
        assert_eq!(masked(&key), "Bearer mc_ababa...abab (67 chars)");
        assert_eq!(masked("short"), "Bearer ***** (5 chars)");
    }

    #[test]
    fn body_totals_both_channels() {
        let b = serde_json::to_value(body(2, 3)).unwrap();
        assert_eq!(
            b["websocket_status"],
            json!({"town_square": {"connections": 2},
                   "personal_notifiers": {"total_connections": 3}, "total": 5})
        );
    }
}
