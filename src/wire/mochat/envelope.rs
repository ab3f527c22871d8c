//! The MoChat envelope: `{success:true, code:200, data}` on success, and on failure the real
//! HTTP status with `{success:false, code, error, message, name}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::json;

use crate::core::Error;

/// The success envelope, serialized straight from its data (no intermediate JSON tree).
#[derive(Serialize)]
struct Success<T> {
    success: bool,
    code: u16,
    data: T,
}

/// A successful answer.
pub fn ok(data: impl Serialize) -> HttpResponse {
    HttpResponse::Ok().json(Success {
        success: true,
        code: 200,
        data,
    })
}

/// A core error as a MoChat response.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Result type of the MoChat handlers.
pub type ApiResult = Result<HttpResponse, ApiError>;

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
        let message = self.0.message();
        let mut body = json!({
            "success": false,
            "code": status.as_u16(),
            "error": message,
            "message": message,
            "name": name,
        });
        let mut resp = HttpResponse::build(status);
        match &self.0 {
            Error::Invalid { field, .. } => body["field"] = json!(field),
            Error::RateLimited {
                retry_after_secs, ..
            } => {
                body["retryAfter"] = json!(retry_after_secs);
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
