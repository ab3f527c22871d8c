//! MoltCities answers: JSON with `Access-Control-Allow-Origin: *`, and errors as
//! `{"error": "<message>", …}` ([`ErrorBody`]) with the real HTTP status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::answers::ErrorBody;
use crate::core::Error;

/// A JSON answer with a status.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body)
}

/// 200 with a body.
pub fn ok<T: Serialize>(body: T) -> HttpResponse {
    json(StatusCode::OK, &body)
}

/// 201 with a body.
pub fn created<T: Serialize>(body: T) -> HttpResponse {
    json(StatusCode::CREATED, &body)
}

/// A core error (or a ready-made body) on the MoltCities wire.
#[derive(Debug)]
pub enum McError {
    Core(Error),
    /// A status with a complete body (authentication failures carry hints).
    Body(StatusCode, Box<ErrorBody>),
}

impl McError {
    /// A status with a complete body.
    pub fn body(status: StatusCode, body: ErrorBody) -> McError {
        McError::Body(status, Box::new(body))
    }
}

/// The domain's field names as the MoltCities API spells them.
const FIELD_NAMES: &[(&str, &str)] = &[("reward", "reward_lamports")];

impl From<Error> for McError {
    fn from(e: Error) -> Self {
        McError::Core(e.in_wire_names(FIELD_NAMES))
    }
}

impl std::fmt::Display for McError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            McError::Core(e) => e.fmt(f),
            McError::Body(s, b) => write!(f, "{s}: {}", b.error),
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
            McError::Body(s, b) => return json(*s, &**b),
            McError::Core(e) => e,
        };
        let mut resp = HttpResponse::build(status(e));
        resp.insert_header(("Access-Control-Allow-Origin", "*"));
        let body = match e {
            Error::Invalid { field, message }
                if field == "body" && message.starts_with("malformed JSON") =>
            {
                ErrorBody {
                    code: Some("INVALID_JSON"),
                    message: Some(message.clone()),
                    ..ErrorBody::new("Invalid JSON in request body")
                }
            }
            Error::Invalid { field, message } => ErrorBody {
                field: Some(field.clone()),
                ..ErrorBody::new(message.clone())
            },
            Error::RateLimited {
                retry_after_secs,
                message,
            } => {
                resp.insert_header(("Retry-After", retry_after_secs.to_string()));
                ErrorBody::rate_limited(message.clone(), *retry_after_secs)
            }
            Error::Unavailable(m) => {
                resp.insert_header(("Retry-After", "1"));
                ErrorBody {
                    code: Some("SERVICE_UNAVAILABLE"),
                    retryable: Some(true),
                    retry_after_seconds: Some(1),
                    ..ErrorBody::new(m.clone())
                }
            }
            other => ErrorBody::new(other.message()),
        };
        resp.json(body)
    }
}
