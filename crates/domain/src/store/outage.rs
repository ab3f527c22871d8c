//! Failing fast while the database cannot be reached: once a connection check-out has failed,
//! requests in the next second are refused at once, instead of each holding a blocking thread
//! for the whole check-out timeout. The first request after that second tries again.

use std::sync::atomic::{AtomicI64, Ordering};

/// How long a failed check-out refuses the requests that follow, in milliseconds.
const REFUSE_FOR_MS: i64 = 1_000;

/// When the last failed check-out stops refusing requests.
#[derive(Default)]
pub(crate) struct Outage {
    until_ms: AtomicI64,
}

/// Why a request was refused without trying the database.
#[derive(Debug, thiserror::Error)]
#[error("the database could not be reached less than a second ago")]
pub(crate) struct StillUnreachable;

impl Outage {
    /// Whether requests are refused now.
    pub(crate) fn refusing(&self) -> bool {
        now_ms() < self.until_ms.load(Ordering::Relaxed)
    }

    /// A check-out failed: refuse requests for a while.
    pub(crate) fn began(&self) {
        self.until_ms
            .store(now_ms() + REFUSE_FOR_MS, Ordering::Relaxed);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_out_refuses_for_a_second_then_lets_requests_try() {
        let o = Outage::default();
        assert!(!o.refusing());
        o.began();
        assert!(o.refusing());
        o.until_ms.store(now_ms() - 1, Ordering::Relaxed);
        assert!(!o.refusing(), "after the second, requests try again");
    }
}
