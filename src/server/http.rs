//! The HTTP server around an application: actix-server workers running actix-http, with
//! WebSocket upgrades routed through [`super::upgrade`] so their handlers get the TCP stream.

use std::net::TcpListener;
use std::time::Duration;

use actix_http::HttpService;
use actix_server::ServerBuilder;
use actix_service::{boxed, map_config, IntoServiceFactory};
use actix_web::dev::AppConfig;
use actix_web::{web, App};

use super::upgrade::Upgrade;

/// How long a client may take to send a request's head.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Adds `listener` to `builder`, serving the application `configure` describes (built once
/// per worker for requests and once for upgrades).
pub fn listen<F>(
    builder: ServerBuilder,
    listener: TcpListener,
    configure: F,
) -> std::io::Result<ServerBuilder>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let addr = listener.local_addr()?;
    builder.listen("agentgate", listener, move || {
        let app = || App::new().configure(configure.clone()).into_factory();
        let config = |_| AppConfig::default();
        HttpService::build()
            // Live pushes are small frames: without this, Nagle's algorithm holds one back
            // until the previous one is acknowledged, and a delayed ACK makes that 40 ms.
            .tcp_nodelay(true)
            .client_request_timeout(REQUEST_HEAD_TIMEOUT)
            .local_addr(addr)
            .upgrade(Upgrade::new(boxed::factory(map_config(app(), config))))
            .finish(map_config(app(), config))
            .tcp()
    })
}
