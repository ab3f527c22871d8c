//! Failures counted per key (a client address) in a fixed window: once a key reaches the limit
//! it is refused until its window ends, whatever it sends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Every this many failures, keys whose window has ended are dropped: the scan is spread over
/// the failures and takes one shard's lock at a time, where a full map once made every failure
/// scan it all under one lock.
const PRUNE_EVERY: u64 = 10_000;

/// Counts failures per key; `max` of 0 turns it off.
pub struct FailureWindow {
    max: u32,
    window: Duration,
    keys: DashMap<String, (u32, Instant)>,
    failures: AtomicU64,
}

impl FailureWindow {
    /// A counter allowing `max` failures per `window` per key.
    pub fn new(max: u32, window: Duration) -> Self {
        FailureWindow {
            max,
            window,
            keys: DashMap::new(),
            failures: AtomicU64::new(0),
        }
    }

    fn enabled(&self) -> bool {
        self.max > 0 && !self.window.is_zero()
    }

    /// Whole seconds until `key` may try again, if it is blocked now.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let entry = self.keys.get(key)?;
        let (count, start) = *entry;
        let left = self.window.checked_sub(start.elapsed())?;
        (count >= self.max).then(|| left.as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Records one failure of `key`; true when this one reached the limit (the key is now
    /// blocked), so the caller can log the block once.
    pub fn fail(&self, key: &str) -> bool {
        if !self.enabled() {
            return false;
        }
        let now = Instant::now();
        if self.failures.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.keys
                .retain(|_, (_, start)| now.duration_since(*start) < self.window);
        }
        let mut entry = self.keys.entry(key.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
        entry.0 == self.max
    }

    /// The limit and window, for messages.
    pub fn limit(&self) -> (u32, Duration) {
        (self.max, self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_keys_stay_exact_and_ended_windows_are_dropped() {
        let w = FailureWindow::new(2, Duration::from_millis(300));
        w.fail("a");
        w.fail("a");
        for i in 0..PRUNE_EVERY {
            w.fail(&format!("k{i}"));
        }
        assert!(
            w.blocked("a").is_some(),
            "a pass keeps windows still running"
        );
        std::thread::sleep(Duration::from_millis(350));
        for i in 0..PRUNE_EVERY {
            w.fail(&format!("j{i}"));
        }
        assert!(w.blocked("a").is_none());
        assert!(!w.keys.contains_key("a"), "ended windows are dropped");
        assert!(!w.keys.contains_key("k0"));
    }

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let f = FailureWindow::new(3, Duration::from_millis(300));
        for _ in 0..2 {
            assert!(!f.fail("a"));
        }
        assert_eq!(f.blocked("a"), None);
        assert!(f.fail("a"), "the failure that blocks is reported");
        assert!(!f.fail("a"), "only once");
        assert_eq!(f.blocked("a"), Some(1));
        assert_eq!(f.blocked("b"), None, "keys are independent");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(f.blocked("a"), None);
        f.fail("a");
        assert_eq!(f.blocked("a"), None, "a new window starts from zero");
    }

    #[test]
    fn zero_is_off() {
        let f = FailureWindow::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            assert!(!f.fail("a"));
        }
        assert_eq!(f.blocked("a"), None);
    }
}
