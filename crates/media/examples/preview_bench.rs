//! Measures preview throughput of `derive_images` and, when installed, of `vipsthumbnail`.
//!
//! Usage: `cargo run --release -p pomoshnik-media --example preview_bench -- [ROUNDS] [FILE...]`
//!
//! ROUNDS (default 5) is how many times every file is processed. Without files, the JPEG
//! fixtures in `crates/media/tests/fixtures` are used. Each `derive_images` call reads the
//! metadata, decodes, and writes a 1600 px preview and a 320 px thumbnail at quality 82, on one
//! thread. `vipsthumbnail FILE -s 1600 -o OUT[Q=82,strip]` writes only the preview and is
//! started as a new process per file, so its figure includes process start-up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pomoshnik_media::{DeriveOptions, FileKind, derive_images_with, read_metadata};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = match args.next() {
        Some(value) => value.parse().expect("ROUNDS must be a positive integer"),
        None => 5,
    };
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        files = fixture_jpegs();
    }
    let out_dir = tempfile_dir();

    println!("{} files, {rounds} rounds", files.len());
    for path in &files {
        println!(
            "  {} ({} KiB)",
            path.display(),
            std::fs::metadata(path).map(|m| m.len() / 1024).unwrap_or(0)
        );
    }

    for (label, dct_scaling) in [
        ("derive_images, DCT scaling on ", true),
        ("derive_images, DCT scaling off", false),
    ] {
        let options = DeriveOptions {
            jpeg_dct_scaling: dct_scaling,
            ..DeriveOptions::default()
        };
        let elapsed = time_rounds(rounds, &files, |path| {
            let orientation = read_metadata(path, FileKind::Jpeg).orientation;
            derive_images_with(path, FileKind::Jpeg, orientation, &out_dir, &options)
                .map(|_| ())
                .map_err(|error| error.to_string())
        });
        report(label, rounds, files.len(), elapsed);
    }

    for (label, concurrency) in [
        ("vipsthumbnail, 1 thread       ", Some("1")),
        ("vipsthumbnail, default threads", None),
    ] {
        let output = format!("{}[Q=82,strip]", out_dir.join("vips.jpg").display());
        let elapsed = time_rounds(rounds, &files, |path| {
            let mut command = Command::new("vipsthumbnail");
            command.arg(path).args(["-s", "1600", "-o", &output]);
            if let Some(threads) = concurrency {
                command.env("VIPS_CONCURRENCY", threads);
            }
            match command.status() {
                Ok(status) if status.success() => Ok(()),
                Ok(status) => Err(format!("vipsthumbnail exited with {status}")),
                Err(error) => Err(format!("failed to start vipsthumbnail: {error}")),
            }
        });
        report(label, rounds, files.len(), elapsed);
    }

    let _ = std::fs::remove_dir_all(&out_dir);
}

/// Runs `work` on every file `rounds` times. Returns the total time, or `None` if a call failed.
fn time_rounds(
    rounds: u32,
    files: &[PathBuf],
    mut work: impl FnMut(&Path) -> Result<(), String>,
) -> Option<Duration> {
    let start = Instant::now();
    for _ in 0..rounds {
        for path in files {
            if let Err(message) = work(path) {
                eprintln!("  {}: {message}", path.display());
                return None;
            }
        }
    }
    Some(start.elapsed())
}

fn report(label: &str, rounds: u32, file_count: usize, elapsed: Option<Duration>) {
    let Some(elapsed) = elapsed else {
        println!("{label}: failed, see the error above");
        return;
    };
    let previews = f64::from(rounds) * file_count as f64;
    println!(
        "{label}: {previews} previews in {:.2} s = {:.1} previews/s",
        elapsed.as_secs_f64(),
        previews / elapsed.as_secs_f64()
    );
}

fn fixture_jpegs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read fixtures directory")
        .map(|entry| entry.expect("read directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "jpg"))
        .collect();
    files.sort();
    files
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("preview-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create output directory");
    dir
}
