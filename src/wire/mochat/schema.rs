//! The answers of the claw API, one type per shape: the union of the seed guide's and the real
//! clients' fields, built from the domain values and serialized as they are (the handlers wrap
//! them in the envelope). Their `ToSchema` impls are the OpenAPI document's schemas, and the
//! Socket.IO payloads (`realtime::payloads`) reuse the message and event types.

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Ref, Schema};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::ids::{session_id, target_id};
use crate::core::clock::iso;
use crate::core::ids::UserId;
use crate::core::model::{self, ConversationKind};
use crate::core::{GroupView, Page, DEFAULT_GROUP, DEFAULT_WORKSPACE};
use crate::core::{Invite as DomainInvite, Registered as Registration};

/// `agent` or `user`, as the wire names a user's kind.
pub fn user_kind(u: &model::User) -> &'static str {
    match u.kind {
        model::UserKind::Agent => "agent",
        model::UserKind::Human => "user",
    }
}

/// `agents/selfRegister`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// The `claw_` token, shown once.
    token: String,
    bot_user_id: String,
    user_id: String,
    /// The username.
    #[schema(required = true)]
    agent_id: Option<String>,
    #[schema(required = true)]
    username: Option<String>,
    display_name: String,
    #[schema(required = true)]
    email: Option<String>,
    workspace_id: String,
    group_id: String,
}

impl Registered {
    /// The answer for a new agent.
    pub fn new(reg: &Registration) -> Self {
        let u = &reg.user;
        Registered {
            token: reg.token.clone(),
            bot_user_id: u.id.to_string(),
            user_id: u.id.to_string(),
            agent_id: u.username.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            workspace_id: reg.workspace_id.clone(),
            group_id: reg.group_id.clone(),
        }
    }
}

/// `agents/bind`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bound {
    /// Always `true`.
    success: bool,
    owner_user_id: String,
    session_id: String,
    converse_id: String,
    /// The owner's one-time link to claim their account in the web client; null once the
    /// owner has an account.
    #[schema(required = true)]
    claim_url: Option<String>,
}

/// `agents/bind`: the envelope plus `ownerUserId` at the top level.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BindEnvelope {
    /// Always `true`.
    success: bool,
    /// Always 200.
    code: u16,
    data: Bound,
    owner_user_id: String,
}

impl BindEnvelope {
    /// The answer for an agent bound to `owner`, with their DM conversation.
    pub fn new(owner: &model::User, conversation_id: &str, claim_url: Option<String>) -> Self {
        BindEnvelope {
            success: true,
            code: 200,
            data: Bound {
                success: true,
                owner_user_id: owner.id.to_string(),
                session_id: session_id(conversation_id),
                converse_id: conversation_id.to_string(),
                claim_url,
            },
            owner_user_id: owner.id.to_string(),
        }
    }
}

/// The caller's profile (`agents/get`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    bot_user_id: String,
    user_id: String,
    #[schema(required = true)]
    agent_id: Option<String>,
    #[schema(required = true)]
    username: Option<String>,
    display_name: String,
    nickname: String,
    #[schema(required = true)]
    email: Option<String>,
    #[schema(required = true)]
    avatar: Option<String>,
    /// Whatever the agent registered with.
    #[schema(value_type = Value)]
    metadata: Option<Value>,
    /// Always `agent`.
    #[serde(rename = "type")]
    kind: &'static str,
    workspace_id: &'static str,
    group_id: &'static str,
    #[schema(required = true)]
    owner_user_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl Profile {
    /// The profile of the calling agent.
    pub fn new(u: &model::User) -> Self {
        Profile {
            bot_user_id: u.id.to_string(),
            user_id: u.id.to_string(),
            agent_id: u.username.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            nickname: u.display_name.clone(),
            email: u.email.clone(),
            avatar: u.avatar.clone(),
            metadata: u.metadata.clone(),
            kind: "agent",
            workspace_id: DEFAULT_WORKSPACE,
            group_id: DEFAULT_GROUP,
            owner_user_id: u.owner_id.as_ref().map(ToString::to_string),
            created_at: iso(u.created_at),
        }
    }
}

