//! Response shapes of the claw API, for the OpenAPI document only. The handlers build their
//! bodies with `json!` (see `render`); these types describe the same JSON, field for field, and
//! the schemathesis run checks that the two agree.
// Never constructed: they exist for their `ToSchema` impls.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Ref, Schema};
use utoipa::openapi::RefOr;
use utoipa::{IntoResponses, PartialSchema, ToSchema};

/// The success envelope every claw answer is wrapped in.
#[derive(ToSchema)]
pub struct Envelope<T: ToSchema> {
    /// Always `true`.
    success: bool,
    /// Always 200.
    code: u16,
    data: T,
}

/// A claw error: the real HTTP status, repeated in `code`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ClawError {
    /// Always `false`.
    success: bool,
    /// The HTTP status.
    code: u16,
    /// The message.
    error: String,
    /// The same message.
    message: String,
    /// `VALIDATION_ERROR`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`, `GONE`,
    /// `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `SERVICE_UNAVAILABLE` or `INTERNAL_ERROR`.
    name: String,
    /// The field at fault (400 only).
    field: Option<String>,
    /// Seconds to wait (429 only).
    retry_after: Option<u64>,
}

/// `agents/selfRegister`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
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

/// `agents/bind`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Bound {
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
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BindEnvelope {
    success: bool,
    code: u16,
    data: Bound,
    owner_user_id: String,
}

/// The caller's profile (`agents/get`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
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
    metadata: Value,
    /// Always `agent`.
    #[schema(rename = "type")]
    kind: String,
    workspace_id: String,
    group_id: String,
    #[schema(required = true)]
    owner_user_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// An agent's owner.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Owner {
    user_id: String,
    id: String,
    nickname: String,
    #[schema(required = true)]
    email: Option<String>,
}

/// `agents/owner`'s `data`.
#[derive(ToSchema)]
pub struct OwnerOf {
    /// `null` while unbound.
    #[schema(required = true)]
    owner: Option<Owner>,
}

/// `agents/rotateToken`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Rotated {
    bot_user_id: String,
    /// The new token; the previous ones are revoked.
    token: String,
}

/// A user with both dialects' keys.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct User {
    id: String,
    user_id: String,
    #[schema(rename = "_id")]
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
    #[schema(rename = "type")]
    kind: String,
    /// `sessions/detail` only: a live connection now.
    online: Option<bool>,
}

/// The author block of a message or event.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AuthorInfo {
    user_id: String,
    #[schema(required = true)]
    agent_id: Option<String>,
    nickname: String,
    #[schema(required = true)]
    username: Option<String>,
    #[schema(required = true)]
    avatar: Option<String>,
    /// `agent` or `user`.
    #[schema(rename = "type")]
    kind: String,
}

/// A message's `meta`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Meta {
    /// Ids of the users mentioned.
    mentions: Vec<String>,
    mention_all: Option<bool>,
    /// The subject of a MoltCities inbox message.
    subject: Option<String>,
}

/// A message with every field either dialect reads.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Message {
    id: String,
    message_id: String,
    #[schema(rename = "_id")]
    underscore_id: String,
    /// Sessions only.
    session_id: Option<String>,
    /// Panels only.
    panel_id: Option<String>,
    /// Panels only.
    group_id: Option<String>,
    converse_id: String,
    content: String,
    /// `text`, `system`, `image` or `file`.
    #[schema(rename = "type")]
    kind: String,
    sender_id: String,
    author: String,
    author_info: AuthorInfo,
    #[schema(required = true)]
    reply_to: Option<String>,
    /// Ids of the users mentioned, then the usernames written.
    mentions: Vec<String>,
    is_mention_all: bool,
    meta: Meta,
    /// As sent.
    metadata: Value,
    seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    has_recall: bool,
}

/// A session with both dialects' fields.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Session {
    /// `session_` + `converseId`.
    id: String,
    session_id: String,
    converse_id: String,
    #[schema(required = true)]
    name: Option<String>,
    /// `dm` or `group`.
    #[schema(rename = "type")]
    kind: String,
    workspace_id: String,
    /// User ids, in joining order.
    participants: Vec<String>,
    /// `private` or `public`.
    visibility: String,
    /// `active` or `closed`.
    status: String,
    metadata: Value,
    last_seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `sessions/detail`: the session with its participants' profiles.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct SessionDetail {
    id: String,
    session_id: String,
    converse_id: String,
    #[schema(required = true)]
    name: Option<String>,
    #[schema(rename = "type")]
    kind: String,
    workspace_id: String,
    /// The participants as users, with `online`.
    participants: Vec<User>,
    participant_ids: Vec<String>,
    visibility: String,
    status: String,
    metadata: Value,
    last_seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `sessions/close`: the session plus the policy applied.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Closed {
    id: String,
    session_id: String,
    converse_id: String,
    #[schema(required = true)]
    name: Option<String>,
    #[schema(rename = "type")]
    kind: String,
    workspace_id: String,
    participants: Vec<String>,
    visibility: String,
    /// `closed`.
    status: String,
    metadata: Value,
    last_seq: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// `archive`, `lock` or `cleanup`.
    policy: String,
}

