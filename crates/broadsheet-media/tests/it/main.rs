//! Upload processing against real encoded files: formats, orientation, metadata stripping,
//! variants, and every hostile input the newsroom can send.

use std::io::Cursor;

use broadsheet_media::{Format, Limits, ProcessError, process, sniff};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

fn picture(w: u32, h: u32) -> DynamicImage {
    // Left half red, right half blue: orientation is visible in the pixels.
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    }))
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// An EXIF APP1 segment with an orientation tag and a GPS block, as phones write them.
fn exif_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: 2 entries.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&(u32::from(orientation)).to_le_bytes());
    tiff.extend_from_slice(&0x8825u16.to_le_bytes()); // GPSInfo pointer
    tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
    tiff.extend_from_slice(&1u32.to_le_bytes());
    let gps_offset = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&(gps_offset as u32).to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    // GPS IFD: GPSLatitudeRef = "N", plus a marker string to look for.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0001u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes()); // ASCII
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(b"GPS-SECRET-LOCATION");
    let mut seg = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

fn jpeg_with_exif(img: &DynamicImage, orientation: u16) -> Vec<u8> {
    let plain = encode(img, ImageFormat::Jpeg);
    let mut out = plain[..2].to_vec();
    out.extend(exif_segment(orientation));
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w`×`h` pixels with one tiny compressed row: a decompression bomb
/// as far as any decoder that trusts the header is concerned.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

#[test]
fn every_accepted_format_yields_jpeg_and_webp_variants_at_each_width() {
    let img = picture(2000, 1000);
    for (format, claimed) in [
        (ImageFormat::Jpeg, Format::Jpeg),
        (ImageFormat::Png, Format::Png),
        (ImageFormat::Gif, Format::Gif),
        (ImageFormat::WebP, Format::WebP),
    ] {
        let bytes = encode(&img, format);
        let p = process(&bytes, Some(claimed), &Limits::default()).expect("processed");
        assert_eq!((p.width, p.height, p.source), (2000, 1000, claimed));
        let got: Vec<(u32, u32, &str)> = p
            .variants
            .iter()
            .map(|v| (v.width, v.height, v.format))
            .collect();
        assert_eq!(
            got,
            vec![
                (480, 240, "jpeg"),
                (480, 240, "webp"),
                (960, 480, "jpeg"),
                (960, 480, "webp"),
                (1600, 800, "jpeg"),
                (1600, 800, "webp"),
            ],
            "{claimed:?}"
        );
        for v in &p.variants {
            let expected = if v.format == "jpeg" {
                Format::Jpeg
            } else {
                Format::WebP
            };
            assert_eq!(sniff(&v.bytes), Some(expected));
            let back = image::load_from_memory(&v.bytes).expect("variant decodes");
            assert_eq!((back.width(), back.height()), (v.width, v.height));
        }
    }
}

#[test]
fn a_small_picture_gets_one_width_and_is_never_enlarged() {
    let p = process(
        &encode(&picture(300, 200), ImageFormat::Png),
        None,
        &Limits::default(),
    )
    .expect("processed");
    let widths: Vec<u32> = p.variants.iter().map(|v| v.width).collect();
    assert_eq!(widths, vec![300, 300]);
}

#[test]
fn exif_orientation_is_applied_and_location_is_gone() {
    let img = picture(800, 400);
    let bytes = jpeg_with_exif(&img, 6); // rotate 90° clockwise to view
    assert!(
        bytes.windows(19).any(|w| w == b"GPS-SECRET-LOCATION"),
        "fixture has GPS"
    );
    let p = process(&bytes, Some(Format::Jpeg), &Limits::default()).expect("processed");
    assert_eq!((p.width, p.height), (400, 800), "upright");
    for v in &p.variants {
        assert!(
            !v.bytes.windows(4).any(|w| w == b"Exif"),
            "no EXIF in {}",
            v.format
        );
        assert!(
            !v.bytes.windows(3).any(|w| w == b"GPS"),
            "no GPS in {}",
            v.format
        );
    }
    // Rotated clockwise, the red left half is now on top.
    let jpeg = p
        .variants
        .iter()
        .find(|v| v.format == "jpeg")
        .expect("jpeg");
    let back = image::load_from_memory(&jpeg.bytes)
        .expect("decode")
        .to_rgb8();
    let top = back.get_pixel(back.width() / 2, 5).0;
    let bottom = back.get_pixel(back.width() / 2, back.height() - 5).0;
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );
}

#[test]
fn transparency_is_kept_in_webp_and_flattened_on_white_in_jpeg() {
    let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(100, 50, Rgba([0, 0, 0, 0])));
    let p = process(&encode(&img, ImageFormat::Png), None, &Limits::default()).expect("ok");
    let jpeg = p
        .variants
        .iter()
        .find(|v| v.format == "jpeg")
        .expect("jpeg");
    let px = image::load_from_memory(&jpeg.bytes)
        .expect("decode")
        .to_rgb8();
    assert!(px.get_pixel(10, 10).0.iter().all(|&c| c > 240), "white");
}

#[test]
fn hostile_uploads_are_refused_with_a_reason() {
    let png = encode(&picture(64, 64), ImageFormat::Png);
    let jpeg = encode(&picture(64, 64), ImageFormat::Jpeg);
    /// What, bytes, claimed format, limits, expected error.
    type Case = (&'static str, Vec<u8>, Option<Format>, Limits, ProcessError);
    let cases: Vec<Case> = vec![
        (
            "PNG bytes sent as a JPEG",
            png.clone(),
            Some(Format::Jpeg),
            Limits::default(),
            ProcessError::Mismatch {
                claimed: "JPEG",
                actual: "PNG",
            },
        ),
        (
            "a script named photo.jpg",
            b"<script>alert(1)</script>".to_vec(),
            Some(Format::Jpeg),
            Limits::default(),
            ProcessError::NotAnImage,
        ),
        (
            "an SVG",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            None,
            Limits::default(),
            ProcessError::NotAnImage,
        ),
        (
            "a decompression bomb",
            png_claiming(100_000, 100_000),
            Some(Format::Png),
            Limits::default(),
            ProcessError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                limit_mp: 50,
            },
        ),
        (
            // Under the pixel cap, but taller than WebP can encode: the encoder panicked.
            "a picture 3 pixels wide and 20,000 tall",
            png_claiming(3, 20_000),
            Some(Format::Png),
            Limits::default(),
            ProcessError::TooLong {
                width: 3,
                height: 20_000,
            },
        ),
        (
            "over the size limit",
            png.clone(),
            None,
            Limits {
                max_bytes: 100,
                ..Limits::default()
            },
            ProcessError::TooLarge { limit_mb: 0 },
        ),
    ];
    for (what, bytes, claimed, limits, expected) in cases {
        assert_eq!(
            process(&bytes, claimed, &limits).err(),
            Some(expected),
            "{what}"
        );
    }
    for (what, bytes) in [
        ("a truncated JPEG", jpeg[..jpeg.len() / 2].to_vec()),
        ("a truncated PNG", png[..png.len() / 2].to_vec()),
        ("an empty file", Vec::new()),
        ("a bomb header with no data", png_claiming(4000, 4000)),
    ] {
        let err = process(&bytes, None, &Limits::default()).expect_err(what);
        assert!(
            matches!(err, ProcessError::Corrupt(_) | ProcessError::NotAnImage),
            "{what}: {err:?}"
        );
        assert!(!err.to_string().is_empty());
    }
}

mod s3;
