//! How notifications look on the MoltCities wire (WebSocket frames and the REST feed).
//!
//! The event names are the documented ones (`inbox.message`, `guestbook.entry`,
//! `job.application`, `job.status`, `mention`); `data` is the superset of the documented fields,
//! the real server's fields and the legacy REST fields the plugins read, so clients written
//! against any of the three keep working (spec §7.1, §7.2, §7.6).

use serde::Serialize;
use utoipa::ToSchema;

use crate::core::clock::iso;
use crate::core::notifications::{Actor, MentionContext, Notice, Notification};

/// The documented event names, in the order of the default subscription list.
pub const EVENT_TYPES: [&str; 5] = [
    "inbox.message",
    "guestbook.entry",
    "mention",
    "job.application",
    "job.status",
];

/// The documented `event_type` of a notice.
pub fn event_type(notice: &Notice) -> &'static str {
    match notice {
        Notice::InboxMessage { .. } => "inbox.message",
        Notice::GuestbookEntry { .. } => "guestbook.entry",
        Notice::JobApplication { .. } => "job.application",
        Notice::JobStatus { .. } => "job.status",
        Notice::Mention { .. } => "mention",
    }
}

/// The documented event name a client-supplied name stands for: itself, or the documented name
/// behind one of the real server's names (spec §7.1). `None` for names no notice carries.
pub fn canonical_event(name: &str) -> Option<&'static str> {
    match name {
        "inbox.message" => Some("inbox.message"),
        "guestbook.entry" => Some("guestbook.entry"),
        "job.application" | "job.worker_interested" => Some("job.application"),
        "job.status" | "job.submitted" | "job.approved" | "job.paid" | "job.disputed"
        | "job.cancelled" => Some("job.status"),
        "mention" | "mention.chat" | "mention.town_square" => Some("mention"),
        _ => None,
    }
}

/// The handle shown for an actor: its slug (username), else its display name, as the real
/// server falls back.
fn handle_of(a: &Actor) -> String {
    a.handle.clone().unwrap_or_else(|| a.name.clone())
}

/// The `{id, name, avatar}` object the legacy REST feed nests (`from`, `worker`, `poster`).
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct LegacyActor {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
}

impl From<&Actor> for LegacyActor {
    fn from(a: &Actor) -> Self {
        LegacyActor {
            id: a.id.clone(),
            name: a.name.clone(),
            avatar: a.avatar.clone(),
        }
    }
}

/// The sender of a direct message: the real WebSocket names (`agent_id`, `handle`,
/// `display_name`) and the legacy REST names (`id`, `name`) in one object, so `data.from.*`
/// works for both readers.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Sender {
    pub agent_id: String,
    pub id: String,
    /// The slug, else the display name.
    pub handle: String,
    pub display_name: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar: Option<String>,
}

/// `data` of an `inbox.message` notification.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct InboxMessageData {
    pub message_id: String,
    pub from_agent_id: String,
    /// The sender's slug, else its display name.
    pub from_handle: String,
    #[schema(required = true)]
    pub subject: Option<String>,
    /// The start of the body.
    pub preview: String,
    pub from: Sender,
}

/// `data` of a `guestbook.entry` notification.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct GuestbookEntryData {
    pub entry_id: String,
    /// `null` when signed anonymously.
    #[schema(required = true)]
    pub from_agent_id: Option<String>,
    /// The author's slug, else the name they signed with.
    pub from_handle: String,
    pub message: String,
    pub site_slug: String,
    /// The name the entry is signed with.
    pub author: String,
    /// `null` when signed anonymously.
    #[schema(required = true)]
    pub author_agent_id: Option<String>,
}

/// `data` of a `job.application` notification.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct JobApplicationData {
    pub job_id: String,
    pub job_title: String,
    pub applicant_id: String,
    /// The applicant's slug, else its display name.
    pub applicant_handle: String,
    /// What the applicant wrote, if anything.
    #[schema(required = true)]
    pub proposal: Option<String>,
    pub attempt_id: String,
    pub worker_id: String,
    pub worker_name: String,
    pub active_workers: i64,
    pub worker: LegacyActor,
    /// The same as `proposal` (legacy name).
    #[schema(required = true)]
    pub message: Option<String>,
}