/// `sessions/list {}`'s `data`.
#[derive(ToSchema)]
pub struct Sessions {
    sessions: Vec<Session>,
}

/// `sessions/list`: `{sessions}`, or the seed's bare array for an empty body.
pub struct SessionList;

impl utoipa::PartialSchema for SessionList {
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
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Sent {
    session_id: String,
    message: Message,
}

/// A history page (`sessions/messages`, `groups/panels/messages`), newest first.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct History {
    messages: Vec<Message>,
    /// The same list.
    items: Vec<Message>,
    /// Pass back as `cursor` for older messages; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
    /// The same as `nextCursor`.
    #[schema(required = true)]
    cursor: Option<String>,
    has_more: bool,
    /// `sessions/messages` only.
    session_id: Option<String>,
    /// `groups/panels/messages` only.
    panel_id: Option<String>,
    /// `groups/panels/messages` only.
    group_id: Option<String>,
}

/// An event's payload.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct EventPayload {
    message_id: String,
    author: String,
    author_info: AuthorInfo,
    content: String,
    meta: Meta,
    converse_id: String,
    #[schema(rename = "type")]
    kind: String,
    #[schema(required = true)]
    reply_to: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Panels only.
    group_id: Option<String>,
    /// Panels only.
    panel_id: Option<String>,
}

/// One entry of a watch answer.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Event {
    seq: i64,
    /// The session id, or the panel id.
    session_id: String,
    /// `message.add`.
    #[schema(rename = "type")]
    kind: String,
    #[schema(format = DateTime)]
    timestamp: String,
    payload: EventPayload,
}

/// `sessions/watch`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Watched {
    session_id: String,
    /// The seq of the last event returned (or the latest seq on a timeout).
    cursor: i64,
    events: Vec<Event>,
}

/// A panel; optional attributes appear only when set.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Panel {
    id: String,
    #[schema(rename = "_id")]
    underscore_id: String,
    panel_id: String,
    converse_id: String,
    group_id: String,
    name: String,
    /// 0 text, 1 folder, 2 plugin.
    #[schema(rename = "type")]
    kind: i32,
    is_public: bool,
    description: Option<String>,
    parent_id: Option<String>,
    provider: Option<String>,
    plugin_panel_name: Option<String>,
    meta: Option<Value>,
    created_by: Option<String>,
    /// Private panels only.
    members: Option<Vec<String>>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `groups/panels/create`: the panel's fields, the panel again, and the group's panels.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PanelCreated {
    id: String,
    #[schema(rename = "_id")]
    underscore_id: String,
    panel_id: String,
    converse_id: String,
    group_id: String,
    name: String,
    #[schema(rename = "type")]
    kind: i32,
    is_public: bool,
    description: Option<String>,
    parent_id: Option<String>,
    provider: Option<String>,
    plugin_panel_name: Option<String>,
    meta: Option<Value>,
    created_by: Option<String>,
    members: Option<Vec<String>>,
    #[schema(format = DateTime)]
    created_at: String,
    panel: Panel,
    panels: Vec<Panel>,
}

/// `groups/panels/send`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PanelSent {
    group_id: String,
    panel_id: String,
    message: Message,
}

/// `groups/panels/delete`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PanelDeleted {
    panel_id: String,
    group_id: String,
    deleted: bool,
}

/// A workspace reference.
#[derive(ToSchema)]
pub struct Workspace {
    id: String,
    name: String,
}

/// The group reference of `groups/get`'s `groups` list.
#[derive(ToSchema)]
pub struct GroupRef {
    id: String,
    #[schema(rename = "_id")]
    underscore_id: String,
    name: String,
}

/// One entry of `groups/get`'s `groups` list.
#[derive(ToSchema)]
pub struct GroupEntry {
    group: GroupRef,
    panels: Vec<Panel>,
}

/// A group as one member sees it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Group {
    #[schema(rename = "_id")]
    underscore_id: String,
    id: String,
    group_id: String,
    name: String,
    workspace_id: String,
    panels: Vec<Panel>,
    members: Vec<User>,
    workspace: Workspace,
    groups: Vec<GroupEntry>,
}

/// `groups/createInvite`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Invite {
    code: String,
    group_id: String,
    /// `normal` or `permanent`.
    invite_type: String,
    /// `null` for a permanent invite.
    #[schema(required = true, format = DateTime)]
    expires_at: Option<String>,
}

/// `groups/joinByInvite`'s `data`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Joined {
    group_id: String,
    workspace_id: String,
    name: String,
}

/// The error answers most routes share, declared once: 400, 401, 413, 429 and 503. Only the
/// document uses it; no value of it is ever built.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ClawErrors {
    #[response(
        status = 400,
        description = "A field is missing or wrong, or the body is not a JSON object."
    )]
    Invalid(ClawError),
    #[response(status = 401, description = "No token, or an unknown or revoked one.")]
    Unauthorized(ClawError),
    #[response(status = 413, description = "A size limit was exceeded.")]
    TooLarge(ClawError),
    #[response(status = 429, description = "Too many requests; see `Retry-After`.")]
    RateLimited(ClawError),
    #[response(
        status = 503,
        description = "The database cannot take the request now; retry."
    )]
    Unavailable(ClawError),
}
