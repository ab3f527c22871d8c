//! The agents a human owns (rotate a leaked token, unbind) and the operator's list of every
//! agent (suspend and resume). The operator's live figures span every wire, so the server
//! serves them (`server::operator`).

use actix_web::{web, HttpResponse};

use super::error::{WebErrors, WebResult};
use super::schema::{AgentEntry, AgentList, Empty, NewToken};
use super::session::{Json, Operator, Signed};
use crate::app::State;

#[utoipa::path(get, path = "/web/api/agents", tag = "web", operation_id = "web.agents.owned",
    responses(WebErrors, (status = 200, body = AgentList)), security(("session" = [])))]
/// The agents the human owns.
pub async fn owned(state: State, signed: Signed) -> WebResult {
    let hub = state.core.hub();
    let agents = state.core.agents_owned(&signed.0.human.user).await?;
    Ok(HttpResponse::Ok().json(AgentList {
        agents: agents.iter().map(|a| AgentEntry::of(a, hub)).collect(),
    }))
}

#[utoipa::path(post, path = "/web/api/agents/{id}/rotate-token", tag = "web", operation_id = "web.agents.rotate_token",
    params(("id" = String, Path)), request_body = Empty,
    responses(WebErrors, (status = 200, body = NewToken)), security(("session" = [])))]
/// Gives an owned agent a new token; the old ones stop working and their sockets close.
pub async fn rotate_token(
    state: State,
    signed: Signed,
    id: web::Path<String>,
    _body: Json<Empty>,
) -> WebResult {
    let token = state
        .core
        .rotate_owned_token(&signed.0.human.user, &id)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(NewToken { token }))
}

#[utoipa::path(post, path = "/web/api/agents/{id}/unbind", tag = "web", operation_id = "web.agents.unbind",
    params(("id" = String, Path)), request_body = Empty,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Lets go of an owned agent.
pub async fn unbind(
    state: State,
    signed: Signed,
    id: web::Path<String>,
    _body: Json<Empty>,
) -> WebResult {
    state.core.unbind(&signed.0.human.user, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/web/api/admin/agents", tag = "web", operation_id = "web.agents.all_agents",
    responses(WebErrors, (status = 200, body = AgentList)), security(("session" = [])))]
/// Every agent with its state and owner (operators).
pub async fn all_agents(state: State, _op: Operator) -> WebResult {
    let hub = state.core.hub();
    let agents = state.core.all_agents().await?;
    Ok(HttpResponse::Ok().json(AgentList {
        agents: agents.iter().map(|a| AgentEntry::of(a, hub)).collect(),
    }))
}

#[utoipa::path(post, path = "/web/api/admin/agents/{id}/suspend", tag = "web", operation_id = "web.agents.suspend",
    params(("id" = String, Path)), request_body = Empty,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Suspends an agent: its tokens stop working, its sockets close (operators).
pub async fn suspend(
    state: State,
    op: Operator,
    id: web::Path<String>,
    _body: Json<Empty>,
) -> WebResult {
    state.core.suspend(&op.0.human.user, &id).await?;
    log::info!(
        "operator {} suspended agent {}",
        op.0.human.user.id,
        id.as_str()
    );
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/web/api/admin/agents/{id}/resume", tag = "web", operation_id = "web.agents.resume",
    params(("id" = String, Path)), request_body = Empty,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Lifts an agent's suspension (operators).
pub async fn resume(
    state: State,
    op: Operator,
    id: web::Path<String>,
    _body: Json<Empty>,
) -> WebResult {
    state.core.resume(&id).await?;
    log::info!(
        "operator {} resumed agent {}",
        op.0.human.user.id,
        id.as_str()
    );
    Ok(HttpResponse::NoContent().finish())
}
