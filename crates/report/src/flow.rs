//! A report as a list of blocks, flowed onto pages: paragraphs wrap and
//! continue on the next page, a table that crosses a page repeats its
//! header (a row taller than a page is split between its lines), headings
//! keep their first lines with them, photo rows and charts are never cut.
//! Every page gets its running head and foot ("n / N", printed date, study
//! id, sources) and, for a draft, the watermark under everything else.

use crate::chart::Chart;
use crate::page::*;
use crate::pdf::{Page, Writer};
use crate::photo::Photo;
use crate::text::{layout, Line, Span, Style};

pub enum Block {
    Title(Vec<Span>),
    /// A section heading in each document language (the first is the main one).
    Heading(Vec<String>),
    Paragraph(Vec<Span>),
    /// A record's title line (a finding, a technology): never split, and
    /// kept with the first lines of what follows.
    Subheading(Vec<Span>),
    /// Small print: notes, footnotes, sources.
    Note(Vec<Span>),
    Table(Table),
    Photos(Vec<Photo>),
    Chart(Chart),
    Space(f32),
    /// What follows starts on a new page (each visit of a batch).
    PageBreak,
}

pub struct Table {
    /// Header cells and each column's share of the width.
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<Vec<Span>>>,
}

/// What every page carries besides its content.
pub struct Furniture {
    pub head_left: String,
    /// The study's id.
    pub head_right: String,
    /// The date printed and the source line of the reference values.
    pub foot_left: String,
    /// The watermark text while the study is not reviewed.
    pub watermark: Option<String>,
}

/// Where a page's text landed, for the layout tests: (left, top, right, bottom).
pub type Extent = (f32, f32, f32, f32);

struct Flow<'w> {
    writer: &'w mut Writer,
    pages: Vec<Page>,
    extents: Vec<Extent>,
    y: f32,
    watermark: Option<Line>,
}

