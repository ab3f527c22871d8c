//! Wiring: settings, the actix application, routes, start-up and shutdown.

pub mod deadline;
mod fdlimit;
mod health;
pub mod http;
pub mod listen;
mod metrics;
pub mod openapi;
mod operator;
mod peers;
mod refusal;
mod tls;
mod upgrade;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};

pub use crate::app::Settings;
use crate::core::accounts::{AccountSettings, Signup};
use crate::core::vault::VaultLimits;
use crate::core::{Core, CoreSettings, Limits};
use crate::socketio::{SocketIo, SocketIoConfig};
use crate::store::blobs::Blobs;
use crate::store::{Location, Store};
use crate::wire;
use crate::wire::mochat::realtime::MochatSockets;

pub use crate::app::{AppState, State};

fn core_settings(s: &Settings) -> CoreSettings {
    CoreSettings {
        limits: Limits {
            max_message_chars: s.max_message_chars,
            max_participants: s.max_participants,
            max_ids_per_request: s.max_ids_per_request,
            queue_cap: s.notification_queue_cap.max(1),
            queue_max_age_ms: (s.notification_max_age_days as i64).saturating_mul(24 * 3600 * 1000),
            ..Limits::default()
        },
        rest_per_min: s.rate_limit_per_min,
        register_per_hour: s.register_rate_limit_per_hour,
        chat_every_secs: s.chat_rate_limit_secs,
        auth_failures: s.auth_failures_per_window,
        auth_failure_window: Duration::from_secs(s.auth_failure_window_secs),
        accounts: AccountSettings {
            // Checked when the settings were loaded.
            signup: s.signup_mode().unwrap_or(Signup::Off),
            session_idle: Duration::from_secs(s.web_session_idle_hours.saturating_mul(3600)),
            session_max: Duration::from_secs(s.web_session_max_days.saturating_mul(24 * 3600)),
            claim_ttl: Duration::from_secs(s.claim_link_ttl_hours.saturating_mul(3600)),
            login_failures: s.login_failures_per_account,
            login_failure_window: Duration::from_secs(s.login_failure_window_secs),
        },
        vault: VaultLimits {
            max_file_bytes: s.vault_max_file_bytes,
            quota_bytes: s.vault_quota_bytes,
        },
        ..CoreSettings::default()
    }
}

/// The TLS configuration when both `tls_cert` and `tls_key` are set; one without the other
/// is an error.
fn tls_config(s: &Settings) -> Result<Option<rustls::ServerConfig>, String> {
    match (s.tls_cert.is_empty(), s.tls_key.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => tls::load(
            std::path::Path::new(&s.tls_cert),
            std::path::Path::new(&s.tls_key),
        )
        .map(Some),
        _ => Err("TLS needs both tls_cert and tls_key".into()),
    }
}

fn conn_limits(s: &Settings) -> http::ConnLimits {
    http::ConnLimits {
        body: deadline::BodyDeadline {
            total: Duration::from_secs(s.body_timeout_secs),
            min_bytes_per_sec: s.body_min_bytes_per_sec,
        },
        per_ip: s.max_connections_per_ip,
        // Checked when the settings were loaded.
        uncapped: crate::net::TrustedProxies::parse(&s.trusted_proxies).unwrap_or_default(),
    }
}

/// Opens the database (creating and migrating it) and builds the shared state.
pub fn build_state(settings: Settings) -> Result<State, String> {
    let store = Store::open(
        &Location::parse(&settings.database),
        settings.read_pool_size,
    )?;
    let vault_dir = settings.vault_path();
    let blobs = Blobs::open(&vault_dir)
        .map_err(|e| format!("vault directory {}: {e}", vault_dir.display()))?;
    let core = Core::new(store, core_settings(&settings)).with_vault(blobs);
    Ok(web::Data::from(Arc::new(AppState { core, settings })))
}

/// Registers every REST route of both wires.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health));
    cfg.route("/metrics", web::get().to(metrics::metrics));
    cfg.route("/api/openapi.json", web::get().to(openapi::openapi_json));
    wire::moltcities::preflight(cfg);
    wire::mochat::routes(cfg);
    wire::moltcities::routes(cfg);
    // Before the web API's scope, which would otherwise take the path.
    cfg.route("/web/api/admin/stats", web::get().to(operator::stats));
    wire::web::routes(cfg);
}

