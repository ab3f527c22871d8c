//! The body of an answer the server gives before any wire has the request (a body too slow, an
//! upgrade not answered in time, a document that could not be rendered): the claw envelope's
//! error fields, which MoltCities and web clients read as `{error, message}` too.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

/// A refusal by the server itself.
#[derive(Serialize, ToSchema)]
pub struct Refusal {
    /// Always `false`.
    success: bool,
    /// The HTTP status.
    code: u16,
    /// The status's reason phrase.
    error: &'static str,
    /// The status's name in UpperCamelCase (`RequestTimeout`).
    name: &'static str,
    /// What went wrong, naming the limit where one was hit.
    message: String,
}

impl Refusal {
    /// The answer with this status, name and message.
    pub fn answer(status: StatusCode, name: &'static str, message: String) -> HttpResponse {
        HttpResponse::build(status).json(Refusal {
            success: false,
            code: status.as_u16(),
            error: status.canonical_reason().unwrap_or("Error"),
            name,
            message,
        })
    }
}
