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
    /// Before the connection joins a namespace: the largest message / POST body, and the most
    /// bytes queued for the Socket.IO layer at once. A CONNECT with a token is ~100 bytes.
    pub pre_auth_max_payload: usize,
    /// Most bytes of binary attachments one packet may have pending (one packet at a time).
    pub max_attachment_bytes: usize,
    /// Longest a packet may wait for its announced attachments before the connection is closed.
    pub attachment_timeout: Duration,
    /// Most connections per client IP that have not joined a namespace yet (0 = no limit).
    pub max_unauthenticated_per_address: usize,
    /// After joining: most bytes queued for the Socket.IO layer at once; a transport with more
    /// waits (TCP back-pressure). At least `max_payload`.
    pub max_inbound_bytes: usize,
    /// Unknown session ids one client address may present per window before its requests
    /// are refused with 429 until the window ends (0 = off).
    pub unknown_sid_failures: u32,
    /// The unknown-sid window.
    pub unknown_sid_window: Duration,
}

impl Default for SocketIoConfig {
    /// The Node reference defaults (25 s / 20 s / 1 MB / 45 s connect timeout), plus the
    /// pre-authentication limits the reference does not have.
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
            pre_auth_max_payload: 8 * 1024,
            max_attachment_bytes: 1_000_000,
            attachment_timeout: Duration::from_millis(10_000),
            max_unauthenticated_per_address: 32,
            max_inbound_bytes: 2_000_000,
            unknown_sid_failures: 0,
            unknown_sid_window: Duration::from_secs(60),
        }
    }
}
