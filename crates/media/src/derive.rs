//! Upright, metadata-free JPEG previews and thumbnails of uploaded photos, and of one frame
//! (the poster) of uploaded videos.
//!
//! The derived files are fresh JPEG encodes of the decoded pixels. `jpeg-encoder` 0.7 writes only
//! a JFIF APP0 segment unless asked for more, so no Exif, GPS, XMP or ICC data reaches them. It
//! encodes a 1600×1200 preview in about 20-25 ms, 2 to 4 times faster than the encoder of
//! `image` 0.25 (measured on a busy 2-core machine, so the ratio is approximate).
//!
//! Video frames come from an external `ffmpeg` program (Debian's `ffmpeg` package), run as a
//! subprocess with a time limit, so the build links no video decoder. Without that program
//! videos get no poster.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};

use crate::decode::{DEFAULT_MAX_PIXELS, DecodeFailure, decode_rgb};
use crate::kind::FileKind;

/// File name of the preview inside the output directory.
pub const PREVIEW_FILE_NAME: &str = "preview.jpg";
/// File name of the thumbnail inside the output directory.
pub const THUMBNAIL_FILE_NAME: &str = "thumbnail.jpg";

/// Sizes and encoding settings of derived images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveOptions {
    /// Maximum length of the longer side of the preview, in pixels.
    pub preview_max_side: u32,
    /// Maximum length of the longer side of the thumbnail, in pixels.
    pub thumbnail_max_side: u32,
    /// JPEG quality, 1 to 100.
    pub jpeg_quality: u8,
    /// Maximum pixel count of the original. Larger images are rejected from the header alone.
    pub max_pixels: u64,
    /// Decode JPEG originals at 1/2, 1/4 or 1/8 size (DCT scaling in `jpeg-decoder`) when the
    /// preview is that small. When false, or when no scaling applies, `zune-jpeg` decodes the
    /// full image. Off by default: for 1600 px previews of 8-megapixel photos, `zune-jpeg` at
    /// full size plus the resize was about 25% faster than `jpeg-decoder` at 1/2 size
    /// (`examples/preview_bench.rs`, 2-core machine). Scaling pays off for small sizes only.
    pub jpeg_dct_scaling: bool,
}

impl Default for DeriveOptions {
    fn default() -> Self {
        DeriveOptions {
            preview_max_side: 1600,
            thumbnail_max_side: 320,
            jpeg_quality: 82,
            max_pixels: DEFAULT_MAX_PIXELS,
            jpeg_dct_scaling: false,
        }
    }
}

/// One derived JPEG file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedImage {
    pub path: PathBuf,
    /// Width of the upright image, in pixels.
    pub width: u32,
    /// Height of the upright image, in pixels.
    pub height: u32,
    /// File size in bytes.
    pub size: u64,
}

/// Files written by [`derive_images`] and [`derive_video_poster`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Width of the original as stored, before orientation is applied. For a video, the width
    /// of the upright frame that `ffmpeg` returned, which is already at most the preview size.
    pub original_width: u32,
    /// Height of the original as stored, before orientation is applied, or of the video frame.
    pub original_height: u32,
    pub preview: DerivedImage,
    pub thumbnail: DerivedImage,
}

/// Reason no derived images were written.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error("{kind} files have no derived images; only JPEG and PNG are supported")]
    UnsupportedKind { kind: FileKind },

    /// The header declares more pixels than [`DeriveOptions::max_pixels`]. Nothing was decoded.
    #[error("image is {width}×{height} pixels, more than the limit of {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },

    #[error("invalid image: {0}")]
    Invalid(String),

    #[error("failed to resize the image: {0}")]
    Resize(String),

    #[error("failed to encode the JPEG: {0}")]
    Encode(String),

    #[error("failed to read the original or write the derived file: {0}")]
    Io(#[from] io::Error),

    /// The video decoder program could not be started; videos get no poster until it is
    /// installed.
    #[error("failed to start {program} for a video poster: {source}; install Debian's ffmpeg package")]
    VideoDecoderMissing { program: String, source: io::Error },

    /// The video decoder ran but wrote no frame, for example because the video stream is damaged.
    #[error("{program} failed to extract a video frame ({status}): {message}")]
    VideoDecoderFailed { program: String, status: String, message: String },

    /// The video decoder ran longer than [`PosterOptions::time_limit`] and was killed.
    #[error("{program} did not extract a video frame within {seconds} s and was killed")]
    VideoDecoderTimedOut { program: String, seconds: u64 },
}

