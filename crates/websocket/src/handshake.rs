//! The opening handshake (RFC 6455 §4.2) inside an actix-web handler, and the handoff of the
//! connection once the 101 answer is written.
//!
//! A handler validates the request with [`accept`] and returns the 101 response; the server's
//! upgrade service (`server::upgrade`) writes that response, takes the TCP stream from the HTTP
//! connection and passes it to the [`Pending`] the handler kept. The HTTP connection's state
//! and buffers are freed at that point: a WebSocket costs only what it holds itself.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use base64::Engine as _;
use sha1::{Digest, Sha1};
use tokio::sync::oneshot;

use super::socket::Socket;

/// The GUID every accept key is derived with (§1.3).
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why an upgrade request was refused; each becomes the handler's own error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// Not a GET.
    Method,
    /// No `Upgrade: websocket`.
    NoUpgrade,
    /// No `Connection: upgrade`.
    NoConnectionUpgrade,
    /// `Sec-WebSocket-Version` is not 13.
    Version,
    /// `Sec-WebSocket-Key` is missing or not 16 bytes in base64.
    Key,
    /// The request did not arrive on an HTTP/1.1 connection that can be taken over.
    NotUpgradable,
}

impl HandshakeError {
    /// What was wrong, for the error body.
    pub fn message(&self) -> &'static str {
        match self {
            HandshakeError::Method => "WebSocket upgrade requires GET",
            HandshakeError::NoUpgrade => "missing header Upgrade: websocket",
            HandshakeError::NoConnectionUpgrade => "missing header Connection: upgrade",
            HandshakeError::Version => "unsupported Sec-WebSocket-Version (13 is required)",
            HandshakeError::Key => "missing or malformed Sec-WebSocket-Key",
            HandshakeError::NotUpgradable => "this connection cannot be upgraded",
        }
    }

    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            HandshakeError::Method => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Where the server's upgrade service puts the connection for the handler that accepted it;
/// inserted into the request's extensions before the application sees the request.
#[derive(Clone, Default)]
pub struct Handoff(Rc<RefCell<Option<oneshot::Sender<Socket>>>>);

impl Handoff {
    /// The accepting handler's sender, if a handler accepted.
    pub fn take(&self) -> Option<oneshot::Sender<Socket>> {
        self.0.borrow_mut().take()
    }
}

/// The socket of an accepted upgrade, once its 101 answer is on the wire.
pub struct Pending(oneshot::Receiver<Socket>);

impl Pending {
    /// The socket; `None` when the answer could not be written (the client went away).
    pub async fn socket(self) -> Option<Socket> {
        self.0.await.ok()
    }
}

fn header_has_token(req: &HttpRequest, name: header::HeaderName, token: &str) -> bool {
    req.headers().get_all(name).any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// The `Sec-WebSocket-Accept` value for a client key.
fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Checks an upgrade request and prepares its 101 answer. The caller returns the response
/// and keeps the [`Pending`] to receive the socket.
pub fn accept(req: &HttpRequest) -> Result<(HttpResponse, Pending), HandshakeError> {
    if req.method() != Method::GET {
        return Err(HandshakeError::Method);
    }
    if !header_has_token(req, header::UPGRADE, "websocket") {
        return Err(HandshakeError::NoUpgrade);
    }
    if !header_has_token(req, header::CONNECTION, "upgrade") {
        return Err(HandshakeError::NoConnectionUpgrade);
    }
    if req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(HandshakeError::Version);
    }
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| k.as_bytes())
        .filter(|k| {
            base64::engine::general_purpose::STANDARD
                .decode(k)
                .is_ok_and(|raw| raw.len() == 16)
        })
        .ok_or(HandshakeError::Key)?;
    let handoff = req
        .extensions()
        .get::<Handoff>()
        .cloned()
        .ok_or(HandshakeError::NotUpgradable)?;
    let (tx, rx) = oneshot::channel();
    *handoff.0.borrow_mut() = Some(tx);
    let res = HttpResponse::build(StatusCode::SWITCHING_PROTOCOLS)
        .upgrade("websocket")
        .insert_header((header::SEC_WEBSOCKET_ACCEPT, accept_key(key)))
        .finish();
    Ok((res, Pending(rx)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn accept_key_of_the_rfc_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    fn upgrade_request() -> TestRequest {
        TestRequest::get()
            .insert_header((header::UPGRADE, "WebSocket"))
            .insert_header((header::CONNECTION, "keep-alive, Upgrade"))
            .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
            .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
    }

    #[test]
    fn a_valid_request_is_accepted_and_the_handoff_armed() {
        let req = upgrade_request().to_http_request();
        let handoff = Handoff::default();
        req.extensions_mut().insert(handoff.clone());
        let (res, _pending) = accept(&req).unwrap();
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            res.headers().get(header::SEC_WEBSOCKET_ACCEPT).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(handoff.take().is_some());
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let with = |f: fn(TestRequest) -> TestRequest| {
            let req = f(upgrade_request()).to_http_request();
            req.extensions_mut().insert(Handoff::default());
            accept(&req).map(|_| ()).unwrap_err()
        };
        assert_eq!(with(|r| r.method(Method::POST)), HandshakeError::Method);
        assert_eq!(
            with(|r| r.insert_header((header::UPGRADE, "h2c"))),
            HandshakeError::NoUpgrade
        );
        assert_eq!(
            with(|r| r.insert_header((header::CONNECTION, "keep-alive"))),
            HandshakeError::NoConnectionUpgrade
        );
        assert_eq!(
            with(|r| r.insert_header((header::SEC_WEBSOCKET_VERSION, "8"))),
            HandshakeError::Version
        );
        assert_eq!(
            with(|r| r.insert_header((header::SEC_WEBSOCKET_KEY, "c2hvcnQ="))),
            HandshakeError::Key
        );
        let plain = upgrade_request().to_http_request();
        assert_eq!(
            accept(&plain).map(|_| ()).unwrap_err(),
            HandshakeError::NotUpgradable
        );
    }
}
