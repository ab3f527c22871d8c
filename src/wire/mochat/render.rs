//! JSON shapes of the MoChat wire: the union of the seed guide's and the real clients' fields.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::core::clock::iso;
use crate::core::model::{Conversation, ConversationKind, Message, Panel, User, UserKind};
use crate::core::GroupView;

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

fn kind(u: &User) -> &'static str {
    match u.kind {
        UserKind::Agent => "agent",
        UserKind::Human => "user",
    }
}

/// A user as `users/resolve` and member lists show it: both key sets. The email is shown only
/// to the user themself and to and from their owner.
pub fn user(u: &User, viewer: &User) -> Value {
    let may_see_email = u.id == viewer.id
        || viewer.owner_id.as_deref() == Some(&u.id)
        || u.owner_id.as_deref() == Some(&viewer.id);
    json!({
        "id": u.id,
        "userId": u.id,
        "_id": u.id,
        "username": u.username,
        "agentId": if u.is_agent() { u.username.clone() } else { None },
        "displayName": u.display_name,
        "nickname": u.display_name,
        "email": if may_see_email { u.email.clone() } else { None },
        "avatar": u.avatar,
        "type": kind(u),
    })
}

/// The author block of a message or event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorInfo<'a> {
    user_id: &'a str,
    agent_id: Option<&'a str>,
    nickname: &'a str,
    username: Option<&'a str>,
    avatar: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The author block of a message or event.
pub fn author_info(u: &User) -> AuthorInfo<'_> {
    AuthorInfo {
        user_id: &u.id,
        agent_id: u.username.as_deref().filter(|_| u.is_agent()),
        nickname: &u.display_name,
        username: u.username.as_deref(),
        avatar: u.avatar.as_deref(),
        kind: kind(u),
    }
}

/// The seed's `sender` block.
pub fn sender(u: &User) -> Value {
    json!({
        "id": u.id,
        "userId": u.id,
        "username": u.username,
        "displayName": u.display_name,
        "nickname": u.display_name,
        "avatar": u.avatar,
        "type": kind(u),
    })
}

/// A message's `meta`: its mentions, and a MoltCities inbox message's subject line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta<'a> {
    mentions: &'a [String],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    mention_all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
}

fn meta(m: &Message) -> Meta<'_> {
    Meta {
        mentions: &m.mention_ids,
        mention_all: m.mention_all,
        subject: m.subject.as_deref(),
    }
}

/// `message.mentions`: ids and the usernames written, so both the seed's checks pass.
fn mentions(m: &Message) -> Vec<&str> {
    m.mention_ids
        .iter()
        .chain(m.mention_names.iter())
        .map(String::as_str)
        .collect()
}

/// A message with every field either dialect reads (serialized straight from the domain value).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView<'a> {
    id: &'a str,
    message_id: &'a str,
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    converse_id: &'a str,
    content: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    sender_id: &'a str,
    author: &'a str,
    author_info: AuthorInfo<'a>,
    reply_to: Option<&'a str>,
    mentions: Vec<&'a str>,
    is_mention_all: bool,
    meta: Meta<'a>,
    metadata: Option<&'a Value>,
    seq: i64,
    created_at: String,
    has_recall: bool,
    /// Panel messages only.
    #[serde(skip_serializing_if = "Option::is_none")]
    panel_id: Option<&'a str>,
    /// Panel messages only (null for a panel outside any group).
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<Option<&'a str>>,
    /// Session messages only.
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
}

/// A message with every field either dialect reads.
pub fn message(m: &Message) -> MessageView<'_> {
    let panel = m.conversation_kind == ConversationKind::Panel;
    MessageView {
        id: &m.id,
        message_id: &m.id,
        underscore_id: &m.id,
        converse_id: &m.conversation_id,
        content: &m.content,
        kind: &m.kind,
        sender_id: &m.author.id,
        author: &m.author.id,
        author_info: author_info(&m.author),
        reply_to: m.reply_to.as_deref(),
        mentions: mentions(m),
        is_mention_all: m.mention_all,
        meta: meta(m),
        metadata: m.metadata.as_ref(),
        seq: m.seq,
        created_at: iso(m.created_at),
        has_recall: false,
        panel_id: panel.then_some(m.conversation_id.as_str()),
        group_id: panel.then_some(m.group_id.as_deref()),
        session_id: (!panel).then(|| session_id(&m.conversation_id)),
    }
}

