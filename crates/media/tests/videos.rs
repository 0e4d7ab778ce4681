//! Poster frames of videos made with Debian's `ffmpeg`, which `.ci/run` installs, and what
//! happens to a video when `ffmpeg` is missing, fails or hangs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use image::ImageReader;
use pomoshnik_media::{
    DeriveError, DeriveOptions, FileKind, PREVIEW_FILE_NAME, PosterOptions, THUMBNAIL_FILE_NAME,
    derive_video_poster, process_evidence_with,
};
use support::fixture_path;

/// Returns the width and height of a JPEG file.
fn jpeg_size(path: &Path) -> (u32, u32) {
    let reader = ImageReader::open(path).unwrap().with_guessed_format().unwrap();
    assert_eq!(reader.format(), Some(image::ImageFormat::Jpeg), "{} is not a JPEG", path.display());
    reader.into_dimensions().unwrap()
}

/// Returns the names of the files in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Encodes a short H.264 MP4 of ffmpeg's test pattern with a title and a creation time.
fn generated_video(dir: &Path, width: u32, height: u32) -> PathBuf {
    let path = dir.join("generated.mp4");
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=size={width}x{height}:rate=10:duration=3"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "-metadata", "title=Двор на Тверской"])
        .args(["-metadata", "creation_time=2026-12-03T06:00:00Z", "-y"])
        .arg(&path)
        .output()
        .expect("ffmpeg is missing: install Debian's ffmpeg package (bash .ci/run does)");
    assert!(output.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&output.stderr));
    path
}

#[test]
fn rotated_phone_video_poster_upright() {
    let out = tempfile::tempdir().unwrap();
    // 1920×1080 H.264 whose display matrix turns it by 90°, as phones record portrait video.
    let video = fixture_path("video_creation_time_gps.mp4");

    let derived = derive_video_poster(&video, Some(1.06), out.path(), &DeriveOptions::default(), &PosterOptions::default()).unwrap();

    assert_eq!((derived.preview.width, derived.preview.height), (900, 1600));
    assert_eq!(jpeg_size(&out.path().join(PREVIEW_FILE_NAME)), (900, 1600));
    assert_eq!(jpeg_size(&out.path().join(THUMBNAIL_FILE_NAME)), (180, 320));
    assert_eq!(file_names(out.path()), [PREVIEW_FILE_NAME, THUMBNAIL_FILE_NAME], "the temporary frame is removed");
}

#[test]
fn small_video_poster_not_enlarged() {
    let dir = tempfile::tempdir().unwrap();
    let video = generated_video(dir.path(), 480, 270);
    let out = dir.path().join("derived");

    let derived = derive_video_poster(&video, Some(3.0), &out, &DeriveOptions::default(), &PosterOptions::default()).unwrap();

    assert_eq!((derived.preview.width, derived.preview.height), (480, 270));
    assert_eq!((derived.thumbnail.width, derived.thumbnail.height), (320, 180));
    for name in [PREVIEW_FILE_NAME, THUMBNAIL_FILE_NAME] {
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]), "{name} starts with anything but JFIF");
        for marker in [b"Exif".as_slice(), b"Lavf", b"2026", "Тверской".as_bytes()] {
            assert!(!bytes.windows(marker.len()).any(|window| window == marker), "{name} carries metadata {marker:?}");
        }
    }
}

#[test]
fn video_evidence_gets_poster_and_time() {
    let out = tempfile::tempdir().unwrap();
    let video = fixture_path("video_creation_time_gps.mp4");

    let evidence = process_evidence_with(&video, FileKind::Mp4, out.path(), &PosterOptions::default()).unwrap();

    assert!(evidence.has_preview);
    assert!(evidence.metadata.taken_at.is_some(), "{:?}", evidence.metadata);
    assert!(out.path().join(PREVIEW_FILE_NAME).exists());
}

#[test]
fn missing_ffmpeg_keeps_video_without_poster() {
    let out = tempfile::tempdir().unwrap();
    let video = fixture_path("video_creation_time_gps.mp4");
    let missing = PosterOptions { ffmpeg: PathBuf::from("/nonexistent/ffmpeg"), ..PosterOptions::default() };

    let error = derive_video_poster(&video, None, out.path(), &DeriveOptions::default(), &missing).unwrap_err();
    assert!(matches!(error, DeriveError::VideoDecoderMissing { .. }), "{error}");

    let evidence = process_evidence_with(&video, FileKind::Mp4, out.path(), &missing).unwrap();
    assert!(!evidence.has_preview);
    assert!(evidence.metadata.taken_at.is_some(), "the metadata is still read");
    assert!(evidence.metadata.gps.is_some(), "the metadata is still read");
    assert!(file_names(out.path()).is_empty(), "{:?}", file_names(out.path()));
}

#[test]
fn undecodable_video_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // An `ftyp` box as the type check accepts it, followed by bytes that are no video.
    let mut bytes = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    bytes.extend(std::iter::repeat_n(0x5A, 4096));
    let video = dir.path().join("broken.mp4");
    std::fs::write(&video, bytes).unwrap();
    let out = dir.path().join("derived");

    let error = derive_video_poster(&video, None, &out, &DeriveOptions::default(), &PosterOptions::default()).unwrap_err();

    assert!(matches!(error, DeriveError::VideoDecoderFailed { .. }), "{error}");
    assert!(file_names(&out).is_empty(), "{:?}", file_names(&out));
    let evidence = process_evidence_with(&video, FileKind::Mp4, &out, &PosterOptions::default()).unwrap();
    assert!(!evidence.has_preview, "the video is kept without a poster");
}

#[test]
fn hanging_decoder_killed() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ffmpeg");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 600\n").unwrap();
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    let hanging = PosterOptions { ffmpeg: script, time_limit: Duration::from_millis(300) };
    let out = dir.path().join("derived");

    let error = derive_video_poster(&fixture_path("video_creation_time_gps.mp4"), None, &out, &DeriveOptions::default(), &hanging).unwrap_err();

    assert!(matches!(error, DeriveError::VideoDecoderTimedOut { .. }), "{error}");
    assert!(file_names(&out).is_empty(), "{:?}", file_names(&out));
}
