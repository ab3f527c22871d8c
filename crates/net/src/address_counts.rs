//! Connections counted per key, each held by a slot that uncounts it when dropped. Keyed by
//! client address, it serves the per-address connection cap and Socket.IO's count of
//! connections not yet admitted; keyed by agent, the MoChat cap on sockets per agent.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open slots per key, shared by every worker.
#[derive(Debug)]
pub struct Counts<K> {
    map: Mutex<HashMap<K, usize>>,
}

/// Open connections per client address.
pub type AddressCounts = Counts<IpAddr>;
/// One connection counted for its client address.
pub type AddressSlot = Slot<IpAddr>;

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone> Counts<K> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, usize>> {
        // Every update leaves the map consistent, so a poisoned lock is still usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One more slot for `key`, or `None` when it holds `limit` already.
    pub fn reserve(self: &Arc<Self>, key: K, limit: usize) -> Option<Slot<K>> {
        let mut map = self.lock();
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot {
            counts: Arc::clone(self),
            key,
        })
    }

    /// One more slot for `key` whatever it holds already.
    pub fn hold(self: &Arc<Self>, key: K) -> Slot<K> {
        *self.lock().entry(key.clone()).or_insert(0) += 1;
        Slot {
            counts: Arc::clone(self),
            key,
        }
    }

    /// The slots `key` holds now.
    pub fn count<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
    {
        self.lock().get(key).copied().unwrap_or(0)
    }

    /// Keys holding a slot now.
    pub fn keys(&self) -> usize {
        self.lock().len()
    }
}

/// One counted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    counts: Arc<Counts<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut map = self.counts.lock();
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // No entry stays behind for a key that holds nothing.
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_key_and_free_their_place() {
        let counts = Arc::new(AddressCounts::default());
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let s1 = counts.reserve(a, 2).unwrap();
        let s2 = counts.reserve(a, 2).unwrap();
        assert!(counts.reserve(a, 2).is_none());
        let s3 = counts.reserve(b, 2).unwrap();
        let held = counts.hold(a);
        assert_eq!((counts.count(&a), counts.count(&b)), (3, 1));
        drop(s1);
        drop(held);
        assert_eq!(counts.count(&a), 1);
        assert!(counts.reserve(a, 2).is_some());
        drop((s2, s3));
        assert_eq!(counts.keys(), 0);
    }
}
