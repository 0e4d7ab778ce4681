//! Resident memory of this process or of a child process, read from `/proc/<pid>/status`
//! (Linux only).
//!
//! Where the server runs inside the benchmark process, the figures include the load generator:
//! the HTTP client, its connections and the collected latencies. The upload benchmark starts the
//! server as a separate process and reads that process's figures instead.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// Memory figures in MiB.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MemoryPeak {
    /// Largest `VmRSS` seen while sampling every 50 ms.
    pub max_rss_mib: f64,
    /// `VmHWM` at the end: the peak resident size since the last [`reset_peak`].
    pub hwm_mib: f64,
}

/// Reads a `kB` field such as `VmRSS` from `/proc/self/status`, in MiB.
pub fn status_field_mib(field: &str) -> Option<f64> {
    read_status_field_mib("/proc/self/status", field)
}

/// Reads a `kB` field such as `VmRSS` or `VmHWM` of process `pid`, in MiB.
pub fn process_status_field_mib(pid: u32, field: &str) -> Option<f64> {
    read_status_field_mib(&format!("/proc/{pid}/status"), field)
}

/// Resets `VmHWM` of process `pid` to its current resident size, as [`reset_peak`] does for this
/// process. Needs the right to write the other process's `clear_refs` (the same user).
pub fn reset_peak_of(pid: u32) -> std::io::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
}

fn read_status_field_mib(path: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
    let kilobytes: f64 = line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kilobytes / 1024.0)
}

/// Resets `VmHWM` to the current resident size by writing `5` to `/proc/self/clear_refs`
/// (Linux 4.0 and later), so that each phase reports its own peak.
pub fn reset_peak() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        tracing::warn!(%error, "could not reset the peak resident size; VmHWM covers the whole process lifetime");
    }
}

/// Samples `VmRSS` in the background until stopped.
pub struct MemorySampler {
    stop: oneshot::Sender<()>,
    task: JoinHandle<f64>,
}

impl MemorySampler {
    /// Resets the peak and starts sampling.
    pub fn start() -> MemorySampler {
        reset_peak();
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut max_rss = 0.0_f64;
            let mut interval = tokio::time::interval(SAMPLE_INTERVAL);
            loop {
                tokio::select! {
                    _ = interval.tick() => {
                        max_rss = max_rss.max(status_field_mib("VmRSS").unwrap_or(0.0));
                    }
                    _ = &mut stopped => break,
                }
            }
            max_rss
        });
        MemorySampler { stop, task }
    }

    pub async fn stop(self) -> MemoryPeak {
        let _ = self.stop.send(());
        let max_rss_mib = self.task.await.unwrap_or(0.0);
        let current = status_field_mib("VmRSS").unwrap_or(0.0);
        MemoryPeak { max_rss_mib: max_rss_mib.max(current), hwm_mib: status_field_mib("VmHWM").unwrap_or(0.0) }
    }
}
