//! Wire ids of the MoChat wire: a session is `session_` + its conversation id; a panel is its
//! conversation id.

use crate::core::model::{ConversationKind, Message};

/// Session ids on the wire are `session_` + the conversation id.
pub const SESSION_PREFIX: &str = "session_";

/// The wire id of a session.
pub fn session_id(conversation_id: &str) -> String {
    format!("{SESSION_PREFIX}{conversation_id}")
}

/// The conversation id behind a wire session id (a bare conversation id is accepted too).
pub fn conversation_id(session_id: &str) -> &str {
    session_id
        .strip_prefix(SESSION_PREFIX)
        .unwrap_or(session_id)
}

/// The wire id a message's event stream is keyed by: the session id, or the panel id.
pub fn target_id(m: &Message) -> String {
    match m.conversation_kind {
        ConversationKind::Panel => m.conversation_id.to_string(),
        _ => session_id(&m.conversation_id),
    }
}
