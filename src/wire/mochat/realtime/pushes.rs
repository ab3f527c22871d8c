//! Rendering live pushes: each (message, style, parser) is encoded once and the bytes are shared
//! by every socket that receives it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::subscriptions::Style;
use crate::core::clock::iso;
use crate::core::model::Message;
use crate::socketio::{encode_event, Encoded, ParserKind, Payload};
use crate::wire::mochat::render;

/// The namespace MoChat clients use.
pub const NAMESPACE: &str = "/";

/// The event name and payload of a push.
pub fn push(style: Style, m: &Message) -> (&'static str, Value) {
    match style {
        Style::SeedSession => (
            "notify:session",
            json!({ "sessionId": render::target_id(m), "message": render::message(m), "sender": render::sender(&m.author) }),
        ),
        Style::SeedPanel => (
            "notify:panel",
            json!({
                "panelId": m.conversation_id,
                "groupId": m.group_id,
                "message": render::message(m),
                "sender": render::sender(&m.author),
            }),
        ),
        Style::ClawSession => (
            "claw.session.events",
            batch(&render::target_id(m), m.seq, &[m]),
        ),
        Style::ClawPanel => (
            "claw.panel.events",
            batch(&render::target_id(m), m.seq, &[m]),
        ),
        Style::TailchatPanel => (
            "notify:chat.message.add",
            json!({
                "_id": m.id,
                "messageId": m.id,
                "author": m.author.id,
                "authorInfo": render::author_info(&m.author),
                "content": m.content,
                "meta": { "mentions": m.mention_ids },
                "createdAt": iso(m.created_at),
                "groupId": m.group_id,
                "converseId": m.conversation_id,
                "panelId": m.conversation_id,
            }),
        ),
        Style::TailchatInbox => (
            "notify:chat.inbox.append",
            json!({
                "_id": m.id,
                "type": "message",
                "payload": {
                    "converseId": m.conversation_id,
                    "messageId": m.id,
                    "messageAuthor": m.author.id,
                    "messagePlainContent": m.content,
                    "messageSnippet": m.content.chars().take(100).collect::<String>(),
                },
                "createdAt": iso(m.created_at),
            }),
        ),
    }
}

/// A `claw.*.events` payload: `{sessionId, cursor, events}`.
pub fn batch(target: &str, cursor: i64, messages: &[&Message]) -> Value {
    let events: Vec<_> = messages.iter().map(|m| render::event(m)).collect();
    json!({ "sessionId": target, "cursor": cursor, "events": events })
}

/// Encodes one event for one parser.
pub fn encode(parser: ParserKind, event: &str, data: Value) -> Arc<Encoded> {
    encode_event(parser, NAMESPACE, event, &Payload::new(vec![data]))
}

type Key = (String, Style, ParserKind);

/// Encoded pushes by key, and the keys in insertion order for eviction.
#[derive(Default)]
struct Entries {
    map: HashMap<Key, Arc<Encoded>>,
    order: VecDeque<Key>,
}

/// Recently encoded pushes, bounded.
pub struct RenderCache {
    inner: Mutex<Entries>,
    capacity: usize,
}

impl RenderCache {
    /// A cache of at most `capacity` encoded pushes.
    pub fn new(capacity: usize) -> Self {
        RenderCache {
            inner: Mutex::new(Entries::default()),
            capacity: capacity.max(1),
        }
    }

    /// The encoded push of a message in a style for a parser, rendered on first use.
    pub fn get(&self, m: &Message, style: Style, parser: ParserKind) -> Arc<Encoded> {
        let key = (m.id.clone(), style, parser);
        if let Some(hit) = self.lock().map.get(&key) {
            return hit.clone();
        }
        let (event, data) = push(style, m);
        let encoded = encode(parser, event, data);
        let mut e = self.lock();
        if e.map.insert(key.clone(), encoded.clone()).is_none() {
            e.order.push_back(key);
            while e.order.len() > self.capacity {
                if let Some(old) = e.order.pop_front() {
                    e.map.remove(&old);
                }
            }
        }
        encoded
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
