//! Checking, decoding and resizing an uploaded photo.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader};

/// The widths pages ask for (phones, tablets and desktop at 1x/2x); narrower originals get
/// one variant at their own width.
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
}

impl Format {
    pub fn from_mime(mime: &str) -> Option<Self> {
        Some(match mime.trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Self::Jpeg,
            "image/png" => Self::Png,
            "image/gif" => Self::Gif,
            "image/webp" => Self::WebP,
            _ => return None,
        })
    }

    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" => Self::Jpeg,
            "png" => Self::Png,
            "gif" => Self::Gif,
            "webp" => Self::WebP,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
            Self::WebP => "WebP",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Gif => image::ImageFormat::Gif,
            Self::WebP => image::ImageFormat::WebP,
        }
    }
}

/// The format the bytes really are, from their signature.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest upload accepted, in bytes.
    pub max_bytes: usize,
    /// Largest picture accepted, in pixels (width × height): the guard against
    /// decompression bombs, checked from the header before any pixel is decoded.
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 20 * 1024 * 1024,
            max_pixels: 50_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProcessError {
    #[error("the file is larger than the {limit_mb} MB limit")]
    TooLarge { limit_mb: usize },
    #[error("the file is not a JPEG, PNG, WebP or GIF image")]
    NotAnImage,
    #[error("the file is named or sent as {claimed} but its contents are {actual}")]
    Mismatch {
        claimed: &'static str,
        actual: &'static str,
    },
    #[error("the picture is {width}×{height} pixels, more than the {limit_mp} megapixels accepted")]
    TooManyPixels {
        width: u32,
        height: u32,
        limit_mp: u64,
    },
    #[error(
        "the picture is {width}×{height} pixels; a side longer than {MAX_SIDE} pixels is not accepted"
    )]
    TooLong { width: u32, height: u32 },
    #[error("the image is damaged or incomplete ({0})")]
    Corrupt(String),
    #[error("cannot encode a variant: {0}")]
    Encode(String),
}

/// The longest side accepted: WebP's limit (a variant keeps the original's height, and the
/// WebP encoder panics beyond it; found by the `image` fuzz target).
pub const MAX_SIDE: u32 = 16_383;

/// One stored copy of the photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    /// `jpeg` or `webp`.
    pub format: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The upright picture's size.
    pub width: u32,
    pub height: u32,
    pub source: Format,
    /// Narrowest first, JPEG and WebP for each width.
    pub variants: Vec<Variant>,
}

/// The pixel count an image's header claims (width × height), read without decoding it;
/// `None` when the bytes are no image this can read. For budgeting work before `process`.
pub fn claimed_pixels(bytes: &[u8]) -> Option<u64> {
    let (w, h) = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    Some(u64::from(w) * u64::from(h))
}

/// Checks, decodes and resizes an upload. `claimed` is what the browser or the file name says
/// it is; a file whose bytes say otherwise is refused.
pub fn process(
    bytes: &[u8],
    claimed: Option<Format>,
    limits: &Limits,
) -> Result<Processed, ProcessError> {
    if bytes.len() > limits.max_bytes {
        return Err(ProcessError::TooLarge {
            limit_mb: limits.max_bytes / (1024 * 1024),
        });
    }
    let actual = sniff(bytes).ok_or(ProcessError::NotAnImage)?;
    if let Some(claimed) = claimed
        && claimed != actual
    {
        return Err(ProcessError::Mismatch {
            claimed: claimed.name(),
            actual: actual.name(),
        });
    }
    if actual == Format::Jpeg && !has_jpeg_end(bytes) {
        return Err(ProcessError::Corrupt("the JPEG data ends early".into()));
    }
    let reader = || ImageReader::with_format(Cursor::new(bytes), actual.image_format());
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ProcessError::TooManyPixels {
            width,
            height,
            limit_mp: limits.max_pixels / 1_000_000,
        });
    }
    if width.max(height) > MAX_SIDE {
        return Err(ProcessError::TooLong { width, height });
    }
    let mut reader = reader();
    let mut decode_limits = image::Limits::default();
    // Header checked above; this bounds what a lying header could still make it allocate.
    decode_limits.max_alloc = Some(limits.max_pixels * 8 + (64 << 20));
    reader.limits(decode_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| ProcessError::Corrupt(e.to_string()))?;
    img.apply_orientation(orientation);

    // The decoded picture may differ from its header (a GIF's frame is not its screen).
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(ProcessError::Corrupt(format!("{w}×{h} pixels")));
    }
    if w.max(h) > MAX_SIDE {
        return Err(ProcessError::TooLong {
            width: w,
            height: h,
        });
    }
    let mut widths: Vec<u32> = WIDTHS.into_iter().filter(|&x| x < w).collect();
    if widths.len() < WIDTHS.len() {
        widths.push(w.min(WIDTHS[WIDTHS.len() - 1]));
    }
    widths.dedup();
    // Largest first, each smaller one from the one before: cheaper than every size from the
    // full original, and indistinguishable at these ratios.
    let mut variants = Vec::new();
    let mut source = img;
    for &target in widths.iter().rev() {
        let target_h = ((u64::from(h) * u64::from(target) / u64::from(w.max(1))) as u32).max(1);
        let resized = if target == source.width() {
            source.clone()
        } else {
            source.resize_exact(target, target_h, FilterType::CatmullRom)
        };
        variants.push(encode_webp(&resized)?);
        variants.push(encode_jpeg(&resized)?);
        source = resized;
    }
    variants.reverse();
    variants.sort_by_key(|v| (v.width, v.format));
    Ok(Processed {
        width: w,
        height: h,
        source: actual,
        variants,
    })
}

/// A complete JPEG ends with the EOI marker (some cameras pad after it).
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn encode_jpeg(img: &DynamicImage) -> Result<Variant, ProcessError> {
    let rgb = flatten(img);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&rgb)
        .map_err(|e| ProcessError::Encode(e.to_string()))?;
    Ok(Variant {
        width: rgb.width(),
        height: rgb.height(),
        format: "jpeg",
        bytes: out,
    })
}

fn encode_webp(img: &DynamicImage) -> Result<Variant, ProcessError> {
    let (w, h) = (img.width(), img.height());
    let bytes = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        webp::Encoder::from_rgba(rgba.as_raw(), w, h)
            .encode(80.0)
            .to_vec()
    } else {
        let rgb = img.to_rgb8();
        webp::Encoder::from_rgb(rgb.as_raw(), w, h)
            .encode(80.0)
            .to_vec()
    };
    Ok(Variant {
        width: w,
        height: h,
        format: "webp",
        bytes,
    })
}

/// RGB for JPEG: transparent pixels over white, as a page would show them.
fn flatten(img: &DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}