impl From<DecodeFailure> for DeriveError {
    fn from(failure: DecodeFailure) -> Self {
        match failure {
            DecodeFailure::TooManyPixels {
                width,
                height,
                limit,
            } => DeriveError::TooManyPixels {
                width,
                height,
                limit,
            },
            DecodeFailure::Invalid(message) => DeriveError::Invalid(message),
            // Callers reach this only through the kind check in `derive_images_with`.
            DecodeFailure::NotAnImage => DeriveError::Invalid("not an image".to_owned()),
        }
    }
}

/// Writes `preview.jpg` (longer side at most 1600 px) and `thumbnail.jpg` (at most 320 px)
/// into `out_dir`, upright and without metadata. See [`derive_images_with`].
pub fn derive_images(
    original: &Path,
    kind: FileKind,
    orientation: Option<u16>,
    out_dir: &Path,
) -> Result<Derived, DeriveError> {
    derive_images_with(
        original,
        kind,
        orientation,
        out_dir,
        &DeriveOptions::default(),
    )
}

/// Writes a preview and a thumbnail of the JPEG or PNG at `original` into `out_dir`.
///
/// `orientation` is the EXIF orientation (1 to 8) from [`crate::read_metadata`]; `None` and
/// values outside 1..=8 leave the pixels as stored. Images are only ever made smaller. Each
/// file is written under a temporary name and renamed, so readers never see a partial file.
/// This is blocking work, so async callers run it with `spawn_blocking`.
pub fn derive_images_with(
    original: &Path,
    kind: FileKind,
    orientation: Option<u16>,
    out_dir: &Path,
    options: &DeriveOptions,
) -> Result<Derived, DeriveError> {
    if !kind.is_image() {
        return Err(DeriveError::UnsupportedKind { kind });
    }
    // Originals are at most 10 MiB (`FileKind::max_bytes`), so they are read whole.
    let data = fs::read(original)?;
    let jpeg_target = options.jpeg_dct_scaling.then_some(options.preview_max_side);
    let (original_width, original_height) =
        crate::decode::read_dimensions(&data, kind).map_err(DeriveError::from)?;
    let decoded = decode_rgb(&data, kind, options.max_pixels, jpeg_target)?;
    drop(data);

    let orientation = orientation
        .and_then(|value| u8::try_from(value).ok())
        .and_then(Orientation::from_exif);
    let (preview, thumbnail) = write_preview_and_thumbnail(decoded, orientation, out_dir, options)?;

    Ok(Derived {
        original_width,
        original_height,
        preview,
        thumbnail,
    })
}

/// Shrinks decoded pixels to the preview and thumbnail sizes and writes both JPEG files.
fn write_preview_and_thumbnail(
    decoded: RgbImage,
    orientation: Option<Orientation>,
    out_dir: &Path,
    options: &DeriveOptions,
) -> Result<(DerivedImage, DerivedImage), DeriveError> {
    let mut resizer = Resizer::new();
    let preview = shrink_to_fit(&mut resizer, decoded, options.preview_max_side)?;
    let thumbnail = shrink_to_fit(&mut resizer, preview.clone(), options.thumbnail_max_side)?;

    fs::create_dir_all(out_dir)?;
    let preview = write_jpeg(
        preview,
        orientation,
        options.jpeg_quality,
        &out_dir.join(PREVIEW_FILE_NAME),
    )?;
    let thumbnail = write_jpeg(
        thumbnail,
        orientation,
        options.jpeg_quality,
        &out_dir.join(THUMBNAIL_FILE_NAME),
    )?;
    Ok((preview, thumbnail))
}

/// Settings for extracting the poster frame of a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterOptions {
    /// The `ffmpeg` program, looked up on `PATH` when it has no directory part.
    pub ffmpeg: PathBuf,
    /// Time after which `ffmpeg` is killed and the video gets no poster.
    pub time_limit: Duration,
}

impl Default for PosterOptions {
    fn default() -> Self {
        PosterOptions {
            ffmpeg: PathBuf::from("ffmpeg"),
            // One frame of a 1080p phone video took about 0.2 s of CPU time on a 2-core test
            // machine. The limit is generous because it only stops a decoder stuck on a bad file.
            time_limit: Duration::from_secs(20),
        }
    }
}

