//! Field photos for print: decoded (JPEG, PNG or WebP), turned upright by
//! their EXIF orientation, resized to about 200 dpi at their printed size, and
//! re-encoded as JPEG, which the PDF carries as it is. A photo whose bytes
//! have not arrived, or that cannot be decoded, prints as a labelled box.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
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

/// Decodes, orients, resizes and re-encodes a photo for a box of
/// `box_w`×`box_h` points: the JPEG bytes and their pixel size.
pub fn prepare(bytes: &[u8], box_w: f32, box_h: f32) -> image::ImageResult<(Vec<u8>, u32, u32)> {
    // Phone photos are at most ~50 MP; refuse what would need more memory.
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let (w, h) = (img.width() as f32, img.height() as f32);
    let scale = (box_w / w).min(box_h / h);
    let target_w = (w * scale / 72.0 * DPI).round().max(1.0) as u32;
    let target_h = (h * scale / 72.0 * DPI).round().max(1.0) as u32;
    if target_w < img.width() {
        img = img.resize(target_w, target_h, FilterType::Triangle);
    }
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb)?;
    Ok((out, rgb.width(), rgb.height()))
}
