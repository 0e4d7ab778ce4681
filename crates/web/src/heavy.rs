//! A process-wide limit on CPU-heavy jobs (decoding photos, making previews, extracting video
//! posters with an ffmpeg subprocess, hashing passwords) running at once. Without it a burst of
//! uploads starts one decode per request, each holding tens of megabytes of pixels, and memory
//! grows with the number of clients instead of cores.

use std::num::NonZeroUsize;
use std::sync::LazyLock;

use tokio::sync::Semaphore;
use tokio::task::JoinError;

/// One permit per core: the jobs are CPU-bound, so more at once only adds memory.
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, NonZeroUsize::get)));

/// Runs `job` on a blocking thread once a permit is free, and returns its result.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T, JoinError> {
    let _permit = PERMITS.acquire().await.expect("the semaphore is never closed");
    tokio::task::spawn_blocking(job).await
}