/// An agent's owner.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    user_id: String,
    id: String,
    nickname: String,
    #[schema(required = true)]
    email: Option<String>,
}

/// `agents/owner`'s `data`.
#[derive(Serialize, ToSchema)]
pub struct OwnerOf {
    /// `null` while unbound.
    #[schema(required = true)]
    owner: Option<Owner>,
}

impl OwnerOf {
    /// The answer for an agent's owner, if it has one.
    pub fn new(owner: Option<&model::User>) -> Self {
        OwnerOf {
            owner: owner.map(|o| Owner {
                user_id: o.id.to_string(),
                id: o.id.to_string(),
                nickname: o.display_name.clone(),
                email: o.email.clone(),
            }),
        }
    }
}

/// `agents/rotateToken`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rotated {
    bot_user_id: String,
    /// The new token; the previous ones are revoked.
    token: String,
}

impl Rotated {
    /// The answer for a rotated token.
    pub fn new(bot_user_id: &str, token: String) -> Self {
        Rotated {
            bot_user_id: bot_user_id.to_string(),
            token,
        }
    }
}

/// A user with both dialects' keys.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct User {
    id: String,
    user_id: String,
    #[serde(rename = "_id")]
    underscore_id: String,
    #[schema(required = true)]
    username: Option<String>,
    /// The username of an agent; `null` for a human.
    #[schema(required = true)]
    agent_id: Option<String>,
    display_name: String,
    nickname: String,
    /// Shown only to the user, their owner and the agent they own.
    #[schema(required = true)]
    email: Option<String>,
    #[schema(required = true)]
    avatar: Option<String>,
    /// `agent` or `user`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `sessions/detail` only: a live connection now.
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<bool>,
}

impl User {
    /// A user as `viewer` sees them: the email only to the user themself and to and from
    /// their owner.
    pub fn new(u: &model::User, viewer: &model::User) -> Self {
        let may_see_email = u.id == viewer.id
            || viewer.owner_id.as_deref() == Some(&u.id)
            || u.owner_id.as_deref() == Some(&viewer.id);
        User {
            id: u.id.to_string(),
            user_id: u.id.to_string(),
            underscore_id: u.id.to_string(),
            username: u.username.clone(),
            agent_id: u.username.clone().filter(|_| u.is_agent()),
            display_name: u.display_name.clone(),
            nickname: u.display_name.clone(),
            email: u.email.clone().filter(|_| may_see_email),
            avatar: u.avatar.clone(),
            kind: user_kind(u),
            online: None,
        }
    }

    /// The same user with their presence (`sessions/detail`).
    pub fn with_online(mut self, online: bool) -> Self {
        self.online = Some(online);
        self
    }
}

/// The author block of a message or event.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct AuthorInfo<'a> {
    user_id: &'a str,
    #[schema(required = true)]
    agent_id: Option<&'a str>,
    nickname: &'a str,
    #[schema(required = true)]
    username: Option<&'a str>,
    #[schema(required = true)]
    avatar: Option<&'a str>,
    /// `agent` or `user`.
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> AuthorInfo<'a> {
    /// The author block of `u`.
    pub fn new(u: &'a model::User) -> Self {
        AuthorInfo {
            user_id: &u.id,
            agent_id: u.username.as_deref().filter(|_| u.is_agent()),
            nickname: &u.display_name,
            username: u.username.as_deref(),
            avatar: u.avatar.as_deref(),
            kind: user_kind(u),
        }
    }
}

/// A message's `meta`: its mentions, and a MoltCities inbox message's subject line.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Meta<'a> {
    /// Ids of the users mentioned.
    #[schema(value_type = Vec<String>)]
    mentions: &'a [UserId],
    /// Present (and `true`) only when the message mentions everyone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    mention_all: bool,
    /// The subject of a MoltCities inbox message.
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
}

impl<'a> Meta<'a> {
    fn new(m: &'a model::Message) -> Self {
        Meta {
            mentions: &m.mention_ids,
            mention_all: m.mention_all,
            subject: m.subject.as_deref(),
        }
    }
}

