//! The WebSocket upgrade path. actix-http hands every request that asks for a WebSocket here,
//! together with its connection. The request still goes through the application, so routing,
//! state and every check stay in the handlers. When a handler accepted (a 101 answer and an
//! armed [`Handoff`]), the answer is written and the TCP stream handed to the handler's
//! socket; the HTTP connection and its buffers end there. Any other answer is written and the
//! connection closed.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_codec::Framed;
use actix_http::body::{BodySize, MessageBody};
use actix_http::{h1, ConnectionType, Request, Response};
use actix_service::boxed::{BoxService, BoxServiceFactory};
use actix_service::{Service, ServiceFactory};
use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::HttpMessage;
use bytes::BytesMut;
use futures_util::future::LocalBoxFuture;
use futures_util::SinkExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::peers::PeerTable;
use super::refusal::Refusal;
use crate::websocket::{Handoff, Socket};

/// The application as a boxed service factory, as the upgrade path calls it.
pub type AppFactory = BoxServiceFactory<(), Request, ServiceResponse, actix_web::Error, ()>;
type AppService = BoxService<Request, ServiceResponse, actix_web::Error>;
type Connection<T> = (Request, Framed<T, h1::Codec>);

/// A connection's stream as a WebSocket takes it over: plain TCP, or TLS over TCP.
pub trait HandOver: AsyncRead + AsyncWrite + Unpin + 'static {
    /// The socket on this stream, with `early` bytes already read.
    fn into_socket(self, early: BytesMut) -> Socket;
}

impl HandOver for TcpStream {
    fn into_socket(self, early: BytesMut) -> Socket {
        Socket::new(self, early)
    }
}

impl HandOver for TlsStream<TcpStream> {
    fn into_socket(self, early: BytesMut) -> Socket {
        Socket::on(Box::new(self), early)
    }
}

/// Builds one [`UpgradeService`] per worker.
pub struct Upgrade {
    app: AppFactory,
    handler_timeout: Duration,
    peers: Arc<PeerTable>,
}

impl Upgrade {
    /// An upgrade path that runs requests through `app`; a handler that has not answered
    /// within `handler_timeout` gets its connection closed with a `503`. An accepted socket
    /// keeps its place in `peers` for as long as it is open.
    pub fn new(app: AppFactory, handler_timeout: Duration, peers: Arc<PeerTable>) -> Upgrade {
        Upgrade {
            app,
            handler_timeout,
            peers,
        }
    }
}

impl<T: HandOver> ServiceFactory<Connection<T>> for Upgrade {
    type Response = ();
    type Error = actix_web::Error;
    type Config = ();
    type Service = UpgradeService;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<UpgradeService, ()>>;

    fn new_service(&self, _: ()) -> Self::Future {
        let app = self.app.new_service(());
        let handler_timeout = self.handler_timeout;
        let peers = Arc::clone(&self.peers);
        Box::pin(async move {
            Ok(UpgradeService {
                app: Rc::new(app.await?),
                handler_timeout,
                peers,
            })
        })
    }
}

/// Answers one upgrade request and, when a handler accepted it, hands the stream over.
pub struct UpgradeService {
    app: Rc<AppService>,
    handler_timeout: Duration,
    peers: Arc<PeerTable>,
}

impl<T: HandOver> Service<Connection<T>> for UpgradeService {
    type Response = ();
    // Never returned: failures are logged here, and the connection just ends.
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<(), actix_web::Error>>;

    actix_service::always_ready!();

    fn call(&self, (req, mut framed): Connection<T>) -> Self::Future {
        let app = Rc::clone(&self.app);
        let handoff = Handoff::default();
        req.extensions_mut().insert(handoff.clone());
        let handler_timeout = self.handler_timeout;
        let peer = req.peer_addr();
        let peers = Arc::clone(&self.peers);
        Box::pin(async move {
            // The HTTP connection's timers stop once it handed the request here.
            let res: Response<_> = match tokio::time::timeout(handler_timeout, app.call(req)).await
            {
                Ok(Ok(res)) => res.into(),
                Ok(Err(e)) => e.error_response().into(),
                Err(_) => {
                    log::debug!("a WebSocket upgrade handler did not answer in time");
                    handoff.take();
                    handler_timed_out()
                }
            };
            match handoff.take() {
                Some(tx) if res.status() == StatusCode::SWITCHING_PROTOCOLS => {
                    let (head, _) = res.into_parts();
                    if let Err(e) = framed.send(h1::Message::Item((head, BodySize::None))).await {
                        log::debug!("writing a WebSocket handshake answer failed: {e}");
                        return Ok(());
                    }
                    let parts = framed.into_parts();
                    // The connection's 8 KiB read buffer is kept only if the client already
                    // sent frames behind its handshake.
                    let early = if parts.read_buf.is_empty() {
                        BytesMut::new()
                    } else {
                        parts.read_buf
                    };
                    // The handler may have given up meanwhile; the stream then just closes.
                    let mut socket = parts.io.into_socket(early);
                    // Taken while the HTTP connection still holds its place, so the address's
                    // count never dips in between.
                    if let Some(peer) = peer {
                        socket = socket.holding(Box::new(peers.hold(peer.ip())));
                    }
                    let _ = tx.send(socket);
                }
                _ => {
                    if let Err(e) = answer_and_close(&mut framed, res).await {
                        log::debug!("answering a refused WebSocket upgrade failed: {e}");
                    }
                }
            }
            Ok(())
        })
    }
}

/// The answer to an upgrade whose handler did not answer within the deadline.
fn handler_timed_out() -> Response<actix_web::body::BoxBody> {
    Refusal::answer(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "the WebSocket upgrade was not answered in time".into(),
    )
    .into()
}

/// Writes a whole answer with `Connection: close`; the caller drops the connection after it.
async fn answer_and_close<T: HandOver, B: MessageBody>(
    framed: &mut Framed<T, h1::Codec>,
    res: Response<B>,
) -> std::io::Result<()> {
    let (mut head, body) = res.into_parts();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| std::io::Error::other("response body failed"))?;
    framed
        .send(h1::Message::Item((
            head,
            BodySize::Sized(body.len() as u64),
        )))
        .await?;
    if !body.is_empty() {
        framed.send(h1::Message::Chunk(Some(body))).await?;
    }
    framed.send(h1::Message::Chunk(None)).await
}
