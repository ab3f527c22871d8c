//! The HTTP server around an application: actix-server workers running actix-http, with
//! WebSocket upgrades routed through [`super::upgrade`] so their handlers get the TCP stream.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_http::HttpService;
use actix_server::ServerBuilder;
use actix_service::{boxed, map_config, IntoServiceFactory};
use actix_web::dev::AppConfig;
use actix_web::{web, App};

use super::deadline::BodyDeadline;
use super::peers::{PeerTable, PerPeer};
use super::upgrade::Upgrade;
use crate::net::TrustedProxies;

/// How long a client may take to send a request's head.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an idle keep-alive connection stays open between requests.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Limits on what one connection may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnLimits {
    /// Request-body deadlines (every route).
    pub body: BodyDeadline,
    /// Concurrent connections per client address (0 = no cap).
    pub per_ip: usize,
    /// Addresses exempt from `per_ip`: trusted proxies, which carry many clients' connections.
    pub uncapped: TrustedProxies,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            body: BodyDeadline::default(),
            per_ip: 256,
            uncapped: TrustedProxies::default(),
        }
    }
}

/// Adds `listener` to `builder` with the default [`ConnLimits`].
pub fn listen<F>(
    builder: ServerBuilder,
    listener: TcpListener,
    configure: F,
) -> std::io::Result<ServerBuilder>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    listen_with(builder, listener, ConnLimits::default(), None, configure)
}

/// Adds `listener` to `builder`, serving the application `configure` describes (built once
/// per worker for requests and once for upgrades) under `limits`; with `tls`, HTTPS only.
pub fn listen_with<F>(
    builder: ServerBuilder,
    listener: TcpListener,
    limits: ConnLimits,
    tls: Option<rustls::ServerConfig>,
    configure: F,
) -> std::io::Result<ServerBuilder>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let addr = listener.local_addr()?;
    // One table for every worker: the cap is per address, not per address and worker.
    let peers = PeerTable::new(limits.per_ip, limits.uncapped.clone());
    // The same HTTP service, finished for plain TCP or for TLS.
    macro_rules! http_service {
        ($($finish:tt)+) => {{
            let configure = configure.clone();
            let peers = Arc::clone(&peers);
            move || {
                let app = || {
                    App::new()
                        .wrap(limits.body)
                        .configure(configure.clone())
                        .into_factory()
                };
                let config = |_| AppConfig::default();
                let http = HttpService::build()
                    // Live pushes are small frames: without this, Nagle's algorithm holds one
                    // back until the previous one is acknowledged, and a delayed ACK makes
                    // that 40 ms.
                    .tcp_nodelay(true)
                    .client_request_timeout(REQUEST_HEAD_TIMEOUT)
                    .keep_alive(KEEP_ALIVE)
                    .local_addr(addr)
                    .upgrade(Upgrade::new(
                        boxed::factory(map_config(app(), config)),
                        limits.body.total,
                        Arc::clone(&peers),
                    ))
                    .finish(map_config(app(), config))
                    .$($finish)+;
                PerPeer::new(Arc::clone(&peers), http)
            }
        }};
    }
    match tls {
        Some(tls) => builder.listen(
            "agentgate",
            listener,
            http_service!(rustls_0_23(tls.clone())),
        ),
        None => builder.listen("agentgate", listener, http_service!(tcp())),
    }
}
