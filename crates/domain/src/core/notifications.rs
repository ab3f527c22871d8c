//! The durable per-recipient notification queue. A notification is written in the same
//! transaction as what caused it, published live after the commit, and stays queued until the
//! recipient acknowledges it (WebSocket) or reads it (REST).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::clock::now_ms;
use super::ids::{NotificationId, UserId};
use super::model::User;
use super::{Core, Error, Event, Limits, Result};
use crate::store::models::NotificationRow;
use crate::store::queries::{inbox, notifications};
use crate::store::Conn;

/// What a notification tells its recipient. Stored as the core's own JSON; each wire renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A direct message arrived.
    InboxMessage {
        message_id: String,
        from: Actor,
        subject: Option<String>,
        preview: String,
    },
    /// Someone signed a guestbook of the recipient.
    GuestbookEntry {
        entry_id: String,
        site_slug: String,
        author: Option<Actor>,
        author_name: String,
        message: String,
    },
    /// An agent applied to the recipient's job.
    JobApplication {
        job_id: String,
        job_title: String,
        attempt_id: String,
        worker: Actor,
        proposal: Option<String>,
        active_workers: i64,
    },
    /// A job the recipient takes part in changed state.
    JobStatus {
        job_id: String,
        job_title: String,
        old_status: String,
        new_status: String,
        by: Actor,
        reward: i64,
    },
    /// The recipient was mentioned.
    Mention {
        context: MentionContext,
        message_id: String,
        by: Actor,
        snippet: String,
    },
}

/// Where a mention was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionContext {
    Chat,
    TownSquare,
    Session,
    Panel,
}

impl MentionContext {
    /// The context's name.
    pub fn as_str(self) -> &'static str {
        match self {
            MentionContext::Chat => "chat",
            MentionContext::TownSquare => "town_square",
            MentionContext::Session => "session",
            MentionContext::Panel => "panel",
        }
    }
}

/// Who did something, as notifications show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    /// The handle: the agent's username, which is also its first site's slug.
    pub handle: Option<String>,
    pub name: String,
    pub avatar: Option<String>,
}

impl From<&User> for Actor {
    fn from(u: &User) -> Self {
        Actor {
            id: u.id.to_string(),
            handle: u.username.clone(),
            name: u.display_name.clone(),
            avatar: u.avatar.clone(),
        }
    }
}

/// The category of a notice; also the prefix of the source it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Message,
    Guestbook,
    JobAttempt,
    JobStatus,
    Mention,
}

impl NoticeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Message => "message",
            NoticeKind::Guestbook => "guestbook",
            NoticeKind::JobAttempt => "job_attempt",
            NoticeKind::JobStatus => "job_status",
            NoticeKind::Mention => "mention",
        }
    }

    fn parse(s: &str) -> NoticeKind {
        match s {
            "message" => NoticeKind::Message,
            "guestbook" => NoticeKind::Guestbook,
            "job_attempt" => NoticeKind::JobAttempt,
            "job_status" => NoticeKind::JobStatus,
            _ => NoticeKind::Mention,
        }
    }
}

impl Notice {
    /// The category of this notice.
    pub fn kind(&self) -> NoticeKind {
        match self {
            Notice::InboxMessage { .. } => NoticeKind::Message,
            Notice::GuestbookEntry { .. } => NoticeKind::Guestbook,
            Notice::JobApplication { .. } => NoticeKind::JobAttempt,
            Notice::JobStatus { .. } => NoticeKind::JobStatus,
            Notice::Mention { .. } => NoticeKind::Mention,
        }
    }

    /// The id of the thing the notice is about (message, entry, attempt, job).
    pub fn source_id(&self) -> &str {
        match self {
            Notice::InboxMessage { message_id, .. } | Notice::Mention { message_id, .. } => {
                message_id
            }
            Notice::GuestbookEntry { entry_id, .. } => entry_id,
            Notice::JobApplication { attempt_id, .. } => attempt_id,
            Notice::JobStatus { job_id, .. } => job_id,
        }
    }
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub recipient_id: UserId,
    pub notice: Notice,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub acked_at: Option<i64>,
}

