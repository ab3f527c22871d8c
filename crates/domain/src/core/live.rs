//! Live delivery of committed events: to this node's listeners through the hub, and, in
//! cluster mode, to the other nodes through the bus. Where messages can arrive out of order (on
//! PostgreSQL, whose writers commit concurrently, and from the bus, which may also lose them)
//! each conversation's messages reach the hub in `seq` order: one that arrives early waits, and
//! the ones before it are read from the database, the truth, when they do not follow soon.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::events::Audience;
use super::ids::{ConversationId, GroupId};
use super::model::{ConversationKind, Message, User};
use super::{Error, Event, Result};
use crate::bus::{Bus, Receiver};
use crate::hub::{Hub, Topic};
use crate::store::queries::{conversations, messages, users};
use crate::store::Store;

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
const SHARDS: usize = 16;

/// How often a node tells the others it is alive; every `ROSTER_EVERY`th time it sends its
/// whole list of online users, so a list that missed a change (the bus is at most once) is
/// right again within that time.
const HEARTBEAT: Duration = Duration::from_secs(2);
const ROSTER_EVERY: u32 = 15;

/// A node not heard from for this long is taken for dead: its users read as offline. With the
/// check every `HEARTBEAT`, a dead node's users go offline within 8 s.
const NODE_EXPIRY: Duration = Duration::from_secs(6);

/// What one node tells the others, with its id.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: String,
    payload: Payload,
}

#[derive(Serialize, Deserialize)]
enum Payload {
    /// A committed event, or a socket's displacement.
    Event(Event),
    /// A user came online (first listener on the node) or went offline (last one gone).
    Presence { user: String, online: bool },
    /// The node is alive.
    Heartbeat,
    /// A user entered or left a room (the town square) on the node.
    Room {
        room: String,
        user: String,
        handle: String,
        present: bool,
    },
    /// The node's online users and its rooms' members, all of them.
    Roster {
        users: Vec<String>,
        rooms: Vec<(String, Vec<String>)>,
    },
    /// A node (new, or back on the bus) asks the others for their rosters.
    Hello,
}

/// Where one conversation's live messages stand on this node.
struct Track {
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

/// The live-delivery counters, for `/metrics`.
#[derive(Default)]
pub struct LiveStats {
    /// Messages that arrived out of order and waited.
    pub early: AtomicU64,
    /// Messages read back from the database to fill a gap.
    pub filled: AtomicU64,
    /// Copies that arrived again and were dropped.
    pub duplicates: AtomicU64,
    /// Events received from other nodes.
    pub remote: AtomicU64,
}

/// Live delivery, shared by the core and the bus's receiver.
pub struct Live {
    node: String,
    hub: Arc<Hub<Event>>,
    store: Store,
    /// Whether messages can arrive out of order (PostgreSQL, or a bus).
    ordered: bool,
    bus: OnceLock<Bus>,
    shards: Vec<Mutex<HashMap<ConversationId, Track>>>,
    /// Who is in each room (the town square) on this node, for rosters.
    rooms: Mutex<HashMap<String, HashSet<String>>>,
    runtime: Option<tokio::runtime::Handle>,
    stats: LiveStats,
}

impl Live {
    /// Live delivery for one node. Fills run on the tokio runtime current at creation.
    pub(crate) fn new(hub: Arc<Hub<Event>>, store: Store, ordered: bool) -> Live {
        Live {
            node: super::ids::object_id(),
            hub,
            store,
            ordered,
            bus: OnceLock::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            rooms: Mutex::new(HashMap::new()),
            runtime: tokio::runtime::Handle::try_current().ok(),
            stats: LiveStats::default(),
        }
    }

    /// This node's id on the bus.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The counters.
    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// The bus, once attached.
    pub fn bus(&self) -> Option<&Bus> {
        self.bus.get()
    }

