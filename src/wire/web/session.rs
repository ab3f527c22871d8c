//! Who is asking: the session cookie, the same-origin rule for every request a cookie
//! authenticates, and JSON bodies.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::error::WebFailure;
use crate::app::State;
use crate::core::accounts::WebSession;
use crate::wire::body;

/// The session cookie's name.
pub const COOKIE: &str = "agentgate_session";

/// The session cookie for a new session: not readable by scripts, not sent on cross-site
/// subrequests, `Secure` when the public address is https.
pub fn session_cookie(value: &str, public_url: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, value.to_string())
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(public_url.starts_with("https://"))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn cleared_cookie(public_url: &str) -> Cookie<'static> {
    let mut c = session_cookie("", public_url);
    c.make_removal();
    c
}

/// The origin a URL belongs to (`scheme://host[:port]`), lower case.
fn origin_of(url: &str) -> String {
    let lower = url.trim_end_matches('/').to_ascii_lowercase();
    match lower.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => lower,
    }
}

/// Refuses a request that a browser sent from another site. A request with an `Origin` must
/// come from the public address or the address it was sent to; one without (agents, curl) must
/// not be marked cross-site by `Sec-Fetch-Site`.
pub fn check_same_origin(req: &HttpRequest, public_url: &str) -> Result<(), WebFailure> {
    let refuse = |why: &str| {
        Err(WebFailure::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            format!("refused: {why}; the web API accepts requests from its own pages only"),
        ))
    };
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    match header(header::ORIGIN) {
        Some(origin) => {
            let info = req.connection_info();
            let own = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
            if origin == own || origin == origin_of(public_url) {
                Ok(())
            } else {
                refuse(&format!("the request came from another origin ({origin})"))
            }
        }
        None => match header(header::HeaderName::from_static("sec-fetch-site")).as_deref() {
            Some("cross-site") | Some("same-site") => {
                refuse("the browser marked the request cross-site")
            }
            _ => Ok(()),
        },
    }
}

fn is_safe(m: &Method) -> bool {
    m == Method::GET || m == Method::HEAD
}

fn state_of(req: &HttpRequest) -> Result<State, WebFailure> {
    Ok(body::state_of(req)?)
}

/// The signed-in human of a request; a state-changing request must also be same-origin.
pub struct Signed(pub WebSession);

impl FromRequest for Signed {
    type Error = WebFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let cookie = req.cookie(COOKIE).map(|c| c.value().to_string());
        let changes = !is_safe(req.method());
        let origin = match &state {
            Ok(s) if changes => check_same_origin(req, &s.settings.public_url),
            _ => Ok(()),
        };
        Box::pin(async move {
            let state = state?;
            origin?;
            let cookie = cookie.ok_or_else(|| {
                WebFailure::new(StatusCode::UNAUTHORIZED, "unauthenticated", "not signed in")
            })?;
            let session = state.core.web_session(&cookie).await?;
            // Changes count against the same per-user REST limit as an agent's requests; reads
            // do not (the page polls its list and the operator's figures).
            if changes {
                state.core.check_rest_rate(&session.human.user.id).await?;
            }
            Ok(Signed(session))
        })
    }
}

/// A signed-in operator.
pub struct Operator(pub WebSession);

impl FromRequest for Operator {
    type Error = WebFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = Signed::from_request(req, payload);
        Box::pin(async move {
            let Signed(session) = signed.await?;
            if !session.human.is_admin {
                return Err(WebFailure::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "operators only: an account is made an operator on the command line",
                ));
            }
            Ok(Operator(session))
        })
    }
}

/// A JSON object body, from a same-origin request that says it is JSON, under the server's
/// body limit.
pub struct Json<T>(pub T);

/// The body of a route anyone may call before signing in (sign-up, login, claim): the same
/// rules as [`Json`] under a limit of [`PUBLIC_BODY_BYTES`], so that a peer that is not signed
/// in never makes the server hold more than that.
pub struct PublicJson<T>(pub T);

/// Largest body of a route open to everyone: a password of 1,024 bytes, an email and a name,
/// JSON-escaped, fit many times over.
pub const PUBLIC_BODY_BYTES: usize = 16 * 1024;

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = WebFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = json_body(req, payload, None);
        Box::pin(async move { fut.await.map(Json) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PublicJson<T> {
    type Error = WebFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = json_body(req, payload, Some(PUBLIC_BODY_BYTES));
        Box::pin(async move { fut.await.map(PublicJson) })
    }
}

/// Reads a same-origin JSON object body under `limit` (the server's body limit when `None`,
/// and never above it).
fn json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: Option<usize>,
) -> Pin<Box<dyn Future<Output = Result<T, WebFailure>>>> {
    {
        let state = state_of(req);
        let origin = match &state {
            Ok(s) => check_same_origin(req, &s.settings.public_url),
            Err(_) => Ok(()),
        };
        // A form or text/plain body is what a cross-site form can send; JSON needs a preflight.
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        let declared = body::declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            let most = state?.settings.max_body_bytes;
            let limit = limit.map_or(most, |l| l.min(most));
            origin?;
            if !is_json {
                return Err(WebFailure::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "the body must be JSON, sent with Content-Type: application/json",
                ));
            }
            let bytes = body::read(limit, payload, declared).await?;
            let (value, _) = body::decode(&bytes)?;
            Ok(value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn check(headers: &[(&str, &str)]) -> bool {
        let mut r = TestRequest::post().uri("/web/api/logout");
        r = r.insert_header(("host", "127.0.0.1:3000"));
        for (k, v) in headers {
            r = r.insert_header((*k, *v));
        }
        check_same_origin(&r.to_http_request(), "https://chat.example.org").is_ok()
    }

    #[test]
    fn only_own_origins_pass() {
        assert!(check(&[("origin", "http://127.0.0.1:3000")]), "own host");
        assert!(
            check(&[("origin", "https://chat.example.org")]),
            "public url"
        );
        assert!(!check(&[("origin", "http://evil.example")]));
        assert!(!check(&[("origin", "null")]));
        assert!(!check(&[("origin", "http://127.0.0.1:3001")]), "other port");
        assert!(check(&[]), "no Origin: not a browser");
        assert!(check(&[("sec-fetch-site", "same-origin")]));
        assert!(!check(&[("sec-fetch-site", "cross-site")]));
    }

    #[test]
    fn the_cookie_is_locked_down() {
        let c = session_cookie("abc", "https://chat.example.org").to_string();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(c.contains("Secure"), "{c}");
        let c = session_cookie("abc", "http://127.0.0.1:3000").to_string();
        assert!(!c.contains("Secure"), "{c}");
    }
}
