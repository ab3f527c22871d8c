//! Request plumbing both wires share: reading a JSON object body under the size limit (an
//! empty body is `{}`), and finding the application state.

use actix_web::dev::Payload;
use actix_web::HttpRequest;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::State;
use crate::core::Error;

/// The application state of a request.
pub fn state_of(req: &HttpRequest) -> Result<State, Error> {
    req.app_data::<State>()
        .cloned()
        .ok_or_else(|| Error::Internal("application state missing".into()))
}

/// The length the client declared, if any.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read(
    limit: usize,
    mut payload: Payload,
    declared: Option<usize>,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::TooLarge(format!("request body exceeds the {limit}-byte limit"));
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| Error::invalid("body", format!("could not read the request body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Decodes a JSON object into `T`; also says whether the body was empty. Errors name the
/// field (or `body` with the parser's reason).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, bool), Error> {
    let empty = bytes.iter().all(|b| b.is_ascii_whitespace());
    let value: Value = if empty {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid("body", format!("malformed JSON: {e}")))?
    };
    if !value.is_object() {
        return Err(Error::invalid(
            "body",
            "the request body must be a JSON object",
        ));
    }
    let decoded = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(&path, format!("{path}: {}", e.inner()))
    })?;
    Ok((decoded, empty))
}

/// A time a client sends: ISO-8601 (RFC 3339) or epoch milliseconds; absent or empty is `None`.
pub fn optional_time(field: &str, raw: Option<&str>) -> Result<Option<i64>, Error> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(Some(ms));
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| Some((t.unix_timestamp_nanos() / 1_000_000) as i64))
        .map_err(|_| {
            Error::invalid(
                field,
                format!("{field} must be an ISO-8601 time or epoch milliseconds"),
            )
        })
}
