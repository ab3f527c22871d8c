//! The other nodes' online users, as the bus reports them. A node that stops reporting (it
//! died, or lost Redis) is forgotten after `expire` and its users read as offline.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Node {
    users: HashSet<String>,
    /// Who is in each room (the town square) on the node.
    rooms: HashMap<String, HashSet<String>>,
    heard: Instant,
}

#[derive(Default)]
struct Inner {
    nodes: HashMap<String, Node>,
    /// When each user went offline on another node (milliseconds since the epoch).
    left_at: HashMap<String, i64>,
}

/// The online users of every other node.
#[derive(Default)]
pub struct RemotePresence {
    inner: Mutex<Inner>,
}

impl RemotePresence {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the maps consistent before anything can panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A node was heard from.
    pub fn heard(&self, node: &str) {
        let mut inner = self.lock();
        let entry = inner.nodes.entry(node.to_string()).or_insert_with(|| Node {
            users: HashSet::new(),
            rooms: HashMap::new(),
            heard: Instant::now(),
        });
        entry.heard = Instant::now();
    }

    /// A user came online or went offline on a node.
    pub fn changed(&self, node: &str, user: &str, online: bool) {
        self.heard(node);
        let mut inner = self.lock();
        if let Some(n) = inner.nodes.get_mut(node) {
            if online {
                n.users.insert(user.to_string());
            } else {
                n.users.remove(user);
            }
        }
        if !online {
            inner.left_at.insert(user.to_string(), super::now_ms());
        }
    }

    /// A user entered or left a room on a node.
    pub fn room_changed(&self, node: &str, room: &str, user: &str, present: bool) {
        self.heard(node);
        if let Some(n) = self.lock().nodes.get_mut(node) {
            let members = n.rooms.entry(room.to_string()).or_default();
            if present {
                members.insert(user.to_string());
            } else {
                members.remove(user);
            }
        }
    }

    /// A node's complete lists of online users and of each room's members.
    pub fn roster(&self, node: &str, users: Vec<String>, rooms: Vec<(String, Vec<String>)>) {
        self.heard(node);
        if let Some(n) = self.lock().nodes.get_mut(node) {
            n.users = users.into_iter().collect();
            n.rooms = rooms
                .into_iter()
                .map(|(room, members)| (room, members.into_iter().collect()))
                .collect();
        }
    }

    /// Members of a room on the other nodes.
    pub fn room_count(&self, room: &str) -> usize {
        self.lock()
            .nodes
            .values()
            .filter_map(|n| n.rooms.get(room))
            .map(HashSet::len)
            .sum()
    }

    /// Forgets the nodes not heard from within `expire`; returns how many.
    pub fn expire(&self, expire: Duration) -> usize {
        let mut inner = self.lock();
        let now = super::now_ms();
        let gone: Vec<String> = inner
            .nodes
            .iter()
            .filter(|(_, n)| n.heard.elapsed() > expire)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            if let Some(n) = inner.nodes.remove(id) {
                for u in n.users {
                    inner.left_at.insert(u, now);
                }
            }
        }
        gone.len()
    }

    /// Whether a user is online on another node.
    pub fn is_online(&self, user: &str) -> bool {
        self.lock().nodes.values().any(|n| n.users.contains(user))
    }

    /// When a user last went offline on another node.
    pub fn left_at(&self, user: &str) -> Option<i64> {
        self.lock().left_at.get(user).copied()
    }

    /// Distinct users online on other nodes, leaving out those `skip` says are counted already.
    pub fn count_except(&self, skip: impl Fn(&str) -> bool) -> usize {
        let inner = self.lock();
        let mut seen: HashSet<&str> = HashSet::new();
        for n in inner.nodes.values() {
            seen.extend(n.users.iter().map(String::as_str).filter(|u| !skip(u)));
        }
        seen.len()
    }

    /// Other nodes heard from.
    pub fn nodes(&self) -> usize {
        self.lock().nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_node_takes_its_users_offline() {
        let p = RemotePresence::default();
        p.changed("n1", "alice", true);
        p.roster(
            "n2",
            vec!["bob".into(), "alice".into()],
            vec![("square".into(), vec!["bob".into()])],
        );
        p.room_changed("n1", "square", "alice", true);
        assert_eq!(p.room_count("square"), 2);
        assert!(p.is_online("alice") && p.is_online("bob"));
        assert_eq!(p.count_except(|u| u == "bob"), 1);
        p.changed("n1", "alice", false);
        assert!(p.is_online("alice"), "still online on n2");
        std::thread::sleep(Duration::from_millis(30));
        p.heard("n1");
        assert_eq!(p.expire(Duration::from_millis(20)), 1, "n2 went silent");
        assert!(!p.is_online("alice") && !p.is_online("bob"));
        assert_eq!(p.room_count("square"), 1, "n1's alice is still there");
        assert!(p.left_at("bob").is_some());
        assert_eq!(p.nodes(), 1);
    }
}
