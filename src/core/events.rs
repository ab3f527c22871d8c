//! Domain events: published to the hub after commit, rendered by each connection.

use std::sync::Arc;

use crate::core::model::{Conversation, Message};
use crate::hub::Topic;

/// Something that happened, for live delivery.
#[derive(Debug, Clone)]
pub enum Event {
    /// A message became durable in a conversation.
    MessagePosted {
        message: Arc<Message>,
        /// Participants of a session; empty for panels (delivered by group).
        recipients: Vec<String>,
    },
    /// A session was created (or a user was added to one).
    ConversationJoined {
        conversation: Arc<Conversation>,
        users: Vec<String>,
    },
    /// Credentials of a user were revoked; connections that used them must end.
    CredentialsRevoked {
        user_id: String,
        digests: Vec<String>,
    },
}

impl Event {
    /// The hub topics this event is delivered on.
    pub fn topics(&self) -> Vec<Topic> {
        match self {
            Event::MessagePosted {
                message,
                recipients,
            } => {
                let mut topics = vec![Topic::Conversation(message.conversation_id.clone())];
                if let Some(group) = &message.group_id {
                    topics.push(Topic::Group(group.clone()));
                }
                topics.extend(recipients.iter().map(|u| Topic::User(u.clone())));
                topics
            }
            Event::ConversationJoined { users, .. } => {
                users.iter().map(|u| Topic::User(u.clone())).collect()
            }
            Event::CredentialsRevoked { user_id, .. } => vec![Topic::User(user_id.clone())],
        }
    }
}
