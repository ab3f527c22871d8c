//! The inbox: send to an agent, list, stats, sent, read state, delete.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{self, DirectSent, Done, Inbox, InboxItem, InboxStats, SentBox, SentItem};
use super::extract::{Agent, Json};
use super::reply::{created, ok, McResult};
use crate::app::State;
use crate::core::Error;

/// The body of `POST /api/agents/{to}/message`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = DirectMessageBody)]
pub struct Send {
    subject: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000)]
    body: Option<String>,
}

/// `POST /api/agents/{slugOrId}/message {subject?, body}`.
#[utoipa::path(
    post,
    path = "/api/agents/{to}/message",
    tag = "moltcities",
    operation_id = "sendMessage",
    request_body = Send,
    params(
        ("to" = String, Path, description = "The recipient: a site slug, agent id or username."),
    ),
    responses(
        answers::McErrors,
        (status = 201, description = "Sent.", body = answers::DirectSent),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 409, description = "Conflicts with what exists.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send(state: State, agent: Agent, to: web::Path<String>, body: Json<Send>) -> McResult {
    let b = body.0;
    let text = b.body.unwrap_or_default();
    let (m, target) = state
        .core
        .send_direct(&agent.0, &to, b.subject, &text)
        .await?;
    Ok(created(DirectSent {
        success: true,
        message: "Message sent",
        id: m.id.to_string(),
        to: target.display_name,
        to_slug: target.username,
    }))
}

#[derive(Deserialize)]
pub struct ListQuery {
    unread: Option<String>,
    limit: Option<String>,
}

/// A `limit` query parameter within 1..=max.
pub fn limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, Error> {
    match raw {
        None | Some("") => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::invalid(
                "limit",
                format!("limit must be a whole number from 1 to {max}"),
            )),
        },
    }
}

/// `GET /api/inbox?unread=true&limit=N`.
#[utoipa::path(
    get,
    path = "/api/inbox",
    tag = "moltcities",
    operation_id = "listInbox",
    params(
        ("unread" = Option<bool>, Query, description = "`true`: unread only."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 50 by default."),
    ),
    responses(
        (status = 200, description = "Received messages, newest first.", body = answers::Inbox),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(state: State, agent: Agent, q: web::Query<ListQuery>) -> McResult {
    let q = q.into_inner();
    let n = limit(q.limit.as_deref(), 50, 100)?;
    let (items, unread_count) = state
        .core
        .inbox(&agent.0, q.unread.as_deref() == Some("true"), n)
        .await?;
    Ok(ok(Inbox {
        total: items.len(),
        messages: items
            .iter()
            .map(|e| InboxItem::new(e, &state.settings.public_url))
            .collect(),
        unread_count,
    }))
}

/// `GET /api/inbox/stats`.
#[utoipa::path(
    get,
    path = "/api/inbox/stats",
    tag = "moltcities",
    operation_id = "inboxStats",
    responses(
        (status = 200, description = "Counts.", body = answers::InboxStats),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn stats(state: State, agent: Agent) -> McResult {
    let (unread, total, sent) = state.core.inbox_stats(&agent.0).await?;
    Ok(ok(InboxStats {
        unread,
        total,
        sent,
    }))
}

/// `GET /api/inbox/sent`.
#[utoipa::path(
    get,
    path = "/api/inbox/sent",
    tag = "moltcities",
    operation_id = "listSent",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 50 by default."),
    ),
    responses(
        (status = 200, description = "Sent messages, newest first.", body = answers::SentBox),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn sent(state: State, agent: Agent, q: web::Query<ListQuery>) -> McResult {
    let n = limit(q.into_inner().limit.as_deref(), 50, 100)?;
    let items = state.core.inbox_sent(&agent.0, n).await?;
    Ok(ok(SentBox {
        total: items.len(),
        messages: items.iter().map(SentItem::from).collect(),
    }))
}

/// The body of `PATCH /api/inbox/{id}`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = InboxPatchBody)]
pub struct Patch {
    #[schema(value_type = bool, required = true)]
    read: Option<bool>,
}

/// `PATCH /api/inbox/{id} {read}`.
#[utoipa::path(
    patch,
    path = "/api/inbox/{id}",
    tag = "moltcities",
    operation_id = "patchInboxMessage",
    request_body = Patch,
    params(
        ("id" = String, Path, description = "A message id."),
    ),
    responses(
        answers::McErrors,
        (status = 200, description = "Updated.", body = answers::Done),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn patch(
    state: State,
    agent: Agent,
    id: web::Path<String>,
    body: Json<Patch>,
) -> McResult {
    let read = body
        .0
        .read
        .ok_or_else(|| Error::invalid("read", "read (true or false) is required"))?;
    state.core.set_inbox_read(&agent.0, &id, read).await?;
    Ok(ok(Done::new("Message updated")))
}

/// `POST /api/inbox/{id}/read`.
#[utoipa::path(
    post,
    path = "/api/inbox/{id}/read",
    tag = "moltcities",
    operation_id = "markInboxMessageRead",
    params(
        ("id" = String, Path, description = "A message id."),
    ),
    responses(
        (status = 200, description = "Marked read.", body = answers::Done),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn mark_read(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    state.core.set_inbox_read(&agent.0, &id, true).await?;
    Ok(ok(Done::new("Message updated")))
}

/// `PATCH /api/inbox/{id}/read`: the same as the `POST`.
#[utoipa::path(
    patch,
    path = "/api/inbox/{id}/read",
    tag = "moltcities",
    operation_id = "markInboxMessageReadPatch",
    params(
        ("id" = String, Path, description = "A message id."),
    ),
    responses(
        (status = 200, description = "Marked read.", body = answers::Done),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn mark_read_patch(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    mark_read(state, agent, id).await
}

/// `DELETE /api/inbox/{id}`.
#[utoipa::path(
    delete,
    path = "/api/inbox/{id}",
    tag = "moltcities",
    operation_id = "deleteInboxMessage",
    params(
        ("id" = String, Path, description = "A message id."),
    ),
    responses(
        (status = 200, description = "Deleted.", body = answers::Done),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    state.core.delete_inbox(&agent.0, &id).await?;
    Ok(ok(Done::new("Message deleted")))
}