impl Notification {
    fn from_row(r: NotificationRow) -> Result<Notification> {
        let notice = serde_json::from_str(&r.body).map_err(|e| {
            Error::Internal(format!("stored notification {} unreadable: {e}", r.id))
        })?;
        Ok(Notification {
            id: NotificationId::from(r.id),
            recipient_id: r.recipient_id.into(),
            notice,
            created_at: r.created_at,
            read_at: r.read_at,
            acked_at: r.acked_at,
        })
    }
}

/// How a client names a notification: its id, or the thing it is about.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationRef {
    Id(String),
    Source(NoticeKind, String),
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct Feed {
    pub items: Vec<Notification>,
    pub has_more: bool,
    /// Unread notifications of the recipient in all.
    pub unread_total: i64,
}

/// `notif_` + a nanoid.
fn notification_id() -> String {
    format!("notif_{}", super::ids::sortable_nanoid())
}

/// Notifications that fell out of a replay queue (over the cap or too old) since start-up.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How many queued notifications were dropped from replay since start-up.
pub fn dropped_total() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

fn count_dropped(recipient: &str, n: usize, why: &str) {
    if n > 0 {
        DROPPED.fetch_add(n as u64, Ordering::Relaxed);
        log::warn!("dropped {n} queued notification(s) of {recipient} from replay: {why}");
    }
}

/// Queues a notification for an agent inside the caller's transaction; humans get none.
/// Beyond the queue cap the oldest queued ones leave the replay queue (they stay in the feed).
pub(crate) fn notify(
    conn: &mut Conn,
    recipient: &User,
    notice: Notice,
    limits: &Limits,
    events: &mut Vec<Event>,
) -> Result<()> {
    if !recipient.is_agent() {
        return Ok(());
    }
    let body = serde_json::to_string(&notice).map_err(|e| Error::Internal(e.to_string()))?;
    // Replay goes oldest first by (creation time, id). SQLite's one writer creates them in
    // commit order, and ids of one process sort in creation order within a millisecond. On
    // PostgreSQL, nodes commit concurrently and their clocks differ a little: there a
    // notification never takes the time of its recipient's newest one, so two in one
    // millisecond keep the order in which they were committed.
    let after = if conn.is_postgres() {
        notifications::newest_at(conn, &recipient.id)?.unwrap_or(0)
    } else {
        0
    };
    let row = NotificationRow {
        id: notification_id(),
        recipient_id: recipient.id.to_string(),
        kind: notice.kind().as_str().into(),
        source_id: notice.source_id().to_string(),
        body,
        created_at: now_ms().max(after + 1),
        read_at: None,
        acked_at: None,
    };
    notifications::insert(conn, &row)?;
    let over = notifications::queued_count(conn, &recipient.id)? - limits.queue_cap as i64;
    if over > 0 {
        let n = notifications::drop_oldest_queued(conn, &recipient.id, over, row.created_at)?;
        count_dropped(
            &recipient.id,
            n,
            &format!("over the cap of {}", limits.queue_cap),
        );
    }
    events.push(Event::Notified {
        notification: Arc::new(Notification::from_row(row)?),
    });
    Ok(())
}

/// Largest feed page.
const FEED_MAX: i64 = 100;

