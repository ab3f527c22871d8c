//! Request extraction: the authenticated caller, and a JSON object body read leniently (an
//! empty body is `{}`) under an explicit size limit.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::envelope::ApiError;
use crate::core::model::User;
use crate::core::Error;
use crate::server::State;

/// The agent making the request, from `X-Claw-Token` (or `Authorization: Bearer`).
pub struct Caller(pub User);

/// The credential a request carries, if any.
pub fn token_of(req: &HttpRequest) -> Option<String> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    };
    header("x-claw-token")
        .filter(|t| !t.is_empty())
        .or_else(|| {
            header("authorization")
                .and_then(|a| {
                    a.strip_prefix("Bearer ")
                        .or_else(|| a.strip_prefix("bearer "))
                        .map(|t| t.trim().to_string())
                })
                .filter(|t| !t.is_empty())
        })
}

fn state_of(req: &HttpRequest) -> Result<State, ApiError> {
    req.app_data::<State>()
        .cloned()
        .ok_or_else(|| ApiError(Error::Internal("application state missing".into())))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = token_of(req);
        let state = state_of(req);
        Box::pin(async move {
            let state = state?;
            let token = token.ok_or_else(|| {
                ApiError(Error::Unauthorized("missing X-Claw-Token header".into()))
            })?;
            let user = state.core.authenticate(&token).await?;
            state.core.check_rest_rate(&user.id)?;
            Ok(Caller(user))
        })
    }
}

/// A JSON object body decoded into `T`; `empty` says whether the request had no body at all.
pub struct Body<T> {
    pub value: T,
    pub empty: bool,
}

/// Reads the body up to the configured limit and decodes it.
async fn read_body(
    state: State,
    mut payload: Payload,
    declared: Option<usize>,
) -> Result<Vec<u8>, ApiError> {
    let limit = state.settings.max_body_bytes;
    let too_large = || {
        ApiError(Error::TooLarge(format!(
            "request body exceeds the {limit}-byte limit"
        )))
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError(Error::invalid(
                "body",
                format!("could not read the request body: {e}"),
            ))
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Decodes a JSON object; the error names the field and the parser's reason.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, bool), ApiError> {
    let empty = bytes.iter().all(|b| b.is_ascii_whitespace());
    let value: Value = if empty {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError(Error::invalid("body", format!("malformed JSON: {e}"))))?
    };
    if !value.is_object() {
        return Err(ApiError(Error::invalid(
            "body",
            "the request body must be a JSON object",
        )));
    }
    let decoded = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError(Error::invalid(&path, format!("{path}: {}", e.inner())))
    })?;
    Ok((decoded, empty))
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let declared = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_body(state?, payload, declared).await?;
            let (value, empty) = decode(&bytes)?;
            Ok(Body { value, empty })
        })
    }
}
