//! Rendering live pushes: each (message, style, parser) is encoded once and the bytes are shared
//! by every socket that receives it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::payloads::{to_value, Push};
use super::subscriptions::Style;
use crate::core::ids::MessageId;
use crate::core::model::Message;
use crate::socketio::{encode_event, Encoded, ParserKind, Payload};

/// The namespace MoChat clients use.
pub const NAMESPACE: &str = "/";

/// The event name and payload of a push.
pub fn push(style: Style, m: &Message) -> (&'static str, Push<'_>) {
    match style {
        Style::SeedSession => ("notify:session", Push::session(m)),
        Style::SeedPanel => ("notify:panel", Push::panel(m)),
        Style::ClawSession => ("claw.session.events", Push::events(m)),
        Style::ClawPanel => ("claw.panel.events", Push::events(m)),
        Style::TailchatPanel => ("notify:chat.message.add", Push::tailchat_message(m)),
        Style::TailchatInbox => ("notify:chat.inbox.append", Push::tailchat_inbox(m)),
    }
}

/// Encodes one event for one parser.
pub fn encode(parser: ParserKind, event: &str, data: &impl Serialize) -> Arc<Encoded> {
    encode_event(
        parser,
        NAMESPACE,
        event,
        &Payload::new(vec![to_value(data)]),
    )
}

type Key = (MessageId, Style, ParserKind);

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
        let encoded = encode(parser, event, &data);
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
