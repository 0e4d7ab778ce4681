//! Derived previews and deep checks of JPEG and PNG files.

mod support;

use std::path::Path;

use image::RgbImage;
use pomoshnik_media::{
    DeriveError, DeriveOptions, FileKind, VerifyError, derive_images, derive_images_with,
    read_metadata, verify_image,
};
use support::{fixture_path, read_fixture};

/// Returns true if the JPEG contains an APP1 segment (Exif or XMP) before the scan.
fn has_app1_segment(jpeg: &[u8]) -> bool {
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        if marker == 0xE1 {
            return true;
        }
        if marker == 0xDA {
            return false;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        pos += 2 + length;
    }
    false
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn load_rgb(path: &Path) -> RgbImage {
    image::open(path).expect("decode derived JPEG").into_rgb8()
}

/// Mean absolute difference per channel of two images of the same size, 0 to 255.
fn mean_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn derive_gps_photo_strips_metadata() {
    let out = tempfile::tempdir().expect("create temporary directory");
    let original = fixture_path("moscow_tverskaya_orient1.jpg");
    assert!(read_metadata(&original, FileKind::Jpeg).gps.is_some());

    let derived = derive_images(&original, FileKind::Jpeg, Some(1), out.path()).expect("derive");
    assert_eq!(
        (derived.original_width, derived.original_height),
        (1800, 1200)
    );
    assert_eq!(
        (derived.preview.width, derived.preview.height),
        (1600, 1067)
    );
    assert_eq!(
        (derived.thumbnail.width, derived.thumbnail.height),
        (320, 213)
    );

    for image in [&derived.preview, &derived.thumbnail] {
        let bytes = std::fs::read(&image.path).expect("read derived file");
        assert_eq!(bytes.len() as u64, image.size);
        assert!(bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
        assert!(
            !has_app1_segment(&bytes),
            "{:?} has an APP1 segment",
            image.path
        );
        assert!(
            !contains(&bytes, b"Exif\0"),
            "{:?} contains Exif",
            image.path
        );
        assert!(!contains(&bytes, b"GPS"), "{:?} contains GPS", image.path);
        let metadata = read_metadata(&image.path, FileKind::Jpeg);
        assert_eq!(metadata.gps, None);
        assert_eq!(metadata.taken_at, None);
        assert_eq!(metadata.orientation, None);
    }
}

#[test]
fn derive_applies_orientation() {
    let out = tempfile::tempdir().expect("create temporary directory");
    // 320 px from 1800 px takes the DCT-scaled path (1/4), the other tests the full decode.
    let options = DeriveOptions {
        preview_max_side: 320,
        jpeg_dct_scaling: true,
        ..DeriveOptions::default()
    };
    let derive = |file: &str, orientation: Option<u16>| {
        let dir = out.path().join(format!("{file}-{orientation:?}"));
        let derived = derive_images_with(
            &fixture_path(file),
            FileKind::Jpeg,
            orientation,
            &dir,
            &options,
        )
        .expect("derive");
        load_rgb(&derived.thumbnail.path)
    };

    // The four files show the same photo turned for their orientation, with a different digit.
    let reference = derive("orientation_1_landscape.jpg", Some(1));
    assert_eq!(reference.dimensions(), (320, 213));
    for (file, orientation) in [
        ("orientation_3_landscape.jpg", 3),
        ("orientation_6_landscape.jpg", 6),
        ("orientation_8_landscape.jpg", 8),
    ] {
        let upright = derive(file, Some(orientation));
        assert_eq!(upright.dimensions(), (320, 213), "{file}");
        let difference = mean_difference(&reference, &upright);
        assert!(
            difference < 20.0,
            "{file}: upright preview differs by {difference}"
        );
    }

    // Without the orientation, the 180° file does not match the reference.
    let stored = derive("orientation_3_landscape.jpg", None);
    let difference = mean_difference(&reference, &stored);
    assert!(
        difference > 30.0,
        "unrotated preview differs only by {difference}"
    );
}

#[test]
fn derive_png_and_tiny_jpeg_not_enlarged() {
    let out = tempfile::tempdir().expect("create temporary directory");
    let derived = derive_images(
        &fixture_path("png_exif_valid_tiny.png"),
        FileKind::Png,
        None,
        out.path(),
    )
    .expect("derive PNG");
    assert_eq!((derived.preview.width, derived.preview.height), (15, 7));
    assert_eq!((derived.thumbnail.width, derived.thumbnail.height), (15, 7));

    let derived = derive_images(
        &fixture_path("gps_kodak_southern_hemisphere_tiny.jpg"),
        FileKind::Jpeg,
        Some(1),
        out.path(),
    )
    .expect("derive JPEG");
    assert_eq!((derived.preview.width, derived.preview.height), (100, 78));
}

#[test]
fn derive_rejects_pixel_bomb_before_decoding() {
    // A 1x1 PNG whose IHDR claims 100 000 × 100 000 pixels (10 gigapixels).
    let dir = tempfile::tempdir().expect("create temporary directory");
    let mut png = image_png(1, 1);
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, &png).expect("write PNG");

    let result = derive_images(&path, FileKind::Png, None, &dir.path().join("out"));
    assert!(
        matches!(
            result,
            Err(DeriveError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            })
        ),
        "{result:?}"
    );
    let result = verify_image(&path, FileKind::Png);
    assert!(
        matches!(result, Err(VerifyError::TooManyPixels { .. })),
        "{result:?}"
    );

    // A JPEG header claiming 65 535 × 65 535 (4.3 gigapixels). The last SOF0 marker is the main
    // image's, because the Exif thumbnail comes first and scan data cannot contain 0xFFC0.
    let mut jpeg = read_fixture("gps_nikon_p6000_italy.jpg");
    let sof = jpeg
        .windows(2)
        .rposition(|pair| pair == [0xFF, 0xC0])
        .expect("baseline SOF0 marker");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    let path = dir.path().join("bomb.jpg");
    std::fs::write(&path, &jpeg).expect("write JPEG");
    let result = derive_images(&path, FileKind::Jpeg, None, &dir.path().join("out"));
    assert!(
        matches!(result, Err(DeriveError::TooManyPixels { .. })),
        "{result:?}"
    );
}

