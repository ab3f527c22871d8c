//! Rate limits: a keyed limiter (agent id, client address) on `governor`, and a lock-free
//! allowance owned by one connection.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Allows `capacity` actions per `window` per key, refilling continuously (GCRA: the same
/// answers as a token bucket of that size). The keys live in `governor`'s sharded map, so keys
/// that differ never wait for each other.
pub struct RateLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
    checks: AtomicU64,
    /// The limit's name, which keeps its keys apart from other limits' in the cluster.
    name: &'static str,
    capacity: u32,
    window: Duration,
}

/// How long a cluster-wide check may take before the node decides on its own (Redis away).
const CLUSTER_WAIT: Duration = Duration::from_millis(100);

/// Every this many checks, keys whose allowance is full again are dropped: a scan spread over
/// the checks, one shard at a time, rather than a pass under one lock.
const PRUNE_EVERY: u64 = 10_000;

impl RateLimiter {
    /// A limiter; a capacity of 0 turns it off.
    pub fn new(name: &'static str, capacity: u32, window: Duration) -> Self {
        let quota = NonZeroU32::new(capacity)
            .and_then(|burst| Quota::with_period(window / capacity).map(|q| q.allow_burst(burst)));
        RateLimiter {
            limiter: quota.map(DefaultKeyedRateLimiter::keyed),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            name,
            capacity,
            window,
        }
    }

    /// Takes one action for `key` against the whole cluster's count when there is a cluster
    /// (so N nodes do not grant N times the limit), or against this node's own. When the
    /// cluster's counters do not answer in time, this node decides alone.
    pub async fn take(&self, key: &str, cluster: Option<&crate::bus::Counters>) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        if let Some(counters) = cluster {
            let shared = format!("{}:{key}", self.name);
            let answer = tokio::time::timeout(
                CLUSTER_WAIT,
                counters.take(&shared, self.capacity, self.window),
            )
            .await;
            match answer {
                Ok(Ok(verdict)) => return verdict,
                Ok(Err(e)) => log::warn!("limit {}: the cluster's counters failed: {e}", self.name),
                Err(_) => log::warn!("limit {}: the cluster's counters did not answer", self.name),
            }
        }
        self.check(key)
    }

    /// Whether the limiter is on.
    pub fn enabled(&self) -> bool {
        self.limiter.is_some()
    }

    /// Takes one action for `key`, or says how many whole seconds until one is allowed.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_capacity_then_refuses_with_a_wait() {
        let l = RateLimiter::new("test", 3, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check("b").is_ok(), "keys are independent");
    }

    #[test]
    fn a_pruning_pass_keeps_keys_that_are_still_limited() {
        let l = RateLimiter::new("test", 1, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        for i in 0..PRUNE_EVERY {
            let _ = l.check(&format!("k{i}"));
        }
        assert!(l.check("a").is_err(), "still limited after the pass");
    }

    #[test]
    fn zero_capacity_is_off() {
        let l = RateLimiter::new("test", 0, Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(l.check("a").is_ok());
        }
    }
}

/// A token bucket owned by one connection (no lock): `rate` per second, bursts up to `burst`.
pub struct Allowance {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Allowance {
    /// A full bucket; a rate of 0 turns it off.
    pub fn new(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(rate).max(1));
        Allowance {
            rate: f64::from(rate),
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token; false when the connection is over its rate.
    pub fn take(&mut self) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod allowance_tests {
    use super::Allowance;

    #[test]
    fn a_burst_then_refusal_and_zero_is_off() {
        let mut b = Allowance::new(5, 10);
        assert_eq!((0..20).filter(|_| b.take()).count(), 10);
        let mut off = Allowance::new(0, 0);
        assert!((0..1000).all(|_| off.take()));
    }
}
