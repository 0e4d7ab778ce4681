//! A closed-loop load generator: a fixed number of workers, each sending its next request as
//! soon as the previous one completes, until a request count or a time limit is reached.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::memory::{MemoryPeak, MemorySampler};
use crate::stats::Summary;

/// Limits of one load phase.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Workers sending requests at the same time.
    pub concurrency: usize,
    /// Requests started in total, at most.
    pub max_requests: usize,
    /// No request starts after this much time.
    pub max_duration: Duration,
}

/// What a load phase measured: latencies and the process memory while it ran.
#[derive(Debug, Clone)]
pub struct Measured {
    pub summary: Summary,
    pub memory: MemoryPeak,
    /// The first error message, to show why requests failed.
    pub first_error: Option<String>,
}

/// Runs `operation(i)` for i = 0, 1, 2, … on `limits.concurrency` workers until the request or
/// time limit is reached. Each call returns `Err` with a message for a failed request.
pub async fn run<F, Fut>(limits: Limits, operation: F) -> Measured
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let operation = Arc::new(operation);
    let next = Arc::new(AtomicUsize::new(0));
    let sampler = MemorySampler::start();
    let started = Instant::now();
    let deadline = started + limits.max_duration;

    let mut workers = Vec::with_capacity(limits.concurrency);
    for _ in 0..limits.concurrency {
        let operation = operation.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= limits.max_requests || Instant::now() >= deadline {
                    break;
                }
                let sent = Instant::now();
                let outcome = operation(index).await;
                latencies.push(sent.elapsed());
                if let Err(message) = outcome {
                    errors += 1;
                    first_error.get_or_insert(message);
                }
            }
            (latencies, errors, first_error)
        }));
    }

    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        let (worker_latencies, worker_errors, worker_error) = worker.await.expect("a load worker panicked");
        latencies.extend(worker_latencies);
        errors += worker_errors;
        if first_error.is_none() {
            first_error = worker_error;
        }
    }
    let elapsed = started.elapsed();
    let memory = sampler.stop().await;

    Measured { summary: Summary::new(latencies, errors, elapsed), memory, first_error }
}

/// Checks a response status and reads the whole body, as a client must.
pub async fn expect_success(response: Result<reqwest::Response, reqwest::Error>) -> Result<(), String> {
    let response = response.map_err(|error| format!("request failed: {error}"))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|error| format!("reading the response body failed: {error}"))?;
    if status.is_success() {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        Err(format!("status {status}: {text}"))
    }
}
