//! Live delivery of committed events (`order`: seq order and gap fill; `presence`: rosters,
//! rooms and failure counts across nodes): to this node's listeners through the hub, and, in
//! cluster mode, to the other nodes through the bus. Where messages can arrive out of order (on
//! PostgreSQL, whose writers commit concurrently, and from the bus, which may also lose them)
//! each conversation's messages reach the hub in `seq` order: one that arrives early waits, and
//! the ones before it are read from the database, the truth, when they do not follow soon.

mod order;
mod presence;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ids::ConversationId;
use super::Event;
use crate::bus::{Bus, Receiver};
use crate::hub::{Hub, Topic};
use crate::store::Store;
use order::Track;

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
    /// A failure counted against a throttle (`window`: failed authentications per address,
    /// failed logins per account), so that every node's window counts the whole cluster's.
    Failure { window: String, key: String },
}

/// Counts a failure that another node saw in this node's window of that name.
pub type FailureSink = Box<dyn Fn(&str, &str) + Send + Sync>;

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
    /// Whether messages can arrive out of order: on PostgreSQL (which a bus needs).
    ordered: bool,
    bus: OnceLock<Bus>,
    shards: Vec<Mutex<HashMap<ConversationId, Track>>>,
    /// Who is in each room (the town square) on this node, for rosters.
    rooms: Mutex<HashMap<String, HashSet<String>>>,
    /// Where other nodes' failures are counted.
    failures: OnceLock<FailureSink>,
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
            shards: (0..order::SHARDS)
                .map(|_| Mutex::new(HashMap::new()))
                .collect(),
            rooms: Mutex::new(HashMap::new()),
            failures: OnceLock::new(),
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
    /// here.
    pub(crate) async fn attach_bus(self: &Arc<Self>, url: &str) -> std::result::Result<(), String> {
        let receiver: Arc<dyn Receiver> = Arc::new(Relay(Arc::downgrade(self)));
        // This node's own heartbeat comes back to it every HEARTBEAT: three missed ones mean
        // its subscription is dead.
        let bus = Bus::start(url, "agentgate:events", 3 * HEARTBEAT, receiver).await?;
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
            Payload::Failure { window, key } => {
                remote.heard(&node);
                if let Some(count) = self.failures.get() {
                    count(&window, &key);
                }
            }
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
