//! Randomly damaged copies of every fixture must never make the readers panic.
//!
//! Each case applies a few byte flips, a truncation or an insertion, chosen by a seeded RNG, so a
//! failure names its file and case number and reruns the same way.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use pomoshnik_media::{FileKind, FileStore, read_metadata, verify_image};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{chunked, fixture_path};

const CASES_PER_FILE: u64 = 300;
/// Fixtures above this size get fewer cases, to keep the test fast in debug builds.
const LARGE_FILE_BYTES: usize = 600 * 1024;
const CASES_PER_LARGE_FILE: u64 = 40;
/// `verify_image` decodes the whole image, which takes roughly 25 ms per photo in a debug build (an estimate from one run),
/// so for fixtures above this size it runs on every tenth case only.
const FULL_DECODE_EVERY_CASE_BYTES: usize = 100 * 1024;
const FULL_DECODE_INTERVAL: u64 = 10;
/// `FileStore::receive` syncs every stored file to disk, which dominates the run time, so it
/// runs on every fifth case. Sniffing reads only the first 16 KiB of these kinds anyway.
const RECEIVE_INTERVAL: u64 = 5;

fn kind_of(file_name: &str) -> Option<FileKind> {
    let extension = file_name.rsplit('.').next()?;
    match extension {
        "jpg" | "heic" => Some(FileKind::Jpeg),
        "png" => Some(FileKind::Png),
        "mp4" | "mov" => Some(FileKind::Mp4),
        _ => None,
    }
}

/// Returns a damaged copy of `original`.
fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut data = original.to_vec();
    match rng.random_range(0..4) {
        // Flip bits in up to 8 bytes.
        0 | 1 => {
            for _ in 0..rng.random_range(1..=8) {
                let at = rng.random_range(0..data.len());
                data[at] ^= rng.random_range(1..=255u8);
            }
        }
        // Cut the file anywhere.
        2 => data.truncate(rng.random_range(0..data.len())),
        // Insert up to 16 random bytes, often 0xFF to imitate JPEG markers.
        _ => {
            let at = rng.random_range(0..=data.len());
            let count = rng.random_range(1..=16);
            let inserted: Vec<u8> = (0..count)
                .map(|_| {
                    if rng.random_bool(0.3) {
                        0xFF
                    } else {
                        rng.random()
                    }
                })
                .collect();
            data.splice(at..at, inserted);
        }
    }
    data
}

fn seed_for(file_name: &str) -> u64 {
    file_name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs `check` and turns a panic into a test failure that names the file and case.
fn assert_no_panic(file_name: &str, case: u64, what: &str, check: impl FnOnce()) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(check)) {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        panic!("{what} panicked on {file_name}, case {case}: {message}");
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build Tokio runtime");
    let dir = tempfile::tempdir().expect("create temporary directory");
    let store = runtime
        .block_on(FileStore::open(dir.path().join("files")))
        .expect("open file store");
    let mut metadata_panics = 0;
    let mut total_cases = 0;

    let mut names: Vec<String> = std::fs::read_dir(fixture_path(""))
        .expect("read fixtures directory")
        .map(|entry| {
            entry
                .expect("read directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();

    for name in names {
        let Some(kind) = kind_of(&name) else {
            continue;
        };
        let original = std::fs::read(fixture_path(&name)).expect("read fixture");
        let cases = if original.len() > LARGE_FILE_BYTES {
            CASES_PER_LARGE_FILE
        } else {
            CASES_PER_FILE
        };
        let mut rng = StdRng::seed_from_u64(seed_for(&name));

        for case in 0..cases {
            let data = mutate(&original, &mut rng);
            let path = dir.path().join(format!("case-{case}"));
            std::fs::write(&path, &data).expect("write mutated file");
            total_cases += 1;

            assert_no_panic(&name, case, "read_metadata", || {
                let metadata = read_metadata(&path, kind);
                if metadata
                    .problems
                    .iter()
                    .any(|problem| problem.contains("panicked"))
                {
                    metadata_panics += 1;
                }
                if let Some(point) = metadata.gps {
                    assert!(point.lat.abs() <= 90.0, "latitude {}", point.lat);
                    assert!(point.lon.abs() <= 180.0, "longitude {}", point.lon);
                }
                assert!(
                    metadata
                        .orientation
                        .is_none_or(|value| (1..=8).contains(&value))
                );
            });
            let decode_this_case =
                original.len() <= FULL_DECODE_EVERY_CASE_BYTES || case % FULL_DECODE_INTERVAL == 0;
            if kind.is_image() && decode_this_case {
                assert_no_panic(&name, case, "verify_image", || {
                    let _ = verify_image(&path, kind);
                });
            }
            if case % RECEIVE_INTERVAL == 0 {
                assert_no_panic(&name, case, "FileStore::receive", || {
                    let _ = runtime.block_on(store.receive(&name, chunked(&data)));
                });
            }
            check_path_removed(&path);
        }
    }

    // Panics inside nom-exif are caught by read_metadata and reported as problems. They are
    // counted here so that a regression in the parser shows up in the test output.
    println!("{total_cases} cases, {metadata_panics} caught metadata parser panics");
}

fn check_path_removed(path: &Path) {
    std::fs::remove_file(path).expect("remove mutated file");
}
