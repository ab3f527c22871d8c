//! The live MoltCities sockets of the process, shared by every worker: at most one per
//! (agent, channel), with displacement; the town-square roster behind `online_count` and the
//! presence frames; the counts of `/api/ws/status`; and closing everything on shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::frames::{self, PresenceEvent};
use super::link::{code, Link};
use super::town_square::ChatRenders;

/// Which channel a socket is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The agent's own notifications.
    Personal,
    /// The shared chat room.
    TownSquare,
}

impl Channel {
    /// The channel's name on the wire (`?channel=`).
    pub fn name(self) -> &'static str {
        match self {
            Channel::Personal => "personal",
            Channel::TownSquare => "town-square",
        }
    }
}

#[derive(Clone)]
struct Entry {
    id: u64,
    handle: String,
    link: Arc<Link>,
}

#[derive(Default)]
struct Inner {
    personal: HashMap<String, Entry>,
    square: HashMap<String, Entry>,
}

impl Inner {
    fn map(&mut self, channel: Channel) -> &mut HashMap<String, Entry> {
        match channel {
            Channel::Personal => &mut self.personal,
            Channel::TownSquare => &mut self.square,
        }
    }
}

/// Socket counts by channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Open town-square sockets.
    pub town_square: usize,
    /// Open personal sockets.
    pub personal: usize,
}

/// The registry of live sockets.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    shutting_down: AtomicBool,
    /// Town-square chat frames, rendered once for every socket.
    pub chat_renders: ChatRenders,
    /// Above this many town-square members, joins and leaves are no longer announced one by
    /// one (0 = always): each announcement goes to every member, so a square filling up
    /// would cost the square's size squared in frames.
    presence_max: usize,
}

/// A socket as the registry knows it.
pub struct Member {
    /// Unique within the process; tells a socket from its successor of the same agent.
    pub id: u64,
    /// The agent's id.
    pub agent_id: String,
    /// The agent's handle (slug, else display name), for presence frames.
    pub handle: String,
    /// The socket's outbound side.
    pub link: Arc<Link>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the maps consistent before anything can panic, so a poisoned
        // lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An empty registry that announces presence up to `presence_max` members (0 = always).
    pub fn new(presence_max: usize) -> Registry {
        Registry {
            presence_max,
            ..Registry::default()
        }
    }

    /// Whether a square of `members` (on every node) announces joins and leaves.
    pub fn announces_presence(&self, members: usize) -> bool {
        self.presence_max == 0 || members <= self.presence_max
    }

    /// A fresh socket id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a socket and queues its `connected` frame (rendered by `connected`, given the
    /// town-square count including it and the `elsewhere` members on other nodes) before
    /// anything else can reach it. A socket of the same agent on the same channel is closed
    /// with 4003; a displacement changes nobody's presence, so only a genuinely new
    /// town-square member is announced to the others. Returns whether it is one.
    pub fn attach<T: Serialize>(
        &self,
        channel: Channel,
        m: &Member,
        elsewhere: usize,
        connected: impl FnOnce(usize) -> T,
    ) -> bool {
        let mut inner = self.lock();
        if self.shutting_down.load(Ordering::Acquire) {
            m.link.close(code::GOING_AWAY, "Server shutting down", None);
            return false;
        }
        let entry = Entry {
            id: m.id,
            handle: m.handle.clone(),
            link: m.link.clone(),
        };
        let old = inner.map(channel).insert(m.agent_id.clone(), entry);
        let count = inner.map(channel).len() + elsewhere;
        m.link.send(&connected(count));
        match old {
            Some(old) => {
                old.link
                    .close(code::DISPLACED, "New connection opened", None);
                false
            }
            None if channel == Channel::TownSquare => {
                if !self.announces_presence(count) {
                    return true;
                }
                if let Some(text) = frames::render(&frames::presence(
                    PresenceEvent::Joined,
                    &m.agent_id,
                    &m.handle,
                    count,
                )) {
                    for (agent, e) in inner.square.iter() {
                        if *agent != m.agent_id {
                            e.link.send_text(text.clone());
                        }
                    }
                }
                true
            }
            None => true,
        }
    }