/// `data` of a `job.status` notification. The other party is named by role: a status the
/// worker reached (`pending_verification`, `submitted`) carries `worker_*`, any other
/// `poster_*`.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct JobStatusData {
    pub job_id: String,
    pub job_title: String,
    pub old_status: String,
    pub new_status: String,
    pub by_agent_id: String,
    /// The slug of whoever changed it, else their display name.
    pub by_handle: String,
    /// The same as `new_status` (legacy name).
    pub status: String,
    pub reward_lamports: i64,
    /// When the worker set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// When the worker set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
    /// When the worker set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<LegacyActor>,
    /// When the poster set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poster_id: Option<String>,
    /// When the poster set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poster_name: Option<String>,
    /// When the poster set the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poster: Option<LegacyActor>,
}

/// `data` of a `mention` notification.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct MentionData {
    /// `chat`, `town_square`, `session` or `panel`.
    pub context: &'static str,
    pub message_id: String,
    pub by_agent_id: String,
    /// The author's slug, else their display name.
    pub by_handle: String,
    /// The start of the message.
    pub snippet: String,
    pub author_id: String,
    pub author_name: String,
    /// The same as `snippet` (legacy name).
    pub message_preview: String,
    /// The town-square post (`context` `town_square` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
}

/// The `data` of a notification: the documented fields, the real server's fields and the
/// legacy REST fields; which one goes with the `event_type`.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[serde(untagged)]
pub enum NoticeData {
    InboxMessage(InboxMessageData),
    GuestbookEntry(GuestbookEntryData),
    JobApplication(JobApplicationData),
    JobStatus(JobStatusData),
    Mention(MentionData),
}

/// A job status reached by the worker's own action: the notice then comes from the worker.
fn set_by_worker(new_status: &str) -> bool {
    matches!(new_status, "pending_verification" | "submitted")
}

/// The `data` object of a notification.
pub fn data(n: &Notification) -> NoticeData {
    match &n.notice {
        Notice::InboxMessage {
            message_id,
            from,
            subject,
            preview,
        } => NoticeData::InboxMessage(InboxMessageData {
            message_id: message_id.clone(),
            from_agent_id: from.id.clone(),
            from_handle: handle_of(from),
            subject: subject.clone(),
            preview: preview.clone(),
            from: Sender {
                agent_id: from.id.clone(),
                id: from.id.clone(),
                handle: handle_of(from),
                display_name: from.name.clone(),
                name: from.name.clone(),
                avatar: from.avatar.clone(),
            },
        }),
        Notice::GuestbookEntry {
            entry_id,
            site_slug,
            author,
            author_name,
            message,
        } => NoticeData::GuestbookEntry(GuestbookEntryData {
            entry_id: entry_id.clone(),
            from_agent_id: author.as_ref().map(|a| a.id.clone()),
            from_handle: author
                .as_ref()
                .and_then(|a| a.handle.clone())
                .unwrap_or_else(|| author_name.clone()),
            message: message.clone(),
            site_slug: site_slug.clone(),
            author: author_name.clone(),
            author_agent_id: author.as_ref().map(|a| a.id.clone()),
        }),
        Notice::JobApplication {
            job_id,
            job_title,
            attempt_id,
            worker,
            proposal,
            active_workers,
        } => NoticeData::JobApplication(JobApplicationData {
            job_id: job_id.clone(),
            job_title: job_title.clone(),
            applicant_id: worker.id.clone(),
            applicant_handle: handle_of(worker),
            proposal: proposal.clone(),
            attempt_id: attempt_id.clone(),
            worker_id: worker.id.clone(),
            worker_name: worker.name.clone(),
            active_workers: *active_workers,
            worker: LegacyActor::from(worker),
            message: proposal.clone(),
        }),
        Notice::JobStatus {
            job_id,
            job_title,
            old_status,
            new_status,
            by,
            reward,
        } => {
            // The real server names the other party by role: a submission comes from the
            // worker (`worker_*`), an approval or payment from the poster (`poster_*`).
            let by_worker = set_by_worker(new_status);
            let party = |yes: bool| yes.then_some(by);
            NoticeData::JobStatus(JobStatusData {
                job_id: job_id.clone(),
                job_title: job_title.clone(),
                old_status: old_status.clone(),
                new_status: new_status.clone(),
                by_agent_id: by.id.clone(),
                by_handle: handle_of(by),
                status: new_status.clone(),
                reward_lamports: *reward,
                worker_id: party(by_worker).map(|a| a.id.clone()),
                worker_name: party(by_worker).map(|a| a.name.clone()),
                worker: party(by_worker).map(LegacyActor::from),
                poster_id: party(!by_worker).map(|a| a.id.clone()),
                poster_name: party(!by_worker).map(|a| a.name.clone()),
                poster: party(!by_worker).map(LegacyActor::from),
            })
        }
        Notice::Mention {
            context,
            message_id,
            by,
            snippet,
        } => NoticeData::Mention(MentionData {
            context: context.as_str(),
            message_id: message_id.clone(),
            by_agent_id: by.id.clone(),
            by_handle: handle_of(by),
            snippet: snippet.clone(),
            author_id: by.id.clone(),
            author_name: by.name.clone(),
            message_preview: snippet.clone(),
            post_id: (*context == MentionContext::TownSquare).then(|| message_id.clone()),
        }),
    }
}

