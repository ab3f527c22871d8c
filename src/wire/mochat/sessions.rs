//! `sessions/*`: create, send, messages, list, get, detail, close, participants, watch.

use std::time::Duration;

use actix_web::HttpRequest;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::envelope::{ok, ApiError, ApiResult, ClawError, ClawErrors, Envelope};
use super::extract::{Body, Caller};
use super::fields::{refs, Int, Participant};
use super::ids::{conversation_id, session_id};
use super::schema;
use crate::app::State;
use crate::core::{Error, NewMessage, NewSession};

fn required(id: Option<String>, field: &str) -> Result<String, ApiError> {
    id.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError(Error::invalid(field, format!("{field} is required"))))
}

fn session_of(id: Option<String>) -> Result<String, ApiError> {
    Ok(conversation_id(&required(id, "sessionId")?).to_string())
}

/// The body of `sessions/create`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SessionCreateBody)]
#[serde(rename_all = "camelCase")]
pub struct Create {
    #[schema(min_items = 1, max_items = 100)]
    participants: Option<Vec<Participant>>,
    #[schema(min_items = 1, max_items = 100)]
    participant_ids: Option<Vec<Participant>>,
    name: Option<String>,
    #[schema(pattern = "^(dm|group)$")]
    #[serde(rename = "type")]
    kind: Option<String>,
    #[schema(pattern = "^(private|public)$")]
    visibility: Option<String>,
    metadata: Option<Value>,
}

/// `sessions/create`: string or object participants; a dm between the same two users is reused.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/create",
    tag = "claw",
    operation_id = "claw.sessions.create",
    request_body = Create,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Session>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn create(state: State, caller: Caller, body: Body<Create>) -> ApiResult {
    let b = body.value;
    let participants = b.participants.or(b.participant_ids).ok_or_else(|| {
        ApiError(Error::invalid(
            "participants",
            "participants is required: an array of user ids or objects",
        ))
    })?;
    let (conv, _) = state
        .core
        .create_session(
            &caller.0,
            NewSession {
                participants: refs(participants),
                name: b.name,
                kind: b.kind,
                visibility: b.visibility,
                metadata: b.metadata,
            },
        )
        .await?;
    Ok(ok(schema::Session::new(&conv)))
}

/// The body of `sessions/send`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SessionSendBody)]
#[serde(rename_all = "camelCase")]
pub struct Send {
    #[schema(value_type = String, required = true)]
    session_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 10000)]
    content: Option<Value>,
    #[schema(pattern = "^(text|system|image|file)$")]
    #[serde(rename = "type")]
    kind: Option<String>,
    reply_to: Option<Value>,
    metadata: Option<Value>,
}

/// Content must be a string; `replyTo` is kept only when it is a string.
pub fn new_message(
    content: Option<Value>,
    kind: Option<String>,
    reply_to: Option<Value>,
    metadata: Option<Value>,
) -> Result<NewMessage, ApiError> {
    let content = match content {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            return Err(ApiError(Error::invalid(
                "content",
                "content is required and must be a non-empty string",
            )))
        }
        Some(_) => {
            return Err(ApiError(Error::invalid(
                "content",
                "content must be a string",
            )))
        }
    };
    let reply_to = reply_to.and_then(|r| r.as_str().map(String::from));
    Ok(NewMessage {
        content,
        kind,
        reply_to,
        metadata,
        ..NewMessage::default()
    })
}

/// `sessions/send`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/send",
    tag = "claw",
    operation_id = "claw.sessions.send",
    request_body = Send,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Sent>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn send(state: State, caller: Caller, body: Body<Send>) -> ApiResult {
    let b = body.value;
    let id = session_of(b.session_id)?;
    let msg = new_message(b.content, b.kind, b.reply_to, b.metadata)?;
    let m = state.core.send_to_session(&caller.0, &id, msg).await?;
    Ok(ok(schema::Sent::new(&id, &m)))
}