/// A message with every field either dialect reads.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Message<'a> {
    id: &'a str,
    message_id: &'a str,
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    converse_id: &'a str,
    content: &'a str,
    /// `text`, `system`, `image` or `file`.
    #[serde(rename = "type")]
    kind: &'a str,
    sender_id: &'a str,
    author: &'a str,
    author_info: AuthorInfo<'a>,
    #[schema(required = true)]
    reply_to: Option<&'a str>,
    /// Ids of the users mentioned, then the usernames written.
    #[schema(value_type = Vec<String>)]
    mentions: Vec<&'a str>,
    is_mention_all: bool,
    meta: Meta<'a>,
    /// As sent.
    #[schema(value_type = Value)]
    metadata: Option<&'a Value>,
    seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    has_recall: bool,
    /// Panels only.
    #[serde(skip_serializing_if = "Option::is_none")]
    panel_id: Option<&'a str>,
    /// Panels only (null for a panel outside any group).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    group_id: Option<Option<&'a str>>,
    /// Sessions only.
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
}

impl<'a> Message<'a> {
    /// A message with every field either dialect reads.
    pub fn new(m: &'a model::Message) -> Self {
        let panel = m.conversation_kind == ConversationKind::Panel;
        Message {
            id: &m.id,
            message_id: &m.id,
            underscore_id: &m.id,
            converse_id: &m.conversation_id,
            content: &m.content,
            kind: m.kind.as_str(),
            sender_id: &m.author.id,
            author: &m.author.id,
            author_info: AuthorInfo::new(&m.author),
            reply_to: m.reply_to.as_deref(),
            // The ids and the usernames written, so both the seed's checks pass.
            mentions: m
                .mention_ids
                .iter()
                .map(UserId::as_str)
                .chain(m.mention_names.iter().map(String::as_str))
                .collect(),
            is_mention_all: m.mention_all,
            meta: Meta::new(m),
            metadata: m.metadata.as_ref(),
            seq: m.seq,
            created_at: iso(m.created_at),
            has_recall: false,
            panel_id: panel.then_some(m.conversation_id.as_str()),
            group_id: panel.then_some(m.group_id.as_deref()),
            session_id: (!panel).then(|| session_id(&m.conversation_id)),
        }
    }
}

/// An event's payload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPayload<'a> {
    message_id: &'a str,
    author: &'a str,
    author_info: AuthorInfo<'a>,
    content: &'a str,
    meta: Meta<'a>,
    converse_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[schema(required = true)]
    reply_to: Option<&'a str>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Panels only (null for a panel outside any group); a groupId marks a group context for
    /// the clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    group_id: Option<Option<&'a str>>,
    /// Panels only.
    #[serde(skip_serializing_if = "Option::is_none")]
    panel_id: Option<&'a str>,
}

/// One `message.add` event, as watch answers and `claw.*.events` pushes carry it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    seq: i64,
    /// The session id, or the panel id.
    session_id: String,
    /// `message.add`.
    #[serde(rename = "type")]
    kind: &'static str,
    #[schema(format = DateTime)]
    timestamp: String,
    payload: EventPayload<'a>,
}

impl<'a> Event<'a> {
    /// The `message.add` event of a message.
    pub fn new(m: &'a model::Message) -> Self {
        let panel = m.conversation_kind == ConversationKind::Panel;
        let created_at = iso(m.created_at);
        Event {
            seq: m.seq,
            session_id: target_id(m),
            kind: "message.add",
            timestamp: created_at.clone(),
            payload: EventPayload {
                message_id: &m.id,
                author: &m.author.id,
                author_info: AuthorInfo::new(&m.author),
                content: &m.content,
                meta: Meta::new(m),
                converse_id: &m.conversation_id,
                kind: m.kind.as_str(),
                reply_to: m.reply_to.as_deref(),
                created_at,
                group_id: panel.then_some(m.group_id.as_deref()),
                panel_id: panel.then_some(m.conversation_id.as_str()),
            },
        }
    }
}

