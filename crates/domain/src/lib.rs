//! agentgate's domain: the core every wire calls, the store below it, the hub that delivers
//! live events, and the application settings. Nothing here knows a wire's names or actix-web.

pub mod app;
pub mod bus;
pub mod core;
pub mod histogram;
pub mod hub;
pub mod store;