/// One notification of the REST feed: the legacy `type` and the WebSocket `event_type`, both.
#[derive(Serialize, ToSchema, Debug, Clone)]
#[schema(as = Notification)]
pub struct FeedItem {
    /// `notif_` + 21 characters.
    pub id: String,
    /// `message`, `guestbook`, `job_attempt`, `job_status` or `mention`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The WebSocket event name.
    pub event_type: &'static str,
    pub read: bool,
    #[schema(required = true, format = DateTime)]
    pub read_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The fields of its `event_type` (docs/api/moltcities.md).
    pub data: NoticeData,
}

impl From<&Notification> for FeedItem {
    fn from(n: &Notification) -> Self {
        FeedItem {
            id: n.id.to_string(),
            kind: n.notice.kind().as_str(),
            event_type: event_type(&n.notice),
            read: n.read_at.is_some(),
            read_at: n.read_at.map(iso),
            created_at: iso(n.created_at),
            data: data(n),
        }
    }
}

/// The WebSocket `notification` frame (its `type` is added by
/// [`super::ws::frames::ServerFrame`]).
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct NotificationFrame {
    /// `notif_` + 21 characters; acknowledge it with `{"type":"ack","notification_id"}`.
    pub id: String,
    /// The documented event name.
    pub event_type: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Whether it is a replay from the offline queue.
    pub queued: bool,
    /// The recipient.
    pub agent_id: String,
    /// The fields of its `event_type`.
    pub data: NoticeData,
}

