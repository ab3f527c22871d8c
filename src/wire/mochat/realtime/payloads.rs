//! What the MoChat Socket.IO handler emits, one type per shape: the pushes of both dialects and
//! the Tailchat fallbacks, the acks of the client events, and the CONNECT_ERROR data. The
//! message and event blocks are the REST answers' types (`schema`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::core::clock::iso;
use crate::core::model::{self, Message};
use crate::wire::mochat::ids::target_id;
use crate::wire::mochat::schema::{self, user_kind, AuthorInfo, Watched};

/// The seed's `sender` block of a `notify:*` push.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sender<'a> {
    id: &'a str,
    user_id: &'a str,
    #[schema(required = true)]
    username: Option<&'a str>,
    display_name: &'a str,
    nickname: &'a str,
    #[schema(required = true)]
    avatar: Option<&'a str>,
    /// `agent` or `user`.
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> Sender<'a> {
    fn new(u: &'a model::User) -> Self {
        Sender {
            id: &u.id,
            user_id: &u.id,
            username: u.username.as_deref(),
            display_name: &u.display_name,
            nickname: &u.display_name,
            avatar: u.avatar.as_deref(),
            kind: user_kind(u),
        }
    }
}

/// Seed dialect `notify:session`: a session message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionNotice<'a> {
    session_id: String,
    message: schema::Message<'a>,
    sender: Sender<'a>,
}

/// Seed dialect `notify:panel`: a panel message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PanelNotice<'a> {
    panel_id: &'a str,
    /// `null` for a panel outside any group.
    #[schema(required = true)]
    group_id: Option<&'a str>,
    message: schema::Message<'a>,
    sender: Sender<'a>,
}

/// The `meta` of a Tailchat `notify:chat.message.add`: the mentioned ids only.
#[derive(Serialize, ToSchema)]
pub struct TailchatMeta<'a> {
    /// Ids of the users mentioned.
    #[schema(value_type = Vec<String>)]
    mentions: &'a [crate::core::ids::UserId],
}

/// Tailchat fallback `notify:chat.message.add`: a panel message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TailchatMessage<'a> {
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    message_id: &'a str,
    author: &'a str,
    author_info: AuthorInfo<'a>,
    content: &'a str,
    meta: TailchatMeta<'a>,
    #[schema(format = DateTime)]
    created_at: String,
    /// `null` for a panel outside any group.
    #[schema(required = true)]
    group_id: Option<&'a str>,
    converse_id: &'a str,
    panel_id: &'a str,
}

/// The `payload` of a Tailchat `notify:chat.inbox.append`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxPayload<'a> {
    converse_id: &'a str,
    message_id: &'a str,
    message_author: &'a str,
    message_plain_content: &'a str,
    /// The first 100 characters of the content.
    message_snippet: String,
}

