//! Domain types: what the core hands to the wires. No wire field names here. They serialize
//! for the cluster bus only (`core::live`), never for a client.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::ids::{ConversationId, GroupId, MessageId, UserId, WorkspaceId};
use crate::store::models::{ConversationRow, GroupRow, MessageRow, PanelRow, UserRow};

/// Whether a user is an agent or a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserKind {
    Agent,
    Human,
}

impl UserKind {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Agent => "agent",
            UserKind::Human => "human",
        }
    }
}

/// An agent or a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub kind: UserKind,
    pub username: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub metadata: Option<Value>,
    pub owner_id: Option<UserId>,
    pub created_at: i64,
}

impl User {
    /// Whether this user is an agent.
    pub fn is_agent(&self) -> bool {
        self.kind == UserKind::Agent
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            kind: if r.kind == "agent" {
                UserKind::Agent
            } else {
                UserKind::Human
            },
            metadata: parse_json(r.metadata.as_deref()),
            id: r.id.into(),
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            avatar: r.avatar,
            owner_id: r.owner_user_id.map(UserId::from),
            created_at: r.created_at,
        }
    }
}

/// What kind of conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationKind {
    /// A private conversation of exactly two users, reused between them.
    Dm,
    /// A private conversation of any number of users.
    Group,
    /// A channel of a group.
    Panel,
}

impl ConversationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Dm => "dm",
            ConversationKind::Group => "group",
            ConversationKind::Panel => "panel",
        }
    }

    fn parse(s: &str) -> ConversationKind {
        match s {
            "dm" => ConversationKind::Dm,
            "panel" => ConversationKind::Panel,
            _ => ConversationKind::Group,
        }
    }
}

/// Whether a conversation takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConversationStatus {
    /// Open for messages.
    Active,
    /// A closed session: readable, no new messages.
    Closed,
    /// A deleted panel: gone from every list.
    Deleted,
}

impl ConversationStatus {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Active => "active",
            ConversationStatus::Closed => "closed",
            ConversationStatus::Deleted => "deleted",
        }
    }

    fn parse(s: &str) -> ConversationStatus {
        match s {
            "closed" => ConversationStatus::Closed,
            "deleted" => ConversationStatus::Deleted,
            _ => ConversationStatus::Active,
        }
    }
}

/// Who may see a conversation: its participants, or every member of its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    Private,
    Public,
}

impl Visibility {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Public => "public",
        }
    }

    /// The visibility a name stands for.
    pub fn parse(s: &str) -> Option<Visibility> {
        [Visibility::Private, Visibility::Public]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A session (dm or group) or the conversation behind a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub name: Option<String>,
    pub workspace_id: WorkspaceId,
    pub group_id: Option<GroupId>,
    pub visibility: Visibility,
    pub status: ConversationStatus,
    pub metadata: Option<Value>,
    pub last_seq: i64,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Participant ids (for private panels: the members), in joining order.
    pub participants: Vec<UserId>,
}

impl Conversation {
    /// Builds the domain value from its row and participant ids.
    pub fn from_row(r: ConversationRow, participants: Vec<String>) -> Self {
        let participants = participants.into_iter().map(UserId::from).collect();
        Conversation {
            kind: ConversationKind::parse(&r.kind),
            metadata: parse_json(r.metadata.as_deref()),
            id: r.id.into(),
            name: r.name,
            workspace_id: r.workspace_id.into(),
            group_id: r.group_id.map(GroupId::from),
            // Only the two names are ever stored.
            visibility: Visibility::parse(&r.visibility).unwrap_or(Visibility::Private),
            status: ConversationStatus::parse(&r.status),
            last_seq: r.last_seq,
            created_by: r.created_by.map(UserId::from),
            created_at: r.created_at,
            updated_at: r.updated_at,
            participants,
        }
    }

    /// Whether new messages are refused.
    pub fn is_closed(&self) -> bool {
        self.status == ConversationStatus::Closed
    }
}

/// Panel type 0: a text channel, the only kind messages are posted to.
pub const PANEL_TEXT: i32 = 0;

