//! Errors of the web API: one JSON shape, `{error, code, field}`, with the status the core's
//! error calls for.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::Error;

/// An error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebError {
    /// What went wrong, for people.
    pub error: String,
    /// What went wrong, for programs.
    pub code: &'static str,
    /// The request field at fault, when one is.
    pub field: Option<String>,
}

/// A failed web request: the status, the answer and the wait of a 429.
#[derive(Debug)]
pub struct WebFailure {
    status: StatusCode,
    body: WebError,
    retry_after: Option<u64>,
}

impl WebFailure {
    /// A failure with its own status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        WebFailure {
            status,
            body: WebError {
                error: message.into(),
                code,
                field: None,
            },
            retry_after: None,
        }
    }
}

impl std::fmt::Display for WebFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.body.error)
    }
}

/// The domain's field names as the web API spells them.
const FIELD_NAMES: &[(&str, &str)] = &[("display_name", "displayName")];

impl From<Error> for WebFailure {
    fn from(e: Error) -> Self {
        let e = e.in_wire_names(FIELD_NAMES);
        let (status, code) = match &e {
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::Gone(_) => (StatusCode::GONE, "gone"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let mut failure = WebFailure::new(status, code, e.message());
        match e {
            Error::Invalid { field, .. } => failure.body.field = Some(field),
            Error::RateLimited {
                retry_after_secs, ..
            } => failure.retry_after = Some(retry_after_secs),
            _ => {}
        }
        failure
    }
}

impl ResponseError for WebFailure {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(wait) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, wait.to_string()));
        }
        res.json(&self.body)
    }
}

/// What a web handler returns.
pub type WebResult<T = HttpResponse> = Result<T, WebFailure>;

/// The errors any web API route may answer with, for the OpenAPI document (no value of it is
/// ever built).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WebErrors {
    #[response(
        status = 400,
        description = "A field is missing or wrong (`field` names it), or the body is not a JSON object."
    )]
    Invalid(WebError),
    #[response(status = 401, description = "Not signed in, or the session ended.")]
    Unauthorized(WebError),
    #[response(
        status = 403,
        description = "Another origin's request (`cross_origin`), or not allowed to the caller."
    )]
    Forbidden(WebError),
    #[response(status = 404, description = "Not found, or not visible to the caller.")]
    NotFound(WebError),
    #[response(status = 413, description = "A size limit was exceeded.")]
    TooLarge(WebError),
    #[response(
        status = 415,
        description = "The body was not sent as `application/json`."
    )]
    NotJson(WebError),
    #[response(status = 429, description = "Too many attempts; see `Retry-After`.")]
    RateLimited(WebError),
    #[response(
        status = 503,
        description = "The database cannot take the request now; retry."
    )]
    Unavailable(WebError),
}
