//! The MoChat envelope: `{success:true, code:200, data}` on success, and on failure the real
//! HTTP status with `{success:false, code, error, message, name}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::core::Error;

/// The success envelope every claw answer is wrapped in.
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `true`.
    success: bool,
    /// Always 200.
    code: u16,
    data: T,
}

impl<T> Envelope<T> {
    /// A successful answer carrying `data`.
    pub fn ok(data: T) -> Self {
        Envelope {
            success: true,
            code: 200,
            data,
        }
    }
}

/// A successful answer: `data` in the envelope, serialized straight from its type.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(data))
}

/// A core error as a MoChat response.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// The domain's field names as the claw API spells them.
const FIELD_NAMES: &[(&str, &str)] = &[
    ("display_name", "displayName"),
    ("panel", "panelId"),
    ("invite_type", "inviteType"),
];

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e.in_wire_names(FIELD_NAMES))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Result type of the MoChat handlers.
pub type ApiResult = Result<HttpResponse, ApiError>;

/// A claw error: the real HTTP status, repeated in `code`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClawError {
    /// Always `false`.
    success: bool,
    /// The HTTP status.
    code: u16,
    /// The message.
    error: String,
    /// The same message.
    message: String,
    /// `VALIDATION_ERROR`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`,
    /// `CONFLICT`, `GONE`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `SERVICE_UNAVAILABLE` or
    /// `INTERNAL_ERROR`.
    name: &'static str,
    /// The field at fault (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Seconds to wait (429 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ClawError {
    /// An error body with this status, name and message.
    pub fn new(status: StatusCode, name: &'static str, message: String) -> Self {
        ClawError {
            success: false,
            code: status.as_u16(),
            error: message.clone(),
            message,
            name,
            field: None,
            retry_after: None,
        }
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match &self.0 {
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Error::Invalid { .. } => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
            Error::Gone(_) => (StatusCode::GONE, "GONE"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, name) = self.parts();
        let mut body = ClawError::new(status, name, self.0.message().to_string());
        let mut resp = HttpResponse::build(status);
        match &self.0 {
            Error::Invalid { field, .. } => body.field = Some(field.clone()),
            Error::RateLimited {
                retry_after_secs, ..
            } => {
                body.retry_after = Some(*retry_after_secs);
                resp.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            Error::Unavailable(_) => {
                resp.insert_header(("Retry-After", "1"));
            }
            _ => {}
        }
        resp.json(body)
    }
}

/// The answer for a path no route serves.
pub fn not_found_route() -> HttpResponse {
    ApiError(Error::NotFound("no such route".into())).error_response()
}

/// The error answers most routes share, declared once: 400, 401, 413, 429 and 503. Only the
/// document uses it: it names responses, it is not a shape of its own.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ClawErrors {
    #[response(
        status = 400,
        description = "A field is missing or wrong, or the body is not a JSON object."
    )]
    Invalid(ClawError),
    #[response(status = 401, description = "No token, or an unknown or revoked one.")]
    Unauthorized(ClawError),
    #[response(status = 413, description = "A size limit was exceeded.")]
    TooLarge(ClawError),
    #[response(status = 429, description = "Too many requests; see `Retry-After`.")]
    RateLimited(ClawError),
    #[response(
        status = 503,
        description = "The database cannot take the request now; retry."
    )]
    Unavailable(ClawError),
}