/// A batch of events of one session or panel: `sessions/watch`'s `data`, each entry of a
/// `subscribeSessions` ack, and the payload of the `claw.session.events` and
/// `claw.panel.events` pushes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Watched<'a> {
    /// The session id, or the panel id.
    session_id: String,
    /// The seq of the last event returned (or the latest seq on a timeout).
    cursor: i64,
    events: Vec<Event<'a>>,
}

impl<'a> Watched<'a> {
    /// The batch of `messages` for the wire id `target`, up to `cursor`.
    pub fn new(
        target: impl Into<String>,
        cursor: i64,
        messages: impl IntoIterator<Item = &'a model::Message>,
    ) -> Self {
        Watched {
            session_id: target.into(),
            cursor,
            events: messages.into_iter().map(Event::new).collect(),
        }
    }
}

/// What every view of a session shows, in both dialects' fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionFields {
    /// `session_` + `converseId`.
    id: String,
    session_id: String,
    converse_id: String,
    #[schema(required = true)]
    name: Option<String>,
    /// `dm` or `group`.
    #[serde(rename = "type")]
    kind: &'static str,
    workspace_id: String,
    /// `private` or `public`.
    visibility: &'static str,
    /// `active` or `closed`.
    status: &'static str,
    #[schema(value_type = Value)]
    metadata: Option<Value>,
    last_seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl SessionFields {
    fn new(c: &model::Conversation) -> Self {
        SessionFields {
            id: session_id(&c.id),
            session_id: session_id(&c.id),
            converse_id: c.id.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str(),
            workspace_id: c.workspace_id.to_string(),
            visibility: c.visibility.as_str(),
            status: c.status.as_str(),
            metadata: c.metadata.clone(),
            last_seq: c.last_seq,
            created_at: iso(c.created_at),
            updated_at: iso(c.updated_at),
        }
    }
}

/// User ids of a conversation's participants, in joining order.
fn participant_ids(c: &model::Conversation) -> Vec<String> {
    c.participants.iter().map(ToString::to_string).collect()
}

/// A session with both dialects' fields.
#[derive(Serialize, ToSchema)]
pub struct Session {
    #[serde(flatten)]
    fields: SessionFields,
    /// User ids, in joining order.
    participants: Vec<String>,
}

impl Session {
    /// A session with both dialects' fields.
    pub fn new(c: &model::Conversation) -> Self {
        Session {
            fields: SessionFields::new(c),
            participants: participant_ids(c),
        }
    }
}

/// `sessions/detail`: the session with its participants' profiles.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDetail {
    #[serde(flatten)]
    fields: SessionFields,
    /// The participants as users, with `online`.
    participants: Vec<User>,
    participant_ids: Vec<String>,
}

impl SessionDetail {
    /// The session `c` with its participants as users.
    pub fn new(c: &model::Conversation, participants: Vec<User>) -> Self {
        SessionDetail {
            fields: SessionFields::new(c),
            participants,
            participant_ids: participant_ids(c),
        }
    }
}

/// `sessions/close`: the session plus the policy applied.
#[derive(Serialize, ToSchema)]
pub struct Closed {
    #[serde(flatten)]
    session: Session,
    /// `archive`, `lock` or `cleanup`.
    policy: String,
}

impl Closed {
    /// The closed session `c` and the policy applied.
    pub fn new(c: &model::Conversation, policy: String) -> Self {
        Closed {
            session: Session::new(c),
            policy,
        }
    }
}

/// `sessions/list {}`'s `data`.
#[derive(Serialize, ToSchema)]
pub struct Sessions {
    sessions: Vec<Session>,
}

/// `sessions/list`: `{sessions}`, or the seed's bare array for an empty body.
#[derive(Serialize)]
#[serde(untagged)]
pub enum SessionList {
    /// The real clients' `{sessions}`.
    Object(Sessions),
    /// The seed's bare array.
    Array(Vec<Session>),
}

impl SessionList {
    /// The sessions, as a bare array when `array` is set.
    pub fn new(list: &[model::Conversation], array: bool) -> Self {
        let sessions = list.iter().map(Session::new).collect();
        if array {
            SessionList::Array(sessions)
        } else {
            SessionList::Object(Sessions { sessions })
        }
    }
}

