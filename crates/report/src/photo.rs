//! Field photos for print: decoded (JPEG, PNG or WebP), turned upright by
//! their EXIF orientation, resized to about 200 dpi at their printed size, and
//! re-encoded as JPEG, which the PDF carries as it is. A photo whose bytes
//! have not arrived, or that cannot be decoded, prints as a labelled box.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::page::{MUTED, PHOTO_HEIGHT, RULE, SHADE, SMALL};
use crate::pdf::{Page, Writer};
use crate::text::{layout, Span};

/// Print resolution of photos.
const DPI: f32 = 200.0;
const JPEG_QUALITY: u8 = 82;

pub struct Photo {
    pub caption: String,
    content: Content,
}

enum Content {
    Jpeg {
        bytes: Vec<u8>,
        width: u32,
        height: u32,
    },
    /// Why it is not printed, as the box says it.
    Placeholder(String),
}

impl Photo {
    /// A photo from its file's bytes, prepared for a box of at most
    /// `box_w`×`box_h` points; `undecodable` labels the box if it cannot be read.
    pub fn from_bytes(bytes: &[u8], caption: String, undecodable: String) -> Photo {
        let content = match prepare(bytes, super::page::PHOTO_BOX_WIDTH, PHOTO_HEIGHT) {
            Ok((bytes, width, height)) => Content::Jpeg {
                bytes,
                width,
                height,
            },
            Err(_) => Content::Placeholder(undecodable),
        };
        Photo { caption, content }
    }

    /// A photo known from sync whose file has not arrived yet.
    pub fn placeholder(caption: String, label: String) -> Photo {
        Photo {
            caption,
            content: Content::Placeholder(label),
        }
    }

    pub fn is_placeholder(&self) -> bool {
        matches!(self.content, Content::Placeholder(_))
    }

    /// Draws the photo centred in the box at (x, y), `w`×`h` points.
    pub fn draw(&self, writer: &mut Writer, page: &mut Page, x: f32, y: f32, w: f32, h: f32) {
        match &self.content {
            Content::Jpeg {
                bytes,
                width,
                height,
            } => {
                let scale = (w / *width as f32).min(h / *height as f32);
                let (dw, dh) = (*width as f32 * scale, *height as f32 * scale);
                let id = writer.jpeg(bytes.clone(), *width, *height);
                page.image(
                    &id,
                    x + (w - dw) / 2.0,
                    y + (h - dh) / 2.0,
                    dw,
                    dh,
                    (*width, *height),
                );
            }
            Content::Placeholder(label) => {
                page.fill_rect(x, y, w, h, SHADE);
                page.stroke_rect(x, y, w, h, RULE, 0.6);
                let style = crate::text::Style {
                    color: MUTED,
                    ..SMALL
                };
                let lines = layout(&[Span::new(label.clone(), style)], w - 12.0);
                let total: f32 = lines.iter().map(|l| l.height()).sum();
                let mut ly = y + (h - total) / 2.0;
                for line in &lines {
                    page.line(writer, line, x + (w - line.width) / 2.0, ly + line.ascent);
                    ly += line.height();
                }
            }
        }
    }
}

type PhotoResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Phone photos are at most ~50 MP; refuse what would need more memory.
const MAX_SIDE: u32 = 12_000;

/// Decodes, orients, resizes and re-encodes a photo for a box of
/// `box_w`×`box_h` points: the JPEG bytes and their pixel size.
pub fn prepare(bytes: &[u8], box_w: f32, box_h: f32) -> PhotoResult<(Vec<u8>, u32, u32)> {
    let (mut img, orientation) = match jpeg_at_print_size(bytes, box_w, box_h) {
        Some(decoded) => decoded?,
        None => any_image(bytes)?,
    };
    img.apply_orientation(orientation);
    let (target_w, target_h) = print_size(img.width(), img.height(), box_w, box_h);
    if target_w < img.width() {
        // Area averaging: as sharp as a filtered resize when shrinking a
        // photo, and many times faster.
        img = img.thumbnail(target_w, target_h);
    }
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb)?;
    Ok((out, rgb.width(), rgb.height()))
}

/// The pixels of a `w`×`h` picture fitted in the box at [`DPI`].
fn print_size(w: u32, h: u32, box_w: f32, box_h: f32) -> (u32, u32) {
    let (w, h) = (w as f32, h as f32);
    let scale = (box_w / w).min(box_h / h);
    let px = |side: f32| (side * scale / 72.0 * DPI).round().max(1.0) as u32;
    (px(w), px(h))
}

/// A JPEG decoded at the smallest DCT scale (1/8 … 1) that still has the
/// printed size's pixels: a 12 MP phone photo printed 6 cm wide is decoded
/// at 1/8 of its size, which skips most of the work. `None` when it is not
/// a JPEG of RGB or grey pixels (a CMYK one goes the general way).
fn jpeg_at_print_size(
    bytes: &[u8],
    box_w: f32,
    box_h: f32,
) -> Option<PhotoResult<(DynamicImage, Orientation)>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    let info = match decoder.read_info().map(|()| decoder.info()) {
        Ok(Some(info)) => info,
        Ok(None) => return None,
        Err(e) => return Some(Err(e.into())),
    };
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w > MAX_SIDE || h > MAX_SIDE {
        return Some(Err(format!("{w} × {h} pixels is too large").into()));
    }
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    // The print size is of the upright picture; the decoder works on the stored one.
    let (tw, th) = if turned {
        let (tw, th) = print_size(h, w, box_w, box_h);
        (th, tw)
    } else {
        print_size(w, h, box_w, box_h)
    };
    let clamp = |v: u32| v.min(u32::from(u16::MAX)) as u16;
    let decoded = decoder
        .scale(clamp(tw), clamp(th))
        .and_then(|(sw, sh)| Ok((sw, sh, decoder.decode()?)));
    let (sw, sh, pixels) = match decoded {
        Ok(d) => d,
        Err(e) => return Some(Err(e.into())),
    };
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let img = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => {
            image::RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8)
        }
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => None,
    }?;
    Some(Ok((img, orientation)))
}

/// Any picture the image crate reads (PNG, WebP, CMYK JPEG), at full size.
fn any_image(bytes: &[u8]) -> PhotoResult<(DynamicImage, Orientation)> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    Ok((DynamicImage::from_decoder(decoder)?, orientation))
}
