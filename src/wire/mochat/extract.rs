//! Request extraction: the authenticated caller, and a JSON object body read leniently (an
//! empty body is `{}`) under an explicit size limit.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::envelope::ApiError;
use crate::app::State;
use crate::core::model::User;
use crate::core::Error;
use crate::wire::body;

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
    Ok(body::state_of(req)?)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = token_of(req);
        let state = state_of(req);
        let client = crate::net::client_key(req);
        Box::pin(async move {
            let state = state?;
            // A blocked address is refused even without a token, as it would be with one.
            state.core.check_auth_throttle(&client)?;
            let token = token.ok_or_else(|| {
                ApiError(Error::Unauthorized("missing X-Claw-Token header".into()))
            })?;
            let user = state.core.authenticate(&token, &client).await?;
            state.core.check_rest_rate(&user.id).await?;
            Ok(Caller(user))
        })
    }
}

/// A JSON object body decoded into `T`; `empty` says whether the request had no body at all.
pub struct Body<T> {
    pub value: T,
    pub empty: bool,
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let declared = body::declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            let limit = state?.settings.max_body_bytes;
            let bytes = body::read(limit, payload, declared).await?;
            let (value, empty) = body::decode(&bytes)?;
            Ok(Body { value, empty })
        })
    }
}
