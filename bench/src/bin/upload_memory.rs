//! Extra resident memory of the `pomoshnik` server while it receives one large video through
//! `POST /api/v1/reports`, the submission path of the app and the web form.
//!
//! The server is the real `pomoshnik serve` binary, started as a child process on a loopback
//! port with its own data directory (SQLite), so the load generator's buffers never count. Its
//! `VmRSS` is sampled every 10 ms from `/proc/<pid>/status` while the upload runs, and its
//! `VmHWM` is reset before each upload through `/proc/<pid>/clear_refs`. The extra memory of an
//! upload is the larger of the two peaks minus `VmRSS` just before it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use pomoshnik_bench::memory::{process_status_field_mib, reset_peak_of};
use pomoshnik_bench::output::{Check, print_checks};
use pomoshnik_bench::server::{self, PASSWORD};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde::Serialize;
use serde_json::{Value, json};

const MIB: u64 = 1024 * 1024;
const EMAIL: &str = "uploader@bench.example";
const SAMPLE_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Parser, Debug, Serialize)]
#[command(about = "Measure the extra memory of the pomoshnik server while it receives a large video")]
struct Arguments {
    /// The `pomoshnik` binary to start; by default the one next to this benchmark's binary
    /// (`target/release/pomoshnik` after `cargo build --release -p pomoshnik`).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Size of each uploaded video in bytes; the default is the 50 MiB limit of videos.
    #[arg(long, default_value_t = 50 * MIB)]
    video_bytes: u64,
    /// Number of uploads measured one after another, each with different content.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Target for the extra memory of one upload, in MiB.
    #[arg(long, default_value_t = 16.0)]
    target_mib: f64,
    /// Also write the results to this JSON file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Memory figures of one upload, in MiB.
#[derive(Debug, Clone, Serialize)]
struct UploadMemory {
    baseline_rss_mib: f64,
    max_sampled_rss_mib: f64,
    hwm_mib: f64,
    extra_mib: f64,
    seconds: f64,
    status: u16,
}

/// A `pomoshnik serve` child process, killed when dropped.
struct ServerProcess {
    child: Child,
    base_url: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn default_server() -> anyhow::Result<PathBuf> {
    let executable = std::env::current_exe().context("cannot find this benchmark's binary")?;
    Ok(executable.with_file_name("pomoshnik"))
}

/// Creates the resident account with `pomoshnik user add`, as an administrator would.
fn add_user(server: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let mut child = Command::new(server)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["user", "add", "--role", "resident", "--email", EMAIL])
        .stdin(Stdio::piped())
        .spawn()
        .with_context(|| format!("failed to start {}", server.display()))?;
    std::io::Write::write_all(&mut child.stdin.take().context("no standard input")?, PASSWORD.as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        bail!("pomoshnik user add failed with {status}");
    }
    Ok(())
}

/// Starts `pomoshnik serve` on a free loopback port and waits until `/readyz` returns 200.
async fn start_server(server: &Path, data_dir: &Path) -> anyhow::Result<ServerProcess> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let child = Command::new(server)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--public-url", &base_url])
        .env("POMOSHNIK_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("failed to start {}", server.display()))?;
    let process = ServerProcess { child, base_url };

    let client = server::client()?;
    for _ in 0..300 {
        if let Ok(response) = client.get(format!("{}/readyz", process.base_url)).send().await
            && response.status().is_success()
        {
            return Ok(process);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready within 30 s")
}

/// Encodes a short real H.264 MP4 with ffmpeg, with the `moov` box before `mdat`, or returns
/// None when ffmpeg is not installed.
fn encode_base_video(dir: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let path = dir.join("base.mp4");
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=30:duration=3"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y"])
        .arg(&path)
        .output();
    match output {
        Ok(output) if output.status.success() => Ok(Some(std::fs::read(&path)?)),
        Ok(output) => bail!("ffmpeg failed to encode the base video: {}", String::from_utf8_lossy(&output.stderr)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Returns a minimal ISO BMFF file without a `moov` box: an `ftyp` box with the `isom` brand and
/// an empty `mdat`. It passes the type check but has no decodable video.
fn structure_only_video() -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&24u32.to_be_bytes());
    bytes.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    bytes.extend_from_slice(&8u32.to_be_bytes());
    bytes.extend_from_slice(b"mdat");
    bytes
}

/// Returns the offset of the last top-level box when it is `mdat`, as ffmpeg's `+faststart`
/// writes it.
fn last_mdat_offset(video: &[u8]) -> anyhow::Result<usize> {
    let mut offset = 0;
    let mut last = None;
    while offset + 8 <= video.len() {
        let size = u32::from_be_bytes(video[offset..offset + 4].try_into()?) as usize;
        if size < 8 {
            bail!("box at {offset} has an unsupported size {size}");
        }
        last = Some((offset, &video[offset + 4..offset + 8]));
        offset += size;
    }
    match last {
        Some((offset, kind)) if kind == b"mdat" && offset + 8 <= video.len() => Ok(offset),
        _ => bail!("the base video does not end with an mdat box"),
    }
}

/// Writes `base` grown to `size` bytes: the last `mdat` box is enlarged with pseudo-random
/// bytes after its media data, so the sample offsets in `moov` stay valid and the video still
/// plays. `seed` makes the content, and so the SHA-256, differ between runs.
fn write_grown_video(base: &[u8], size: u64, seed: u64, path: &Path) -> anyhow::Result<()> {
    use std::io::Write;

    let mdat = last_mdat_offset(base)?;
    let padding = size.checked_sub(base.len() as u64).context("the requested size is smaller than the base video")?;
    let mdat_size = u32::try_from((base.len() - mdat) as u64 + padding).context("mdat larger than 4 GiB")?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(&base[..mdat])?;
    file.write_all(&mdat_size.to_be_bytes())?;
    file.write_all(&base[mdat + 4..])?;

    // xorshift64: cheap bytes that neither compress nor repeat between runs.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut chunk = vec![0u8; MIB as usize];
    let mut left = padding;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let length = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..length])?;
        left -= length as u64;
    }
    file.flush()?;
    Ok(())
}