/// The body of `sessions/messages` and `groups/panels/messages`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = HistoryBody)]
#[serde(rename_all = "camelCase")]
pub struct History {
    session_id: Option<String>,
    panel_id: Option<String>,
    group_id: Option<String>,
    cursor: Option<String>,
    before_message_id: Option<String>,
    limit: Option<Int>,
}

/// `sessions/messages`: newest first; `cursor` and `beforeMessageId` are the same thing.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/messages",
    tag = "claw",
    operation_id = "claw.sessions.messages",
    request_body = History,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::History>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn messages(state: State, caller: Caller, body: Body<History>) -> ApiResult {
    let b = body.value;
    let id = session_of(b.session_id)?;
    let (_, p) = state
        .core
        .session_history(
            &caller.0,
            &id,
            b.before_message_id.or(b.cursor),
            b.limit.map(|l| l.0),
        )
        .await?;
    Ok(ok(schema::History::of_session(&id, &p)))
}

/// The body of `sessions/list`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SessionListBody)]
#[serde(rename_all = "camelCase")]
pub struct List {
    /// An ISO-8601 time or epoch milliseconds.
    updated_after: Option<Value>,
    limit: Option<Int>,
}

/// Whether the caller asked for the seed's bare array.
fn wants_array(req: &HttpRequest, empty_body: bool) -> bool {
    let header = req
        .headers()
        .get("x-mochat-dialect")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("seed"));
    let query = req.query_string().split('&').any(|kv| kv == "format=array");
    empty_body || header || query
}

fn timestamp_ms(v: &Value) -> Result<i64, ApiError> {
    let bad = || {
        ApiError(Error::invalid(
            "updatedAfter",
            "updatedAfter must be an ISO-8601 time or epoch milliseconds",
        ))
    };
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(bad),
        Value::String(s) => {
            Ok(crate::wire::body::optional_time("updatedAfter", Some(s))?.ok_or_else(bad)?)
        }
        _ => Err(bad()),
    }
}

/// `sessions/list`: `{sessions:[…]}`; the seed's bare array when the body is empty (the seed
/// sends none, every real client sends `{}`), or with `?format=array` / `X-Mochat-Dialect: seed`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/list",
    tag = "claw",
    operation_id = "claw.sessions.list",
    request_body = List,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::SessionList>),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn list(state: State, req: HttpRequest, caller: Caller, body: Body<List>) -> ApiResult {
    let b = body.value;
    let after = b
        .updated_after
        .filter(|v| !v.is_null())
        .map(|v| timestamp_ms(&v))
        .transpose()?;
    let sessions = state
        .core
        .list_sessions(&caller.0, after, b.limit.map(|l| l.0))
        .await?;
    let array = wants_array(&req, body.empty);
    Ok(ok(schema::SessionList::new(&sessions, array)))
}

/// The body naming one session (`sessions/get`, `detail`, `close`).
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SessionBody)]
#[serde(rename_all = "camelCase")]
pub struct One {
    #[schema(value_type = String, required = true)]
    session_id: Option<String>,
    #[schema(pattern = "^(archive|lock|cleanup)$")]
    policy: Option<String>,
}

/// `sessions/get`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/get",
    tag = "claw",
    operation_id = "claw.sessions.get",
    request_body = One,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Session>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn get(state: State, caller: Caller, body: Body<One>) -> ApiResult {
    let id = session_of(body.value.session_id)?;
    let conv = state.core.session(&caller.0.id, &id).await?;
    Ok(ok(schema::Session::new(&conv)))
}

/// `sessions/detail`: the session with its participants' profiles and presence.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/detail",
    tag = "claw",
    operation_id = "claw.sessions.detail",
    request_body = One,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::SessionDetail>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn detail(state: State, caller: Caller, body: Body<One>) -> ApiResult {
    let id = session_of(body.value.session_id)?;
    let (conv, members) = state.core.session_members(&caller.0, &id).await?;
    let hub = state.core.hub();
    let people = members
        .iter()
        .map(|u| schema::User::new(u, &caller.0).with_online(hub.is_online(&u.id)))
        .collect();
    Ok(ok(schema::SessionDetail::new(&conv, people)))
}

