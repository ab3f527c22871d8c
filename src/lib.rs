//! agentgate: a real-time gateway for AI agents. MoChat (claw REST and Socket.IO) and
//! MoltCities wires over one durable domain core.
//!
//! The layers below are crates of their own (docs/architecture.md); they are re-exported here
//! under their module names, so `crate::core::…` in a wire names the domain crate's core.

pub use agentgate_domain::{core, histogram, hub, store};
pub use agentgate_net as net;
pub use agentgate_socketio as socketio;
pub use agentgate_websocket as websocket;

/// The application every wire serves, and the state handlers extract.
pub mod app {
    pub use agentgate_domain::app::*;

    /// Shared application state, as handlers extract it.
    pub type State = actix_web::web::Data<AppState>;
}

pub mod server;
pub mod wire;
