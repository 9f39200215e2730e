//! Paragraphs into lines of positioned glyphs: split into runs by style and
//! face, shaped with harfrust, broken where ICU4X's line segmenter allows
//! (with its dictionaries for Thai, Khmer, Lao and Burmese, which put no
//! spaces between words), filled greedily, and each line shaped again on
//! its own so nothing is shaped across a break.

use std::ops::Range;
use std::sync::OnceLock;

use icu_segmenter::options::LineBreakOptions;
use icu_segmenter::{GraphemeClusterSegmenter, LineSegmenter, LineSegmenterBorrowed};

use crate::fonts::{face_for, Face, Weight};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// In points.
    pub size: f32,
    pub weight: Weight,
    pub color: Rgb,
}

/// A piece of a paragraph in one style.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

impl Span {
    pub fn new(text: impl Into<String>, style: Style) -> Span {
        Span {
            text: text.into(),
            style,
        }
    }
}

/// A glyph on a line: x from the line's start, y up from its baseline, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedGlyph {
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
    pub gid: u16,
    pub x: f32,
    pub y: f32,
}

/// The glyphs one piece of source text became. `actual_text` says the
/// glyphs' own characters, in the order they are drawn, do not spell the
/// text (a ligature, a reordered Khmer or Burmese syllable, a composed
/// Vietnamese letter typed decomposed, a missing glyph), or that a mark
/// is moved off the pen position (Thai tone marks, Burmese medials): the
/// PDF then carries the text itself for extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub text: String,
    pub glyphs: Range<usize>,
    pub actual_text: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub glyphs: Vec<PlacedGlyph>,
    pub clusters: Vec<Cluster>,
    /// Drawn width, trailing spaces left out.
    pub width: f32,
    pub ascent: f32,
    pub descent: f32,
    /// Which bytes of the paragraph's text this line prints.
    pub range: Range<usize>,
}

impl Line {
    /// Baseline-to-baseline distance to the next line.
    pub fn height(&self) -> f32 {
        (self.ascent + self.descent) * LINE_SPACING
    }

    pub fn text(&self) -> String {
        self.clusters.iter().map(|c| c.text.as_str()).collect()
    }
}

/// Leading as a share of the tallest face's own ascent + descent.
const LINE_SPACING: f32 = 1.12;

/// The paragraph's text with what it is set in, byte by byte.
struct Source {
    text: String,
    /// Per span: where it starts in `text`, and its style.
    styles: Vec<(usize, Style)>,
}

/// A stretch of the source in one face and style.
#[derive(Debug, Clone)]
struct Run {
    range: Range<usize>,
    face: Face,
    style: Style,
}

impl Source {
    fn new(spans: &[Span]) -> Source {
        let mut text = String::new();
        let mut styles = Vec::new();
        for span in spans {
            styles.push((text.len(), span.style));
            // A tab is a space on paper; other control characters stay and
            // print as the missing-glyph box.
            text.extend(span.text.chars().map(|c| if c == '\t' { ' ' } else { c }));
        }
        Source { text, styles }
    }

    fn style_at(&self, at: usize) -> Style {
        let i = self.styles.partition_point(|(start, _)| *start <= at);
        self.styles[i.saturating_sub(1)].1
    }

    /// `range` cut into runs of one style and face.
    fn runs(&self, range: Range<usize>) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        let mut current: Option<Face> = None;
        for (i, ch) in self.text[range.clone()].char_indices() {
            let at = range.start + i;
            let style = self.style_at(at);
            let face = face_for(ch, style.weight, current).unwrap_or(Face::chain(style.weight)[0]);
            current = Some(face);
            match runs.last_mut() {
                Some(r) if r.face == face && r.style == style => r.range.end = at + ch.len_utf8(),
                _ => runs.push(Run {
                    range: at..at + ch.len_utf8(),
                    face,
                    style,
                }),
            }
        }
        runs
    }

    /// Shapes the runs of `range` into one line starting at x = 0.
    fn line(&self, range: Range<usize>) -> Line {
        let mut line = Line {
            glyphs: Vec::new(),
            clusters: Vec::new(),
            width: 0.0,
            ascent: 0.0,
            descent: 0.0,
            range: range.clone(),
        };
        let mut x = 0.0;
        let mut drawn_end = 0.0;
        for run in self.runs(range.clone()) {
            let info = run.face.info();
            let size = run.style.size;
            line.ascent = line.ascent.max(info.ascent * size);
            line.descent = line.descent.max(info.descent * size);
            let text = &self.text[run.range.clone()];
            let shaped = info.shape(
                run.face,
                text,
                &self.text[range.start..run.range.start],
                &self.text[run.range.end..range.end],
            );
            let mut i = 0;
            while i < shaped.len() {
                let cluster = shaped[i].cluster;
                let end = shaped[i..]
                    .iter()
                    .position(|g| g.cluster != cluster)
                    .map_or(shaped.len(), |n| i + n);
                let text_end = shaped.get(end).map_or(text.len(), |g| g.cluster);
                let cluster_text = &text[cluster..text_end.max(cluster)];
                let first = line.glyphs.len();
                let mut drawn = String::new();
                // Marks moved off the pen position read as separate
                // characters (or lines) to extractors: carry the text too.
                let mut moved = false;
                for g in &shaped[i..end] {
                    moved |= g.x_offset != 0.0 || g.y_offset != 0.0;
                    drawn.extend(info.glyph_text(g.gid));
                    line.glyphs.push(PlacedGlyph {
                        face: run.face,
                        size,
                        color: run.style.color,
                        gid: g.gid,
                        x: x + g.x_offset * size,
                        y: g.y_offset * size,
                    });
                    x += g.advance * size;
                }
                if !cluster_text.chars().all(char::is_whitespace) {
                    drawn_end = x;
                }
                line.clusters.push(Cluster {
                    text: cluster_text.to_string(),
                    glyphs: first..line.glyphs.len(),
                    actual_text: moved || drawn != cluster_text,
                });
                i = end;
            }
        }
        line.width = drawn_end;
        line
    }
}

