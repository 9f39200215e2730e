//! Every layout constant of the reports, in points (1/72 in): paper sizes,
//! margins, type sizes, colours. Nothing else in the crate hard-codes a size.

use serde::Deserialize;

use crate::fonts::Weight;
use crate::text::{Rgb, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaperSize {
    A4,
    Letter,
}

impl std::str::FromStr for PaperSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Ok(PaperSize::A4),
            "letter" => Ok(PaperSize::Letter),
            other => Err(format!("unknown paper size '{other}' (a4 or letter)")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paper {
    pub width: f32,
    pub height: f32,
}

impl PaperSize {
    pub fn paper(self) -> Paper {
        match self {
            // ISO 216: 210 × 297 mm.
            PaperSize::A4 => Paper {
                width: 595.28,
                height: 841.89,
            },
            // 8.5 × 11 in.
            PaperSize::Letter => Paper {
                width: 612.0,
                height: 792.0,
            },
        }
    }
}

/// Margins: 18 mm at the sides, room for the running head and foot.
pub const MARGIN_SIDE: f32 = 51.0;
pub const MARGIN_TOP: f32 = 62.0;
pub const MARGIN_BOTTOM: f32 = 62.0;
/// Where the running head and foot sit, from the page's top and bottom edge.
pub const HEAD_BASELINE: f32 = 34.0;
pub const FOOT_BASELINE: f32 = 36.0;

impl Paper {
    pub fn content_width(&self) -> f32 {
        self.width - 2.0 * MARGIN_SIDE
    }
    pub fn content_bottom(&self) -> f32 {
        self.height - MARGIN_BOTTOM
    }
}

pub const INK: Rgb = Rgb(0.11, 0.13, 0.16);
pub const MUTED: Rgb = Rgb(0.38, 0.42, 0.47);
pub const ACCENT: Rgb = Rgb(0.05, 0.40, 0.36);
pub const RULE: Rgb = Rgb(0.80, 0.83, 0.86);
pub const SHADE: Rgb = Rgb(0.94, 0.95, 0.96);
pub const WATERMARK: Rgb = Rgb(0.88, 0.89, 0.90);
/// Chart series: with subsidy, without, and more bars.
pub const SERIES: [Rgb; 4] = [
    Rgb(0.05, 0.40, 0.36),
    Rgb(0.85, 0.45, 0.10),
    Rgb(0.25, 0.35, 0.65),
    Rgb(0.55, 0.55, 0.55),
];

pub const fn style(size: f32, weight: Weight, color: Rgb) -> Style {
    Style {
        size,
        weight,
        color,
    }
}

pub const TITLE: Style = style(18.0, Weight::Bold, INK);
pub const HEADING: Style = style(12.5, Weight::Bold, ACCENT);
/// A heading's second language, under the first.
pub const HEADING_ALT: Style = style(9.5, Weight::Regular, ACCENT);
pub const BODY: Style = style(9.5, Weight::Regular, INK);
pub const BODY_BOLD: Style = style(9.5, Weight::Bold, INK);
pub const SMALL: Style = style(7.5, Weight::Regular, MUTED);
pub const TABLE_HEAD: Style = style(8.0, Weight::Bold, INK);
pub const TABLE: Style = style(8.5, Weight::Regular, INK);
pub const FURNITURE: Style = style(7.5, Weight::Regular, MUTED);
pub const DRAFT_HEAD: Style = style(7.5, Weight::Bold, Rgb(0.70, 0.16, 0.12));
pub const WATERMARK_STYLE: Style = style(54.0, Weight::Bold, WATERMARK);

/// Space before a heading, after it, and between paragraphs.
pub const SPACE_BEFORE_HEADING: f32 = 14.0;
pub const SPACE_AFTER_HEADING: f32 = 5.0;
pub const SPACE_PARAGRAPH: f32 = 5.0;
/// Padding inside a table cell.
pub const CELL_PAD: f32 = 3.0;
/// Photo grid: columns and the height of a photo box.
pub const PHOTO_COLUMNS: usize = 3;
pub const PHOTO_HEIGHT: f32 = 118.0;
/// The widest a photo box gets (a third of Letter's text width, less gaps).
pub const PHOTO_BOX_WIDTH: f32 = 165.0;
pub const CHART_HEIGHT: f32 = 170.0;
