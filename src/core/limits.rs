//! Rate limits: a token bucket per key (agent id, client address).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Allows `capacity` actions per `window` per key, refilling continuously.
pub struct RateLimiter {
    capacity: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before idle full ones are pruned.
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    /// A limiter; a capacity of 0 turns it off.
    pub fn new(capacity: u32, window: Duration) -> Self {
        RateLimiter {
            capacity,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the limiter is on.
    pub fn enabled(&self) -> bool {
        self.capacity > 0 && !self.window.is_zero()
    }

    /// Takes one token for `key`, or says how many whole seconds until one is free.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let capacity = f64::from(self.capacity);
        let per_sec = capacity / self.window.as_secs_f64();
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * per_sec < capacity
            });
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let refilled = now.duration_since(bucket.last).as_secs_f64() * per_sec;
        bucket.tokens = (bucket.tokens + refilled).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_capacity_then_refuses_with_a_wait() {
        let l = RateLimiter::new(3, Duration::from_secs(60));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check("b").is_ok(), "keys are independent");
    }

    #[test]
    fn zero_capacity_is_off() {
        let l = RateLimiter::new(0, Duration::from_secs(60));
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
