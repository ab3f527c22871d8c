//! Latency histograms of the domain, kept by prometheus-client so that `/metrics` encodes them
//! as they are. A leaf module: any layer may use it.

use std::time::Duration;

use prometheus_client::metrics::histogram::Histogram as Buckets;

/// Upper bounds of the buckets, in seconds (1 ms … 5 s).
const BOUNDS_SECONDS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A latency histogram in seconds.
#[derive(Debug, Clone)]
pub struct Histogram(Buckets);

impl Default for Histogram {
    fn default() -> Self {
        Histogram(Buckets::new(BOUNDS_SECONDS))
    }
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        self.0.observe(d.as_secs_f64());
    }

    /// The prometheus-client histogram, to register or encode.
    pub fn buckets(&self) -> &Buckets {
        &self.0
    }
}