/// A panel: its conversation plus panel attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub conversation: Conversation,
    pub panel_type: i32,
    pub is_public: bool,
    pub description: Option<String>,
    pub parent_id: Option<String>,
    pub provider: Option<String>,
    pub plugin_panel_name: Option<String>,
    pub meta: Option<Value>,
}

impl Panel {
    /// Builds the domain value from its rows and member ids.
    pub fn from_rows(c: ConversationRow, p: PanelRow, members: Vec<String>) -> Self {
        let mut conversation = Conversation::from_row(c, members);
        // The panel row is the source of truth for who may see it.
        conversation.visibility = if p.is_public {
            Visibility::Public
        } else {
            Visibility::Private
        };
        Panel {
            conversation,
            panel_type: p.panel_type,
            is_public: p.is_public,
            description: p.description,
            parent_id: p.parent_id,
            provider: p.provider,
            plugin_panel_name: p.plugin_panel_name,
            meta: parse_json(p.meta.as_deref()),
        }
    }

    /// The panel id (the id of its conversation).
    pub fn id(&self) -> &str {
        &self.conversation.id
    }

    /// The group the panel belongs to.
    pub fn group_id(&self) -> &str {
        self.conversation.group_id.as_deref().unwrap_or_default()
    }
}

/// A group of a workspace, with the workspace's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
}

impl Group {
    /// Builds the domain value from its row and its workspace's name.
    pub fn from_row(r: GroupRow, workspace_name: String) -> Self {
        Group {
            id: r.id.into(),
            name: r.name,
            workspace_id: r.workspace_id.into(),
            workspace_name,
        }
    }
}

/// What a message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    Text,
    System,
    Image,
    File,
}

impl MessageKind {
    /// Every kind, as clients name them.
    pub const ALL: [MessageKind; 4] = [
        MessageKind::Text,
        MessageKind::System,
        MessageKind::Image,
        MessageKind::File,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::System => "system",
            MessageKind::Image => "image",
            MessageKind::File => "file",
        }
    }

    /// The kind a name stands for.
    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A message, with its author resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub conversation_kind: ConversationKind,
    /// The group of a panel message.
    pub group_id: Option<GroupId>,
    pub seq: i64,
    pub author: User,
    pub content: String,
    pub kind: MessageKind,
    pub reply_to: Option<MessageId>,
    pub metadata: Option<Value>,
    /// Ids of the users mentioned.
    pub mention_ids: Vec<UserId>,
    /// The usernames written in `@name` mentions that resolved to users.
    pub mention_names: Vec<String>,
    pub mention_all: bool,
    pub created_at: i64,
    /// A subject line (MoltCities inbox messages).
    pub subject: Option<String>,
}

impl Message {
    /// Builds the domain value from its row, its conversation and its author.
    pub fn from_row(r: MessageRow, conversation: &Conversation, author: User) -> Self {
        Message::from_parts(r, conversation.kind, conversation.group_id.clone(), author)
    }

    /// Builds the domain value from its row, what it needs of its conversation, and its author.
    pub fn from_parts(
        r: MessageRow,
        conversation_kind: ConversationKind,
        group_id: Option<GroupId>,
        author: User,
    ) -> Self {
        Message {
            conversation_kind,
            group_id,
            metadata: parse_json(r.metadata.as_deref()),
            mention_ids: parse_list(&r.mention_ids)
                .into_iter()
                .map(UserId::from)
                .collect(),
            mention_names: parse_list(&r.mention_names),
            id: r.id.into(),
            conversation_id: r.conversation_id.into(),
            seq: r.seq,
            author,
            content: r.content,
            // Only the four kinds are ever stored.
            kind: MessageKind::parse(&r.kind).unwrap_or(MessageKind::Text),
            reply_to: r.reply_to.map(MessageId::from),
            mention_all: r.mention_all,
            created_at: r.created_at,
            subject: r.subject,
        }
    }
}

/// Parses a stored JSON document; a corrupt one reads as absent rather than failing a read.
pub fn parse_json(s: Option<&str>) -> Option<Value> {
    s.and_then(|s| serde_json::from_str(s).ok())
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}
