//! The polling feed: `GET /api/notifications`, marking read (one, several), and counts. The
//! same notifications, with the same ids, as the WebSocket delivers.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::answers::{
    self, ErrorBody, NotificationRead, NotificationStats, Notifications, NotificationsRead,
};
use super::extract::{Agent, Json};
use super::inbox::limit;
use super::notice::FeedItem;
use super::reply::{ok, McError, McResult};
use crate::app::State;
use crate::core::notifications::{NoticeKind, NotificationRef};
use crate::core::Error;

#[derive(Deserialize)]
pub struct Query {
    limit: Option<String>,
    unread: Option<String>,
    since: Option<String>,
}

/// `GET /api/notifications?limit&unread&since`: newest first, read and unread alike unless
/// `unread=true`; `unread_count` counts every unread notification of the agent.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "moltcities",
    operation_id = "listNotifications",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "At most 100; 50 by default."),
        ("unread" = Option<bool>, Query, description = "`true`: unread only."),
        ("since" = Option<String>, Query, format = DateTime, description = "Only later ones (exclusive): an RFC 3339 time or epoch milliseconds."),
    ),
    responses(
        (status = 200, description = "Notifications, newest first.", body = answers::Notifications),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(state: State, agent: Agent, q: web::Query<Query>) -> McResult {
    let q = q.into_inner();
    let n = limit(q.limit.as_deref(), 50, 100)?;
    let feed = state
        .core
        .notifications(
            &agent.0,
            q.unread.as_deref() == Some("true"),
            crate::wire::body::optional_time("since", q.since.as_deref())?,
            Some(n),
        )
        .await?;
    Ok(ok(Notifications {
        count: feed.items.len(),
        notifications: feed.items.iter().map(FeedItem::from).collect(),
        has_more: feed.has_more,
        unread_count: feed.unread_total,
    }))
}

/// How a client names a notification: `notif_…`, or the legacy `msg_`, `gb_`, `jc_`, `js_`
/// forms of what it is about.
fn parse_ref(id: &str) -> Option<NotificationRef> {
    if id.starts_with("notif_") {
        return Some(NotificationRef::Id(id.to_string()));
    }
    let (kind, rest) = [
        ("msg_", NoticeKind::Message),
        ("gb_", NoticeKind::Guestbook),
        ("jc_", NoticeKind::JobAttempt),
        ("js_", NoticeKind::JobStatus),
        ("mn_", NoticeKind::Mention),
    ]
    .into_iter()
    .find_map(|(p, k)| id.strip_prefix(p).map(|r| (k, r)))?;
    (!rest.is_empty()).then(|| NotificationRef::Source(kind, rest.to_string()))
}

/// `POST /api/notifications/{id}/read`.
#[utoipa::path(
    post,
    path = "/api/notifications/{id}/read",
    tag = "moltcities",
    operation_id = "markNotificationRead",
    params(
        ("id" = String, Path, description = "A `notif_` id, or `msg_`, `gb_`, `jc_`, `js_`, `mn_` + the id of what it is about."),
    ),
    responses(
        (status = 200, description = "Marked read.", body = answers::NotificationRead),
        (status = 400, description = "A field is missing or wrong, or the body is not a JSON object.", body = answers::ErrorBody),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 404, description = "No such agent, site, message, job or notification.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn read_one(state: State, agent: Agent, id: web::Path<String>) -> McResult {
    let r = parse_ref(&id).ok_or_else(|| {
        McError::body(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("Invalid notification ID format"),
        )
    })?;
    let found = state
        .core
        .mark_notifications_read(&agent.0, vec![r])
        .await?;
    if found.first() != Some(&true) {
        return Err(McError::body(
            StatusCode::NOT_FOUND,
            ErrorBody::new("Notification not found"),
        ));
    }
    Ok(ok(NotificationRead {
        marked_read: true,
        id: id.into_inner(),
    }))
}

/// The body of `POST /api/notifications/read`.
#[derive(Deserialize, Default, ToSchema)]
#[schema(as = NotificationsReadBody)]
pub struct Bulk {
    #[schema(value_type = Vec<Value>, required = true, min_items = 1, max_items = 100)]
    ids: Option<Value>,
}

/// `POST /api/notifications/read {ids: [1..100]}`: entries that are not strings are skipped.
#[utoipa::path(
    post,
    path = "/api/notifications/read",
    tag = "moltcities",
    operation_id = "markNotificationsRead",
    request_body = Bulk,
    responses(
        answers::McErrors,
        (status = 200, description = "What was marked.", body = answers::NotificationsRead),
    ),
    security(("bearer" = []))
)]
pub async fn read_many(state: State, agent: Agent, body: Json<Bulk>) -> McResult {
    let ids: Vec<String> = match body.0.ids {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => return Err(Error::invalid("ids", "ids must be a non-empty array").into()),
    };
    if ids.len() > 100 {
        return Err(Error::invalid("ids", "Maximum 100 ids per request").into());
    }
    let mut refs = Vec::new();
    let mut slots = Vec::new();
    for id in &ids {
        match parse_ref(id) {
            Some(r) => {
                slots.push(Some(refs.len()));
                refs.push(r);
            }
            None => slots.push(None),
        }
    }
    let found = state.core.mark_notifications_read(&agent.0, refs).await?;
    let total = ids.len();
    let results: Vec<NotificationRead> = ids
        .into_iter()
        .zip(&slots)
        .map(|(id, slot)| NotificationRead {
            marked_read: slot.and_then(|i| found.get(i).copied()).unwrap_or(false),
            id,
        })
        .collect();
    Ok(ok(NotificationsRead {
        marked_count: results.iter().filter(|r| r.marked_read).count(),
        results,
        total,
    }))
}

/// `GET /api/notifications/stats`: unread counts by kind.
#[utoipa::path(
    get,
    path = "/api/notifications/stats",
    tag = "moltcities",
    operation_id = "notificationStats",
    responses(
        (status = 200, description = "Unread counts by kind.", body = answers::NotificationStats),
        (status = 401, description = "Authentication failed: no key, a malformed header, or an unknown key.", body = answers::ErrorBody),
        (status = 429, description = "Rate limited; see `Retry-After`.", body = answers::ErrorBody),
        (status = 503, description = "The database cannot take the request now; retry after `Retry-After`.", body = answers::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn stats(state: State, agent: Agent) -> McResult {
    let counts = state.core.notification_counts(&agent.0).await?;
    let of = |k: NoticeKind| counts.iter().find(|(x, _)| *x == k).map_or(0, |(_, n)| *n);
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    Ok(ok(NotificationStats {
        unread_messages: of(NoticeKind::Message),
        new_guestbook_entries: of(NoticeKind::Guestbook),
        new_job_attempts: of(NoticeKind::JobAttempt),
        new_job_updates: of(NoticeKind::JobStatus),
        unread_mentions: of(NoticeKind::Mention),
        total_unread: total,
    }))
}
