//! The bundled Noto faces (`assets/fonts`, compiled in so a report prints the
//! same on every laptop), what each covers, and which face prints a
//! character: the first of a fixed fallback chain that has it.

use std::collections::HashMap;
use std::sync::OnceLock;

use harfrust::font::Font;
use harfrust::{Buffer, Direction, Language, ShapeOptions, ShaperFont};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weight {
    Regular,
    Bold,
}

/// One font file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Face {
    Sans,
    SansBold,
    Thai,
    ThaiBold,
    Khmer,
    KhmerBold,
    Lao,
    LaoBold,
    Myanmar,
    MyanmarBold,
    /// Kana and kanji; one weight (see assets/fonts/README.md).
    Japanese,
}

impl Face {
    pub const ALL: [Face; 11] = [
        Face::Sans,
        Face::SansBold,
        Face::Thai,
        Face::ThaiBold,
        Face::Khmer,
        Face::KhmerBold,
        Face::Lao,
        Face::LaoBold,
        Face::Myanmar,
        Face::MyanmarBold,
        Face::Japanese,
    ];

    pub fn bytes(self) -> &'static [u8] {
        macro_rules! font {
            ($file:literal) => {
                include_bytes!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../assets/fonts/",
                    $file
                ))
            };
        }
        match self {
            Face::Sans => font!("NotoSans-Regular.ttf"),
            Face::SansBold => font!("NotoSans-Bold.ttf"),
            Face::Thai => font!("NotoSansThai-Regular.ttf"),
            Face::ThaiBold => font!("NotoSansThai-Bold.ttf"),
            Face::Khmer => font!("NotoSansKhmer-Regular.ttf"),
            Face::KhmerBold => font!("NotoSansKhmer-Bold.ttf"),
            Face::Lao => font!("NotoSansLao-Regular.ttf"),
            Face::LaoBold => font!("NotoSansLao-Bold.ttf"),
            Face::Myanmar => font!("NotoSansMyanmar-Regular.ttf"),
            Face::MyanmarBold => font!("NotoSansMyanmar-Bold.ttf"),
            Face::Japanese => font!("NotoSansJP-Regular.otf"),
        }
    }

    /// The faces tried in order for a character of this weight: Latin,
    /// Vietnamese and Cyrillic first, then each script's own face.
    pub fn chain(weight: Weight) -> &'static [Face] {
        match weight {
            Weight::Regular => &[
                Face::Sans,
                Face::Thai,
                Face::Khmer,
                Face::Lao,
                Face::Myanmar,
                Face::Japanese,
            ],
            Weight::Bold => &[
                Face::SansBold,
                Face::ThaiBold,
                Face::KhmerBold,
                Face::LaoBold,
                Face::MyanmarBold,
                Face::Japanese,
            ],
        }
    }

    /// The language a run in this face is shaped as, where the face implies one.
    fn language(self) -> Option<&'static str> {
        match self {
            Face::Japanese => Some("ja"),
            _ => None,
        }
    }

    pub fn info(self) -> &'static FaceInfo {
        &faces()[self as usize]
    }
}

/// What layout needs of a face, read once.
pub struct FaceInfo {
    font: Font,
    pub units_per_em: f32,
    /// Above and below the baseline, in em (descent positive).
    pub ascent: f32,
    pub descent: f32,
    /// The character each glyph the cmap reaches stands for (the lowest
    /// code point when several share it): what its ToUnicode entry says.
    reverse: HashMap<u16, char>,
}

fn faces() -> &'static [FaceInfo] {
    static FACES: OnceLock<Vec<FaceInfo>> = OnceLock::new();
    FACES.get_or_init(|| Face::ALL.iter().map(|f| FaceInfo::read(*f)).collect())
}

impl FaceInfo {
    fn read(face: Face) -> FaceInfo {
        let font = Font::new(face.bytes(), 0).expect("the bundled fonts parse");
        let metrics = font.metrics();
        let upem = f32::from(metrics.units_per_em);
        let line = metrics
            .typo_line
            .filter(|_| metrics.use_typo_metrics)
            .or(metrics.hhea_line)
            .expect("the bundled fonts have line metrics");
        let mut reverse = HashMap::new();
        for (cp, gid) in font.charmap().unicodes() {
            let (Ok(gid), Some(ch)) = (u16::try_from(gid.to_u32()), char::from_u32(cp)) else {
                continue;
            };
            reverse.entry(gid).or_insert(ch);
        }
        FaceInfo {
            ascent: line.ascender.to_f32() / upem,
            descent: -line.descender.to_f32() / upem,
            units_per_em: upem,
            reverse,
            font,
        }
    }

    pub fn covers(&self, ch: char) -> bool {
        self.font.charmap().map_unicode(ch).is_some()
    }

    /// The text a glyph stands for on its own, or "" for a glyph the cmap
    /// does not reach (a ligature, a conjunct form, .notdef).
    pub fn glyph_text(&self, gid: u16) -> Option<char> {
        self.reverse.get(&gid).copied()
    }

    /// Shapes `text` (one run of one face) left to right, with the text
    /// around it as context; positions in em.
    pub fn shape(&self, face: Face, text: &str, before: &str, after: &str) -> Vec<ShapedGlyph> {
        let shaper = ShaperFont::new(&self.font);
        let mut buffer = Buffer::new();
        buffer.push_str(text);
        buffer.set_pre_context(before);
        buffer.set_post_context(after);
        buffer.guess_segment_properties();
        buffer.set_direction(Direction::LeftToRight);
        if let Some(lang) = face.language().and_then(|l| l.parse::<Language>().ok()) {
            buffer.set_language(Some(lang));
        }
        harfrust::shape(&shaper, &mut buffer, ShapeOptions::new())
            .expect("a left-to-right buffer of text shapes");
        let em = self.units_per_em;
        buffer
            .glyph_infos()
            .iter()
            .zip(buffer.glyph_positions())
            .map(|(info, pos)| ShapedGlyph {
                gid: u16::try_from(info.glyph_id).unwrap_or(0),
                cluster: info.cluster as usize,
                advance: pos.x_advance as f32 / em,
                x_offset: pos.x_offset as f32 / em,
                y_offset: pos.y_offset as f32 / em,
            })
            .collect()
    }
}

/// A glyph as the shaper placed it, in em; `cluster` is the byte offset in
/// the shaped text of the first character it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapedGlyph {
    pub gid: u16,
    pub cluster: usize,
    pub advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
}

/// Characters that take the face of the text around them when it has them
/// (spaces, digits, punctuation, combining marks, joiners), so a Thai or
/// Japanese run is not cut at every digit or space.
fn is_neutral(ch: char) -> bool {
    !ch.is_alphabetic() || matches!(ch as u32, 0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F)
}

/// The face that prints `ch` after text set in `current`; `None` when no
/// bundled face has it (it then prints as the main face's missing-glyph box).
pub fn face_for(ch: char, weight: Weight, current: Option<Face>) -> Option<Face> {
    if let Some(face) = current {
        if is_neutral(ch) && face.info().covers(ch) {
            return Some(face);
        }
    }
    Face::chain(weight)
        .iter()
        .copied()
        .find(|f| f.info().covers(ch))
}
