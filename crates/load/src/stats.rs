//! Clocks, latency summaries and the progress line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Microseconds since the generator started: one monotonic clock shared by every thread, so
/// a sender's timestamp and a receiver's clock can be compared.
pub fn now_us() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Starts the clock (call first thing).
pub fn start_clock() {
    let _ = now_us();
}

/// A latency summary in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Latencies in microseconds, kept in an HDR histogram: constant memory however many are
/// recorded, three significant digits at every magnitude (1 µs to an hour).
#[derive(Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        // 1 µs .. 1 h at 3 significant digits: about 185 KiB, however many are recorded.
        match Histogram::new_with_bounds(1, 3_600_000_000, 3) {
            Ok(h) => Latencies(h),
            Err(_) => unreachable!("constant bounds are valid"),
        }
    }
}

impl Latencies {
    /// Records one latency (saturating at the histogram's upper bound).
    pub fn push(&mut self, us: u32) {
        self.0.saturating_record(u64::from(us).max(1));
    }

    /// How many were recorded.
    pub fn len(&self) -> usize {
        self.0.len() as usize
    }

    /// The p50, p99 and maximum, in milliseconds.
    pub fn summary(&self) -> Summary {
        if self.0.is_empty() {
            return Summary::default();
        }
        let ms = |us: u64| round2(us as f64 / 1000.0);
        Summary {
            p50_ms: ms(self.0.value_at_quantile(0.50)),
            p99_ms: ms(self.0.value_at_quantile(0.99)),
            max_ms: ms(self.0.max()),
        }
    }
}

impl Extend<u32> for Latencies {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, iter: I) {
        for us in iter {
            self.push(us);
        }
    }
}

impl Extend<Latencies> for Latencies {
    fn extend<I: IntoIterator<Item = Latencies>>(&mut self, iter: I) {
        for other in iter {
            // Same bounds on both sides: adding cannot fail.
            let _ = self.0.add(&other.0);
        }
    }
}

/// Waits until `done()` or the deadline (checking every 10 ms); true when done.
pub async fn wait_for(deadline: Instant, done: impl Fn() -> bool) -> bool {
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Microseconds between two `now_us` readings, clamped into a `u32`.
pub fn lat(from_us: u64, to_us: u64) -> u32 {
    to_us.saturating_sub(from_us).min(u32::MAX as u64) as u32
}

/// Counters the progress line shows; scenarios bump them from any thread.
pub struct Progress {
    phase: Mutex<Option<(String, Instant)>>,
    pub conns: AtomicU64,
    pub requests: AtomicU64,
    pub frames: AtomicU64,
    pub errors: AtomicU64,
}

pub static PROGRESS: Progress = Progress {
    phase: Mutex::new(None),
    conns: AtomicU64::new(0),
    requests: AtomicU64::new(0),
    frames: AtomicU64::new(0),
    errors: AtomicU64::new(0),
};

impl Progress {
    /// Names what runs now and zeroes the counters.
    pub fn phase(&self, label: impl Into<String>) {
        let label = label.into();
        self.clear_line();
        eprintln!("== {label}");
        for c in [&self.conns, &self.requests, &self.frames, &self.errors] {
            c.store(0, Relaxed);
        }
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = Some((label, Instant::now()));
    }

    /// Ends the progress line (before a normal message).
    pub fn clear_line(&self) {
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
    }

    /// A note on its own line.
    pub fn note(&self, text: &str) {
        self.clear_line();
        eprintln!("   {text}");
    }

    /// Prints the progress line: in place on a terminal, else one line each `every` ticks.
    fn tick(&self, n: u64) {
        let guard = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        let Some((label, started)) = guard.as_ref() else {
            return;
        };
        let line = format!(
            "   [{:>5.1}s] {label}: conns {} requests {} frames {} errors {}",
            started.elapsed().as_secs_f64(),
            self.conns.load(Relaxed),
            self.requests.load(Relaxed),
            self.frames.load(Relaxed),
            self.errors.load(Relaxed),
        );
        let mut err = std::io::stderr().lock();
        if std::io::stderr().is_terminal() {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else if n.is_multiple_of(5) {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }
}

/// Prints the progress line every second until the process ends (a plain thread: it must
/// keep going while the scenario threads are busy).
pub fn start_progress_printer() {
    let _ = std::thread::Builder::new()
        .name("progress".into())
        .spawn(|| {
            let mut n = 0u64;
            // Bounded: a run never lasts a week.
            while n < 7 * 24 * 3600 {
                std::thread::sleep(Duration::from_secs(1));
                n += 1;
                PROGRESS.tick(n);
            }
        });
}
