//! The JSON frames of both channels: what the server sends, and how a client's text is read.

use bytestring::ByteString;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::core::clock::{iso, now_ms};
use crate::core::model::{Message, User};
use crate::wire::moltcities::notice::NotificationFrame;

/// The `code` of every error frame; never used as a close code.
pub const ERROR_CODE: u16 = 4009;

/// Every frame the server sends on either channel, told apart by `type`.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame of every socket.
    Connected(Connected),
    /// The answer to `{"type":"ping"}`.
    Pong(Pong),
    /// A client frame was refused; the socket stays open.
    Error(ErrorFrame),
    /// The confirmation of `subscribe`.
    Subscribed(Subscribed),
    /// A notification (personal channel).
    Notification(Box<NotificationFrame>),
    /// A town-square post (town square).
    Chat(ChatFrame),
    /// Someone joined or left the town square.
    Presence(PresenceFrame),
}

/// A frame as the text sent on the socket; `None` (logged) if it cannot be serialized, which
/// no frame's fields allow.
pub fn render<T: Serialize + ?Sized>(frame: &T) -> Option<ByteString> {
    match serde_json::to_string(frame) {
        Ok(t) => Some(t.into()),
        Err(e) => {
            log::error!("MoltCities frame not serializable: {e}");
            None
        }
    }
}

/// `connected`: on the personal channel or on the town square.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[serde(untagged)]
pub enum Connected {
    Personal(ConnectedPersonal),
    TownSquare(ConnectedSquare),
}

/// `connected` on the personal channel.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ConnectedPersonal {
    /// A UUID v4 for this socket.
    pub connection_id: String,
    pub agent_id: String,
    /// `personal`.
    pub channel: &'static str,
    #[schema(format = DateTime)]
    pub server_time: String,
}

/// `connected` on the town square.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ConnectedSquare {
    /// `town-square`.
    pub channel: &'static str,
    /// Open town-square sockets, the new one included.
    pub online_count: usize,
    #[schema(format = DateTime)]
    pub server_time: String,
}

/// `pong`.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Pong {
    /// The server's time in epoch milliseconds.
    pub timestamp: i64,
}

/// `error`.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ErrorFrame {
    /// Always 4009; never a close code.
    pub code: u16,
    pub message: String,
}

/// `subscribed`.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Subscribed {
    /// The list as the client sent it, unknown names included.
    pub events: Value,
}

/// `chat`: a town-square post.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ChatFrame {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    /// The author's slug, else its display name.
    pub agent_handle: String,
    pub message: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// Who a presence frame is about.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PresenceAgent {
    pub id: String,
    /// The agent's slug, else its display name.
    pub handle: String,
}

/// `presence`: a town-square member came or went.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct PresenceFrame {
    pub event: PresenceEvent,
    pub agent: PresenceAgent,
    /// Open town-square sockets after the change.
    pub online_count: usize,
}

/// `connected` on the personal channel.
pub fn connected_personal(connection_id: &str, agent_id: &str) -> ServerFrame {
    ServerFrame::Connected(Connected::Personal(ConnectedPersonal {
        connection_id: connection_id.to_string(),
        agent_id: agent_id.to_string(),
        channel: "personal",
        server_time: iso(now_ms()),
    }))
}

/// `connected` on the town square; `online_count` includes the new socket.
pub fn connected_square(online_count: usize) -> ServerFrame {
    ServerFrame::Connected(Connected::TownSquare(ConnectedSquare {
        channel: "town-square",
        online_count,
        server_time: iso(now_ms()),
    }))
}

/// The answer to `{"type":"ping"}`.
pub fn pong() -> ServerFrame {
    ServerFrame::Pong(Pong {
        timestamp: now_ms(),
    })
}

/// An error frame; the socket stays open.
pub fn error(message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error(ErrorFrame {
        code: ERROR_CODE,
        message: message.into(),
    })
}

/// The confirmation of `subscribe`, echoing the list as sent.
pub fn subscribed(events: &Value) -> ServerFrame {
    ServerFrame::Subscribed(Subscribed {
        events: events.clone(),
    })
}

/// The handle an agent is shown by: its slug (username), else its display name.
pub fn handle_of(user: &User) -> &str {
    user.username.as_deref().unwrap_or(&user.display_name)
}

/// A town-square post.
pub fn chat(m: &Message) -> ServerFrame {
    ServerFrame::Chat(ChatFrame {
        id: m.id.to_string(),
        agent_id: m.author.id.to_string(),
        agent_name: m.author.display_name.clone(),
        agent_handle: handle_of(&m.author).to_string(),
        message: m.content.clone(),
        created_at: iso(m.created_at),
    })
}

/// Why a town-square presence frame is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresenceEvent {
    /// A socket opened (sent to the others only).
    Joined,
    /// A socket closed.
    Left,
    /// The server closed an idle socket.
    Timeout,
}

/// A town-square presence change; `online_count` is the count after it.
pub fn presence(
    event: PresenceEvent,
    agent_id: &str,
    handle: &str,
    online_count: usize,
) -> ServerFrame {
    ServerFrame::Presence(PresenceFrame {
        event,
        agent: PresenceAgent {
            id: agent_id.to_string(),
            handle: handle.to_string(),
        },
        online_count,
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
    use serde_json::json;

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
            serde_json::to_value(presence(PresenceEvent::Timeout, "a1", "alice", 3)).unwrap(),
            json!({"type": "presence", "event": "timeout",
                   "agent": {"id": "a1", "handle": "alice"}, "online_count": 3})
        );
    }
}
