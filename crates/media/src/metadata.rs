//! Location, capture time, orientation and duration read from photos and videos.
//!
//! Parsing uses `nom-exif` 3.8. Uploaded files are untrusted, so every failure, including a
//! panic inside the parser, ends as an entry in [`Metadata::problems`] and never as an error.

use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use nom_exif::{
    EntryValue, Exif, ExifTag, GPSInfo, MediaKind, MediaParser, MediaSource, TrackInfo,
    TrackInfoTag,
};

use crate::kind::FileKind;

/// Maximum number of per-entry EXIF errors copied into [`Metadata::problems`].
const MAX_ENTRY_PROBLEMS: usize = 5;

/// Point on the WGS 84 ellipsoid, in decimal degrees (north and east are positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GpsPoint {
    /// Returns the point if both values are finite and in range and it is not the `0, 0`
    /// placeholder that some devices write when they have no fix.
    pub fn new(lat: f64, lon: f64) -> Option<GpsPoint> {
        let in_range = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        let placeholder = lat == 0.0 && lon == 0.0;
        (in_range && !placeholder).then_some(GpsPoint { lat, lon })
    }
}

/// Metadata read from one photo or video. Every field is optional, because phones, editors
/// and messengers often strip or damage it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Capture location from the EXIF GPS tags or the QuickTime ISO 6709 location.
    pub gps: Option<GpsPoint>,
    /// Capture time with the offset that the file states: EXIF `DateTimeOriginal` combined with
    /// `OffsetTimeOriginal`, the QuickTime `com.apple.quicktime.creationdate`, or the MP4
    /// `mvhd` creation time, which the format defines as UTC. `None` when no offset is known.
    pub taken_at: Option<DateTime<FixedOffset>>,
    /// Capture time as the camera clock showed it, when the file gives no offset. The caller
    /// decides which time zone to assume (for Moscow reports, usually Europe/Moscow).
    pub taken_at_local: Option<NaiveDateTime>,
    /// EXIF orientation, 1 to 8. `None` when the tag is missing or out of range.
    pub orientation: Option<u16>,
    /// Duration of a video in seconds.
    pub duration_seconds: Option<f64>,
    /// Descriptions of what could not be read, for logs. Empty when everything present was read.
    pub problems: Vec<String>,
}

/// Reads the metadata of the stored file at `path`, whose content was detected as `kind`.
///
/// This is blocking file I/O, so async callers run it with `spawn_blocking`. JPEG and PNG are
/// read as images. `nom-exif` detects the container from the content, so HEIC/HEIF images
/// passed as an image kind are read too. `Mp4` is read as a track (MP4 and QuickTime MOV),
/// seeking past the media data, so a video is never loaded into memory whole. Documents have
/// no metadata here and return an empty result.
pub fn read_metadata(path: &Path, kind: FileKind) -> Metadata {
    let mut metadata = Metadata::default();
    let expected = match kind {
        FileKind::Jpeg | FileKind::Png => MediaKind::Image,
        FileKind::Mp4 => MediaKind::Track,
        _ => return metadata,
    };

    let parsed = panic::catch_unwind(AssertUnwindSafe(|| {
        let result = parse(path, expected);
        if result.is_ok() || kind != FileKind::Jpeg {
            return result;
        }
        // Keep the first error unless the fallback finds Exif.
        match parse_later_exif_segment(path) {
            Some(parsed) => Ok(parsed),
            None => result,
        }
    }));
    match parsed {
        Ok(Ok(Parsed::Image(exif))) => fill_from_exif(&mut metadata, &exif),
        Ok(Ok(Parsed::Track(track))) => fill_from_track(&mut metadata, &track),
        Ok(Err(problem)) => metadata.problems.push(problem),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::warn!(path = %path.display(), %message, "metadata parser panicked");
            metadata
                .problems
                .push(format!("metadata parser panicked: {message}"));
        }
    }
    metadata
}

enum Parsed {
    Image(Exif),
    Track(TrackInfo),
}

/// Runs `nom-exif` on the file. A file without any metadata gives a problem such as "no
/// Exif data", which callers treat like any other missing field.
fn parse(path: &Path, expected: MediaKind) -> Result<Parsed, String> {
    let source = MediaSource::open(path)
        .map_err(|error| format!("unrecognised media container: {error}"))?;
    let detected = source.kind();
    if detected != expected {
        return Err(format!(
            "container is {detected:?} but the upload kind expects {expected:?}"
        ));
    }

    let mut parser = MediaParser::new();
    match detected {
        MediaKind::Image => match parser.parse_exif(source) {
            Ok(iter) => Ok(Parsed::Image(iter.into())),
            Err(nom_exif::Error::ExifNotFound) => Err("no Exif data".to_owned()),
            Err(error) => Err(format!("failed to read Exif: {error}")),
        },
        MediaKind::Track => match parser.parse_track(source) {
            Ok(track) => Ok(Parsed::Track(track)),
            Err(error) => Err(format!("failed to read video metadata: {error}")),
        },
    }
}

/// Bytes read from the start of a JPEG when looking for a later Exif segment. Segments before
/// the image data are at most 64 KiB each, and phones write only a few of them.
const JPEG_HEAD_BYTES: u64 = 512 * 1024;

