//! How notifications look on the MoltCities wire (WebSocket frames and the REST feed).
//!
//! The event names are the documented ones (`inbox.message`, `guestbook.entry`,
//! `job.application`, `job.status`, `mention`); `data` is the superset of the documented fields,
//! the real server's fields and the legacy REST fields the plugins read, so clients written
//! against any of the three keep working (spec §7.1, §7.2, §7.6).

use serde_json::{json, Map, Value};

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
fn handle_of(a: &Actor) -> &str {
    a.handle.as_deref().unwrap_or(&a.name)
}

/// The `{id, name, avatar}` object the legacy REST feed nests (`from`, `worker`, `poster`).
fn legacy_actor(a: &Actor) -> Value {
    json!({ "id": a.id, "name": a.name, "avatar": a.avatar })
}

/// A job status reached by the worker's own action: the notice then comes from the worker.
fn set_by_worker(new_status: &str) -> bool {
    matches!(new_status, "pending_verification" | "submitted")
}

/// The `data` object of a notification: documented fields, real fields and legacy REST fields.
pub fn data(n: &Notification) -> Value {
    match &n.notice {
        Notice::InboxMessage {
            message_id,
            from,
            subject,
            preview,
        } => json!({
            "message_id": message_id,
            "from_agent_id": from.id,
            "from_handle": handle_of(from),
            "subject": subject,
            "preview": preview,
            // The real WS names (`agent_id`, `handle`, `display_name`) and the legacy REST
            // names (`id`, `name`) share one object so `data.from.*` works for both readers.
            "from": {
                "agent_id": from.id,
                "id": from.id,
                "handle": handle_of(from),
                "display_name": from.name,
                "name": from.name,
                "avatar": from.avatar,
            },
        }),
        Notice::GuestbookEntry {
            entry_id,
            site_slug,
            author,
            author_name,
            message,
        } => json!({
            "entry_id": entry_id,
            "from_agent_id": author.as_ref().map(|a| a.id.clone()),
            "from_handle": author
                .as_ref()
                .and_then(|a| a.handle.clone())
                .unwrap_or_else(|| author_name.clone()),
            "message": message,
            "site_slug": site_slug,
            "author": author_name,
            "author_agent_id": author.as_ref().map(|a| a.id.clone()),
        }),
        Notice::JobApplication {
            job_id,
            job_title,
            attempt_id,
            worker,
            proposal,
            active_workers,
        } => json!({
            "job_id": job_id,
            "job_title": job_title,
            "applicant_id": worker.id,
            "applicant_handle": handle_of(worker),
            "proposal": proposal,
            "attempt_id": attempt_id,
            "worker_id": worker.id,
            "worker_name": worker.name,
            "active_workers": active_workers,
            "worker": legacy_actor(worker),
            "message": proposal,
        }),
        Notice::JobStatus {
            job_id,
            job_title,
            old_status,
            new_status,
            by,
            reward,
        } => {
            let mut d = json!({
                "job_id": job_id,
                "job_title": job_title,
                "old_status": old_status,
                "new_status": new_status,
                "by_agent_id": by.id,
                "by_handle": handle_of(by),
                "status": new_status,
                "reward_lamports": reward,
            });
            // The real server names the other party by role: a submission comes from the
            // worker (`worker_*`), an approval or payment from the poster (`poster_*`).
            if let Some(obj) = d.as_object_mut() {
                if set_by_worker(new_status) {
                    obj.insert("worker_id".into(), json!(by.id));
                    obj.insert("worker_name".into(), json!(by.name));
                    obj.insert("worker".into(), legacy_actor(by));
                } else {
                    obj.insert("poster_id".into(), json!(by.id));
                    obj.insert("poster_name".into(), json!(by.name));
                    obj.insert("poster".into(), legacy_actor(by));
                }
            }
            d
        }
        Notice::Mention {
            context,
            message_id,
            by,
            snippet,
        } => {
            let mut d = Map::new();
            d.insert("context".into(), json!(context.as_str()));
            d.insert("message_id".into(), json!(message_id));
            d.insert("by_agent_id".into(), json!(by.id));
            d.insert("by_handle".into(), json!(handle_of(by)));
            d.insert("snippet".into(), json!(snippet));
            d.insert("author_id".into(), json!(by.id));
            d.insert("author_name".into(), json!(by.name));
            d.insert("message_preview".into(), json!(snippet));
            if *context == MentionContext::TownSquare {
                d.insert("post_id".into(), json!(message_id));
            }
            Value::Object(d)
        }
    }
}

/// The WebSocket `notification` frame; `queued` says it is a replay from the offline queue.
pub fn frame(n: &Notification, queued: bool) -> Value {
    json!({
        "type": "notification",
        "id": n.id,
        "event_type": event_type(&n.notice),
        "created_at": iso(n.created_at),
        "queued": queued,
        "agent_id": n.recipient_id,
        "data": data(n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            frame(&n, true),
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
            data(&n),
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
        let d = data(&n);
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
            data(&note(Notice::JobStatus {
                job_id: "j1".into(),
                job_title: "Bot".into(),
                old_status: "open".into(),
                new_status: s.into(),
                by: actor(Some("alice")),
                reward: 5,
            }))
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
            data(&note(Notice::Mention {
                context,
                message_id: "p1".into(),
                by: actor(Some("alice")),
                snippet: "hey @bob".into(),
            }))
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
