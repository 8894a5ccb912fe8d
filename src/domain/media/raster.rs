//! Raster images: dimensions read from the header before anything is decoded, then the served original (with no
//! metadata: EXIF, GPS, XMP, comments and whatever follows the image are gone) and the responsive variants.
//!
//! JPEG and PNG are decoded, turned upright by their EXIF orientation and re-encoded (JPEG at quality 90, keeping
//! the ICC colour profile); GIF is re-encoded frame by frame (animation kept, no variants) once its frame headers
//! are checked; WebP keeps its encoded image and only the chunks that describe it (EXIF, XMP and unknown chunks
//! go), or is re-encoded upright when its EXIF turned it. Variants: each configured width narrower than the image, in
//! the original's format and in lossy WebP, each made from the next larger one.

use std::io::Cursor;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};

use super::{original_file, variant_file, Kind, Limits, Refusal};

pub const JPEG_QUALITY: u8 = 90;
pub const VARIANT_JPEG_QUALITY: u8 = 82;
pub const WEBP_QUALITY: f32 = 80.0;

/// A file made from an upload, ready to store.
#[derive(Debug, Clone)]
pub struct Variant {
    pub file: String,
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// A raster upload, processed: the served original and its variants, narrowest first.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub original: Variant,
    pub variants: Vec<Variant>,
}

fn format(kind: Kind) -> Option<ImageFormat> {
    match kind {
        Kind::Jpeg => Some(ImageFormat::Jpeg),
        Kind::Png => Some(ImageFormat::Png),
        Kind::Gif => Some(ImageFormat::Gif),
        Kind::Webp => Some(ImageFormat::WebP),
        Kind::Svg | Kind::Pdf => None,
    }
}

fn unreadable(kind: Kind, e: impl std::fmt::Display) -> Refusal {
    Refusal::Unreadable(format!("the {} does not decode: {e}", kind.content_type()))
}

/// The decoder's limits: the dimensions allowed, and what decoding may allocate (RGBA at 16 bits per channel).
fn decode_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_dimension);
    l.max_image_height = Some(limits.max_dimension);
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(64 * 1024 * 1024));
    l
}

/// Checks the dimensions the header declares against the limits, before any pixel is decoded.
pub fn check_dimensions(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<(u32, u32), Refusal> {
    let fmt = format(kind).ok_or_else(|| unreadable(kind, "not a raster image"))?;
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), fmt)
        .into_dimensions()
        .map_err(|e| unreadable(kind, e))?;
    if w == 0 || h == 0 {
        return Err(unreadable(kind, "it has no pixels"));
    }
    if w > limits.max_dimension || h > limits.max_dimension {
        return Err(Refusal::Dimensions(format!(
            "the image declares {w} × {h} pixels; the limit is {} pixels a side (FOLIO_MEDIA_MAX_DIMENSION)",
            limits.max_dimension
        )));
    }
    if u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(Refusal::Dimensions(format!(
            "the image declares {w} × {h} = {} pixels; the limit is {} pixels (FOLIO_MEDIA_MAX_PIXELS)",
            u64::from(w) * u64::from(h),
            limits.max_pixels
        )));
    }
    Ok((w, h))
}

/// The served original and the variants of a raster upload. CPU-heavy: call it off the HTTP workers.
pub fn prepare_raster(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<Prepared, Refusal> {
    check_dimensions(kind, bytes, limits)?;
    match kind {
        Kind::Gif => gif(bytes, limits).map(|original| Prepared {
            original,
            variants: Vec::new(),
        }),
        Kind::Webp => {
            let (image, _, turned) = decode(kind, bytes, limits)?;
            // Stripping the EXIF drops the orientation too: a turned image is served re-encoded, upright.
            let bytes = match turned {
                true => webp(&image)?,
                false => webp_without_metadata(bytes)?,
            };
            let original = Variant {
                file: original_file(kind),
                kind,
                width: image.width(),
                height: image.height(),
                bytes,
            };
            let variants = variants(&image, kind, &limits.widths)?;
            Ok(Prepared { original, variants })
        }
        Kind::Jpeg | Kind::Png => {
            let (image, icc, _) = decode(kind, bytes, limits)?;
            let original = Variant {
                file: original_file(kind),
                kind,
                width: image.width(),
                height: image.height(),
                bytes: encode(&image, kind, JPEG_QUALITY, icc)?,
            };
            let variants = variants(&image, kind, &limits.widths)?;
            Ok(Prepared { original, variants })
        }
        Kind::Svg | Kind::Pdf => Err(unreadable(kind, "not a raster image")),
    }
}

/// The pixels, upright, the colour profile, and whether the orientation turned them.
fn decode(
    kind: Kind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(DynamicImage, Option<Vec<u8>>, bool), Refusal> {
    let fmt = format(kind).ok_or_else(|| unreadable(kind, "not a raster image"))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    reader.limits(decode_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(kind, e))?;
    let orientation = decoder.orientation().map_err(|e| unreadable(kind, e))?;
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(kind, e))?;
    image.apply_orientation(orientation);
    Ok((
        image,
        icc,
        orientation != image::metadata::Orientation::NoTransforms,
    ))
}

fn encode(
    image: &DynamicImage,
    kind: Kind,
    quality: u8,
    icc: Option<Vec<u8>>,
) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let failed = |e: image::ImageError| unreadable(kind, format!("re-encoding failed: {e}"));
    match kind {
        Kind::Jpeg => {
            let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
            if let Some(icc) = icc {
                // A profile the encoder cannot carry is dropped: colours shift slightly, nothing leaks.
                let _ = encoder.set_icc_profile(icc);
            }
            let image = match image.color().has_color() {
                true => DynamicImage::ImageRgb8(image.to_rgb8()),
                false => DynamicImage::ImageLuma8(image.to_luma8()),
            };
            image.write_with_encoder(encoder).map_err(failed)?;
        }
        Kind::Png => {
            let mut encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            );
            if let Some(icc) = icc {
                let _ = encoder.set_icc_profile(icc);
            }
            image.write_with_encoder(encoder).map_err(failed)?;
        }
        Kind::Webp => return webp(image),
        Kind::Gif | Kind::Svg | Kind::Pdf => {
            return Err(unreadable(kind, "no encoder for variants"))
        }
    }
    Ok(out)
}