impl Flow<'_> {
    fn paper(&self) -> Paper {
        self.writer.paper
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a page is open")
    }

    fn new_page(&mut self) {
        let mut page = self.writer.new_page();
        if let Some(mark) = &self.watermark {
            let paper = self.paper();
            // Centred on the page along its diagonal, beneath the content:
            // the baseline starts half the text's width before the centre,
            // shifted so the letters' middle (about 0.35 em up) is on it.
            let angle = paper.height.atan2(paper.width);
            let (sin, cos) = angle.sin_cos();
            let half = mark.width / 2.0;
            let lift = 0.35 * mark.glyphs.first().map_or(0.0, |g| g.size);
            let (x, y) = (
                paper.width / 2.0 - half * cos + lift * sin,
                paper.height / 2.0 + half * sin + lift * cos,
            );
            page.rotated_line(self.writer, mark, x, y, angle.to_degrees());
        }
        self.pages.push(page);
        self.extents.push((f32::MAX, f32::MAX, f32::MIN, f32::MIN));
        self.y = MARGIN_TOP;
    }

    fn room(&self) -> f32 {
        self.paper().content_bottom() - self.y
    }

    /// Starts a new page unless `height` fits on this one (or this one is empty).
    fn ensure(&mut self, height: f32) {
        if height > self.room() && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    /// Draws `line` at x with its top at the current y, and moves down.
    fn put(&mut self, line: &Line, x: f32) {
        let baseline = self.y + line.ascent;
        self.draw_at(line, x, baseline);
        self.y += line.height();
    }

    fn draw_at(&mut self, line: &Line, x: f32, baseline: f32) {
        let writer = &mut *self.writer;
        let page = self.pages.last_mut().expect("a page is open");
        page.line(writer, line, x, baseline);
        if !line.glyphs.is_empty() {
            let e = self.extents.last_mut().expect("a page is open");
            *e = (
                e.0.min(x),
                e.1.min(baseline - line.ascent),
                e.2.max(x + line.width),
                e.3.max(baseline + line.descent),
            );
        }
    }

    fn lines(&mut self, lines: &[Line], x: f32) {
        for line in lines {
            self.ensure(line.height());
            self.put(line, x);
        }
    }

    fn block(&mut self, block: &Block) {
        let width = self.paper().content_width();
        match block {
            Block::Title(spans) => {
                let lines = layout(spans, width);
                self.lines(&lines, MARGIN_SIDE);
                self.y += SPACE_PARAGRAPH;
            }
            Block::Heading(texts) => {
                let mut lines = Vec::new();
                for (i, t) in texts.iter().enumerate() {
                    let style = if i == 0 { HEADING } else { HEADING_ALT };
                    lines.extend(layout(&[Span::new(t.clone(), style)], width));
                }
                let height: f32 = lines.iter().map(Line::height).sum();
                // Keep the heading with about three lines of what follows.
                self.ensure(SPACE_BEFORE_HEADING + height + 3.0 * BODY.size * 1.5);
                if self.y > MARGIN_TOP {
                    self.y += SPACE_BEFORE_HEADING;
                }
                self.lines(&lines, MARGIN_SIDE);
                let y = self.y + 1.5;
                self.page().polyline(
                    &[(MARGIN_SIDE, y), (MARGIN_SIDE + width, y)],
                    RULE,
                    0.6,
                    None,
                );
                self.y += SPACE_AFTER_HEADING;
            }
            Block::Subheading(spans) => {
                let lines = layout(spans, width);
                let height: f32 = lines.iter().map(Line::height).sum();
                self.ensure(height + 2.0 * BODY.size * 1.5);
                self.lines(&lines, MARGIN_SIDE);
                self.y += SPACE_PARAGRAPH;
            }
            Block::Paragraph(spans) | Block::Note(spans) => {
                let lines = layout(spans, width);
                self.lines(&lines, MARGIN_SIDE);
                self.y += SPACE_PARAGRAPH;
            }
            Block::Table(table) => self.table(table),
            Block::Photos(photos) => self.photos(photos),
            Block::Chart(chart) => {
                self.ensure(CHART_HEIGHT);
                let y = self.y;
                let writer = &mut *self.writer;
                let page = self.pages.last_mut().expect("a page is open");
                chart.draw(writer, page, MARGIN_SIDE, y, width, CHART_HEIGHT);
                self.y += CHART_HEIGHT + SPACE_PARAGRAPH;
            }
            Block::Space(h) => self.y += h,
            Block::PageBreak => {
                if self.y > MARGIN_TOP {
                    self.new_page();
                }
            }
        }
    }

    fn table(&mut self, table: &Table) {
        let width = self.paper().content_width();
        let total: f32 = table.columns.iter().map(|(_, w)| w).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|(_, w)| w / total * width)
            .collect();
        let cell_lines = |spans: &[Span], w: f32| layout(spans, w - 2.0 * CELL_PAD);
        let header: Vec<Vec<Line>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|((h, _), w)| cell_lines(&[Span::new(h.clone(), TABLE_HEAD)], *w))
            .collect();
        // A table of label–value pairs has no header row.
        let has_header = table.columns.iter().any(|(h, _)| !h.is_empty());
        let header_height = if has_header { row_height(&header) } else { 0.0 };
        let rows: Vec<Vec<Vec<Line>>> = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&widths)
                    .map(|(c, w)| cell_lines(c, *w))
                    .collect()
            })
            .collect();
        let first = rows.first().map_or(0.0, |r| row_height(r));
        self.ensure(header_height + first.min(self.paper().content_bottom() - MARGIN_TOP));
        self.table_header(&header, &widths, header_height);
        for row in &rows {
            let height = row_height(row);
            let fits_a_page = height + header_height <= self.paper().content_bottom() - MARGIN_TOP;
            if height > self.room() && fits_a_page {
                self.new_page();
                self.table_header(&header, &widths, header_height);
            }
            // Lines of each cell still to print (a row taller than a page is split).
            let mut next = vec![0usize; row.len()];
            loop {
                let top = self.y;
                let mut bottom = top;
                let mut x = MARGIN_SIDE;
                for (i, cell) in row.iter().enumerate() {
                    let mut y = top + CELL_PAD;
                    while next[i] < cell.len() {
                        let line = &cell[next[i]];
                        if y + line.height() + CELL_PAD > self.paper().content_bottom() {
                            break;
                        }
                        self.draw_at(line, x + CELL_PAD, y + line.ascent);
                        y += line.height();
                        next[i] += 1;
                    }
                    bottom = bottom.max(y + CELL_PAD);
                    x += widths[i];
                }
                self.y = bottom;
                let y = self.y;
                self.page().polyline(
                    &[(MARGIN_SIDE, y), (MARGIN_SIDE + width, y)],
                    RULE,
                    0.4,
                    None,
                );
                if next.iter().zip(row).all(|(n, cell)| *n >= cell.len()) {
                    break;
                }
                self.new_page();
                self.table_header(&header, &widths, header_height);
            }
        }
        self.y += SPACE_PARAGRAPH;
    }

    fn table_header(&mut self, header: &[Vec<Line>], widths: &[f32], height: f32) {
        if height == 0.0 {
            return;
        }
        let width: f32 = widths.iter().sum();
        let top = self.y;
        self.page()
            .fill_rect(MARGIN_SIDE, top, width, height, SHADE);
        let mut x = MARGIN_SIDE;
        for (cell, w) in header.iter().zip(widths) {
            let mut y = top + CELL_PAD;
            for line in cell {
                self.draw_at(line, x + CELL_PAD, y + line.ascent);
                y += line.height();
            }
            x += w;
        }
        self.y = top + height;
    }

    fn photos(&mut self, photos: &[Photo]) {
        let width = self.paper().content_width();
        let gap = 8.0;
        let cell = (width - gap * (PHOTO_COLUMNS as f32 - 1.0)) / PHOTO_COLUMNS as f32;
        for row in photos.chunks(PHOTO_COLUMNS) {
            let captions: Vec<Vec<Line>> = row
                .iter()
                .map(|p| layout(&[Span::new(p.caption.clone(), SMALL)], cell))
                .collect();
            let caption_height = captions
                .iter()
                .map(|c| c.iter().map(Line::height).sum::<f32>())
                .fold(0.0, f32::max);
            self.ensure(PHOTO_HEIGHT + 3.0 + caption_height);
            let top = self.y;
            for (i, (photo, caption)) in row.iter().zip(&captions).enumerate() {
                let x = MARGIN_SIDE + i as f32 * (cell + gap);
                let writer = &mut *self.writer;
                let page = self.pages.last_mut().expect("a page is open");
                photo.draw(writer, page, x, top, cell, PHOTO_HEIGHT);
                let mut y = top + PHOTO_HEIGHT + 3.0;
                for line in caption {
                    self.draw_at(line, x, y + line.ascent);
                    y += line.height();
                }
            }
            self.y = top + PHOTO_HEIGHT + 3.0 + caption_height + gap;
        }
    }

    /// Running head and foot, now that the page count is known.
    fn furniture(&mut self, furniture: &Furniture) {
        let paper = self.paper();
        let n = self.pages.len();
        let one = |text: &str, style: Style| {
            layout(&[Span::new(text.to_string(), style)], paper.content_width())
                .into_iter()
                .next()
        };
        let head_right = one(&furniture.head_right, FURNITURE);
        // The watermark's words also as plain text in the head: the
        // diagonal mark is decoration that extractors skip.
        let draft = furniture
            .watermark
            .as_ref()
            .and_then(|w| one(w, DRAFT_HEAD));
        let head_width = head_right.as_ref().map_or(0.0, |l| l.width);
        let head_left = layout(
            &[Span::new(furniture.head_left.clone(), FURNITURE)],
            paper.content_width() - head_width - 12.0,
        )
        .into_iter()
        .next();
        let pages = std::mem::take(&mut self.pages);
        for (i, mut page) in pages.into_iter().enumerate() {
            let number = one(&format!("{} / {n}", i + 1), FURNITURE);
            let number_width = number.as_ref().map_or(0.0, |l| l.width);
            let foot = layout(
                &[Span::new(furniture.foot_left.clone(), FURNITURE)],
                paper.content_width() - number_width - 12.0,
            );
            let right = MARGIN_SIDE + paper.content_width();
            let writer = &mut *self.writer;
            if let Some(l) = &head_left {
                page.line(writer, l, MARGIN_SIDE, HEAD_BASELINE);
            }
            if let Some(l) = &head_right {
                page.line(writer, l, right - l.width, HEAD_BASELINE);
            }
            if let Some(l) = &draft {
                page.line(writer, l, MARGIN_SIDE, HEAD_BASELINE - l.height());
            }
            let mut y = paper.height - FOOT_BASELINE;
            for l in foot.iter().take(2) {
                page.line(writer, l, MARGIN_SIDE, y);
                y += l.height();
            }
            if let Some(l) = &number {
                page.line(writer, l, right - l.width, paper.height - FOOT_BASELINE);
            }
            writer.finish_page(page);
        }
    }
}

