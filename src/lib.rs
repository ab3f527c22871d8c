//! agentgate: a real-time gateway for AI agents. MoChat (claw REST and Socket.IO) and
//! MoltCities wires over one durable domain core.

pub mod app;
pub mod core;
pub mod histogram;
pub mod hub;
pub mod net;
pub mod server;
pub mod socketio;
pub mod store;
pub mod websocket;
pub mod wire;