fn line_segmenter() -> LineSegmenterBorrowed<'static> {
    static SEGMENTER: OnceLock<LineSegmenterBorrowed<'static>> = OnceLock::new();
    *SEGMENTER.get_or_init(|| LineSegmenter::new_dictionary(LineBreakOptions::default()))
}

/// Where a line may end in `text`: ICU's break opportunities (byte offsets, 0 left out).
pub fn break_opportunities(text: &str) -> Vec<usize> {
    line_segmenter()
        .segment_str(text)
        .filter(|&b| b > 0)
        .collect()
}

fn grapheme_ends(text: &str) -> Vec<usize> {
    GraphemeClusterSegmenter::new()
        .segment_str(text)
        .filter(|&b| b > 0)
        .collect()
}

/// Lays out a paragraph in lines no wider than `width` points. A line
/// break in the text starts a new line; a word longer than a line is cut
/// between grapheme clusters, never inside one.
pub fn layout(spans: &[Span], width: f32) -> Vec<Line> {
    if spans.is_empty() {
        return Vec::new();
    }
    let source = Source::new(spans);
    let mut lines = Vec::new();
    let mut start = 0;
    for hard in source.text.split('\n') {
        let range = start..start + hard.len();
        start = range.end + 1;
        fill(&source, range, width, &mut lines);
    }
    lines
}

/// Greedy fill of one hard line of the source.
fn fill(source: &Source, range: Range<usize>, width: f32, lines: &mut Vec<Line>) {
    if range.is_empty() {
        // An empty line keeps its height.
        let mut line = source.line(range.clone());
        let style = source.style_at(range.start.min(source.text.len().saturating_sub(1)));
        let info = Face::chain(style.weight)[0].info();
        line.ascent = info.ascent * style.size;
        line.descent = info.descent * style.size;
        lines.push(line);
        return;
    }
    let text = &source.text[range.clone()];
    let mut start = range.start;
    let mut fitting: Option<Line> = None;
    for end in break_opportunities(text)
        .into_iter()
        .map(|b| range.start + b)
    {
        let candidate = source.line(start..end);
        if candidate.width <= width {
            fitting = Some(candidate);
            continue;
        }
        if let Some(line) = fitting.take() {
            start = line.range.end;
            lines.push(line);
            let retry = source.line(start..end);
            if retry.width <= width {
                fitting = Some(retry);
                continue;
            }
        }
        // One word wider than the line: cut it between graphemes.
        start = cut_word(source, start..end, width, lines);
        fitting = Some(source.line(start..end));
    }
    lines.extend(fitting);
}

/// Pushes full lines of `range` cut at grapheme ends; returns where the rest starts.
fn cut_word(source: &Source, range: Range<usize>, width: f32, lines: &mut Vec<Line>) -> usize {
    let mut start = range.start;
    let mut last: Option<Line> = None;
    for end in grapheme_ends(&source.text[range.clone()])
        .into_iter()
        .map(|g| range.start + g)
    {
        let mut candidate = source.line(start..end);
        if candidate.width > width {
            if let Some(line) = last.take() {
                start = line.range.end;
                lines.push(line);
                candidate = source.line(start..end);
            }
        }
        last = Some(candidate);
    }
    start
}

#[cfg(test)]
#[path = "tests/text.rs"]
mod tests;