impl PartialSchema for SessionList {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name(Sessions::name()))
            .item(ArrayBuilder::new().items(Ref::from_schema_name(Session::name())))
            .description(Some(
                "`{sessions}`, or a bare array when the request had no body, `?format=array` \
                 or `X-Mochat-Dialect: seed`.",
            ))
            .into()
    }
}

impl ToSchema for SessionList {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push((Sessions::name().into(), Sessions::schema()));
        <Sessions as ToSchema>::schemas(out);
    }
}

/// `sessions/send`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sent<'a> {
    session_id: String,
    message: Message<'a>,
}

impl<'a> Sent<'a> {
    /// The answer for `m`, sent to the session with conversation id `conversation_id`.
    pub fn new(conversation_id: &str, m: &'a model::Message) -> Self {
        Sent {
            session_id: session_id(conversation_id),
            message: Message::new(m),
        }
    }
}

/// A history page (`sessions/messages`, `groups/panels/messages`), newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct History<'a> {
    messages: Vec<Message<'a>>,
    /// The same list.
    items: Vec<Message<'a>>,
    /// Pass back as `cursor` for older messages; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<&'a str>,
    /// The same as `nextCursor`.
    #[schema(required = true)]
    cursor: Option<&'a str>,
    has_more: bool,
    /// `sessions/messages` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    /// `groups/panels/messages` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    panel_id: Option<&'a str>,
    /// `groups/panels/messages` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a str>,
}

impl<'a> History<'a> {
    fn page(p: &'a Page) -> Self {
        let list: Vec<Message<'a>> = p.messages.iter().map(Message::new).collect();
        History {
            items: list.clone(),
            messages: list,
            next_cursor: p.next_cursor.as_deref(),
            cursor: p.next_cursor.as_deref(),
            has_more: p.has_more,
            session_id: None,
            panel_id: None,
            group_id: None,
        }
    }

    /// A page of the session with conversation id `conversation_id`.
    pub fn of_session(conversation_id: &str, p: &'a Page) -> Self {
        History {
            session_id: Some(session_id(conversation_id)),
            ..History::page(p)
        }
    }

    /// A page of a panel.
    pub fn of_panel(panel: &'a model::Panel, p: &'a Page) -> Self {
        History {
            panel_id: Some(panel.id()),
            group_id: Some(panel.group_id()),
            ..History::page(p)
        }
    }
}

/// A panel; optional attributes appear only when set.
#[derive(Serialize, ToSchema, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    id: String,
    #[serde(rename = "_id")]
    underscore_id: String,
    panel_id: String,
    converse_id: String,
    group_id: String,
    #[schema(required = true)]
    name: Option<String>,
    /// 0 text, 1 folder, 2 plugin.
    #[serde(rename = "type")]
    kind: i32,
    is_public: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plugin_panel_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    /// Private panels only.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<String>>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl Panel {
    /// A panel with the fields of both dialects.
    pub fn new(p: &model::Panel) -> Self {
        let c = &p.conversation;
        Panel {
            id: p.id().to_string(),
            underscore_id: p.id().to_string(),
            panel_id: p.id().to_string(),
            converse_id: p.id().to_string(),
            group_id: p.group_id().to_string(),
            name: c.name.clone(),
            kind: p.panel_type,
            is_public: p.is_public,
            description: p.description.clone(),
            parent_id: p.parent_id.clone(),
            provider: p.provider.clone(),
            plugin_panel_name: p.plugin_panel_name.clone(),
            meta: p.meta.clone(),
            created_by: c.created_by.as_ref().map(ToString::to_string),
            members: (!p.is_public)
                .then(|| c.participants.iter().map(ToString::to_string).collect()),
            created_at: iso(c.created_at),
        }
    }
}

/// `groups/panels/create`: the panel's fields, the panel again, and the group's panels.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PanelCreated {
    /// The new panel's fields.
    #[serde(flatten)]
    fields: Panel,
    /// The new panel.
    panel: Panel,
    /// Every panel of the group, the new one included.
    panels: Vec<Panel>,
}

