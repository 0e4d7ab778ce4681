//! Decoding of JPEG and PNG files to 8-bit RGB, with a pixel-count limit checked against the
//! header before any pixel buffer is allocated.

use std::io::Cursor;

use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::{DynamicImage, ImageDecoder, Limits, RgbImage};
use jpeg_decoder::PixelFormat;

use crate::kind::FileKind;

/// Default maximum pixel count (width × height) of an image that is decoded.
///
/// 50 megapixels is above current phone cameras at full resolution (48-50 MP sensors exist), and
/// it bounds the decoded RGBA buffer to about 200 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// Reason an image could not be decoded.
#[derive(Debug)]
pub(crate) enum DecodeFailure {
    /// The header declares more pixels than allowed. Nothing was decoded.
    TooManyPixels { width: u32, height: u32, limit: u64 },
    /// The data is not a valid image of the expected kind.
    Invalid(String),
    /// The kind is not JPEG or PNG.
    NotAnImage,
}

/// Returns `Err(TooManyPixels)` when `width × height` exceeds `max_pixels`.
pub(crate) fn check_pixel_count(
    width: u32,
    height: u32,
    max_pixels: u64,
) -> Result<(), DecodeFailure> {
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(DecodeFailure::TooManyPixels {
            width,
            height,
            limit: max_pixels,
        });
    }
    Ok(())
}

/// Decodes a JPEG or PNG file held in memory to RGB.
///
/// With `jpeg_target` set, a JPEG is decoded with DCT scaling (1/2, 1/4 or 1/8) to the smallest
/// size whose longest side is still at least `jpeg_target`. PNG has no such shortcut, and
/// transparent PNG pixels are blended onto white.
pub(crate) fn decode_rgb(
    data: &[u8],
    kind: FileKind,
    max_pixels: u64,
    jpeg_target: Option<u32>,
) -> Result<RgbImage, DecodeFailure> {
    match kind {
        FileKind::Jpeg => match jpeg_target {
            Some(target) => decode_jpeg_scaled(data, max_pixels, target),
            None => decode_jpeg_full(data, max_pixels),
        },
        FileKind::Png => decode_png(data, max_pixels),
        _ => Err(DecodeFailure::NotAnImage),
    }
}

/// Decodes with `zune-jpeg` (through `image`) at full size.
fn decode_jpeg_full(data: &[u8], max_pixels: u64) -> Result<RgbImage, DecodeFailure> {
    let mut decoder = JpegDecoder::new(Cursor::new(data)).map_err(invalid)?;
    let (width, height) = decoder.dimensions();
    check_pixel_count(width, height, max_pixels)?;
    decoder.set_limits(limits(max_pixels)).map_err(invalid)?;

    let image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    Ok(image.into_rgb8())
}