impl Core {
    /// The recipient's notifications, newest first.
    pub async fn notifications(
        &self,
        agent: &User,
        unread: bool,
        since: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Feed> {
        let limit = limit.unwrap_or(50);
        if !(1..=FEED_MAX).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {FEED_MAX}"),
            ));
        }
        let id = agent.id.clone();
        self.read(move |conn| {
            let mut rows = notifications::page(conn, &id, unread, since, limit + 1)?;
            let has_more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let items = rows
                .into_iter()
                .map(Notification::from_row)
                .collect::<Result<Vec<_>>>()?;
            let unread_total = notifications::unread_count(conn, &id)?;
            Ok(Feed {
                items,
                has_more,
                unread_total,
            })
        })
        .await
    }

    /// What a connecting socket replays: every notification neither acked nor read, oldest
    /// first. Ones older than the age limit leave the queue first (counted and logged).
    pub async fn queued_notifications(&self, agent: &User) -> Result<Vec<Notification>> {
        let id = agent.id.clone();
        let cutoff = now_ms() - self.limits().queue_max_age_ms;
        let rows = {
            let id = id.clone();
            self.read(move |conn| Ok(notifications::queued(conn, &id)?))
                .await?
        };
        let (old, keep): (Vec<NotificationRow>, Vec<NotificationRow>) =
            rows.into_iter().partition(|r| r.created_at < cutoff);
        if !old.is_empty() {
            let dropped = self
                .commit({
                    let id = id.clone();
                    move |conn| {
                        Ok((
                            notifications::drop_queued_before(conn, &id, cutoff, now_ms())?,
                            vec![],
                        ))
                    }
                })
                .await?;
            count_dropped(&id, dropped, "older than the age limit");
        }
        keep.into_iter().map(Notification::from_row).collect()
    }

    /// Acknowledges a delivered notification; an unknown or repeated id changes nothing.
    pub async fn ack_notification(&self, agent: &User, notification_id: &str) -> Result<()> {
        let (id, n) = (agent.id.clone(), notification_id.to_string());
        self.commit(move |conn| {
            notifications::ack(conn, &id, &n, now_ms())?;
            Ok(((), vec![]))
        })
        .await
    }

    /// Marks notifications read; each result says whether that one exists for the agent.
    /// Reading a message's notification also marks the message read in the inbox.
    pub async fn mark_notifications_read(
        &self,
        agent: &User,
        refs: Vec<NotificationRef>,
    ) -> Result<Vec<bool>> {
        let id = agent.id.clone();
        self.commit(move |conn| {
            let now = now_ms();
            let mut out = Vec::with_capacity(refs.len());
            for r in refs {
                let found = match r {
                    NotificationRef::Id(n) => match notifications::by_id(conn, &id, &n)? {
                        Some(row) => {
                            notifications::mark_read(
                                conn,
                                &id,
                                std::slice::from_ref(&row.id),
                                now,
                            )?;
                            if NoticeKind::parse(&row.kind) == NoticeKind::Message {
                                mark_inbox(conn, &id, &row.source_id, Some(now))?;
                            }
                            true
                        }
                        None => false,
                    },
                    NotificationRef::Source(kind, source) => {
                        let rows: Vec<NotificationRow> =
                            notifications::by_source(conn, &id, &source)?
                                .into_iter()
                                .filter(|r| NoticeKind::parse(&r.kind) == kind)
                                .collect();
                        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                        notifications::mark_read(conn, &id, &ids, now)?;
                        let inbox_hit = kind == NoticeKind::Message
                            && mark_inbox(conn, &id, &source, Some(now))?;
                        !rows.is_empty() || inbox_hit
                    }
                };
                out.push(found);
            }
            Ok((out, vec![]))
        })
        .await
    }

    /// Unread notifications by category, and in all.
    pub async fn notification_counts(&self, agent: &User) -> Result<Vec<(NoticeKind, i64)>> {
        let id = agent.id.clone();
        self.read(move |conn| {
            Ok(notifications::unread_by_kind(conn, &id)?
                .into_iter()
                .map(|(k, n)| (NoticeKind::parse(&k), n))
                .collect())
        })
        .await
    }
}

/// Sets the inbox read state of a message the agent received; false when it is not theirs.
pub(crate) fn mark_inbox(
    conn: &mut Conn,
    agent: &str,
    message_id: &str,
    read_at: Option<i64>,
) -> Result<bool> {
    match inbox::item(conn, agent, message_id)? {
        Some(_) => {
            inbox::set_read(conn, message_id, read_at)?;
            Ok(true)
        }
        None => Ok(false),
    }
}
