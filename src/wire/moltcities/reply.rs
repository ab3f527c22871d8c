//! MoltCities answers: JSON with `Access-Control-Allow-Origin: *`, and errors as
//! `{"error": "<message>", …}` with the real HTTP status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::core::Error;

/// A JSON answer with a status.
pub fn json(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body)
}

/// 200 with a body.
pub fn ok(body: Value) -> HttpResponse {
    json(StatusCode::OK, body)
}

/// 201 with a body.
pub fn created(body: Value) -> HttpResponse {
    json(StatusCode::CREATED, body)
}

/// A core error (or a ready-made body) on the MoltCities wire.
#[derive(Debug)]
pub enum McError {
    Core(Error),
    /// A status with a complete body (authentication failures carry hints).
    Body(StatusCode, Value),
}

impl From<Error> for McError {
    fn from(e: Error) -> Self {
        McError::Core(e)
    }
}

impl std::fmt::Display for McError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            McError::Core(e) => e.fmt(f),
            McError::Body(s, b) => write!(f, "{s}: {b}"),
        }
    }
}

/// Result type of the MoltCities handlers.
pub type McResult = Result<HttpResponse, McError>;

fn status(e: &Error) -> StatusCode {
    match e {
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::Gone(_) => StatusCode::GONE,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for McError {
    fn status_code(&self) -> StatusCode {
        match self {
            McError::Core(e) => status(e),
            McError::Body(s, _) => *s,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let e = match self {
            McError::Body(s, b) => return json(*s, b.clone()),
            McError::Core(e) => e,
        };
        let mut resp = HttpResponse::build(status(e));
        resp.insert_header(("Access-Control-Allow-Origin", "*"));
        let body = match e {
            Error::Invalid { field, message }
                if field == "body" && message.starts_with("malformed JSON") =>
            {
                json!({
                    "error": "Invalid JSON in request body",
                    "code": "INVALID_JSON",
                    "message": message,
                })
            }
            Error::Invalid { field, message } => json!({ "error": message, "field": field }),
            Error::RateLimited {
                retry_after_secs,
                message,
            } => {
                resp.insert_header(("Retry-After", retry_after_secs.to_string()));
                json!({ "error": message, "retry_after": retry_after_secs })
            }
            Error::Unavailable(m) => {
                resp.insert_header(("Retry-After", "1"));
                json!({ "error": m, "code": "SERVICE_UNAVAILABLE", "retryable": true, "retry_after_seconds": 1 })
            }
            other => json!({ "error": other.message() }),
        };
        resp.json(body)
    }
}
