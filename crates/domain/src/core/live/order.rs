//! Each conversation's messages reach the hub in seq order on every node: one that arrives
//! early waits, duplicates are dropped, and what is missing is read from the database.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use super::Live;
use crate::core::events::Audience;
use crate::core::ids::{ConversationId, GroupId};
use crate::core::model::ConversationKind;
use crate::core::{Error, Event, Result};
use crate::store::queries::{conversations, messages};

/// How long an early message waits for the ones before it before they are read from the
/// database. Concurrent commits on one node publish microseconds apart; the bus, within a
/// millisecond or two.
const GRACE: Duration = Duration::from_millis(50);

/// Most messages one fill reads at a time.
const FILL_BATCH: i64 = 256;

/// A fill that cannot read the database tries again after this, at most `FILL_ATTEMPTS` times;
/// then the waiting messages go out without the missing ones (clients fetch history by seq).
const FILL_RETRY: Duration = Duration::from_secs(1);
const FILL_ATTEMPTS: u32 = 30;

/// Conversations tracked per shard before the shard forgets the quiet ones.
const SHARD_CAPACITY: usize = 50_000;
pub(super) const SHARDS: usize = 16;

/// Where one conversation's live messages stand on this node.
pub(super) struct Track {
    /// The last seq handed to the hub.
    delivered: i64,
    /// Messages that arrived early, by seq.
    pending: BTreeMap<i64, Event>,
    /// What a message read back from the database needs besides its row: its conversation's
    /// kind and group, and who may receive it (from the newest message seen).
    kind: ConversationKind,
    group: Option<GroupId>,
    audience: Audience,
    /// A fill is under way.
    filling: bool,
}