/// Tailchat fallback `notify:chat.inbox.append`: a session message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TailchatInbox<'a> {
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    /// Always `message`.
    #[serde(rename = "type")]
    kind: &'static str,
    payload: InboxPayload<'a>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// The payload of a push, in any of its styles.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Push<'a> {
    /// `notify:session`.
    Session(SessionNotice<'a>),
    /// `notify:panel`.
    Panel(PanelNotice<'a>),
    /// `claw.session.events` and `claw.panel.events`.
    Events(Watched<'a>),
    /// `notify:chat.message.add`.
    TailchatMessage(TailchatMessage<'a>),
    /// `notify:chat.inbox.append`.
    TailchatInbox(TailchatInbox<'a>),
}

impl<'a> Push<'a> {
    /// `notify:session` of a session message.
    pub fn session(m: &'a Message) -> Self {
        Push::Session(SessionNotice {
            session_id: target_id(m),
            message: schema::Message::new(m),
            sender: Sender::new(&m.author),
        })
    }

    /// `notify:panel` of a panel message.
    pub fn panel(m: &'a Message) -> Self {
        Push::Panel(PanelNotice {
            panel_id: &m.conversation_id,
            group_id: m.group_id.as_deref(),
            message: schema::Message::new(m),
            sender: Sender::new(&m.author),
        })
    }

    /// `claw.*.events` of one message.
    pub fn events(m: &'a Message) -> Self {
        Push::Events(Watched::new(target_id(m), m.seq, [m]))
    }

    /// `notify:chat.message.add` of a panel message.
    pub fn tailchat_message(m: &'a Message) -> Self {
        Push::TailchatMessage(TailchatMessage {
            underscore_id: &m.id,
            message_id: &m.id,
            author: &m.author.id,
            author_info: AuthorInfo::new(&m.author),
            content: &m.content,
            meta: TailchatMeta {
                mentions: &m.mention_ids,
            },
            created_at: iso(m.created_at),
            group_id: m.group_id.as_deref(),
            converse_id: &m.conversation_id,
            panel_id: &m.conversation_id,
        })
    }

    /// `notify:chat.inbox.append` of a session message.
    pub fn tailchat_inbox(m: &'a Message) -> Self {
        Push::TailchatInbox(TailchatInbox {
            underscore_id: &m.id,
            kind: "message",
            payload: InboxPayload {
                converse_id: &m.conversation_id,
                message_id: &m.id,
                message_author: &m.author.id,
                message_plain_content: &m.content,
                message_snippet: m.content.chars().take(100).collect(),
            },
            created_at: iso(m.created_at),
        })
    }
}

/// The ack of a seed subscription: `{result: true, success: true}`.
#[derive(Serialize, ToSchema)]
pub struct Subscribed {
    /// Always `true`.
    result: bool,
    /// Always `true`.
    success: bool,
}

/// The ack of a refused event: `{result: false, success: false, message}`.
#[derive(Serialize, ToSchema)]
pub struct Refused {
    /// Always `false`.
    result: bool,
    /// Always `false`.
    success: bool,
    /// Why.
    message: String,
}

/// The `data` of a `com.claw.im.subscribeSessions` ack.
#[derive(Serialize, ToSchema)]
pub struct SessionsSynced<'a> {
    /// One entry per requested session, in the order asked: its first batch of events.
    sessions: Vec<Watched<'a>>,
}

/// The `data` of a `com.claw.im.subscribePanels` ack.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PanelsSubscribed {
    /// The text panels now subscribed.
    panel_ids: Vec<String>,
    group_id: String,
}

/// The ack of a real-dialect subscription: `{result: true, data}`.
#[derive(Serialize, ToSchema)]
pub struct Accepted<T> {
    /// Always `true`.
    result: bool,
    data: T,
}

/// The ack of a client event, in any of its shapes.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Ack<'a> {
    /// A seed subscription done.
    Subscribed(Subscribed),
    /// The event was refused.
    Refused(Refused),
    /// `com.claw.im.subscribeSessions` done.
    Sessions(Accepted<SessionsSynced<'a>>),
    /// `com.claw.im.subscribePanels` done.
    Panels(Accepted<PanelsSubscribed>),
}

impl<'a> Ack<'a> {
    /// `{result: true, success: true}`.
    pub fn subscribed() -> Self {
        Ack::Subscribed(Subscribed {
            result: true,
            success: true,
        })
    }

    /// `{result: false, success: false, message}`.
    pub fn refused(message: impl Into<String>) -> Self {
        Ack::Refused(Refused {
            result: false,
            success: false,
            message: message.into(),
        })
    }

    /// The `subscribeSessions` ack with one batch per session.
    pub fn sessions(sessions: Vec<Watched<'a>>) -> Self {
        Ack::Sessions(Accepted {
            result: true,
            data: SessionsSynced { sessions },
        })
    }

    /// The `subscribePanels` ack.
    pub fn panels(panel_ids: Vec<String>, group_id: String) -> Self {
        Ack::Panels(Accepted {
            result: true,
            data: PanelsSubscribed {
                panel_ids,
                group_id,
            },
        })
    }
}

/// The wait of a throttled CONNECT.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryAfter {
    /// Seconds to wait.
    retry_after: u64,
}

/// The data of a CONNECT_ERROR (other than the socket cap's, `CapError`).
#[derive(Serialize, ToSchema)]
pub struct ConnectError {
    /// Why the connection was refused.
    message: String,
    /// A throttled address only.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<RetryAfter>,
}

impl ConnectError {
    /// A refusal with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// A refusal of a throttled address, with the wait.
    pub fn throttled(message: impl Into<String>, retry_after_secs: u64) -> Self {
        ConnectError {
            message: message.into(),
            data: Some(RetryAfter {
                retry_after: retry_after_secs,
            }),
        }
    }
}

/// A payload as the Socket.IO layer carries it (a JSON value).
pub fn to_value(payload: &impl Serialize) -> serde_json::Value {
    // These types serialize to JSON without fail: string keys, no custom serializers.
    serde_json::to_value(payload).unwrap_or_else(|e| {
        log::error!("a MoChat payload did not serialize: {e}");
        serde_json::Value::Null
    })
}
