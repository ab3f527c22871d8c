//! Domain events: published to the hub after commit, rendered by each connection.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::core::ids::UserId;
use crate::core::model::{Conversation, Message};
use crate::core::notifications::Notification;
use crate::hub::Topic;

/// Who may receive a message live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Audience {
    /// These users only: a session's participants, or a private panel's members.
    Users(Vec<UserId>),
    /// Every member of this group: a public panel.
    Group(String),
}

impl Audience {
    /// Whether a user may receive the message.
    pub fn includes(&self, user: &str, groups_of_user: &[String]) -> bool {
        match self {
            Audience::Users(list) => list.iter().any(|u| u == user),
            Audience::Group(g) => groups_of_user.iter().any(|x| x == g),
        }
    }
}

/// Something that happened, for live delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A message became durable in a conversation.
    MessagePosted {
        message: Arc<Message>,
        audience: Audience,
    },
    /// A session was created (or a user was added to one).
    ConversationJoined {
        conversation: Arc<Conversation>,
        users: Vec<String>,
    },
    /// A notification was queued for an agent.
    Notified { notification: Arc<Notification> },
    /// Credentials of a user were revoked; connections that used them must end.
    CredentialsRevoked {
        user_id: String,
        digests: Vec<String>,
    },
    /// A user opened a socket on a channel that allows one per user, on another node: this
    /// node's socket of that user on that channel must end (MoltCities' 4003). Never durable.
    Displaced { user_id: String, channel: String },
    /// A user joined or left a room (the town square) on another node. Never durable.
    RoomPresence {
        room: String,
        user_id: String,
        handle: String,
        present: bool,
    },
}

impl Event {
    /// The hub topics this event is delivered on.
    pub fn topics(&self) -> Vec<Topic> {
        match self {
            Event::MessagePosted { message, audience } => {
                let mut topics = vec![Topic::Conversation(message.conversation_id.to_string())];
                match audience {
                    Audience::Users(list) => {
                        topics.extend(list.iter().map(|u| Topic::User(u.to_string())))
                    }
                    Audience::Group(g) => topics.push(Topic::Group(g.clone())),
                }
                topics
            }
            Event::RoomPresence { room, .. } => vec![Topic::Conversation(room.clone())],
            Event::ConversationJoined { users, .. } => {
                users.iter().map(|u| Topic::User(u.clone())).collect()
            }
            Event::CredentialsRevoked { user_id, .. } | Event::Displaced { user_id, .. } => {
                vec![Topic::User(user_id.clone())]
            }
            Event::Notified { notification } => {
                vec![Topic::User(notification.recipient_id.to_string())]
            }
        }
    }
}
