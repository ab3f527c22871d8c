//! `agents/*`: self-registration, owner binding, profile, owner, token rotation; `users/resolve`.

use actix_web::HttpRequest;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::envelope::{ok, ApiError, ApiResult, ClawError, ClawErrors, Envelope};
use super::extract::{Body, Caller};
use super::schema;
use crate::app::State;
use crate::core::{Error, NewAgent};

/// The body of `agents/selfRegister`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = SelfRegisterBody)]
#[serde(rename_all = "camelCase")]
pub struct SelfRegister {
    #[schema(pattern = r"^[A-Za-z0-9_]{3,50}$")]
    username: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    display_name: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    metadata: Option<Value>,
}

/// `agents/selfRegister`: the seed body `{username, email?, displayName?}` or the real body
/// `{name?, avatar?, metadata?}`.
#[utoipa::path(
    post,
    path = "/api/claw/agents/selfRegister",
    tag = "claw",
    operation_id = "claw.agents.selfRegister",
    request_body = SelfRegister,
    responses(
        (status = 200, description = "Done.", body = Envelope<schema::Registered>),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = ClawError),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
        (status = 413, description = "A size limit was exceeded.", body = ClawError),
        (status = 429, description = "Too many requests; see `Retry-After`.", body = ClawError),
        (status = 503, description = "The database cannot take the request now; retry.", body = ClawError),
    ),
)]
pub async fn self_register(state: State, req: HttpRequest, body: Body<SelfRegister>) -> ApiResult {
    let b = body.value;
    let client = crate::net::client_key(&req);
    let seed_shaped = b.email.is_some() || b.display_name.is_some();
    let reg = state
        .core
        .register_agent(
            NewAgent {
                username: b.username,
                name: b.name,
                email: b.email,
                display_name: b.display_name,
                avatar: b.avatar,
                metadata: b.metadata,
                username_required: seed_shaped,
            },
            &client,
        )
        .await?;
    Ok(ok(schema::Registered::new(&reg)))
}

/// The body of `agents/bind`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = BindBody)]
pub struct Bind {
    #[schema(value_type = String, required = true, format = Email)]
    email: Option<String>,
    greeting_msg: Option<String>,
    #[serde(rename = "greetingMsg")]
    greeting_msg_camel: Option<String>,
}

/// `agents/bind {email, greeting_msg?}`.
#[utoipa::path(
    post,
    path = "/api/claw/agents/bind",
    tag = "claw",
    operation_id = "claw.agents.bind",
    request_body = Bind,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = schema::BindEnvelope),
        (status = 409, description = "Conflicts with what exists.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn bind(state: State, caller: Caller, body: Body<Bind>) -> ApiResult {
    let b = body.value;
    let email = b.email.unwrap_or_default();
    let bound = state
        .core
        .bind_owner(&caller.0, &email, b.greeting_msg.or(b.greeting_msg_camel))
        .await?;
    // An extra field: the real clients read the ones above and ignore the rest.
    let claim_url = bound
        .claim_token
        .map(|t| crate::wire::web::claim_url(&state.settings.public_url, &t));
    Ok(
        actix_web::HttpResponse::Ok().json(schema::BindEnvelope::new(
            &bound.owner,
            &bound.conversation.id,
            claim_url,
        )),
    )
}

/// `agents/get`: the caller's profile.
#[utoipa::path(
    post,
    path = "/api/claw/agents/get",
    tag = "claw",
    operation_id = "claw.agents.get",
    responses(
        (status = 200, description = "Done.", body = Envelope<schema::Profile>),
        (status = 401, description = "No token, or an unknown or revoked one.", body = ClawError),
        (status = 429, description = "Too many requests; see `Retry-After`.", body = ClawError),
        (status = 503, description = "The database cannot take the request now; retry.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn get(caller: Caller) -> ApiResult {
    Ok(ok(schema::Profile::new(&caller.0)))
}

/// `agents/owner`: `{owner: {userId, nickname, email} | null}`.
#[utoipa::path(
    post,
    path = "/api/claw/agents/owner",
    tag = "claw",
    operation_id = "claw.agents.owner",
    responses(
        (status = 200, description = "Done.", body = Envelope<schema::OwnerOf>),
        (status = 401, description = "No token, or an unknown or revoked one.", body = ClawError),
        (status = 429, description = "Too many requests; see `Retry-After`.", body = ClawError),
        (status = 503, description = "The database cannot take the request now; retry.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn owner(state: State, caller: Caller) -> ApiResult {
    let owner = state.core.owner_of(&caller.0).await?;
    Ok(ok(schema::OwnerOf::new(owner.as_ref())))
}

/// The body of `agents/rotateToken`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = RotateTokenBody)]
#[serde(rename_all = "camelCase")]
pub struct Rotate {
    bot_user_id: Option<String>,
}

/// `agents/rotateToken`: a new token; the old one is rejected from now on.
#[utoipa::path(
    post,
    path = "/api/claw/agents/rotateToken",
    tag = "claw",
    operation_id = "claw.agents.rotateToken",
    request_body = Rotate,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<schema::Rotated>),
        (status = 403, description = "The caller may not do this.", body = ClawError),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn rotate_token(state: State, caller: Caller, body: Body<Rotate>) -> ApiResult {
    if let Some(id) = body.value.bot_user_id.filter(|id| !id.is_empty()) {
        if id != caller.0.id {
            return Err(ApiError(Error::Forbidden(
                "botUserId must be the calling agent".into(),
            )));
        }
    }
    let token = state.core.rotate_token(&caller.0).await?;
    Ok(ok(schema::Rotated::new(&caller.0.id, token)))
}

/// The body of `users/resolve`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = ResolveBody)]
#[serde(rename_all = "camelCase")]
pub struct Resolve {
    #[schema(value_type = Vec<String>, required = true, max_items = 100)]
    user_ids: Option<Vec<String>>,
}

/// `users/resolve {userIds}`: the seed's array, each item with both key sets.
#[utoipa::path(
    post,
    path = "/api/claw/users/resolve",
    tag = "claw",
    operation_id = "claw.users.resolve",
    request_body = Resolve,
    responses(
        ClawErrors,
        (status = 200, description = "Done.", body = Envelope<Vec<schema::User>>),
    ),
    security(("clawToken" = []), ("bearer" = []))
)]
pub async fn resolve(state: State, caller: Caller, body: Body<Resolve>) -> ApiResult {
    let ids = body.value.user_ids.ok_or_else(|| {
        ApiError(Error::invalid(
            "userIds",
            "userIds is required: an array of user ids",
        ))
    })?;
    let users = state.core.resolve_users(ids).await?;
    let list: Vec<schema::User> = users
        .iter()
        .map(|u| schema::User::new(u, &caller.0))
        .collect();
    Ok(ok(list))
}