/// Videos longer than this get their poster from [`POSTER_SEEK_SECONDS`] in, because the very
/// first frame of a phone video is often dark or blurred while the camera adjusts.
const POSTER_SEEK_MIN_DURATION_SECONDS: f64 = 2.0;
const POSTER_SEEK_SECONDS: &str = "1";

/// Bytes of `ffmpeg`'s error output read for the error message, whose last line is kept.
const MAX_DECODER_MESSAGE_BYTES: usize = 2048;

/// Writes a preview and a thumbnail of one frame of the MP4 or QuickTime video at `original`
/// into `out_dir`, with the same sizes and encoder as photos and without metadata.
///
/// `ffmpeg` decodes one frame (one second in when `duration_seconds` is over two seconds). It
/// turns the frame upright by the video's rotation matrix, scales it to fit the preview size and
/// writes it as a temporary PNG in `out_dir`, which is then encoded as for photos. It runs with no
/// standard input, one decoding thread, only the `file` protocol allowed and at most
/// [`DeriveOptions::max_pixels`] per frame, and is killed after [`PosterOptions::time_limit`].
/// Blocking: async callers run it on a blocking thread.
pub fn derive_video_poster(
    original: &Path,
    duration_seconds: Option<f64>,
    out_dir: &Path,
    options: &DeriveOptions,
    poster: &PosterOptions,
) -> Result<Derived, DeriveError> {
    fs::create_dir_all(out_dir)?;
    let frame = TempPath(out_dir.join(format!("poster.{}.png.part", uuid::Uuid::new_v4())));
    let seek = duration_seconds.is_some_and(|seconds| seconds > POSTER_SEEK_MIN_DURATION_SECONDS);
    let arguments = ffmpeg_arguments(original, &frame.0, seek, options);

    let program = poster.ffmpeg.display().to_string();
    let child = Command::new(&poster.ffmpeg)
        .args(&arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| DeriveError::VideoDecoderMissing { program: program.clone(), source })?;
    let (status, message) = wait_with_limit(child, poster.time_limit).map_err(|failure| match failure {
        WaitFailure::TimedOut => DeriveError::VideoDecoderTimedOut { program: program.clone(), seconds: poster.time_limit.as_secs() },
        WaitFailure::Io(error) => DeriveError::Io(error),
    })?;
    let frame_written = fs::metadata(&frame.0).is_ok_and(|metadata| metadata.len() > 0);
    if !status.success() || !frame_written {
        return Err(DeriveError::VideoDecoderFailed { program, status: status.to_string(), message });
    }

    let data = fs::read(&frame.0)?;
    drop(frame);
    let decoded = decode_rgb(&data, FileKind::Png, options.max_pixels, None)?;
    drop(data);
    let (frame_width, frame_height) = decoded.dimensions();
    let (preview, thumbnail) = write_preview_and_thumbnail(decoded, None, out_dir, options)?;

    Ok(Derived {
        original_width: frame_width,
        original_height: frame_height,
        preview,
        thumbnail,
    })
}

/// Returns the `ffmpeg` arguments that write one upright frame of `original`, scaled to fit the
/// preview size, as a PNG at `frame`.
fn ffmpeg_arguments(original: &Path, frame: &Path, seek: bool, options: &DeriveOptions) -> Vec<OsString> {
    let side = options.preview_max_side;
    // `min(iw,…)` keeps small videos at their size; the aspect ratio is kept by the decrease rule.
    let scale = format!("scale=w='min(iw,{side})':h='min(ih,{side})':force_original_aspect_ratio=decrease");
    let mut arguments: Vec<OsString> = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-filter_threads", "1", "-threads", "1"]
        .into_iter()
        .map(OsString::from)
        .collect();
    arguments.push("-max_pixels".into());
    arguments.push(options.max_pixels.min(i32::MAX as u64).to_string().into());
    arguments.push("-protocol_whitelist".into());
    arguments.push("file".into());
    if seek {
        arguments.push("-ss".into());
        arguments.push(POSTER_SEEK_SECONDS.into());
    }
    arguments.push("-i".into());
    arguments.push(file_url(original));
    for argument in [
        "-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn", "-map_metadata", "-1", "-vf",
    ] {
        arguments.push(argument.into());
    }
    arguments.push(scale.into());
    for argument in ["-pix_fmt", "rgb24", "-c:v", "png", "-f", "image2", "-update", "1", "-y"] {
        arguments.push(argument.into());
    }
    arguments.push(file_url(frame));
    arguments
}

