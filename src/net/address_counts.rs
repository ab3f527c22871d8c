//! Connections counted per client address, each held by a slot that uncounts it when dropped.
//! The per-address connection cap and Socket.IO's count of connections not yet admitted share it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open slots per address, shared by every worker.
#[derive(Debug, Default)]
pub struct AddressCounts {
    map: Mutex<HashMap<IpAddr, usize>>,
}

impl AddressCounts {
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Every update leaves the map consistent, so a poisoned lock is still usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One more slot for `ip`, or `None` when it holds `limit` already.
    pub fn reserve(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<AddressSlot> {
        let mut map = self.lock();
        let n = map.entry(ip).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            counts: Arc::clone(self),
            ip,
        })
    }

    /// One more slot for `ip` whatever it holds already.
    pub fn hold(self: &Arc<Self>, ip: IpAddr) -> AddressSlot {
        *self.lock().entry(ip).or_insert(0) += 1;
        AddressSlot {
            counts: Arc::clone(self),
            ip,
        }
    }

    /// The slots `ip` holds now.
    pub fn count(&self, ip: IpAddr) -> usize {
        self.lock().get(&ip).copied().unwrap_or(0)
    }

    /// Addresses holding a slot now.
    pub fn addresses(&self) -> usize {
        self.lock().len()
    }
}

/// One counted connection; dropping it frees its place.
#[derive(Debug)]
pub struct AddressSlot {
    counts: Arc<AddressCounts>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock();
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // No entry stays behind for an address that holds nothing.
                map.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_address_and_free_their_place() {
        let counts = Arc::new(AddressCounts::default());
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let s1 = counts.reserve(a, 2).unwrap();
        let _s2 = counts.reserve(a, 2).unwrap();
        assert!(counts.reserve(a, 2).is_none());
        let _s3 = counts.reserve(b, 2).unwrap();
        let held = counts.hold(a);
        assert_eq!((counts.count(a), counts.count(b)), (3, 1));
        drop(s1);
        drop(held);
        assert_eq!(counts.count(a), 1);
        assert!(counts.reserve(a, 2).is_some());
        drop(_s2);
        drop(_s3);
        assert_eq!(counts.addresses(), 0);
    }
}