/// Finds an Exif APP1 segment that is not the first APP1 (for example after an XMP APP1, which
/// `nom-exif` 3.8 does not look past) and parses its TIFF content.
fn parse_later_exif_segment(path: &Path) -> Option<Parsed> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(JPEG_HEAD_BYTES)
        .read_to_end(&mut head)
        .ok()?;

    let mut pos = 2;
    while pos + 4 <= head.len() && head[pos] == 0xFF {
        let marker = head[pos + 1];
        let length = usize::from(u16::from_be_bytes([head[pos + 2], head[pos + 3]]));
        let end = (pos + 2 + length).min(head.len());
        // Stop at the start of scan, because only image data follows.
        if marker == 0xDA || length < 2 {
            return None;
        }
        let payload = &head[pos + 4..end];
        if marker == 0xE1 && payload.starts_with(b"Exif\0\0") {
            let tiff = payload[6..].to_vec();
            let source = MediaSource::from_memory(tiff).ok()?;
            let iter = MediaParser::new().parse_exif(source).ok()?;
            return Some(Parsed::Image(iter.into()));
        }
        pos = end;
    }
    None
}

fn fill_from_exif(metadata: &mut Metadata, exif: &Exif) {
    for (ifd, tag, error) in exif.errors().iter().take(MAX_ENTRY_PROBLEMS) {
        metadata
            .problems
            .push(format!("invalid Exif entry {tag} in IFD {ifd:?}: {error}"));
    }
    let skipped = exif.errors().len().saturating_sub(MAX_ENTRY_PROBLEMS);
    if skipped > 0 {
        metadata
            .problems
            .push(format!("{skipped} more invalid Exif entries"));
    }

    if let Some(gps) = exif.gps_info() {
        metadata.gps = gps_point(gps, &mut metadata.problems);
    }

    // DateTimeOriginal is the shutter time. CreateDate (0x9004, "digitized") is the same on
    // cameras and is the fallback. ModifyDate (0x0132) changes when an editor saves the file,
    // so it is not used as the capture time.
    let capture_time = [ExifTag::DateTimeOriginal, ExifTag::CreateDate]
        .into_iter()
        .find_map(|tag| exif.get(tag));
    match capture_time {
        Some(EntryValue::DateTime(time)) => metadata.taken_at = Some(*time),
        Some(EntryValue::NaiveDateTime(time)) => metadata.taken_at_local = Some(*time),
        Some(other) => metadata
            .problems
            .push(format!("capture time is not a date: {other}")),
        None => {}
    }

    if let Some(value) = exif.get(ExifTag::Orientation) {
        match value.as_u16() {
            Some(orientation @ 1..=8) => metadata.orientation = Some(orientation),
            _ => metadata
                .problems
                .push(format!("invalid orientation {value}")),
        }
    }
}

fn fill_from_track(metadata: &mut Metadata, track: &TrackInfo) {
    if let Some(gps) = track.gps_info() {
        metadata.gps = gps_point(gps, &mut metadata.problems);
    } else if let Some(text) = track.get(TrackInfoTag::GpsIso6709) {
        metadata
            .problems
            .push(format!("invalid ISO 6709 location {text}"));
    }

    match track.get(TrackInfoTag::CreateDate) {
        Some(EntryValue::DateTime(time)) if is_unset_mp4_time(time) => metadata
            .problems
            .push("video creation time is not set (zero)".to_owned()),
        Some(EntryValue::DateTime(time)) => metadata.taken_at = Some(*time),
        Some(EntryValue::NaiveDateTime(time)) => metadata.taken_at_local = Some(*time),
        Some(other) => metadata
            .problems
            .push(format!("video creation time is not a date: {other}")),
        None => {}
    }

    if let Some(value) = track.get(TrackInfoTag::DurationMs) {
        match value.as_u64() {
            Some(ms) => metadata.duration_seconds = Some(ms as f64 / 1000.0),
            None => metadata
                .problems
                .push(format!("invalid video duration {value}")),
        }
    }
}

/// Converts parsed GPS tags to a point, recording a problem when they are unusable.
fn gps_point(gps: &GPSInfo, problems: &mut Vec<String>) -> Option<GpsPoint> {
    let (Some(lat), Some(lon)) = (gps.latitude_decimal(), gps.longitude_decimal()) else {
        problems.push("GPS position has a zero denominator".to_owned());
        return None;
    };
    let point = GpsPoint::new(lat, lon);
    if point.is_none() {
        problems.push(format!(
            "GPS position {lat}, {lon} is out of range or the 0, 0 placeholder"
        ));
    }
    point
}

/// Returns true for the MP4 epoch, 1904-01-01, which encoders write when the clock is unknown.
fn is_unset_mp4_time(time: &DateTime<FixedOffset>) -> bool {
    let mp4_epoch = NaiveDate::from_ymd_opt(1904, 1, 1).expect("valid date");
    time.date_naive() == mp4_epoch
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gps_point_rejects_invalid_values() {
        assert!(GpsPoint::new(55.75, 37.61).is_some());
        assert!(GpsPoint::new(-0.37, 36.05).is_some());
        assert!(GpsPoint::new(0.0, 0.0).is_none());
        assert!(GpsPoint::new(f64::NAN, 37.0).is_none());
        assert!(GpsPoint::new(55.0, f64::INFINITY).is_none());
        assert!(GpsPoint::new(90.5, 37.0).is_none());
        assert!(GpsPoint::new(55.0, -180.5).is_none());
    }

    #[test]
    fn documents_have_no_metadata() {
        let metadata = read_metadata(Path::new("/nonexistent.pdf"), FileKind::Pdf);
        assert_eq!(metadata, Metadata::default());
    }

    #[test]
    fn missing_file_recorded_as_problem() {
        let metadata = read_metadata(Path::new("/nonexistent/photo.jpg"), FileKind::Jpeg);
        assert_eq!(metadata.problems.len(), 1);
        assert!(metadata.gps.is_none());
    }
}