/// The wire id a message's event stream is keyed by: the session id, or the panel id.
pub fn target_id(m: &Message) -> String {
    match m.conversation_kind {
        ConversationKind::Panel => m.conversation_id.clone(),
        _ => session_id(&m.conversation_id),
    }
}

/// The payload of a `message.add` event.
#[derive(Serialize)]
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
    reply_to: Option<&'a str>,
    created_at: String,
    // A groupId marks a group context for the clients; sessions leave both out.
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    panel_id: Option<&'a str>,
}

/// A `message.add` event, as watch responses and `claw.*.events` carry it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView<'a> {
    seq: i64,
    session_id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    payload: EventPayload<'a>,
}

/// A `message.add` event, as watch responses and `claw.*.events` carry it.
pub fn event(m: &Message) -> EventView<'_> {
    let panel = m.conversation_kind == ConversationKind::Panel;
    let created_at = iso(m.created_at);
    EventView {
        seq: m.seq,
        session_id: target_id(m),
        kind: "message.add",
        timestamp: created_at.clone(),
        payload: EventPayload {
            message_id: &m.id,
            author: &m.author.id,
            author_info: author_info(&m.author),
            content: &m.content,
            meta: meta(m),
            converse_id: &m.conversation_id,
            kind: &m.kind,
            reply_to: m.reply_to.as_deref(),
            created_at,
            group_id: panel.then_some(m.group_id.as_deref()),
            panel_id: panel.then_some(m.conversation_id.as_str()),
        },
    }
}

/// A session with both dialects' fields.
pub fn session(c: &Conversation) -> Value {
    json!({
        "id": session_id(&c.id),
        "sessionId": session_id(&c.id),
        "converseId": c.id,
        "name": c.name,
        "type": c.kind.as_str(),
        "workspaceId": c.workspace_id,
        "participants": c.participants,
        "visibility": c.visibility,
        "status": c.status.as_str(),
        "metadata": c.metadata,
        "lastSeq": c.last_seq,
        "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at),
    })
}

/// A panel with the fields of both dialects; optional attributes are left out when unset.
pub fn panel(p: &Panel) -> Value {
    let mut v = Map::new();
    v.insert("id".into(), json!(p.id()));
    v.insert("_id".into(), json!(p.id()));
    v.insert("panelId".into(), json!(p.id()));
    v.insert("converseId".into(), json!(p.id()));
    v.insert("groupId".into(), json!(p.group_id()));
    v.insert("name".into(), json!(p.conversation.name));
    v.insert("type".into(), json!(p.panel_type));
    v.insert("isPublic".into(), json!(p.is_public));
    let optional = [
        ("description", p.description.clone().map(Value::from)),
        ("parentId", p.parent_id.clone().map(Value::from)),
        ("provider", p.provider.clone().map(Value::from)),
        (
            "pluginPanelName",
            p.plugin_panel_name.clone().map(Value::from),
        ),
        ("meta", p.meta.clone()),
        (
            "createdBy",
            p.conversation.created_by.clone().map(Value::from),
        ),
    ];
    for (k, val) in optional {
        if let Some(val) = val {
            v.insert(k.into(), val);
        }
    }
    if !p.is_public {
        v.insert("members".into(), json!(p.conversation.participants));
    }
    v.insert("createdAt".into(), json!(iso(p.conversation.created_at)));
    Value::Object(v)
}

/// A group as one member sees it, in the union shape both dialects read.
pub fn group(view: &GroupView, viewer: &User) -> Value {
    let g = &view.group;
    let panels: Vec<Value> = view.panels.iter().map(panel).collect();
    let members: Vec<Value> = view.members.iter().map(|m| user(m, viewer)).collect();
    json!({
        "_id": g.id,
        "id": g.id,
        "groupId": g.id,
        "name": g.name,
        "workspaceId": g.workspace_id,
        "panels": panels,
        "members": members,
        "workspace": { "id": g.workspace_id, "name": g.workspace_name },
        "groups": [{ "group": { "id": g.id, "_id": g.id, "name": g.name }, "panels": panels }],
    })
}
