//! How many Socket.IO sockets each agent has open, and the cap on them: one token must not be
//! able to open sockets without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

/// Open sockets per agent (user id), shared by every connection.
#[derive(Default)]
pub struct AgentSockets {
    map: Mutex<HashMap<String, usize>>,
}

/// The CONNECT_ERROR data of a socket over the cap.
#[derive(Debug, Serialize)]
pub struct CapError {
    /// Names the limit, as every agentgate limit error does.
    pub message: String,
    /// The cap.
    pub limit: usize,
}

impl AgentSockets {
    fn map(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one more socket of `user_id`; refused when it already has `limit` (0 = no cap).
    pub fn open(self: &Arc<Self>, user_id: &str, limit: usize) -> Result<AgentSlot, CapError> {
        let mut map = self.map();
        let n = map.entry(user_id.to_string()).or_insert(0);
        if limit > 0 && *n >= limit {
            return Err(CapError {
                message: format!(
                    "Too many sockets for this agent: at most {limit} at once (sio_sockets_per_agent)"
                ),
                limit,
            });
        }
        *n += 1;
        Ok(AgentSlot {
            sockets: Arc::clone(self),
            user_id: user_id.to_string(),
        })
    }

    /// Sockets `user_id` has open now.
    #[cfg(test)]
    pub fn count(&self, user_id: &str) -> usize {
        self.map().get(user_id).copied().unwrap_or(0)
    }
}

/// One open socket of an agent; dropping it uncounts it.
pub struct AgentSlot {
    sockets: Arc<AgentSockets>,
    user_id: String,
}

impl Drop for AgentSlot {
    fn drop(&mut self) {
        let mut map = self.sockets.map();
        if let Some(n) = map.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_agent_and_frees_on_drop() {
        let s = Arc::new(AgentSockets::default());
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
        assert!(s.map().is_empty());
        // 0 means no cap.
        let many: Vec<_> = (0..100).map(|_| s.open("u3", 0).unwrap()).collect();
        assert_eq!(s.count("u3"), 100);
        drop(many);
    }
}
