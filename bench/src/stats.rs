//! Latency percentiles and rates of one measured run.

use std::time::Duration;

use serde::Serialize;

/// Returns the `percentile` (0–100) of `sorted` by the nearest-rank method: the smallest sample
/// such that at least `percentile` per cent of the samples are at or below it. `None` when
/// there are no samples.
pub fn nearest_rank(sorted: &[Duration], percentile: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let percentile = percentile.clamp(0.0, 100.0);
    let rank = (percentile / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The outcome of one load phase: how many requests completed in how long, and their latencies.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub requests: usize,
    pub errors: usize,
    pub elapsed_s: f64,
    /// Completed requests (successful or not) per second of wall-clock time.
    pub rate_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// Sorts `latencies` and computes the summary; `errors` counts requests that failed.
    pub fn new(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Summary {
        latencies.sort_unstable();
        let milliseconds = |value: Option<Duration>| value.map_or(0.0, |duration| duration.as_secs_f64() * 1000.0);
        let elapsed_s = elapsed.as_secs_f64();
        Summary {
            requests: latencies.len(),
            errors,
            elapsed_s,
            rate_per_s: if elapsed_s > 0.0 { latencies.len() as f64 / elapsed_s } else { 0.0 },
            p50_ms: milliseconds(nearest_rank(&latencies, 50.0)),
            p99_ms: milliseconds(nearest_rank(&latencies, 99.0)),
            max_ms: milliseconds(latencies.last().copied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|value| Duration::from_millis(*value)).collect()
    }

    #[test]
    fn nearest_rank_of_empty_is_none() {
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn nearest_rank_of_one_sample() {
        let samples = millis(&[7]);
        assert_eq!(nearest_rank(&samples, 0.0), Some(Duration::from_millis(7)));
        assert_eq!(nearest_rank(&samples, 50.0), Some(Duration::from_millis(7)));
        assert_eq!(nearest_rank(&samples, 100.0), Some(Duration::from_millis(7)));
    }

    #[test]
    fn nearest_rank_of_hundred_samples() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(nearest_rank(&samples, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(nearest_rank(&samples, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(nearest_rank(&samples, 100.0), Some(Duration::from_millis(100)));
    }

    #[test]
    fn nearest_rank_rounds_rank_up() {
        // 99 % of 10 samples is rank 9.9, so the 10th sample.
        let samples = millis(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]);
        assert_eq!(nearest_rank(&samples, 99.0), Some(Duration::from_millis(1000)));
        assert_eq!(nearest_rank(&samples, 90.0), Some(Duration::from_millis(9)));
        assert_eq!(nearest_rank(&samples, 50.0), Some(Duration::from_millis(5)));
    }

    #[test]
    fn summary_sorts_and_counts() {
        let summary = Summary::new(millis(&[30, 10, 20, 40]), 1, Duration::from_secs(2));
        assert_eq!(summary.requests, 4);
        assert_eq!(summary.errors, 1);
        assert_eq!(summary.rate_per_s, 2.0);
        assert_eq!(summary.p50_ms, 20.0);
        assert_eq!(summary.p99_ms, 40.0);
        assert_eq!(summary.max_ms, 40.0);
    }
}