fn row_height(cells: &[Vec<Line>]) -> f32 {
    cells
        .iter()
        .map(|c| c.iter().map(Line::height).sum::<f32>())
        .fold(0.0, f32::max)
        + 2.0 * CELL_PAD
}

/// Flows `blocks` onto pages of `writer`; returns where each page's text landed.
pub fn render(writer: &mut Writer, furniture: &Furniture, blocks: &[Block]) -> Vec<Extent> {
    // As large as fits along 80 % of the page's diagonal.
    let paper = writer.paper;
    let diagonal = (paper.width.powi(2) + paper.height.powi(2)).sqrt() * 0.8;
    let watermark = furniture.watermark.as_ref().and_then(|w| {
        let natural = layout(&[Span::new(w.clone(), WATERMARK_STYLE)], f32::MAX).pop()?;
        let scale = (diagonal / natural.width.max(1.0)).min(1.0);
        let style = Style {
            size: WATERMARK_STYLE.size * scale,
            ..WATERMARK_STYLE
        };
        layout(&[Span::new(w.clone(), style)], f32::MAX).pop()
    });
    let mut flow = Flow {
        writer,
        pages: Vec::new(),
        extents: Vec::new(),
        y: MARGIN_TOP,
        watermark,
    };
    flow.new_page();
    for block in blocks {
        flow.block(block);
    }
    flow.furniture(furniture);
    flow.extents
}