    /// Joins the cluster: every committed event goes to the other nodes too, and theirs come
    /// here. Messages are ordered from now on.
    pub(crate) async fn attach_bus(self: &Arc<Self>, url: &str) -> std::result::Result<(), String> {
        let receiver: Arc<dyn Receiver> = Arc::new(Relay(Arc::downgrade(self)));
        let bus = Bus::start(url, "agentgate:events", receiver).await?;
        self.bus
            .set(bus)
            .map_err(|_| "the bus is already attached".to_string())?;
        let weak = Arc::downgrade(self);
        self.hub.observe_presence(Box::new(move |user, online| {
            if let Some(live) = weak.upgrade() {
                live.send(Payload::Presence {
                    user: user.to_string(),
                    online,
                });
            }
        }));
        self.send(Payload::Hello);
        self.send(self.roster());
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            let mut beats = 0u32;
            loop {
                tick.tick().await;
                let Some(live) = weak.upgrade() else {
                    return;
                };
                beats += 1;
                if beats.is_multiple_of(ROSTER_EVERY) {
                    live.send(live.roster());
                } else {
                    live.send(Payload::Heartbeat);
                }
                let gone = live.hub.remote.expire(NODE_EXPIRY);
                if gone > 0 {
                    log::warn!(
                        "live: {gone} node(s) silent for {NODE_EXPIRY:?}: their users are offline"
                    );
                }
            }
        });
        Ok(())
    }

    /// Sends a payload to the other nodes (nothing without a bus).
    fn send(&self, payload: Payload) {
        let Some(bus) = self.bus.get() else {
            return;
        };
        let envelope = Envelope {
            node: self.node.clone(),
            payload,
        };
        match serde_json::to_vec(&envelope) {
            Ok(bytes) => bus.publish(bytes),
            Err(err) => log::error!("bus: payload not encoded: {err}"),
        }
    }

    /// This node's roster: its online users and its rooms' members.
    fn roster(&self) -> Payload {
        let rooms = self
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(room, members)| (room.clone(), members.iter().cloned().collect()))
            .collect();
        Payload::Roster {
            users: self.hub.local_users(),
            rooms,
        }
    }

    /// A user entered (`present`) or left a room on this node: the other nodes count them, and
    /// their members of the room are told.
    pub fn room_changed(&self, room: &str, user: &str, handle: &str, present: bool) {
        {
            let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            let members = rooms.entry(room.to_string()).or_default();
            if present {
                members.insert(user.to_string());
            } else {
                members.remove(user);
            }
        }
        self.send(Payload::Room {
            room: room.to_string(),
            user: user.to_string(),
            handle: handle.to_string(),
            present,
        });
    }

    /// Members of a room on the other nodes.
    pub fn room_elsewhere(&self, room: &str) -> usize {
        self.hub.remote.room_count(room)
    }

    /// Tells the other nodes of an event that is not committed (a socket's displacement); this
    /// node's own listeners are not told.
    pub fn announce(&self, event: Event) {
        self.send(Payload::Event(event));
    }

    /// Events a COMMIT made durable: delivered here and published to the other nodes. Runs on
    /// the committing thread, in commit order.
    pub(crate) fn committed(self: &Arc<Self>, events: &[Event]) {
        for e in events {
            if self.bus.get().is_some() {
                self.send(Payload::Event(e.clone()));
            }
            self.deliver(e.clone());
        }
    }

    /// Hands an event to the hub; messages in their conversation's seq order when ordering is
    /// on.
    fn deliver(self: &Arc<Self>, event: Event) {
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
                let mut author_ids: Vec<String> =
                    rows.iter().map(|r| r.author_id.clone()).collect();
                author_ids.sort();
                author_ids.dedup();
                let authors: Vec<User> = users::by_ids(conn, &author_ids)?
                    .into_iter()
                    .map(User::from)
                    .collect();
                rows.into_iter()
                    .map(|r| {
                        let author = authors
                            .iter()
                            .find(|a| a.id == r.author_id)
                            .cloned()
                            .ok_or_else(|| Error::Internal("message author missing".into()))?;
                        Ok(Event::MessagePosted {
                            message: Arc::new(Message::from_parts(r, kind, group.clone(), author)),
                            audience: audience.clone(),
                        })
                    })
                    .collect()
            })
            .await
    }

    /// After the bus lost its subscription: every tracked conversation that moved on in the
    /// database meanwhile is filled.
    async fn catch_up(self: &Arc<Self>) {
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

    /// An envelope from the bus.
    fn received(self: &Arc<Self>, payload: &[u8]) {
        let envelope: Envelope = match serde_json::from_slice(payload) {
            Ok(e) => e,
            Err(e) => {
                log::warn!("bus: unreadable event dropped: {e}");
                return;
            }
        };
        let node = envelope.node;
        if node == self.node {
            return;
        }
        let remote = &self.hub.remote;
        match envelope.payload {
            Payload::Event(event) => {
                remote.heard(&node);
                self.stats.remote.fetch_add(1, Ordering::Relaxed);
                self.deliver(event);
            }
            Payload::Presence { user, online } => remote.changed(&node, &user, online),
            Payload::Heartbeat => remote.heard(&node),
            Payload::Room {
                room,
                user,
                handle,
                present,
            } => {
                remote.room_changed(&node, &room, &user, present);
                self.hub.publish(
                    &[Topic::Conversation(room.clone())],
                    Arc::new(Event::RoomPresence {
                        room,
                        user_id: user,
                        handle,
                        present,
                    }),
                );
            }
            Payload::Roster { users, rooms } => remote.roster(&node, users, rooms),
            Payload::Hello => {
                remote.heard(&node);
                self.send(self.roster());
            }
        }
    }
}

/// The bus's receiver: a weak handle, so the bus's tasks never keep a stopped core alive.
struct Relay(std::sync::Weak<Live>);

impl Receiver for Relay {
    fn received(&self, payload: &[u8]) {
        if let Some(live) = self.0.upgrade() {
            live.received(payload);
        }
    }

    fn resubscribed(&self) {
        if let Some(live) = self.0.upgrade() {
            let Some(runtime) = live.runtime.clone() else {
                return;
            };
            // Whatever changed while the bus was away: ask for everyone's roster again.
            live.send(Payload::Hello);
            live.send(live.roster());
            runtime.spawn(async move { live.catch_up().await });
        }
    }
}
