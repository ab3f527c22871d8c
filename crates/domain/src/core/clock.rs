//! Wall-clock time in the forms the domain stores and the wires show.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use std::sync::atomic::{AtomicI64, Ordering};

static LAST: AtomicI64 = AtomicI64::new(0);

/// Milliseconds since the Unix epoch, strictly increasing within the process, so "most
/// recently updated" orders are total even for changes made in the same millisecond.
pub fn now_ms() -> i64 {
    let wall = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = wall.max(prev + 1);
        match LAST.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => prev = actual,
        }
    }
}

/// ISO-8601 in UTC with milliseconds, as JavaScript's `toISOString` writes it.
pub fn iso(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format)
        .or_else(|_| t.format(&Rfc3339))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_strictly_increasing() {
        let a = super::now_ms();
        let b = super::now_ms();
        assert!(b > a);
    }

    #[test]
    fn iso_matches_javascript() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso(1_770_746_400_123), "2026-02-10T18:00:00.123Z");
    }
}
