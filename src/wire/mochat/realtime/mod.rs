//! MoChat real-time over Socket.IO: authentication on CONNECT, the seed dialect's
//! `session:`/`panel:` subscriptions and `notify:*` pushes, the real clients' `com.claw.im.*`
//! subscriptions and `claw.*.events` pushes.

mod agent_sockets;
mod connection;
mod handlers;
pub mod payloads;
mod pushes;
mod subscriptions;

use std::sync::Arc;

use serde_json::Value;

use crate::app::AppState;
use crate::core::{ids, Error};
use crate::socketio::{
    AckResponder, BoxFuture, DisconnectReason, NamespaceHandler, Payload, Socket,
};
use agent_sockets::AgentSockets;
use connection::Connection;
use payloads::{to_value, ConnectError};
use pushes::RenderCache;

/// Encoded pushes kept for sharing between sockets.
const RENDER_CACHE: usize = 4096;

/// The MoChat handler of the Socket.IO namespace `/`.
pub struct MochatSockets {
    state: Arc<AppState>,
    cache: Arc<RenderCache>,
    agents: Arc<AgentSockets>,
}

impl MochatSockets {
    /// The handler, on the application state.
    pub fn new(state: Arc<AppState>) -> Self {
        MochatSockets {
            state,
            cache: Arc::new(RenderCache::new(RENDER_CACHE)),
            agents: Arc::new(AgentSockets::default()),
        }
    }

    /// Another handle on the same shared state (for a handler's future).
    fn handle(&self) -> MochatSockets {
        MochatSockets {
            state: self.state.clone(),
            cache: self.cache.clone(),
            agents: self.agents.clone(),
        }
    }
}

/// The CONNECT_ERROR every authentication failure gets.
fn auth_error() -> Value {
    to_value(&ConnectError::new("Authentication error: Invalid token"))
}

/// The CONNECT_ERROR of a throttled address: the wait in the message and in `data`.
fn throttled(retry_after_secs: u64, message: &str) -> Value {
    to_value(&ConnectError::throttled(
        format!("Authentication error: {message}"),
        retry_after_secs,
    ))
}

impl NamespaceHandler for MochatSockets {
    fn on_connect(&self, socket: Socket, auth: Option<Value>) -> BoxFuture<Result<(), Value>> {
        let state = self.state.clone();
        let live = self.handle();
        Box::pin(async move {
            let token = auth
                .as_ref()
                .and_then(|a| a.get("token"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let client = socket
                .info()
                .remote_addr
                .map(|a| a.ip().to_string())
                .unwrap_or_default();
            // A missing token is not a guess: refused, but not counted (the REST wires agree).
            if token.is_empty() {
                return match state.core.check_auth_throttle(&client) {
                    Err(Error::RateLimited {
                        retry_after_secs,
                        message,
                    }) => Err(throttled(retry_after_secs, &message)),
                    _ => Err(auth_error()),
                };
            }
            let user = match state.core.authenticate(&token, &client).await {
                Ok(u) => u,
                Err(Error::RateLimited {
                    retry_after_secs,
                    message,
                }) => return Err(throttled(retry_after_secs, &message)),
                Err(_) => return Err(auth_error()),
            };
            // Counted from here on; released when the socket stops (or if this fails below).
            let slot = live
                .agents
                .open(&user.id, state.settings.sio_sockets_per_agent)
                .map_err(|e| to_value(&e))?;
            let groups = state
                .core
                .groups_of(&user.id)
                .await
                .map_err(|e| to_value(&ConnectError::new(e.to_string())))?;
            let conn = Connection::start(
                socket.clone(),
                user.id,
                ids::digest(&token),
                groups,
                slot,
                &live,
            );
            socket.insert_ext(conn);
            Ok(())
        })
    }

    fn on_event(
        &self,
        socket: Socket,
        event: String,
        args: Payload,
        ack: Option<AckResponder>,
    ) -> BoxFuture<()> {
        let live = self.handle();
        Box::pin(async move {
            let Some(conn) = socket.ext::<Connection>() else {
                return;
            };
            let arg = args.args.first().cloned().unwrap_or(Value::Null);
            handlers::handle(&live, &socket, &conn, &event, arg, ack).await;
        })
    }

    fn on_disconnect(&self, socket: Socket, _reason: DisconnectReason) {
        if let Some(conn) = socket.remove_ext::<Connection>() {
            conn.stop();
        }
    }
}
