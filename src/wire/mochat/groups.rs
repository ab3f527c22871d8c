//! `groups/*`: the group view, panels (create, send, messages, modify, delete) and invites.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::envelope::{ok, ApiError, ApiResult, ClawError, ClawErrors, Envelope};
use super::extract::{Body, Caller};
use super::fields::Int;
use super::schema;
use super::sessions::{new_message, panel_history_request, History};
use crate::app::State;
use crate::core::{Error, NewPanel, PanelChanges};

fn panel_of(id: Option<String>) -> Result<String, ApiError> {
    id.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError(Error::invalid("panelId", "panelId is required")))
}

/// The body of `groups/get`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = GroupGetBody)]
#[serde(rename_all = "camelCase")]
pub struct GetGroup {
    group_id: Option<String>,
}

/// `groups/get {groupId?}` (the seed's `{workspaceId}` reads the caller's group).
#[utoipa::path(
    post,
    path = "/api/claw/groups/get",
    tag = "claw",
    operation_id = "claw.groups.get",
    request_body = GetGroup,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Group>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn get(state: State, caller: Caller, body: Body<GetGroup>) -> ApiResult {
    let view = state
        .core
        .group_view(&caller.0, body.value.group_id)
        .await?;
    Ok(ok(schema::Group::new(&view, &caller.0)))
}

/// The body of `groups/panels/create`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PanelCreateBody)]
#[serde(rename_all = "camelCase")]
pub struct CreatePanel {
    group_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<Int>,
    description: Option<String>,
    is_public: Option<bool>,
    parent_id: Option<String>,
    provider: Option<String>,
    plugin_panel_name: Option<String>,
    meta: Option<Value>,
    metadata: Option<Value>,
    members: Option<Vec<String>>,
}

/// `groups/panels/create`: the seed's and the real body; type 0 (text) and public by default.
#[utoipa::path(
    post,
    path = "/api/claw/groups/panels/create",
    tag = "claw",
    operation_id = "claw.groups.panels.create",
    request_body = CreatePanel,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::PanelCreated>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn create_panel(state: State, caller: Caller, body: Body<CreatePanel>) -> ApiResult {
    let b = body.value;
    let name = b
        .name
        .ok_or_else(|| ApiError(Error::invalid("name", "name is required")))?;
    let (panel, all) = state
        .core
        .create_panel(
            &caller.0,
            NewPanel {
                group_id: b.group_id,
                name,
                panel_type: b.kind.map(|k| k.0),
                description: b.description,
                is_public: b.is_public,
                parent_id: b.parent_id,
                provider: b.provider,
                plugin_panel_name: b.plugin_panel_name,
                meta: b.meta.or(b.metadata),
                members: b.members.unwrap_or_default(),
            },
        )
        .await?;
    Ok(ok(schema::PanelCreated::new(&panel, &all)))
}

/// The body of `groups/panels/send`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PanelSendBody)]
#[serde(rename_all = "camelCase")]
pub struct SendPanel {
    #[schema(value_type = String, required = true)]
    panel_id: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 10000)]
    content: Option<Value>,
    #[schema(pattern = "^(text|system|image|file)$")]
    #[serde(rename = "type")]
    kind: Option<String>,
    reply_to: Option<Value>,
    metadata: Option<Value>,
}

/// `groups/panels/send`: the group comes from the panel; a `groupId` hint is ignored.
#[utoipa::path(
    post,
    path = "/api/claw/groups/panels/send",
    tag = "claw",
    operation_id = "claw.groups.panels.send",
    request_body = SendPanel,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::PanelSent>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn send_panel(state: State, caller: Caller, body: Body<SendPanel>) -> ApiResult {
    let b = body.value;
    let id = panel_of(b.panel_id)?;
    let msg = new_message(b.content, b.kind, b.reply_to, b.metadata)?;
    let (panel, m) = state.core.send_to_panel(&caller.0, &id, msg).await?;
    Ok(ok(schema::PanelSent::new(&panel, &m)))
}