/// Decodes with `jpeg-decoder`, the decoder of the two that supports DCT scaling.
fn decode_jpeg_scaled(
    data: &[u8],
    max_pixels: u64,
    target: u32,
) -> Result<RgbImage, DecodeFailure> {
    let mut decoder = jpeg_decoder::Decoder::new(data);
    decoder.read_info().map_err(invalid)?;
    let info = decoder
        .info()
        .ok_or_else(|| invalid("missing frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_pixel_count(width, height, max_pixels)?;
    // A second bound inside the decoder, in case its buffers grow past the header's size.
    decoder.set_max_decoding_buffer_size(usize::try_from(max_pixels * 4).unwrap_or(usize::MAX));

    // When even 1/2 would be smaller than the target, no scaling applies, and `zune-jpeg`
    // decodes at full size faster than `jpeg-decoder` (measured by `examples/preview_bench.rs`).
    let longest = width.max(height);
    if target.saturating_mul(2) > longest {
        return decode_jpeg_full(data, max_pixels);
    }

    // The decoder picks the smallest factor whose output reaches the request on one axis.
    let scale = f64::from(target) / f64::from(longest);
    let request = |side: u32| (f64::from(side) * scale).ceil().clamp(1.0, 65535.0) as u16;
    decoder
        .scale(request(width), request(height))
        .map_err(invalid)?;

    let pixels = decoder.decode().map_err(invalid)?;
    let info = decoder
        .info()
        .ok_or_else(|| invalid("missing frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let rgb = match info.pixel_format {
        PixelFormat::RGB24 => pixels,
        PixelFormat::L8 => pixels.iter().flat_map(|&luma| [luma; 3]).collect(),
        PixelFormat::CMYK32 => pixels.chunks_exact(4).flat_map(cmyk_to_rgb).collect(),
        PixelFormat::L16 => return Err(invalid("16-bit lossless JPEG is not supported")),
    };
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| invalid("decoded buffer is too short"))
}

fn decode_png(data: &[u8], max_pixels: u64) -> Result<RgbImage, DecodeFailure> {
    let mut decoder =
        PngDecoder::with_limits(Cursor::new(data), limits(max_pixels)).map_err(invalid)?;
    let (width, height) = decoder.dimensions();
    check_pixel_count(width, height, max_pixels)?;
    decoder.set_limits(limits(max_pixels)).map_err(invalid)?;

    let image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    if !image.color().has_alpha() {
        return Ok(image.into_rgb8());
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let rgb = rgba
        .pixels()
        .flat_map(|pixel| blend_onto_white(pixel.0))
        .collect();
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| invalid("decoded buffer is too short"))
}

/// Reads the width and height from a JPEG or PNG header without decoding pixels.
pub(crate) fn read_dimensions(data: &[u8], kind: FileKind) -> Result<(u32, u32), DecodeFailure> {
    match kind {
        FileKind::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(data);
            decoder.read_info().map_err(invalid)?;
            let info = decoder
                .info()
                .ok_or_else(|| invalid("missing frame header"))?;
            Ok((u32::from(info.width), u32::from(info.height)))
        }
        FileKind::Png => {
            let decoder = PngDecoder::new(Cursor::new(data)).map_err(invalid)?;
            Ok(decoder.dimensions())
        }
        _ => Err(DecodeFailure::NotAnImage),
    }
}

/// Decoder limits: 8 bytes per pixel covers 16-bit RGBA, plus slack for decoder state.
fn limits(max_pixels: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels * 8 + 64 * 1024 * 1024);
    limits
}

/// Converts a CMYK pixel as `jpeg-decoder` outputs it (0 = no ink) to RGB.
fn cmyk_to_rgb(pixel: &[u8]) -> [u8; 3] {
    let k = 255 - u16::from(pixel[3]);
    let channel = |ink: u8| ((255 - u16::from(ink)) * k / 255) as u8;
    [channel(pixel[0]), channel(pixel[1]), channel(pixel[2])]
}

fn blend_onto_white([r, g, b, a]: [u8; 4]) -> [u8; 3] {
    let alpha = u16::from(a);
    let blend = |channel: u8| ((u16::from(channel) * alpha + 255 * (255 - alpha)) / 255) as u8;
    [blend(r), blend(g), blend(b)]
}

fn invalid(error: impl std::fmt::Display) -> DecodeFailure {
    DecodeFailure::Invalid(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_count_limit() {
        assert!(check_pixel_count(8000, 6250, 50_000_000).is_ok());
        assert!(matches!(
            check_pixel_count(8000, 6251, 50_000_000),
            Err(DecodeFailure::TooManyPixels {
                width: 8000,
                height: 6251,
                ..
            })
        ));
        assert!(check_pixel_count(u32::MAX, u32::MAX, DEFAULT_MAX_PIXELS).is_err());
    }

    #[test]
    fn colour_conversions() {
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 0]), [255, 255, 255]);
        assert_eq!(cmyk_to_rgb(&[0, 0, 0, 255]), [0, 0, 0]);
        assert_eq!(cmyk_to_rgb(&[255, 0, 0, 0]), [0, 255, 255]);
        assert_eq!(blend_onto_white([10, 20, 30, 0]), [255, 255, 255]);
        assert_eq!(blend_onto_white([10, 20, 30, 255]), [10, 20, 30]);
    }
}