/// Lossy WebP (libwebp), with an alpha channel when the image has one.
fn webp(image: &DynamicImage) -> Result<Vec<u8>, Refusal> {
    let (w, h) = (image.width(), image.height());
    let encoded = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(rgba.as_raw(), w, h).encode_simple(false, WEBP_QUALITY)
    } else {
        let rgb = image.to_rgb8();
        webp::Encoder::from_rgb(rgb.as_raw(), w, h).encode_simple(false, WEBP_QUALITY)
    };
    encoded
        .map(|m| m.to_vec())
        .map_err(|e| unreadable(Kind::Webp, format!("WebP encoding failed: {e:?}")))
}

/// Each configured width narrower than the image, in `kind` and in WebP (once, when `kind` is WebP), narrowest
/// first. The widest is resized from the image, each narrower one from the previous: the cost is that of the
/// first resize.
fn variants(image: &DynamicImage, kind: Kind, widths: &[u32]) -> Result<Vec<Variant>, Refusal> {
    let mut wanted: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|w| *w > 0 && *w < image.width())
        .collect();
    wanted.sort_unstable_by(|a, b| b.cmp(a));
    wanted.dedup();
    let mut out = Vec::new();
    let mut source = image.clone();
    for width in wanted {
        let height = scaled_height(image.width(), image.height(), width);
        let resized = source.resize_exact(width, height, FilterType::CatmullRom);
        let mut kinds = vec![kind];
        if kind != Kind::Webp {
            kinds.push(Kind::Webp);
        }
        for k in kinds {
            out.push(Variant {
                file: variant_file(width, k),
                kind: k,
                width,
                height,
                bytes: encode(&resized, k, VARIANT_JPEG_QUALITY, None)?,
            });
        }
        source = resized;
    }
    // Narrowest first; at each width the original's format, then WebP.
    out.sort_by_key(|v| (v.width, v.kind != kind));
    Ok(out)
}

/// The height of a `width`-wide copy, rounded, at least 1.
pub fn scaled_height(original_width: u32, original_height: u32, width: u32) -> u32 {
    let h = (u64::from(original_height) * u64::from(width) + u64::from(original_width) / 2)
        / u64::from(original_width.max(1));
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// Walks the frame headers without decoding any pixel: every frame must lie within the canvas, and the frames
/// together (each is a whole canvas once decoded) must hold no more than the pixel limit.
fn check_frames(bytes: &[u8], width: u32, height: u32, limits: &Limits) -> Result<(), Refusal> {
    let kind = Kind::Gif;
    let mut options = ::gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    options.check_frame_consistency(true);
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(|e| unreadable(kind, e))?;
    let canvas = u64::from(width) * u64::from(height);
    let mut frames = 0u64;
    while decoder
        .read_next_frame()
        .map_err(|e| unreadable(kind, e))?
        .is_some()
    {
        frames += 1;
        if canvas.saturating_mul(frames) > limits.max_pixels {
            return Err(Refusal::Dimensions(format!(
                "the animation's frames hold more than {} pixels together (FOLIO_MEDIA_MAX_PIXELS)",
                limits.max_pixels
            )));
        }
    }
    Ok(())
}

/// Every frame again, with its delay; nothing else of the file (comments, application extensions) survives.
fn gif(bytes: &[u8], limits: &Limits) -> Result<Variant, Refusal> {
    let kind = Kind::Gif;
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|e| unreadable(kind, e))?;
    decoder
        .set_limits(decode_limits(limits))
        .map_err(|e| unreadable(kind, e))?;
    let (width, height) = decoder.dimensions();
    check_frames(bytes, width, height, limits)?;
    let frames = decoder
        .into_frames()
        .collect_frames()
        .map_err(|e| unreadable(kind, e))?;
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| unreadable(kind, e))?;
        encoder
            .encode_frames(frames)
            .map_err(|e| unreadable(kind, e))?;
    }
    Ok(Variant {
        file: original_file(kind),
        kind,
        width,
        height,
        bytes: out,
    })
}

/// The WebP file without its EXIF and XMP chunks.
fn webp_without_metadata(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    use img_parts::webp::{WebP, CHUNK_EXIF, CHUNK_XMP};
    use img_parts::ImageEXIF;
    // What WebP's container defines for the image itself; anything else (EXIF, XMP, unknown chunks) goes.
    const KEPT: [&[u8; 4]; 7] = [
        b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
    ];
    let mut file = WebP::from_bytes(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| unreadable(Kind::Webp, e))?;
    file.set_exif(None);
    file.remove_chunks_by_id(CHUNK_EXIF);
    file.remove_chunks_by_id(CHUNK_XMP);
    file.chunks_mut()
        .retain(|chunk| KEPT.contains(&&chunk.id()));
    Ok(file.encoder().bytes().to_vec())
}
