//! Latency statistics and the peak memory of a process.

use std::time::Duration;

use serde::Serialize;

/// Latencies of one measured operation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn from(mut samples: Vec<Duration>, errors: u64, wall: Duration) -> Self {
        samples.sort_unstable();
        let q = |p: f64| -> f64 {
            if samples.is_empty() {
                return 0.0;
            }
            let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
            samples[i].as_secs_f64() * 1000.0
        };
        let count = samples.len() as u64;
        Self {
            count,
            errors,
            seconds: wall.as_secs_f64(),
            per_second: if wall.is_zero() { 0.0 } else { count as f64 / wall.as_secs_f64() },
            p50_ms: q(0.50),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// The resident set of a process now and at its peak, in MB (Linux `/proc`).
pub fn rss_mb(pid: u32) -> (f64, f64) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return (0.0, 0.0) };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The peak resident set of this process, in MB.
pub fn own_peak_mb() -> f64 {
    rss_mb(std::process::id()).1
}