fn report_part() -> String {
    json!({
        "category": "uncleaned_litter_snow",
        "lat": 55.7640,
        "lon": 37.6060,
        "address": "Москва, Тверская улица, 7",
        "occurred_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "description": "Во дворе не вывезен мусор, контейнеры переполнены.",
    })
    .to_string()
}

/// Sends a report with the video at `path`, streamed from disk, and returns the status and body.
async fn submit_video(client: &Client, base_url: &str, token: &str, path: &Path) -> anyhow::Result<(u16, Value)> {
    let file = tokio::fs::File::open(path).await?;
    let length = file.metadata().await?.len();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    let part = Part::stream_with_length(body, length).file_name("clip.mp4").mime_str("video/mp4")?;
    let form = Form::new().text("report", report_part()).part("files", part);
    let response = client
        .post(format!("{base_url}/api/v1/reports"))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .multipart(form)
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

/// Samples `VmRSS` of `pid` on its own thread until `stop` is set, and returns the largest value
/// in MiB.
fn start_sampling(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<f64> {
    std::thread::spawn(move || {
        let mut max_rss_mib = 0.0_f64;
        while !stop.load(Ordering::Relaxed) {
            if let Some(rss) = process_status_field_mib(pid, "VmRSS") {
                max_rss_mib = max_rss_mib.max(rss);
            }
            std::thread::sleep(SAMPLE_INTERVAL);
        }
        max_rss_mib
    })
}

async fn measure_upload(client: &Client, server: &ServerProcess, token: &str, path: &Path) -> anyhow::Result<UploadMemory> {
    let pid = server.child.id();
    reset_peak_of(pid).context("cannot reset the server's VmHWM")?;
    let baseline_rss_mib = process_status_field_mib(pid, "VmRSS").context("cannot read the server's VmRSS")?;

    let stop = Arc::new(AtomicBool::new(false));
    let sampler = start_sampling(pid, stop.clone());
    let started = Instant::now();
    let (status, body) = submit_video(client, &server.base_url, token, path).await?;
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let max_sampled_rss_mib = sampler.join().map_err(|_| anyhow::anyhow!("the sampling thread panicked"))?;
    let hwm_mib = process_status_field_mib(pid, "VmHWM").context("cannot read the server's VmHWM")?;

    if status != 201 {
        bail!("the upload was not accepted: {status} {body}");
    }
    let kind = &body["files"][0]["kind"];
    if kind != "mp4" {
        bail!("the stored file has kind {kind}, not mp4: {body}");
    }
    let extra_mib = hwm_mib.max(max_sampled_rss_mib) - baseline_rss_mib;
    Ok(UploadMemory { baseline_rss_mib, max_sampled_rss_mib, hwm_mib, extra_mib, seconds, status })
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    server::init_logging();
    let arguments = Arguments::parse();
    if arguments.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let server_binary = match &arguments.server {
        Some(path) => path.clone(),
        None => default_server()?,
    };
    if !server_binary.exists() {
        bail!("{} does not exist; build it with `cargo build --release -p pomoshnik` or pass --server", server_binary.display());
    }

    let work_dir = tempfile::tempdir().context("failed to create a temporary directory")?;
    let data_dir = work_dir.path().join("data");
    let base = match encode_base_video(work_dir.path())? {
        Some(video) => video,
        None => {
            eprintln!("ffmpeg is not installed: uploading a structure-only MP4 without video frames");
            structure_only_video()
        }
    };

    add_user(&server_binary, &data_dir)?;
    let server = start_server(&server_binary, &data_dir).await?;
    let client = server::client()?;
    let token = server::sign_in_token(&client, &server.base_url, EMAIL).await?;

    // One small upload first, so that connection pools, the parsers and the first poster
    // process have been set up before anything is measured.
    let warm_up = work_dir.path().join("warm-up.mp4");
    write_grown_video(&base, base.len() as u64 + MIB, u64::MAX, &warm_up)?;
    let (status, body) = submit_video(&client, &server.base_url, &token, &warm_up).await?;
    if status != 201 {
        bail!("the warm-up upload was not accepted: {status} {body}");
    }
    eprintln!("server pid {}, VmRSS after the warm-up: {:.1} MiB", server.child.id(), process_status_field_mib(server.child.id(), "VmRSS").unwrap_or(0.0));

    let mut results = Vec::with_capacity(arguments.runs);
    for run in 0..arguments.runs {
        let path = work_dir.path().join(format!("video-{run}.mp4"));
        write_grown_video(&base, arguments.video_bytes, run as u64, &path)?;
        // Let the server settle after the previous upload's background work.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let measured = measure_upload(&client, &server, &token, &path).await?;
        std::fs::remove_file(&path)?;
        eprintln!("upload {}: {measured:?}", run + 1);
        results.push(measured);
    }
    drop(server);

    println!("| upload | MiB | seconds | VmRSS before MiB | max sampled VmRSS MiB | VmHWM MiB | extra MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (index, result) in results.iter().enumerate() {
        println!(
            "| {} | {:.1} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} |",
            index + 1,
            arguments.video_bytes as f64 / MIB as f64,
            result.seconds,
            result.baseline_rss_mib,
            result.max_sampled_rss_mib,
            result.hwm_mib,
            result.extra_mib
        );
    }
    let worst = results.iter().map(|result| result.extra_mib).fold(f64::MIN, f64::max);
    let checks = vec![Check {
        target: format!("extra server memory during a {:.0} MiB video upload < {} MiB", arguments.video_bytes as f64 / MIB as f64, arguments.target_mib),
        measured: format!("{worst:.1} MiB (largest of {} uploads)", results.len()),
        met: worst < arguments.target_mib,
    }];
    print_checks(&checks);

    if let Some(path) = &arguments.json {
        let document = json!({ "benchmark": "upload_memory", "date": chrono::Utc::now().to_rfc3339(), "parameters": arguments, "uploads": results, "checks": checks });
        std::fs::write(path, serde_json::to_string_pretty(&document)?).with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grown_video_keeps_boxes() {
        let dir = tempfile::tempdir().unwrap();
        let base = structure_only_video();
        let path = dir.path().join("grown.mp4");

        write_grown_video(&base, 3 * MIB + 5, 7, &path).unwrap();

        let grown = std::fs::read(&path).unwrap();
        assert_eq!(grown.len() as u64, 3 * MIB + 5);
        assert_eq!(&grown[..24], &base[..24], "the ftyp box is unchanged");
        assert_eq!(last_mdat_offset(&grown).unwrap(), 24);
        let mdat_size = u32::from_be_bytes(grown[24..28].try_into().unwrap()) as usize;
        assert_eq!(24 + mdat_size, grown.len(), "mdat covers the rest of the file");
    }

    #[test]
    fn grown_videos_differ_by_seed() {
        let dir = tempfile::tempdir().unwrap();
        let base = structure_only_video();
        let (first, second) = (dir.path().join("1.mp4"), dir.path().join("2.mp4"));
        write_grown_video(&base, MIB, 1, &first).unwrap();
        write_grown_video(&base, MIB, 2, &second).unwrap();
        assert_ne!(std::fs::read(first).unwrap(), std::fs::read(second).unwrap());
    }

    #[test]
    fn mdat_must_be_last() {
        let mut video = structure_only_video();
        video.extend_from_slice(&8u32.to_be_bytes());
        video.extend_from_slice(b"free");
        assert!(last_mdat_offset(&video).is_err());
    }
}