/// The Socket.IO engine with the MoChat handler on namespace `/`; built once and shared by
/// every worker, so the session registry is one.
pub fn socket_io(state: &State) -> SocketIo {
    let s = &state.settings;
    let io = SocketIo::new(SocketIoConfig {
        ping_interval: Duration::from_millis(s.sio_ping_interval_ms),
        ping_timeout: Duration::from_millis(s.sio_ping_timeout_ms),
        outbound_capacity: s.outbound_queue,
        pre_auth_max_payload: s.sio_pre_auth_max_bytes,
        max_unauthenticated_per_address: s.sio_unauthenticated_per_address,
        unknown_sid_failures: s.auth_failures_per_window,
        unknown_sid_window: Duration::from_secs(s.auth_failure_window_secs),
        ..SocketIoConfig::default()
    });
    io.ns(
        "/",
        Arc::new(MochatSockets::new(state.clone().into_inner())),
    );
    io
}

/// Any path no route serves: a JSON 404 rather than an empty body.
pub(crate) async fn no_route() -> HttpResponse {
    wire::mochat::envelope::not_found_route()
}

/// How long shutdown waits for WebSockets to send their close frames.
const SOCKETS_CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Serves until SIGINT/SIGTERM, then stops gracefully: WebSockets are closed (1001 on
/// MoltCities, a close frame on Socket.IO), in-flight requests finish, and every accepted write
/// is committed before the process exits.
pub async fn serve(mut settings: Settings) -> std::io::Result<()> {
    fdlimit::raise();
    let tls = tls_config(&settings).map_err(std::io::Error::other)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Bound first: links the server hands out need the real port when it is chosen (port 0).
    let listeners = listen::bind(&settings.listen)?;
    if let Some(first) = listeners.first() {
        settings.derive_public_url(scheme, first.local_addr()?);
    }
    let state = build_state(settings.clone()).map_err(std::io::Error::other)?;
    if !settings.bus.is_empty() {
        if matches!(Location::parse(&settings.database), Location::Sqlite(_)) {
            return Err(std::io::Error::other(
                "a bus joins nodes that share one database: --bus needs a postgres:// --database",
            ));
        }
        state
            .core
            .join_cluster(&settings.bus)
            .await
            .map_err(std::io::Error::other)?;
        log::info!(
            "joined the cluster through the bus as node {}",
            state.core.live().node()
        );
    }
    let io = socket_io(&state);
    let policy = web::Data::new(settings.net_policy().map_err(std::io::Error::other)?);
    // The live MoltCities WebSockets (displacement, presence, counts), one for all workers.
    let moltcities_ws = web::Data::new(wire::moltcities::ws::Registry::new(
        settings.town_square_presence_max,
    ));
    let configure = {
        let data = state.clone();
        let io = io.clone();
        let io_data = web::Data::new(io.clone());
        let moltcities_ws = moltcities_ws.clone();
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .app_data(io_data.clone())
                .app_data(moltcities_ws.clone())
                .app_data(policy.clone())
                .configure(routes)
                .configure(io.configure("/socket.io/"))
                .default_service(web::to(no_route));
        }
    };
    // Signals are handled below, so that sockets close before the workers stop.
    let mut builder = actix_server::Server::build()
        .disable_signals()
        .shutdown_timeout(10)
        // Reads run on each worker's blocking pool and wait for one of the pool's connections:
        // more threads than connections would only wait, each with its stack and malloc arena
        // (a burst of 10,000 WebSocket logins grew the process to 140 threads).
        .worker_max_blocking_threads(settings.read_pool_size.max(1) as usize);
    if settings.workers > 0 {
        builder = builder.workers(settings.workers);
    }
    for listener in listeners {
        let addr = listener.local_addr()?;
        builder = http::listen_with(
            builder,
            listener,
            conn_limits(&settings),
            tls.clone(),
            configure.clone(),
        )?;
        log::info!(
            "listening on {scheme}://{addr} (database {})",
            Location::parse(&settings.database).display()
        );
        // Tests and scripts read the bound port from this line.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "agentgate listening on {scheme}://{addr}");
        let _ = out.flush();
    }
    let server = builder.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        listen::stop_requested().await;
        log::info!("stopping: closing WebSockets");
        moltcities_ws.shut_down();
        wire::web::live::shut_down();
        io.engine().sessions().close_all();
        let deadline = tokio::time::Instant::now() + SOCKETS_CLOSE_WAIT;
        while crate::websocket::open_sockets() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        handle.stop(true).await;
    });
    server.await?;
    log::info!("stopped");
    Ok(())
}
