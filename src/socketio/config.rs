//! Settings of the Engine.IO / Socket.IO engine.

use std::time::Duration;

/// Settings shared by the Engine.IO and Socket.IO layers.
#[derive(Clone, Debug)]
pub struct SocketIoConfig {
    /// Interval between server pings (sent as `pingInterval`).
    pub ping_interval: Duration,
    /// Time the client has to answer a ping (sent as `pingTimeout`).
    pub ping_timeout: Duration,
    /// Largest accepted POST body / WS message in bytes (sent as `maxPayload`).
    pub max_payload: usize,
    /// Outbound queue capacity per connection, in batches; overflow closes it ("slow consumer").
    pub outbound_capacity: usize,
    /// Inbound queue capacity per connection, in batches (back-pressures the transport).
    pub inbound_capacity: usize,
    /// Time a client has to connect to a namespace before the connection is closed.
    pub connect_timeout: Duration,
    /// Default timeout of `Socket::emit_with_ack`.
    pub ack_timeout: Duration,
    /// Time a polling → WebSocket upgrade may take.
    pub upgrade_timeout: Duration,
    /// Most binary attachments one default-parser packet may announce.
    pub max_attachments: usize,
    /// Most event handlers running at once per connection (back-pressures the reader).
    pub handler_concurrency: usize,
    /// Answer `[]` to client acks the handler dropped without answering.
    pub auto_ack: bool,
    /// Unknown session ids one client address may present per window before its requests
    /// are refused with 429 until the window ends (0 = off).
    pub unknown_sid_failures: u32,
    /// The unknown-sid window.
    pub unknown_sid_window: Duration,
}

impl Default for SocketIoConfig {
    /// The Node reference defaults (25 s / 20 s / 1 MB / 45 s connect timeout).
    fn default() -> Self {
        SocketIoConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            outbound_capacity: 1024,
            inbound_capacity: 64,
            connect_timeout: Duration::from_millis(45_000),
            ack_timeout: Duration::from_millis(10_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_attachments: 10,
            handler_concurrency: 32,
            auto_ack: true,
            unknown_sid_failures: 0,
            unknown_sid_window: Duration::from_secs(60),
        }
    }
}