    /// Unregisters a socket unless a newer one of its agent replaced it (the displaced socket's
    /// cleanup must never remove its successor). On the town square, tells the remaining
    /// members when `presence` says so, counting the `elsewhere` members on other nodes.
    /// Returns whether the socket was removed.
    pub fn detach(
        &self,
        channel: Channel,
        agent_id: &str,
        id: u64,
        presence: Option<PresenceEvent>,
        elsewhere: usize,
    ) -> bool {
        let mut inner = self.lock();
        let map = inner.map(channel);
        let removed = match map.get(agent_id) {
            Some(e) if e.id == id => map.remove(agent_id),
            _ => None,
        };
        let gone = removed.is_some();
        let (Some(e), Some(event), Channel::TownSquare) = (removed, presence, channel) else {
            return gone;
        };
        let count = inner.square.len() + elsewhere;
        if !self.announces_presence(count) {
            return gone;
        }
        if let Some(text) = frames::render(&frames::presence(event, agent_id, &e.handle, count)) {
            for other in inner.square.values() {
                other.link.send_text(text.clone());
            }
        }
        gone
    }

    /// Open sockets by channel.
    pub fn counts(&self) -> Counts {
        let inner = self.lock();
        Counts {
            town_square: inner.square.len(),
            personal: inner.personal.len(),
        }
    }

    /// Closes every socket with 1001 and refuses new ones.
    pub fn shut_down(&self) {
        let inner = self.lock();
        self.shutting_down.store(true, Ordering::Release);
        for e in inner.personal.values().chain(inner.square.values()) {
            e.link.close(code::GOING_AWAY, "Server shutting down", None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::moltcities::ws::link::{Next, Out};
    use serde_json::{json, Value};

    fn member(reg: &Registry, agent: &str) -> (Member, Arc<Link>) {
        let link = Arc::new(Link::new(16));
        (
            Member {
                id: reg.next_id(),
                agent_id: agent.into(),
                handle: format!("{agent}-h"),
                link: link.clone(),
            },
            link,
        )
    }

    fn texts(link: &mut Arc<Link>) -> Vec<Value> {
        let mut v = Vec::new();
        while let Some(Next::Frame(Out::Text(t))) = link.try_next() {
            v.push(serde_json::from_str(&t).unwrap());
        }
        v
    }

    #[test]
    fn square_presence_counts_and_displacement() {
        let reg = Registry::default();
        let (a, mut ea) = member(&reg, "a");
        reg.attach(Channel::TownSquare, &a, 0, |n| json!({"connected": n}));
        let (b, mut eb) = member(&reg, "b");
        reg.attach(Channel::TownSquare, &b, 0, |n| json!({"connected": n}));
        assert_eq!(texts(&mut eb), vec![json!({"connected": 2})]);
        let got = texts(&mut ea);
        assert_eq!(got[0], json!({"connected": 1}));
        assert_eq!(got[1]["event"], "joined");
        assert_eq!(got[1]["agent"], json!({"id": "b", "handle": "b-h"}));
        assert_eq!(got[1]["online_count"], 2);

        // b reconnects: the old b is displaced, nobody hears about it.
        let (b2, mut eb2) = member(&reg, "b");
        reg.attach(Channel::TownSquare, &b2, 0, |n| json!({"connected": n}));
        assert_eq!(texts(&mut eb2), vec![json!({"connected": 2})]);
        assert_eq!(b.link.closing().map(|c| c.code), Some(code::DISPLACED));
        assert!(texts(&mut ea).is_empty());
        // The displaced socket's cleanup leaves its successor alone.
        reg.detach(Channel::TownSquare, "b", b.id, Some(PresenceEvent::Left), 0);
        assert_eq!(reg.counts().town_square, 2);
        assert!(texts(&mut ea).is_empty());

        reg.detach(
            Channel::TownSquare,
            "b",
            b2.id,
            Some(PresenceEvent::Timeout),
            0,
        );
        let got = texts(&mut ea);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["event"], "timeout");
        assert_eq!(got[0]["online_count"], 1);
        assert_eq!(
            reg.counts(),
            Counts {
                town_square: 1,
                personal: 0
            }
        );
    }

    #[test]
    fn shutdown_closes_all_and_refuses_new_sockets() {
        let reg = Registry::default();
        let (a, _ea) = member(&reg, "a");
        reg.attach(Channel::Personal, &a, 0, |_| json!({}));
        reg.shut_down();
        assert_eq!(a.link.closing().map(|c| c.code), Some(code::GOING_AWAY));
        let (b, _eb) = member(&reg, "b");
        reg.attach(Channel::Personal, &b, 0, |_| json!({}));
        assert_eq!(b.link.closing().map(|c| c.code), Some(code::GOING_AWAY));
    }
}
