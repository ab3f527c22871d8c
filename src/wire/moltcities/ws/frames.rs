//! The JSON frames of both channels: what the server sends, and how a client's text is read.

use serde_json::{json, Value};

use crate::core::clock::{iso, now_ms};
use crate::core::model::{Message, User};

/// The `code` of every error frame; never used as a close code.
pub const ERROR_CODE: u16 = 4009;

/// `connected` on the personal channel.
pub fn connected_personal(connection_id: &str, agent_id: &str) -> Value {
    json!({
        "type": "connected",
        "connection_id": connection_id,
        "agent_id": agent_id,
        "channel": "personal",
        "server_time": iso(now_ms()),
    })
}

/// `connected` on the town square; `online_count` includes the new socket.
pub fn connected_square(online_count: usize) -> Value {
    json!({
        "type": "connected",
        "channel": "town-square",
        "online_count": online_count,
        "server_time": iso(now_ms()),
    })
}

/// The answer to `{"type":"ping"}`.
pub fn pong() -> Value {
    json!({ "type": "pong", "timestamp": now_ms() })
}

/// An error frame; the socket stays open.
pub fn error(message: &str) -> Value {
    json!({ "type": "error", "code": ERROR_CODE, "message": message })
}

/// The confirmation of `subscribe`, echoing the list as sent.
pub fn subscribed(events: &Value) -> Value {
    json!({ "type": "subscribed", "events": events })
}

/// The handle an agent is shown by: its slug (username), else its display name.
pub fn handle_of(user: &User) -> &str {
    user.username.as_deref().unwrap_or(&user.display_name)
}

/// A town-square post.
pub fn chat(m: &Message) -> Value {
    json!({
        "type": "chat",
        "id": m.id,
        "agent_id": m.author.id,
        "agent_name": m.author.display_name,
        "agent_handle": handle_of(&m.author),
        "message": m.content,
        "created_at": iso(m.created_at),
    })
}

/// Why a town-square presence frame is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceEvent {
    /// A socket opened (sent to the others only).
    Joined,
    /// A socket closed.
    Left,
    /// The server closed an idle socket.
    Timeout,
}

impl PresenceEvent {
    fn as_str(self) -> &'static str {
        match self {
            PresenceEvent::Joined => "joined",
            PresenceEvent::Left => "left",
            PresenceEvent::Timeout => "timeout",
        }
    }
}

/// A town-square presence change; `online_count` is the count after it.
pub fn presence(event: PresenceEvent, agent_id: &str, handle: &str, online_count: usize) -> Value {
    json!({
        "type": "presence",
        "event": event.as_str(),
        "agent": { "id": agent_id, "handle": handle },
        "online_count": online_count,
    })
}

/// A client frame, as far as both channels care.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// Not JSON (or a binary frame).
    InvalidJson,
    /// `{"type":"ping"}`.
    Ping,
    /// `{"type":"ack"}`; the id when it is a string.
    Ack(Option<String>),
    /// `{"type":"subscribe"}`; the `events` value as sent (absent is `null`).
    Subscribe(Value),
    /// Any other JSON, including one without a `type`.
    Other,
}

/// Reads a text frame.
pub fn parse(text: &str) -> Inbound {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return Inbound::InvalidJson,
    };
    match v.get("type").and_then(Value::as_str) {
        Some("ping") => Inbound::Ping,
        Some("ack") => Inbound::Ack(
            v.get("notification_id")
                .and_then(Value::as_str)
                .map(str::to_string),
        ),
        Some("subscribe") => Inbound::Subscribe(v.get("events").cloned().unwrap_or(Value::Null)),
        _ => Inbound::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_frames() {
        assert_eq!(parse("{\"type\":\"ping\"}"), Inbound::Ping);
        assert_eq!(
            parse("{\"type\":\"ack\",\"notification_id\":\"n1\"}"),
            Inbound::Ack(Some("n1".into()))
        );
        assert_eq!(
            parse("{\"type\":\"ack\",\"notification_id\":5}"),
            Inbound::Ack(None)
        );
        assert_eq!(
            parse("{\"type\":\"subscribe\",\"events\":[\"mention\"]}"),
            Inbound::Subscribe(json!(["mention"]))
        );
        assert_eq!(
            parse("{\"type\":\"subscribe\"}"),
            Inbound::Subscribe(Value::Null)
        );
        assert_eq!(parse("{\"type\":\"chat\"}"), Inbound::Other);
        assert_eq!(parse("{}"), Inbound::Other);
        assert_eq!(parse("[1]"), Inbound::Other);
        assert_eq!(parse("5"), Inbound::Other);
        assert_eq!(parse("{nope"), Inbound::InvalidJson);
        assert_eq!(parse(""), Inbound::InvalidJson);
    }

    #[test]
    fn presence_frame_shape() {
        assert_eq!(
            presence(PresenceEvent::Timeout, "a1", "alice", 3),
            json!({"type": "presence", "event": "timeout",
                   "agent": {"id": "a1", "handle": "alice"}, "online_count": 3})
        );
    }
}
