//! Metadata of the real photos and videos in `tests/fixtures`, with expected values written out.

mod support;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use pomoshnik_media::{FileKind, GpsPoint, Metadata, read_metadata};
use support::fixture_path;

/// Tolerance for coordinates, about 1 m.
const GPS_TOLERANCE: f64 = 1e-5;

struct Expected {
    file: &'static str,
    kind: FileKind,
    gps: Option<(f64, f64)>,
    /// RFC 3339 time with offset, expected in `taken_at`.
    taken_at: Option<&'static str>,
    /// `YYYY-MM-DDTHH:MM:SS`, expected in `taken_at_local`.
    taken_at_local: Option<&'static str>,
    orientation: Option<u16>,
    duration_seconds: Option<f64>,
    /// Whether `problems` must be empty.
    clean: bool,
}

const fn photo(file: &'static str) -> Expected {
    Expected {
        file,
        kind: FileKind::Jpeg,
        gps: None,
        taken_at: None,
        taken_at_local: None,
        orientation: None,
        duration_seconds: None,
        clean: true,
    }
}

fn expected_files() -> Vec<Expected> {
    vec![
        Expected {
            gps: Some((55.7640, 37.6060)),
            taken_at: Some("2026-11-20T09:14:05+03:00"),
            orientation: Some(1),
            ..photo("moscow_tverskaya_orient1.jpg")
        },
        Expected {
            gps: Some((55.9825, 37.1814)),
            taken_at: Some("2026-11-18T17:40:00+03:00"),
            orientation: Some(6),
            ..photo("moscow_zelenograd_orient6.jpg")
        },
        Expected {
            gps: Some((55.8970, 37.4297)),
            taken_at: Some("2026-11-19T12:00:00+03:00"),
            orientation: Some(8),
            ..photo("khimki_outside_city_orient8.jpg")
        },
        // This file has DateTimeOriginal but no OffsetTimeOriginal, so the time stays local.
        Expected {
            taken_at_local: Some("2026-11-21T08:30:00"),
            orientation: Some(3),
            ..photo("moscow_no_gps_orient3.jpg")
        },
        // N 43°28'2.814" E 11°53'6.456"
        Expected {
            gps: Some((43.467448, 11.885127)),
            taken_at_local: Some("2008-10-22T16:28:39"),
            orientation: Some(1),
            ..photo("gps_nikon_p6000_italy.jpg")
        },
        // S 0°22.278' E 36°3.385', with degrees 0 and fractional minutes.
        Expected {
            gps: Some((-0.3713, 36.056417)),
            taken_at_local: Some("2005-08-13T09:47:23"),
            orientation: Some(1),
            ..photo("gps_kodak_southern_hemisphere_tiny.jpg")
        },
        // N 40°26'49.1" W 3°43'29.11"
        Expected {
            gps: Some((40.446972, -3.724753)),
            taken_at_local: Some("2015-04-10T20:12:23"),
            orientation: Some(1),
            ..photo("gps_iphone6_madrid_west_longitude.jpg")
        },
        // Only the DateTime (ModifyDate) tag, which is not taken as the capture time.
        Expected {
            gps: Some((51.025, 7.591944)),
            orientation: Some(1),
            ..photo("odd_gps_zero_length_string_samsung.jpg")
        },
        // N 43°47.1357' E 11°14.0772', decimal minutes with 0 seconds.
        Expected {
            gps: Some((43.785594, 11.234619)),
            taken_at_local: Some("2005-12-14T14:39:47"),
            orientation: Some(1),
            ..photo("odd_corrupted_ifd_with_gps_nikon.jpg")
        },
        // The APP1 length is one byte too long, and the GPS IFD pointer is corrupt.
        Expected {
            taken_at_local: Some("2014-09-21T15:51:22"),
            orientation: Some(6),
            ..photo("odd_broken_samsung_orientation6.jpg")
        },
        Expected {
            clean: false,
            ..photo("no_exif_xmp_only.jpg")
        },
        // The Exif is in the second APP1, after XMP. nom-exif 3.8 reads only the first APP1,
        // so read_metadata finds it with its own segment walk.
        Expected {
            orientation: Some(1),
            ..photo("odd_exif_in_second_app1_after_xmp.jpg")
        },
        Expected {
            orientation: Some(1),
            ..photo("orientation_1_landscape.jpg")
        },
        Expected {
            orientation: Some(3),
            ..photo("orientation_3_landscape.jpg")
        },
        Expected {
            orientation: Some(6),
            ..photo("orientation_6_landscape.jpg")
        },
        Expected {
            orientation: Some(8),
            ..photo("orientation_8_landscape.jpg")
        },
        // A truncated HEIC whose GPS latitude has zero denominators and no longitude. Image
        // kinds are parsed by content, so its Exif is read although uploads reject HEIC.
        Expected {
            orientation: Some(6),
            clean: false,
            ..photo("odd_invalid_gps_truncated.heic")
        },
        Expected {
            kind: FileKind::Png,
            ..photo("png_exif_valid_tiny.png")
        },
        // N 22°31'52.08" E 114°1'17.33", with OffsetTimeOriginal +08:00. The chunk CRCs are
        // wrong, which the Exif reader does not check (verify_image does).
        Expected {
            kind: FileKind::Png,
            gps: Some((22.531133, 114.021481)),
            taken_at: Some("2023-07-09T20:36:33+08:00"),
            ..photo("png_exif_gps_placeholder_badcrc.png")
        },
        // `mvhd` creation time (UTC) and `udta/©xyz` = "+27.2939+112.6932/".
        Expected {
            kind: FileKind::Mp4,
            gps: Some((27.2939, 112.6932)),
            taken_at: Some("2024-02-03T07:05:38+00:00"),
            duration_seconds: Some(1.063),
            ..photo("video_creation_time_gps.mp4")
        },
        Expected {
            kind: FileKind::Mp4,
            taken_at: Some("2025-02-24T10:33:06+00:00"),
            duration_seconds: Some(0.011),
            ..photo("video_creation_time_no_gps.mp4")
        },
        // QuickTime keys: the location is "+27.1281+100.2508+000.000/", and the creation date
        // "2019-02-12T15:27:12+08:00" wins over the `mvhd` time (2024-02-02 08:09:57 UTC).
        Expected {
            kind: FileKind::Mp4,
            gps: Some((27.1281, 100.2508)),
            taken_at: Some("2019-02-12T15:27:12+08:00"),
            duration_seconds: Some(0.5),
            ..photo("video_quicktime_iso6709_location.mov")
        },
    ]
}