impl Live {
    /// Hands an event to the hub; messages in their conversation's seq order when ordering is
    /// on.
    pub(super) fn deliver(self: &Arc<Self>, event: Event) {
        let Event::MessagePosted { message, audience } = &event else {
            self.hub.publish(&event.topics(), Arc::new(event));
            return;
        };
        if !self.ordered {
            self.hub.publish(&event.topics(), Arc::new(event));
            return;
        }
        let (conv, seq) = (message.conversation_id.clone(), message.seq);
        let mut shard = self.shard(&conv);
        if shard.len() >= SHARD_CAPACITY && !shard.contains_key(&conv) {
            shard.retain(|_, t| t.filling || !t.pending.is_empty());
        }
        let track = shard.entry(conv.clone()).or_insert_with(|| Track {
            // The first message seen of a conversation starts its order here.
            delivered: seq - 1,
            pending: BTreeMap::new(),
            kind: message.conversation_kind,
            group: message.group_id.clone(),
            audience: audience.clone(),
            filling: false,
        });
        if seq <= track.delivered || track.pending.contains_key(&seq) {
            self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        track.audience = audience.clone();
        track.pending.insert(seq, event);
        self.flush(track);
        if !track.pending.is_empty() && !track.filling {
            self.stats.early.fetch_add(1, Ordering::Relaxed);
            track.filling = true;
            self.fill_later(conv, GRACE);
        }
    }

    /// Delivers the pending messages that follow the last delivered one.
    fn flush(&self, track: &mut Track) {
        while let Some(entry) = track.pending.first_entry() {
            if *entry.key() != track.delivered + 1 {
                break;
            }
            let event = entry.remove();
            track.delivered += 1;
            self.hub.publish(&event.topics(), Arc::new(event));
        }
    }

    fn shard(&self, conv: &ConversationId) -> MutexGuard<'_, HashMap<ConversationId, Track>> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        conv.hash(&mut h);
        let shard = &self.shards[(h.finish() as usize) % SHARDS];
        // Every update leaves a track consistent before anything can panic.
        shard.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fill_later(self: &Arc<Self>, conv: ConversationId, wait: Duration) {
        let Some(runtime) = &self.runtime else {
            return;
        };
        let live = self.clone();
        runtime.spawn(async move {
            tokio::time::sleep(wait).await;
            live.fill(conv).await;
        });
    }

    /// Reads what is missing before a conversation's pending messages (or after the last one
    /// delivered, after the bus lost its subscription) from the database and delivers it.
    async fn fill(self: &Arc<Self>, conv: ConversationId) {
        for attempt in 1..=FILL_ATTEMPTS {
            let Some((after, kind, group, audience, done)) = self.fill_point(&conv) else {
                return;
            };
            if done {
                return;
            }
            match self.read_after(&conv, after, kind, group, audience).await {
                Ok(events) => {
                    let mut shard = self.shard(&conv);
                    let Some(track) = shard.get_mut(&conv) else {
                        return;
                    };
                    let full = events.len() as i64 == FILL_BATCH;
                    for event in events {
                        let Event::MessagePosted { message, .. } = &event else {
                            continue;
                        };
                        if message.seq > track.delivered {
                            self.stats.filled.fetch_add(1, Ordering::Relaxed);
                            track.pending.entry(message.seq).or_insert(event);
                        }
                    }
                    self.flush(track);
                    if !full {
                        // The database had nothing more: whatever still waits is past a hole
                        // that is not there (a seq never committed); deliver it.
                        if let Some(next) = track.pending.keys().next().copied() {
                            track.delivered = next - 1;
                            self.flush(track);
                        }
                        track.filling = false;
                        return;
                    }
                }
                Err(e) => {
                    log::warn!("live: cannot fill conversation {conv} (attempt {attempt}): {e}");
                    tokio::time::sleep(FILL_RETRY).await;
                }
            }
        }
        // The database stayed unreachable: deliver what waits rather than hold it forever.
        let mut shard = self.shard(&conv);
        if let Some(track) = shard.get_mut(&conv) {
            if let Some(last) = track.pending.keys().next_back().copied() {
                let pending = std::mem::take(&mut track.pending);
                for (_, event) in pending {
                    self.hub.publish(&event.topics(), Arc::new(event));
                }
                track.delivered = last;
            }
            track.filling = false;
        }
    }

    /// Where a fill starts, with what messages read back need; `done` when nothing waits.
    #[allow(clippy::type_complexity)]
    fn fill_point(
        &self,
        conv: &ConversationId,
    ) -> Option<(i64, ConversationKind, Option<GroupId>, Audience, bool)> {
        let mut shard = self.shard(conv);
        let track = shard.get_mut(conv)?;
        let done = track.pending.is_empty() && !track.filling;
        Some((
            track.delivered,
            track.kind,
            track.group.clone(),
            track.audience.clone(),
            done,
        ))
    }

    /// The messages of a conversation after `after`, as events.
    async fn read_after(
        &self,
        conv: &ConversationId,
        after: i64,
        kind: ConversationKind,
        group: Option<GroupId>,
        audience: Audience,
    ) -> Result<Vec<Event>> {
        let id = conv.to_string();
        self.store
            .read(move |conn| {
                let rows = messages::after_seq(conn, &id, after, FILL_BATCH)?;
                let found = crate::core::messages::load_parts(conn, kind, group, rows)?;
                Ok(found
                    .into_iter()
                    .map(|m| Event::MessagePosted {
                        message: Arc::new(m),
                        audience: audience.clone(),
                    })
                    .collect())
            })
            .await
    }

    /// After the bus lost its subscription: every tracked conversation that moved on in the
    /// database meanwhile is filled.
    pub(super) async fn catch_up(self: &Arc<Self>) {
        let mut tracked: Vec<(ConversationId, i64)> = Vec::new();
        for shard in &self.shards {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            tracked.extend(shard.iter().map(|(c, t)| (c.clone(), t.delivered)));
        }
        for chunk in tracked.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|(c, _)| c.to_string()).collect();
            let latest = self
                .store
                .read(move |conn| conversations::last_seqs(conn, &ids).map_err(Error::from))
                .await;
            let latest = match latest {
                Ok(l) => l,
                Err(e) => {
                    log::warn!("live: cannot catch up after the bus came back: {e}");
                    return;
                }
            };
            for (conv, delivered) in chunk {
                let moved = latest
                    .iter()
                    .any(|(id, seq)| id == conv.as_str() && seq > delivered);
                if !moved {
                    continue;
                }
                let start = {
                    let mut shard = self.shard(conv);
                    match shard.get_mut(conv) {
                        Some(t) if !t.filling => {
                            t.filling = true;
                            true
                        }
                        _ => false,
                    }
                };
                if start {
                    self.fill_later(conv.clone(), Duration::ZERO);
                }
            }
        }
    }
}
