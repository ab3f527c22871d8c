//! How many Socket.IO sockets each agent has open, and the cap on them: one token must not be
//! able to open sockets without bound.

use std::sync::Arc;

use serde::Serialize;

use crate::net::{Counts, Slot};

/// Open sockets per agent (user id), shared by every connection.
#[derive(Default)]
pub struct AgentSockets {
    open: Arc<Counts<String>>,
}

/// One open socket of an agent; dropping it uncounts it.
pub type AgentSlot = Slot<String>;

/// The CONNECT_ERROR data of a socket over the cap.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CapError {
    /// Names the limit, as every agentgate limit error does.
    pub message: String,
    /// The cap.
    pub limit: usize,
}

impl AgentSockets {
    /// Counts one more socket of `user_id`; refused when it already has `limit` (0 = no cap).
    pub fn open(&self, user_id: &str, limit: usize) -> Result<AgentSlot, CapError> {
        let cap = if limit == 0 { usize::MAX } else { limit };
        self.open
            .reserve(user_id.to_string(), cap)
            .ok_or_else(|| CapError {
                message: format!(
                    "Too many sockets for this agent: at most {limit} at once (sio_sockets_per_agent)"
                ),
                limit,
            })
    }

    /// Sockets `user_id` has open now.
    #[cfg(test)]
    pub fn count(&self, user_id: &str) -> usize {
        self.open.count(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_agent_and_frees_on_drop() {
        let s = AgentSockets::default();
        let a = s.open("u1", 2).unwrap();
        let b = s.open("u1", 2).unwrap();
        let e = s.open("u1", 2).err().unwrap();
        assert_eq!(e.limit, 2);
        assert!(e.message.contains("at most 2"), "{}", e.message);
        let other = s.open("u2", 2).unwrap();
        assert_eq!((s.count("u1"), s.count("u2")), (2, 1));
        drop(a);
        let c = s.open("u1", 2).unwrap();
        drop((b, c, other));
        assert_eq!(s.open.keys(), 0);
        // 0 means no cap.
        let many: Vec<_> = (0..100).map(|_| s.open("u3", 0).unwrap()).collect();
        assert_eq!(s.count("u3"), 100);
        drop(many);
    }
}