/// Prefixes a path with `file:`, so `ffmpeg` never reads a name as another protocol's URL or
/// as an option.
fn file_url(path: &Path) -> OsString {
    let mut url = OsString::from("file:");
    url.push(path.as_os_str());
    url
}

enum WaitFailure {
    TimedOut,
    Io(io::Error),
}

/// Waits for `child` for at most `limit`, killing it when the limit passes, and returns its exit
/// status with the last line of its error output.
fn wait_with_limit(mut child: Child, limit: Duration) -> Result<(ExitStatus, String), WaitFailure> {
    // Read the error output on its own thread, so the process does not block on a full pipe.
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stderr) = stderr {
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = stderr.read(&mut buffer) {
                let room = MAX_DECODER_MESSAGE_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..read.min(room)]);
            }
        }
        let text = String::from_utf8_lossy(&kept);
        text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default().trim().to_owned()
    });

    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = reader.join();
                return Err(WaitFailure::TimedOut);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(WaitFailure::Io(error));
            }
        }
    };
    let message = reader.join().unwrap_or_default();
    Ok((status, message))
}

/// A temporary file removed when dropped.
struct TempPath(PathBuf);

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Returns the size that fits `width × height` into a `max_side` square, keeping the aspect
/// ratio and never enlarging. Both sides are at least 1.
pub fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let side = |length: u32| ((f64::from(length) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

/// Downscales with a Lanczos3 convolution (`fast_image_resize` 6), or returns the image
/// unchanged when it already fits.
fn shrink_to_fit(
    resizer: &mut Resizer,
    image: RgbImage,
    max_side: u32,
) -> Result<RgbImage, DeriveError> {
    let (width, height) = image.dimensions();
    let (new_width, new_height) = fit_within(width, height, max_side);
    if (new_width, new_height) == (width, height) {
        return Ok(image);
    }

    let source = Image::from_vec_u8(width, height, image.into_raw(), PixelType::U8x3)
        .map_err(|error| DeriveError::Resize(error.to_string()))?;
    let mut destination = Image::new(new_width, new_height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    resizer
        .resize(&source, &mut destination, &options)
        .map_err(|error| DeriveError::Resize(error.to_string()))?;

    RgbImage::from_raw(new_width, new_height, destination.into_vec())
        .ok_or_else(|| DeriveError::Resize("resized buffer has the wrong size".to_owned()))
}

/// Applies the orientation, encodes a JPEG and writes it to `path` through a temporary file.
fn write_jpeg(
    image: RgbImage,
    orientation: Option<Orientation>,
    quality: u8,
    path: &Path,
) -> Result<DerivedImage, DeriveError> {
    let mut image = DynamicImage::ImageRgb8(image);
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let (width, height) = (image.width(), image.height());

    let image = image.into_rgb8();
    let (Ok(encoder_width), Ok(encoder_height)) = (u16::try_from(width), u16::try_from(height))
    else {
        return Err(DeriveError::Encode(format!(
            "{width}×{height} is too large for JPEG"
        )));
    };
    let mut encoded = Vec::new();
    jpeg_encoder::Encoder::new(&mut encoded, quality.clamp(1, 100))
        .encode(
            image.as_raw(),
            encoder_width,
            encoder_height,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|error| DeriveError::Encode(error.to_string()))?;

    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".{}.part", uuid::Uuid::new_v4()));
    let temp_path = PathBuf::from(temp_name);
    let written = fs::File::create_new(&temp_path).and_then(|mut file| {
        file.write_all(&encoded)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| fs::rename(&temp_path, path)) {
        let _ = fs::remove_file(&temp_path);
        return Err(error.into());
    }

    Ok(DerivedImage {
        path: path.to_path_buf(),
        width,
        height,
        size: encoded.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_within_keeps_aspect_ratio() {
        assert_eq!(fit_within(1800, 1200, 1600), (1600, 1067));
        assert_eq!(fit_within(1200, 1800, 320), (213, 320));
        assert_eq!(fit_within(100, 78, 320), (100, 78));
        assert_eq!(fit_within(10_000, 1, 320), (320, 1));
        assert_eq!(fit_within(1600, 1600, 1600), (1600, 1600));
    }
}
