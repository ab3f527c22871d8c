//! The shapes of the web API: request bodies and typed answers, one struct per shape.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::accounts::Human;
use crate::core::humans::{AgentView, ConversationSummary};
use crate::core::model::{ConversationKind, Message, User, UserKind};
use crate::hub::Hub;

/// `GET /web/api/config`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// `open`, `invite` or `off`.
    pub signup: &'static str,
    pub public_url: String,
}

/// The signed-in human.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub id: String,
    pub email: Option<String>,
    pub display_name: String,
    pub username: Option<String>,
    pub is_admin: bool,
}

impl From<&Human> for Me {
    fn from(h: &Human) -> Self {
        Me {
            id: h.user.id.to_string(),
            email: h.user.email.clone(),
            display_name: h.user.display_name.clone(),
            username: h.user.username.clone(),
            is_admin: h.is_admin,
        }
    }
}

/// `agent` or `human`.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Agent,
    Human,
}

/// A user as the page shows them.
#[derive(Serialize, ToSchema)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub username: Option<String>,
    pub kind: Kind,
    /// Whether they have a live connection now.
    pub online: bool,
}

impl Person {
    /// A user with their online state from the hub.
    pub fn of<E>(u: &User, hub: &Hub<E>) -> Person {
        Person {
            id: u.id.to_string(),
            name: u.display_name.clone(),
            username: u.username.clone(),
            kind: match u.kind {
                UserKind::Agent => Kind::Agent,
                UserKind::Human => Kind::Human,
            },
            online: hub.is_online(&u.id),
        }
    }
}

/// The message a reply answers, in short.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quoted {
    pub id: String,
    pub author_name: String,
    pub content: String,
}

/// A message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebMessage {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub author: Person,
    pub content: String,
    pub reply_to: Option<Quoted>,
    /// Usernames mentioned.
    pub mentions: Vec<String>,
    pub created_at: i64,
}

/// Longest quote of a replied-to message, in characters.
const QUOTE_CHARS: usize = 200;

impl WebMessage {
    /// A message with the message it answers (looked up by the caller among those at hand).
    pub fn of<E>(m: &Message, quoted: Option<&Message>, hub: &Hub<E>) -> WebMessage {
        WebMessage {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            seq: m.seq,
            author: Person::of(&m.author, hub),
            content: m.content.clone(),
            reply_to: quoted.map(|q| Quoted {
                id: q.id.to_string(),
                author_name: q.author.display_name.clone(),
                content: q.content.chars().take(QUOTE_CHARS).collect(),
            }),
            mentions: m.mention_names.clone(),
            created_at: m.created_at,
        }
    }
}

/// The newest message of a conversation, in short.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastMessage {
    pub author_name: String,
    pub content: String,
    pub created_at: i64,
}

/// `dm`, `group` or `panel`.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum ConversationType {
    Dm,
    Group,
    Panel,
}

/// One entry of the conversation list.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub id: String,
    pub kind: ConversationType,
    pub title: String,
    /// The town square.
    pub square: bool,
    /// The other one of a DM.
    pub peer: Option<Person>,
    pub unread: i64,
    pub last_seq: i64,
    pub read_seq: i64,
    pub last_message: Option<LastMessage>,
    pub updated_at: i64,
}

/// Longest preview of the newest message, in characters.
const PREVIEW_CHARS: usize = 140;

impl Summary {
    /// The list entry of a conversation.
    pub fn of<E>(s: &ConversationSummary, hub: &Hub<E>) -> Summary {
        let c = &s.conversation;
        let last_seq = s
            .last
            .as_ref()
            .map_or(c.last_seq, |m| m.seq.max(c.last_seq));
        Summary {
            id: c.id.to_string(),
            kind: match c.kind {
                ConversationKind::Dm => ConversationType::Dm,
                ConversationKind::Group => ConversationType::Group,
                ConversationKind::Panel => ConversationType::Panel,
            },
            title: s.title.clone(),
            square: s.is_square,
            peer: s.peer.as_ref().map(|p| Person::of(p, hub)),
            unread: (last_seq - s.read_seq).max(0),
            last_seq,
            read_seq: s.read_seq,
            last_message: s.last.as_ref().map(|m| LastMessage {
                author_name: m.author.display_name.clone(),
                content: m.content.chars().take(PREVIEW_CHARS).collect(),
                created_at: m.created_at,
            }),
            updated_at: s.last.as_ref().map_or(c.updated_at, |m| m.created_at),
        }
    }
}