#[test]
fn derive_rejects_documents() {
    let dir = tempfile::tempdir().expect("create temporary directory");
    let result = derive_images(
        &fixture_path("video_creation_time_no_gps.mp4"),
        FileKind::Mp4,
        None,
        dir.path(),
    );
    assert!(
        matches!(
            result,
            Err(DeriveError::UnsupportedKind {
                kind: FileKind::Mp4
            })
        ),
        "{result:?}"
    );
}

/// Encodes a black PNG with the `image` crate.
fn image_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    RgbImage::new(width, height)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode PNG");
    png
}

#[test]
fn verify_accepts_real_images() {
    for (file, kind) in [
        ("moscow_tverskaya_orient1.jpg", FileKind::Jpeg),
        ("gps_iphone6_madrid_west_longitude.jpg", FileKind::Jpeg),
        ("odd_broken_samsung_orientation6.jpg", FileKind::Jpeg),
        ("odd_corrupted_ifd_with_gps_nikon.jpg", FileKind::Jpeg),
        ("no_exif_xmp_only.jpg", FileKind::Jpeg),
        ("png_exif_valid_tiny.png", FileKind::Png),
    ] {
        let result = verify_image(&fixture_path(file), kind);
        assert!(result.is_ok(), "{file}: {result:?}");
    }
}

#[test]
fn verify_rejects_png_bad_crc() {
    let result = verify_image(
        &fixture_path("png_exif_gps_placeholder_badcrc.png"),
        FileKind::Png,
    );
    match result {
        Err(VerifyError::ChecksumMismatch { chunk, offset }) => {
            assert_eq!(chunk, "IHDR");
            assert_eq!(offset, 8);
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
}

#[test]
fn verify_rejects_truncated_files() {
    let dir = tempfile::tempdir().expect("create temporary directory");
    for (file, kind) in [
        ("moscow_tverskaya_orient1.jpg", FileKind::Jpeg),
        ("gps_nikon_p6000_italy.jpg", FileKind::Jpeg),
        ("png_exif_valid_tiny.png", FileKind::Png),
    ] {
        let data = read_fixture(file);
        let path = dir.path().join(file);
        std::fs::write(&path, &data[..data.len() / 2]).expect("write truncated file");

        let result = verify_image(&path, kind);
        assert!(
            matches!(result, Err(VerifyError::Truncated(_))),
            "{file}: {result:?}"
        );
    }
}

#[test]
fn verify_rejects_corrupted_png_data() {
    // Flip one byte inside the IDAT data and fix the CRC, so only the decoder can notice.
    let dir = tempfile::tempdir().expect("create temporary directory");
    let mut png = image_png(64, 64);
    let idat = png
        .windows(4)
        .position(|window| window == b"IDAT")
        .expect("IDAT chunk");
    let length = u32::from_be_bytes(png[idat - 4..idat].try_into().unwrap()) as usize;
    png[idat + 6] ^= 0xFF;
    let crc = crc32fast::hash(&png[idat..idat + 4 + length]);
    png[idat + 4 + length..idat + 8 + length].copy_from_slice(&crc.to_be_bytes());
    let path = dir.path().join("corrupt.png");
    std::fs::write(&path, &png).expect("write PNG");

    let result = verify_image(&path, FileKind::Png);
    assert!(matches!(result, Err(VerifyError::Invalid(_))), "{result:?}");
}

#[test]
fn verify_rejects_other_kinds() {
    let result = verify_image(
        &fixture_path("video_creation_time_no_gps.mp4"),
        FileKind::Mp4,
    );
    assert!(
        matches!(
            result,
            Err(VerifyError::UnsupportedKind {
                kind: FileKind::Mp4
            })
        ),
        "{result:?}"
    );
    let result = verify_image(
        &fixture_path("odd_invalid_gps_truncated.heic"),
        FileKind::Jpeg,
    );
    assert!(matches!(result, Err(VerifyError::Invalid(_))), "{result:?}");
}