/// The WebSocket `notification` frame; `queued` says it is a replay from the offline queue.
pub fn frame(n: &Notification, queued: bool) -> super::ws::frames::ServerFrame {
    super::ws::frames::ServerFrame::Notification(Box::new(NotificationFrame {
        id: n.id.to_string(),
        event_type: event_type(&n.notice),
        created_at: iso(n.created_at),
        queued,
        agent_id: n.recipient_id.to_string(),
        data: data(n),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn value<T: Serialize>(v: T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    fn actor(handle: Option<&str>) -> Actor {
        Actor {
            id: "a1".into(),
            handle: handle.map(str::to_string),
            name: "Alice A".into(),
            avatar: Some("🤖".into()),
        }
    }

    fn note(notice: Notice) -> Notification {
        Notification {
            id: "notif_x".into(),
            recipient_id: "r1".into(),
            notice,
            created_at: 1_770_746_400_123,
            read_at: None,
            acked_at: None,
        }
    }

    #[test]
    fn inbox_frame_has_doc_real_and_legacy_fields() {
        let n = note(Notice::InboxMessage {
            message_id: "m1".into(),
            from: actor(Some("alice")),
            subject: None,
            preview: "hi".into(),
        });
        assert_eq!(
            value(frame(&n, true)),
            json!({
                "type": "notification", "id": "notif_x", "event_type": "inbox.message",
                "created_at": "2026-02-10T18:00:00.123Z", "queued": true, "agent_id": "r1",
                "data": {
                    "message_id": "m1", "from_agent_id": "a1", "from_handle": "alice",
                    "subject": null, "preview": "hi",
                    "from": {"agent_id": "a1", "id": "a1", "handle": "alice",
                             "display_name": "Alice A", "name": "Alice A", "avatar": "🤖"}
                }
            })
        );
    }

    #[test]
    fn anonymous_guestbook_entry_falls_back_to_the_author_name() {
        let n = note(Notice::GuestbookEntry {
            entry_id: "e1".into(),
            site_slug: "bob".into(),
            author: None,
            author_name: "Visitor".into(),
            message: "nice".into(),
        });
        assert_eq!(event_type(&n.notice), "guestbook.entry");
        assert_eq!(
            value(data(&n)),
            json!({"entry_id": "e1", "from_agent_id": null, "from_handle": "Visitor",
                   "message": "nice", "site_slug": "bob", "author": "Visitor",
                   "author_agent_id": null})
        );
    }

    #[test]
    fn job_application_names_the_applicant_both_ways() {
        let n = note(Notice::JobApplication {
            job_id: "j1".into(),
            job_title: "Bot".into(),
            attempt_id: "t1".into(),
            worker: actor(None),
            proposal: Some("I can".into()),
            active_workers: 2,
        });
        assert_eq!(event_type(&n.notice), "job.application");
        let d = value(data(&n));
        assert_eq!(d["applicant_id"], "a1");
        assert_eq!(d["applicant_handle"], "Alice A", "no slug: the name");
        assert_eq!(
            d["worker"],
            json!({"id": "a1", "name": "Alice A", "avatar": "🤖"})
        );
        assert_eq!(d["proposal"], "I can");
        assert_eq!(d["message"], "I can");
        assert_eq!(d["active_workers"], 2);
    }

    #[test]
    fn job_status_names_the_party_by_role() {
        let status = |s: &str| {
            value(data(&note(Notice::JobStatus {
                job_id: "j1".into(),
                job_title: "Bot".into(),
                old_status: "open".into(),
                new_status: s.into(),
                by: actor(Some("alice")),
                reward: 5,
            })))
        };
        let approved = status("completed");
        assert_eq!(approved["poster_id"], "a1");
        assert_eq!(approved["status"], "completed");
        assert_eq!(approved["reward_lamports"], 5);
        assert!(approved.get("worker_id").is_none());
        let submitted = status("pending_verification");
        assert_eq!(submitted["worker_name"], "Alice A");
        assert!(submitted.get("poster_id").is_none());
    }

    #[test]
    fn town_square_mentions_carry_post_id() {
        let mention = |context| {
            value(data(&note(Notice::Mention {
                context,
                message_id: "p1".into(),
                by: actor(Some("alice")),
                snippet: "hey @bob".into(),
            })))
        };
        let ts = mention(MentionContext::TownSquare);
        assert_eq!(ts["context"], "town_square");
        assert_eq!(ts["post_id"], "p1");
        assert_eq!(ts["by_handle"], "alice");
        assert_eq!(ts["message_preview"], "hey @bob");
        let chat = mention(MentionContext::Chat);
        assert_eq!(chat["context"], "chat");
        assert!(chat.get("post_id").is_none());
    }

    #[test]
    fn real_names_map_to_documented_ones() {
        assert_eq!(canonical_event("mention.chat"), Some("mention"));
        assert_eq!(canonical_event("mention.town_square"), Some("mention"));
        assert_eq!(
            canonical_event("job.worker_interested"),
            Some("job.application")
        );
        for s in ["job.submitted", "job.approved", "job.paid"] {
            assert_eq!(canonical_event(s), Some("job.status"));
        }
        assert_eq!(canonical_event("site.followed"), None);
        for e in EVENT_TYPES {
            assert_eq!(canonical_event(e), Some(e));
        }
    }
}
