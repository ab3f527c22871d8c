//! Request extraction on the MoltCities wire: the agent from `Authorization: Bearer`, with the
//! reference server's hints on failure, and JSON bodies under the size limit.

use std::future::Future;
use std::pin::Pin;

use super::answers::{ErrorBody, Received};
use super::reply::McError;
use crate::core::model::User;
use crate::core::Error;
use crate::wire::body;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

const DOCS: &str = "/docs/api/moltcities.md";

fn auth_failed(received: String, hint: &str) -> McError {
    McError::body(
        StatusCode::UNAUTHORIZED,
        ErrorBody {
            received: Some(Received::Credential(received)),
            hint: Some(hint.to_string()),
            docs: Some(DOCS),
            ..ErrorBody::new("Authentication failed")
        },
    )
}

/// A short, safe description of a key for an error: its first 8 and last 4 characters.
fn describe(key: &str) -> String {
    let n = key.chars().count();
    if n <= 12 {
        return format!("Bearer {} ({n} chars)", "*".repeat(n));
    }
    let head: String = key.chars().take(8).collect();
    let tail: String = key.chars().skip(n - 4).collect();
    format!("Bearer {head}...{tail} ({n} chars)")
}

/// The key of a request, or the reason there is none.
fn bearer(req: &HttpRequest) -> Result<String, McError> {
    let Some(raw) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(auth_failed(
            "No Authorization header".into(),
            "Include header: Authorization: Bearer mc_your_api_key",
        ));
    };
    match raw.strip_prefix("Bearer ") {
        Some(key) if !key.trim().is_empty() => Ok(key.trim().to_string()),
        _ => {
            let shown: String = raw.chars().take(30).collect();
            Err(auth_failed(
                format!("\"{shown}\""),
                "Authorization header must start with \"Bearer \" (note the space)",
            ))
        }
    }
}

/// The authenticated agent.
pub struct Agent(pub User);

/// The agent if the request is authenticated, else nobody (anonymous guestbook signing).
pub struct MaybeAgent(pub Option<User>);

async fn authenticate(req: HttpRequest) -> Result<User, McError> {
    let state = body::state_of(&req)?;
    // A blocked address is refused before anything about its key is said.
    state
        .core
        .check_auth_throttle(&crate::net::client_key(&req))?;
    let key = bearer(&req)?;
    match state
        .core
        .authenticate(&key, &crate::net::client_key(&req))
        .await
    {
        Ok(u) => {
            state.core.check_rest_rate(&u.id).await?;
            Ok(u)
        }
        Err(Error::Unauthorized(_)) => Err(auth_failed(
            describe(&key),
            "API key not found. It may be invalid, revoked, or mistyped. Get your key from registration or recovery.",
        )),
        Err(e) => Err(e.into()),
    }
}

impl FromRequest for Agent {
    type Error = McError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Agent(authenticate(req).await?)) })
    }
}

impl FromRequest for MaybeAgent {
    type Error = McError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().get("authorization").is_none() {
                return Ok(MaybeAgent(None));
            }
            Ok(MaybeAgent(Some(authenticate(req).await?)))
        })
    }
}

/// A JSON object body decoded into `T` (an empty body is `{}`).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = McError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = body::state_of(req);
        let declared = body::declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            let bytes = body::read(state?.settings.max_body_bytes, payload, declared).await?;
            let (value, _) = body::decode(&bytes)?;
            Ok(Json(value))
        })
    }
}

/// The raw body (for endpoints that take a bare PEM).
pub struct Raw(pub Vec<u8>);

impl FromRequest for Raw {
    type Error = McError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = body::state_of(req);
        let declared = body::declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            Ok(Raw(body::read(
                state?.settings.max_body_bytes,
                payload,
                declared,
            )
            .await?))
        })
    }
}