/// `GET /web/api/conversations`.
#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<Summary>,
}

/// `GET /web/api/conversations/{id}`.
#[derive(Serialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: Summary,
    pub members: Vec<Person>,
}

/// `POST /web/api/dm`.
#[derive(Serialize, ToSchema)]
pub struct Opened {
    pub conversation: Summary,
}

/// A page of messages, oldest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<WebMessage>,
    pub has_more: bool,
}

/// `GET /web/api/people`.
#[derive(Serialize, ToSchema)]
pub struct People {
    pub people: Vec<Person>,
}

/// An agent as its owner or an operator sees it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentEntry {
    pub id: String,
    pub username: Option<String>,
    pub name: String,
    pub online: bool,
    /// When it was last connected (since the server started); now if online.
    pub last_seen: Option<i64>,
    pub created_at: i64,
    pub suspended: bool,
    pub owner_email: Option<String>,
}

impl AgentEntry {
    /// The entry of an agent, with its live state from the hub.
    pub fn of<E>(a: &AgentView, hub: &Hub<E>) -> AgentEntry {
        AgentEntry {
            id: a.agent.id.to_string(),
            username: a.agent.username.clone(),
            name: a.agent.display_name.clone(),
            online: hub.is_online(&a.agent.id),
            last_seen: hub.last_seen(&a.agent.id),
            created_at: a.agent.created_at,
            suspended: a.suspended,
            owner_email: a.owner_email.clone(),
        }
    }
}

/// `GET /web/api/agents`, `GET /web/api/admin/agents`.
#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub agents: Vec<AgentEntry>,
}

/// `POST /web/api/agents/{id}/rotate-token`: the new token, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub token: String,
}

/// Live connections by wire.
#[derive(Serialize, ToSchema)]
pub struct Connections {
    pub socketio: u64,
    pub moltcities: u64,
    pub web: u64,
}

/// `GET /web/api/admin/stats`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub connections: Connections,
    /// Messages committed since start-up.
    pub messages_total: u64,
    pub online_users: u64,
    pub timestamp: i64,
}

/// `POST /web/api/signup`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// `POST /web/api/login`.
#[derive(Deserialize, ToSchema)]
pub struct LogIn {
    pub email: String,
    pub password: String,
}

/// `POST /web/api/claim/inspect`.
#[derive(Deserialize, ToSchema)]
pub struct ClaimToken {
    pub token: String,
}

/// `POST /web/api/claim`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub token: String,
    pub password: String,
    pub display_name: Option<String>,
}

/// `POST /web/api/claim/inspect`'s answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Claimable {
    pub email: Option<String>,
    pub display_name: String,
}

/// `POST /web/api/password`.
#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current: String,
    pub password: String,
}

/// `POST /web/api/conversations/{id}/messages`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub content: String,
    pub reply_to: Option<String>,
}

/// `POST /web/api/conversations/{id}/read`.
#[derive(Deserialize, ToSchema)]
pub struct Read {
    pub seq: i64,
}

/// `POST /web/api/dm`.
#[derive(Deserialize, ToSchema)]
pub struct OpenDm {
    pub username: String,
}

/// A body with nothing in it (`{}`).
#[derive(Deserialize, ToSchema, Default)]
pub struct Empty {}

/// A live event sent to the page.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LiveEvent {
    /// Subscriptions are in place: fetch what may have been missed now.
    Ready,
    /// A new message.
    Message { message: Box<WebMessage> },
    /// The human was added to a conversation.
    Conversation {
        #[serde(rename = "conversationId")]
        conversation_id: String,
    },
    /// The answer to a ping.
    Pong,
}
