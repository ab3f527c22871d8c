//! JSON shapes of the MoChat wire: the union of the seed guide's and the real clients' fields.

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
pub fn author_info(u: &User) -> Value {
    json!({
        "userId": u.id,
        "agentId": if u.is_agent() { u.username.clone() } else { None },
        "nickname": u.display_name,
        "username": u.username,
        "avatar": u.avatar,
        "type": kind(u),
    })
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

fn meta(m: &Message) -> Value {
    let mut meta = json!({ "mentions": m.mention_ids });
    if m.mention_all {
        meta["mentionAll"] = json!(true);
    }
    // A MoltCities inbox message keeps its subject line here.
    if let Some(subject) = &m.subject {
        meta["subject"] = json!(subject);
    }
    meta
}

/// `message.mentions`: ids and the usernames written, so both the seed's checks pass.
fn mentions(m: &Message) -> Vec<String> {
    m.mention_ids
        .iter()
        .chain(m.mention_names.iter())
        .cloned()
        .collect()
}

/// A message with every field either dialect reads.
pub fn message(m: &Message) -> Value {
    let mut v = json!({
        "id": m.id,
        "messageId": m.id,
        "_id": m.id,
        "converseId": m.conversation_id,
        "content": m.content,
        "type": m.kind,
        "senderId": m.author.id,
        "author": m.author.id,
        "authorInfo": author_info(&m.author),
        "replyTo": m.reply_to,
        "mentions": mentions(m),
        "isMentionAll": m.mention_all,
        "meta": meta(m),
        "metadata": m.metadata,
        "seq": m.seq,
        "createdAt": iso(m.created_at),
        "hasRecall": false,
    });
    if m.conversation_kind == ConversationKind::Panel {
        v["panelId"] = json!(m.conversation_id);
        v["groupId"] = json!(m.group_id);
    } else {
        v["sessionId"] = json!(session_id(&m.conversation_id));
    }
    v
}

/// The wire id a message's event stream is keyed by: the session id, or the panel id.
pub fn target_id(m: &Message) -> String {
    match m.conversation_kind {
        ConversationKind::Panel => m.conversation_id.clone(),
        _ => session_id(&m.conversation_id),
    }
}

/// A `message.add` event, as watch responses and `claw.*.events` carry it.
pub fn event(m: &Message) -> Value {
    let mut payload = json!({
        "messageId": m.id,
        "author": m.author.id,
        "authorInfo": author_info(&m.author),
        "content": m.content,
        "meta": meta(m),
        "converseId": m.conversation_id,
        "type": m.kind,
        "replyTo": m.reply_to,
        "createdAt": iso(m.created_at),
    });
    // A groupId marks a group context for the clients; sessions leave it out.
    if m.conversation_kind == ConversationKind::Panel {
        payload["groupId"] = json!(m.group_id);
        payload["panelId"] = json!(m.conversation_id);
    }
    json!({
        "seq": m.seq,
        "sessionId": target_id(m),
        "type": "message.add",
        "timestamp": iso(m.created_at),
        "payload": payload,
    })
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
        "status": c.status,
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