/// `groups/panels/messages`: newest first, in both dialects' keys.
#[utoipa::path(
    post,
    path = "/api/claw/groups/panels/messages",
    tag = "claw",
    operation_id = "claw.groups.panels.messages",
    request_body = History,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::History>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn panel_messages(state: State, caller: Caller, body: Body<History>) -> ApiResult {
    let (panel_id, _group_hint, before, limit) = panel_history_request(body.value);
    let id = panel_of(panel_id)?;
    let (panel, p) = state
        .core
        .panel_history(&caller.0, &id, before, limit)
        .await?;
    Ok(ok(schema::History::of_panel(&panel, &p)))
}

/// The body of `groups/panels/modify`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PanelModifyBody)]
#[serde(rename_all = "camelCase")]
pub struct ModifyPanel {
    #[schema(value_type = String, required = true)]
    panel_id: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<Int>,
    description: Option<String>,
    is_public: Option<bool>,
    meta: Option<Value>,
}

/// `groups/panels/modify`: only the panel's creator may.
#[utoipa::path(
    post,
    path = "/api/claw/groups/panels/modify",
    tag = "claw",
    operation_id = "claw.groups.panels.modify",
    request_body = ModifyPanel,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Panel>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn modify_panel(state: State, caller: Caller, body: Body<ModifyPanel>) -> ApiResult {
    let b = body.value;
    let id = panel_of(b.panel_id)?;
    let changes = PanelChanges {
        name: b.name,
        panel_type: b.kind.map(|k| k.0),
        description: b.description,
        is_public: b.is_public,
        meta: b.meta,
    };
    let panel = state.core.modify_panel(&caller.0, &id, changes).await?;
    Ok(ok(schema::Panel::new(&panel)))
}

/// The body of `groups/panels/delete`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = PanelDeleteBody)]
#[serde(rename_all = "camelCase")]
pub struct DeletePanel {
    #[schema(value_type = String, required = true)]
    panel_id: Option<String>,
}

/// `groups/panels/delete`: only the panel's creator may.
#[utoipa::path(
    post,
    path = "/api/claw/groups/panels/delete",
    tag = "claw",
    operation_id = "claw.groups.panels.delete",
    request_body = DeletePanel,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::PanelDeleted>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn delete_panel(state: State, caller: Caller, body: Body<DeletePanel>) -> ApiResult {
    let id = panel_of(body.value.panel_id)?;
    let panel = state.core.delete_panel(&caller.0, &id).await?;
    Ok(ok(schema::PanelDeleted::new(&panel)))
}

/// The body of `groups/createInvite`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = InviteCreateBody)]
#[serde(rename_all = "camelCase")]
pub struct CreateInvite {
    group_id: Option<String>,
    #[schema(pattern = "^(normal|permanent)$")]
    invite_type: Option<String>,
}

/// `groups/createInvite {inviteType?}`.
#[utoipa::path(
    post,
    path = "/api/claw/groups/createInvite",
    tag = "claw",
    operation_id = "claw.groups.createInvite",
    request_body = CreateInvite,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Invite>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn create_invite(state: State, caller: Caller, body: Body<CreateInvite>) -> ApiResult {
    let b = body.value;
    let invite = state
        .core
        .create_invite(&caller.0, b.group_id, b.invite_type)
        .await?;
    Ok(ok(schema::Invite::new(invite)))
}

/// The body of `groups/joinByInvite`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = JoinByInviteBody)]
pub struct JoinByInvite {
    code: Option<String>,
}

/// `groups/joinByInvite {code}`.
#[utoipa::path(
    post,
    path = "/api/claw/groups/joinByInvite",
    tag = "claw",
    operation_id = "claw.groups.joinByInvite",
    request_body = JoinByInvite,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Joined>),
        (status = 404, description = "No such session, panel, group, user or invite.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn join_by_invite(state: State, caller: Caller, body: Body<JoinByInvite>) -> ApiResult {
    let code = body.value.code.unwrap_or_default();
    let group = state.core.join_by_invite(&caller.0, &code).await?;
    Ok(ok(schema::Joined::new(group)))
}
