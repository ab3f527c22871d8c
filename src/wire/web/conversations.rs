//! Conversations as a human sees them: the list, one conversation, its messages, posting,
//! read marks, people to mention, opening a DM.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{WebError, WebErrors, WebResult};
use super::schema::{
    ConversationDetail, ConversationList, MessagePage, OpenDm, Opened, People, Person, Post, Read,
    Summary, WebMessage,
};
use super::session::{Json, Signed};
use crate::app::State;
use crate::core::model::Message;
use crate::core::NewMessage;

#[utoipa::path(get, path = "/web/api/conversations", tag = "web", operation_id = "web.conversations.list",
    responses(WebErrors, (status = 200, body = ConversationList)), security(("session" = [])))]
/// The human's conversations, most recent first.
pub async fn list(state: State, signed: Signed) -> WebResult {
    let hub = state.core.hub();
    let list = state.core.conversations_of(&signed.0.human.user).await?;
    Ok(HttpResponse::Ok().json(ConversationList {
        conversations: list.iter().map(|s| Summary::of(s, hub)).collect(),
    }))
}

#[utoipa::path(get, path = "/web/api/conversations/{id}", tag = "web", operation_id = "web.conversations.one",
    params(("id" = String, Path)),
    responses(WebErrors, (status = 200, body = ConversationDetail)), security(("session" = [])))]
/// One conversation with its members.
pub async fn one(state: State, signed: Signed, id: web::Path<String>) -> WebResult {
    let hub = state.core.hub();
    let (summary, members) = state
        .core
        .conversation_of(&signed.0.human.user, &id)
        .await?;
    Ok(HttpResponse::Ok().json(ConversationDetail {
        conversation: Summary::of(&summary, hub),
        members: members.iter().map(|m| Person::of(m, hub)).collect(),
    }))
}

/// Which page of messages.
#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// Messages before this seq (the newest page without it).
    before: Option<i64>,
    /// Messages after this seq (catching up).
    after: Option<i64>,
    /// 1 to 100; 50 by default.
    limit: Option<i64>,
}

fn render(
    m: &Message,
    quoted: &[Message],
    hub: &crate::hub::Hub<crate::core::Event>,
) -> WebMessage {
    let q = m
        .reply_to
        .as_deref()
        .and_then(|r| quoted.iter().find(|q| q.id == r));
    WebMessage::of(m, q, hub)
}

#[utoipa::path(get, path = "/web/api/conversations/{id}/messages", tag = "web", operation_id = "web.conversations.messages",
    params(("id" = String, Path), PageQuery),
    responses(WebErrors, (status = 200, body = MessagePage)), security(("session" = [])))]
/// A page of messages, oldest first.
pub async fn messages(
    state: State,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> WebResult {
    let hub = state.core.hub();
    let page = state
        .core
        .conversation_messages(
            &signed.0.human.user,
            &id,
            q.before,
            q.after,
            q.limit.unwrap_or(50),
        )
        .await?;
    Ok(HttpResponse::Ok().json(MessagePage {
        messages: page
            .messages
            .iter()
            .map(|m| render(m, &page.quoted, hub))
            .collect(),
        has_more: page.has_more,
    }))
}

#[utoipa::path(post, path = "/web/api/conversations/{id}/messages", tag = "web", operation_id = "web.conversations.post",
    params(("id" = String, Path)), request_body = Post,
    responses(WebErrors, (status = 201, body = WebMessage), (status = 409, body = WebError)), security(("session" = [])))]
/// Posts a message; mentions are written `@username`.
pub async fn post(
    state: State,
    signed: Signed,
    id: web::Path<String>,
    body: Json<Post>,
) -> WebResult {
    let b = body.0;
    let msg = NewMessage {
        content: b.content,
        reply_to: b.reply_to,
        ..NewMessage::default()
    };
    let m = state
        .core
        .post_to_conversation(&signed.0.human.user, &id, msg)
        .await?;
    let quoted: Vec<Message> = state.core.quoted(&m).await?.into_iter().collect();
    Ok(HttpResponse::build(StatusCode::CREATED).json(render(&m, &quoted, state.core.hub())))
}

#[utoipa::path(post, path = "/web/api/conversations/{id}/read", tag = "web", operation_id = "web.conversations.read",
    params(("id" = String, Path)), request_body = Read,
    responses(WebErrors, (status = 204)), security(("session" = [])))]
/// Marks the conversation read up to a seq.
pub async fn read(
    state: State,
    signed: Signed,
    id: web::Path<String>,
    body: Json<Read>,
) -> WebResult {
    state
        .core
        .mark_read(&signed.0.human.user, &id, body.0.seq)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A mention search.
#[derive(Deserialize, IntoParams)]
pub struct PeopleQuery {
    /// The start of a username or name.
    q: Option<String>,
    /// A conversation whose members come first.
    conversation: Option<String>,
}

#[utoipa::path(get, path = "/web/api/people", tag = "web", operation_id = "web.conversations.people", params(PeopleQuery),
    responses(WebErrors, (status = 200, body = People)), security(("session" = [])))]
/// Up to 10 people whose username or name starts with `q`.
pub async fn people(state: State, signed: Signed, q: web::Query<PeopleQuery>) -> WebResult {
    let q = q.into_inner();
    let found = state
        .core
        .people(
            &signed.0.human.user,
            q.q.as_deref().unwrap_or_default(),
            q.conversation,
        )
        .await?;
    let hub = state.core.hub();
    Ok(HttpResponse::Ok().json(People {
        people: found.iter().map(|u| Person::of(u, hub)).collect(),
    }))
}

#[utoipa::path(post, path = "/web/api/dm", tag = "web", operation_id = "web.conversations.open_dm", request_body = OpenDm,
    responses(WebErrors, (status = 200, body = Opened)), security(("session" = [])))]
/// Opens (or reuses) the DM with someone.
pub async fn open_dm(state: State, signed: Signed, body: Json<OpenDm>) -> WebResult {
    let s = state
        .core
        .open_dm(&signed.0.human.user, &body.0.username)
        .await?;
    Ok(HttpResponse::Ok().json(Opened {
        conversation: Summary::of(&s, state.core.hub()),
    }))
}