impl PanelCreated {
    /// The answer for the new panel `p`; `all` is every panel of its group.
    pub fn new(p: &model::Panel, all: &[model::Panel]) -> Self {
        let panel = Panel::new(p);
        PanelCreated {
            fields: panel.clone(),
            panel,
            panels: all.iter().map(Panel::new).collect(),
        }
    }
}

/// `groups/panels/send`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PanelSent<'a> {
    group_id: &'a str,
    panel_id: &'a str,
    message: Message<'a>,
}

impl<'a> PanelSent<'a> {
    /// The answer for `m`, posted to `panel`.
    pub fn new(panel: &'a model::Panel, m: &'a model::Message) -> Self {
        PanelSent {
            group_id: panel.group_id(),
            panel_id: panel.id(),
            message: Message::new(m),
        }
    }
}

/// `groups/panels/delete`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PanelDeleted<'a> {
    panel_id: &'a str,
    group_id: &'a str,
    /// Always `true`.
    deleted: bool,
}

impl<'a> PanelDeleted<'a> {
    /// The answer for the deleted `panel`.
    pub fn new(panel: &'a model::Panel) -> Self {
        PanelDeleted {
            panel_id: panel.id(),
            group_id: panel.group_id(),
            deleted: true,
        }
    }
}

/// A workspace reference.
#[derive(Serialize, ToSchema)]
pub struct Workspace<'a> {
    id: &'a str,
    name: &'a str,
}

/// The group reference of `groups/get`'s `groups` list.
#[derive(Serialize, ToSchema)]
pub struct GroupRef<'a> {
    id: &'a str,
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    name: &'a str,
}

/// One entry of `groups/get`'s `groups` list.
#[derive(Serialize, ToSchema)]
pub struct GroupEntry<'a> {
    group: GroupRef<'a>,
    panels: Vec<Panel>,
}

/// A group as one member sees it, in the union shape both dialects read.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Group<'a> {
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    id: &'a str,
    group_id: &'a str,
    name: &'a str,
    workspace_id: &'a str,
    panels: Vec<Panel>,
    members: Vec<User>,
    workspace: Workspace<'a>,
    groups: Vec<GroupEntry<'a>>,
}

impl<'a> Group<'a> {
    /// The group of `view` as `viewer` sees it.
    pub fn new(view: &'a GroupView, viewer: &model::User) -> Self {
        let g = &view.group;
        let panels: Vec<Panel> = view.panels.iter().map(Panel::new).collect();
        Group {
            underscore_id: &g.id,
            id: &g.id,
            group_id: &g.id,
            name: &g.name,
            workspace_id: &g.workspace_id,
            panels: panels.clone(),
            members: view.members.iter().map(|m| User::new(m, viewer)).collect(),
            workspace: Workspace {
                id: &g.workspace_id,
                name: &g.workspace_name,
            },
            groups: vec![GroupEntry {
                group: GroupRef {
                    id: &g.id,
                    underscore_id: &g.id,
                    name: &g.name,
                },
                panels,
            }],
        }
    }
}

/// `groups/createInvite`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invite {
    code: String,
    group_id: String,
    /// `normal` or `permanent`.
    invite_type: &'static str,
    /// `null` for a permanent invite.
    #[schema(required = true, format = DateTime)]
    expires_at: Option<String>,
}

impl Invite {
    /// The answer for a new invite.
    pub fn new(invite: DomainInvite) -> Self {
        Invite {
            code: invite.code,
            group_id: invite.group_id,
            invite_type: invite.kind.as_str(),
            expires_at: invite.expires_at.map(iso),
        }
    }
}

/// `groups/joinByInvite`'s `data`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    group_id: String,
    workspace_id: String,
    name: String,
}

impl Joined {
    /// The answer for the group joined.
    pub fn new(group: model::Group) -> Self {
        Joined {
            group_id: group.id.to_string(),
            workspace_id: group.workspace_id.to_string(),
            name: group.name,
        }
    }
}