/// `sessions/close {sessionId, policy?}`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/close",
    tag = "claw",
    operation_id = "claw.sessions.close",
    request_body = One,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Closed>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn close(state: State, caller: Caller, body: Body<One>) -> ApiResult {
    let b = body.value;
    let id = session_of(b.session_id)?;
    let (conv, policy) = state.core.close_session(&caller.0, &id, b.policy).await?;
    Ok(ok(schema::Closed::new(&conv, policy)))
}

/// The body of `sessions/addParticipants` and `removeParticipants`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ParticipantsBody)]
#[serde(rename_all = "camelCase")]
pub struct Members {
    #[schema(value_type = String, required = true)]
    session_id: Option<String>,
    #[schema(min_items = 1, max_items = 100)]
    participants: Option<Vec<Participant>>,
    #[schema(min_items = 1, max_items = 100)]
    participant_ids: Option<Vec<Participant>>,
}

fn member_refs(b: Members) -> Result<(String, Vec<crate::core::ParticipantRef>), ApiError> {
    let id = session_of(b.session_id)?;
    let list = b.participants.or(b.participant_ids).ok_or_else(|| {
        ApiError(Error::invalid(
            "participants",
            "participants (or participantIds) is required",
        ))
    })?;
    Ok((id, refs(list)))
}

/// `sessions/addParticipants {sessionId, participants | participantIds}`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/addParticipants",
    tag = "claw",
    operation_id = "claw.sessions.addParticipants",
    request_body = Members,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Session>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn add_participants(state: State, caller: Caller, body: Body<Members>) -> ApiResult {
    let (id, list) = member_refs(body.value)?;
    let conv = state.core.add_participants(&caller.0, &id, list).await?;
    Ok(ok(schema::Session::new(&conv)))
}

/// `sessions/removeParticipants {sessionId, participants | participantIds}`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/removeParticipants",
    tag = "claw",
    operation_id = "claw.sessions.removeParticipants",
    request_body = Members,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Session>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn remove_participants(state: State, caller: Caller, body: Body<Members>) -> ApiResult {
    let (id, list) = member_refs(body.value)?;
    let conv = state.core.remove_participants(&caller.0, &id, list).await?;
    Ok(ok(schema::Session::new(&conv)))
}

/// The body of `sessions/watch`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = WatchBody)]
#[serde(rename_all = "camelCase")]
pub struct Watch {
    #[schema(value_type = String, required = true)]
    session_id: Option<String>,
    cursor: Option<Int>,
    timeout_ms: Option<Int>,
    limit: Option<Int>,
}

/// Default wait and batch of a watch.
const WATCH_TIMEOUT_MS: i64 = 25_000;
const WATCH_LIMIT: i64 = 100;

/// `sessions/watch {sessionId, cursor, timeoutMs, limit}`: long-poll for events past `cursor`.
#[utoipa::path(
    post,
    path = "/api/claw/sessions/watch",
    tag = "claw",
    operation_id = "claw.sessions.watch",
    request_body = Watch,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Watched>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn watch(state: State, caller: Caller, body: Body<Watch>) -> ApiResult {
    let b = body.value;
    let id = session_of(b.session_id)?;
    let timeout = b
        .timeout_ms
        .map(|t| t.0)
        .unwrap_or(WATCH_TIMEOUT_MS)
        .clamp(0, WATCH_TIMEOUT_MS);
    let w = state
        .core
        .watch_session(
            &caller.0,
            &id,
            b.cursor.map(|c| c.0).unwrap_or(0),
            Duration::from_millis(timeout as u64),
            b.limit.map(|l| l.0).unwrap_or(WATCH_LIMIT),
        )
        .await?;
    Ok(ok(schema::Watched::new(
        session_id(&id),
        w.cursor,
        &w.messages,
    )))
}

/// Panel history shares the session history's request body.
pub fn panel_history_request(
    b: History,
) -> (Option<String>, Option<String>, Option<String>, Option<i64>) {
    (
        b.panel_id,
        b.group_id,
        b.before_message_id.or(b.cursor),
        b.limit.map(|l| l.0),
    )
}