fn assert_gps(file: &str, actual: Option<GpsPoint>, expected: Option<(f64, f64)>) {
    match (actual, expected) {
        (None, None) => {}
        (Some(point), Some((lat, lon))) => {
            assert!(
                (point.lat - lat).abs() < GPS_TOLERANCE,
                "{file}: latitude {} != {lat}",
                point.lat
            );
            assert!(
                (point.lon - lon).abs() < GPS_TOLERANCE,
                "{file}: longitude {} != {lon}",
                point.lon
            );
        }
        (actual, expected) => panic!("{file}: GPS {actual:?}, expected {expected:?}"),
    }
}

fn parse_offset_time(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("valid RFC 3339 time in the table")
}

fn parse_local_time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").expect("valid local time in the table")
}

#[test]
fn fixtures_metadata_table() {
    for expected in expected_files() {
        let file = expected.file;
        let metadata = read_metadata(&fixture_path(file), expected.kind);

        assert_gps(file, metadata.gps, expected.gps);
        let taken_at = expected.taken_at.map(parse_offset_time);
        assert_eq!(metadata.taken_at, taken_at, "{file}: taken_at");
        if let (Some(actual), Some(expected)) = (metadata.taken_at, taken_at) {
            assert_eq!(actual.offset(), expected.offset(), "{file}: offset");
        }
        let taken_at_local = expected.taken_at_local.map(parse_local_time);
        assert_eq!(
            metadata.taken_at_local, taken_at_local,
            "{file}: taken_at_local"
        );
        assert_eq!(
            metadata.orientation, expected.orientation,
            "{file}: orientation"
        );
        assert_eq!(
            metadata.duration_seconds, expected.duration_seconds,
            "{file}: duration"
        );
        if expected.clean {
            assert!(
                metadata.problems.is_empty(),
                "{file}: problems {:?}",
                metadata.problems
            );
        } else {
            assert!(!metadata.problems.is_empty(), "{file}: expected a problem");
        }
    }
}

#[test]
fn invalid_heic_gps_rejected() {
    let metadata = read_metadata(
        &fixture_path("odd_invalid_gps_truncated.heic"),
        FileKind::Jpeg,
    );
    assert_eq!(metadata.gps, None);
    assert!(
        metadata
            .problems
            .iter()
            .any(|problem| problem.contains("GPS")),
        "problems: {:?}",
        metadata.problems
    );
}

#[test]
fn video_read_as_image_kind_reports_mismatch() {
    let metadata = read_metadata(
        &fixture_path("video_creation_time_no_gps.mp4"),
        FileKind::Jpeg,
    );
    assert_eq!(metadata.taken_at, None);
    assert_eq!(
        metadata.problems.len(),
        1,
        "problems: {:?}",
        metadata.problems
    );
}

#[test]
fn text_file_has_no_metadata() {
    let dir = tempfile::tempdir().expect("create temporary directory");
    let path = dir.path().join("note.jpg");
    std::fs::write(&path, b"not a photo at all").expect("write file");

    let metadata = read_metadata(&path, FileKind::Jpeg);
    assert_eq!(
        Metadata {
            problems: Vec::new(),
            ..metadata.clone()
        },
        Metadata::default()
    );
    assert_eq!(metadata.problems.len(), 1);
}

/// Every fixture gives a result without panicking, whichever kind it is read as.
#[test]
fn all_fixtures_any_kind_never_panic() {
    let dir = fixture_path("");
    for entry in std::fs::read_dir(&dir).expect("read fixtures directory") {
        let path = entry.expect("read directory entry").path();
        for kind in FileKind::ALL {
            let _ = read_metadata(&path, kind);
        }
    }
}
