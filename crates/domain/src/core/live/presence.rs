//! Who is where across the cluster: this node's roster and rooms as the others learn them,
//! and the failures each node counts against the throttles of all.

use super::{FailureSink, Live, Payload};

impl Live {
    /// This node's roster: its online users and its rooms' members.
    pub(super) fn roster(&self) -> Payload {
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

    /// Sets where other nodes' failures are counted.
    pub(crate) fn count_failures_with(&self, sink: FailureSink) {
        let _ = self.failures.set(sink);
    }

    /// Tells the other nodes of a failure this node counted in its window of that name.
    pub(crate) fn announce_failure(&self, window: &str, key: &str) {
        self.send(Payload::Failure {
            window: window.to_string(),
            key: key.to_string(),
        });
    }
}
