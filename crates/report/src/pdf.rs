//! Drawing on PDF pages with printpdf: laid-out lines as positioned glyph
//! ids (each font subset into the file), rectangles, polylines and JPEG
//! photos. Coordinates here are points from the page's top-left corner, y
//! down, as layout thinks; printpdf's bottom-left origin stays inside.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use printpdf::{
    Codepoint, Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, FontId,
    Line as PdfLine, LineDashPattern, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, PdfWarnMsg, Point, Polygon, PolygonRing, Pt, Px, Rect,
    TextItem, TextMatrix, WindingOrder, XObjectId, XObjectTransform,
};

use crate::fonts::Face;
use crate::page::Paper;
use crate::text::{Line, Rgb};

/// A PDF being written: its fonts and finished pages.
pub struct Writer {
    doc: PdfDocument,
    fonts: HashMap<Face, FontId>,
    pages: Vec<PdfPage>,
    pub paper: Paper,
}

/// One page's drawing operations.
pub struct Page {
    ops: Vec<Op>,
    height: f32,
}

fn parsed(face: Face) -> &'static ParsedFont {
    static PARSED: OnceLock<Vec<OnceLock<ParsedFont>>> = OnceLock::new();
    let all = PARSED.get_or_init(|| Face::ALL.iter().map(|_| OnceLock::new()).collect());
    all[face as usize].get_or_init(|| {
        ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new()).expect("the bundled fonts parse")
    })
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb::new(c.0, c.1, c.2, None))
}

/// A PDF text string: UTF-16BE with its byte-order mark.
fn utf16(text: &str) -> DictItem {
    let mut data = vec![0xFE, 0xFF];
    data.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    DictItem::String {
        data,
        literal: false,
    }
}

impl Writer {
    pub fn new(title: &str, paper: Paper) -> Writer {
        let mut doc = PdfDocument::new(title);
        // printpdf dates a document 1970 unless told otherwise.
        let info = &mut doc.metadata.info;
        let now = printpdf::DateTime::now();
        (
            info.creation_date,
            info.modification_date,
            info.metadata_date,
        ) = (now, now, now);
        info.creator = "Fieldbook".into();
        info.producer = "Fieldbook (printpdf)".into();
        Writer {
            doc,
            fonts: HashMap::new(),
            pages: Vec::new(),
            paper,
        }
    }

    fn font(&mut self, face: Face) -> FontId {
        if let Some(id) = self.fonts.get(&face) {
            return id.clone();
        }
        let id = self.doc.add_font(parsed(face));
        self.fonts.insert(face, id.clone());
        id
    }

    pub fn new_page(&self) -> Page {
        Page {
            ops: Vec::new(),
            height: self.paper.height,
        }
    }

    pub fn finish_page(&mut self, page: Page) {
        let (w, h) = (self.paper.width, self.paper.height);
        self.pages
            .push(PdfPage::new(Mm::from(Pt(w)), Mm::from(Pt(h)), page.ops));
    }

    /// Registers a baseline JPEG, embedded as it is (DCTDecode).
    pub fn jpeg(&mut self, bytes: Vec<u8>, width_px: u32, height_px: u32) -> XObjectId {
        let mut dict = BTreeMap::new();
        let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
        dict.insert("Type".into(), name("XObject"));
        dict.insert("Subtype".into(), name("Image"));
        dict.insert("Width".into(), DictItem::Int(i64::from(width_px)));
        dict.insert("Height".into(), DictItem::Int(i64::from(height_px)));
        dict.insert("ColorSpace".into(), name("DeviceRGB"));
        dict.insert("BitsPerComponent".into(), DictItem::Int(8));
        dict.insert("Filter".into(), name("DCTDecode"));
        self.doc.add_xobject(&ExternalXObject {
            stream: ExternalStream {
                dict,
                content: bytes,
                compress: false,
            },
            width: Some(Px(width_px as usize)),
            height: Some(Px(height_px as usize)),
            dpi: None,
        })
    }

    /// The finished file. A warning printpdf calls an error (a font it could
    /// not subset, text outside a text section) is a bug here: it fails.
    pub fn save(mut self) -> Result<Vec<u8>, String> {
        let mut warnings: Vec<PdfWarnMsg> = Vec::new();
        let pages = std::mem::take(&mut self.pages);
        let bytes = self
            .doc
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut warnings);
        let errors: Vec<String> = warnings
            .iter()
            .filter(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
            .map(|w| w.msg.clone())
            .collect();
        if errors.is_empty() {
            Ok(bytes)
        } else {
            Err(errors.join("; "))
        }
    }
}

impl Page {
    fn point(&self, x: f32, y: f32) -> Point {
        Point {
            x: Pt(x),
            y: Pt(self.height - y),
        }
    }

    fn path(&self, points: &[(f32, f32)]) -> Vec<LinePoint> {
        points
            .iter()
            .map(|&(x, y)| LinePoint {
                p: self.point(x, y),
                bezier: false,
            })
            .collect()
    }

    /// Opens a span whose extracted text is `text` (closed by EndMarkedContent).
    fn begin_actual_text(&mut self, text: &str) {
        let mut props = BTreeMap::new();
        props.insert("ActualText".to_string(), utf16(text));
        self.ops.push(Op::BeginMarkedContentWithProperties {
            tag: "Span".into(),
            properties: DictItem::Dict { map: props },
        });
    }

    /// Draws a laid-out line with its baseline at `baseline` (from the top).
    /// Each glyph is placed where the shaper put it (printpdf folds glyphs on
    /// one baseline into one TJ); a cluster whose glyphs do not spell its
    /// text is wrapped in an ActualText span, so extraction gives back the
    /// text as typed, in logical order.
    pub fn line(&mut self, writer: &mut Writer, line: &Line, x: f32, baseline: f32) {
        if line.glyphs.is_empty() {
            return;
        }
        self.ops.push(Op::StartTextSection);
        let mut current: Option<(Face, f32)> = None;
        let mut fill: Option<Rgb> = None;
        for cluster in &line.clusters {
            if cluster.actual_text {
                self.begin_actual_text(&cluster.text);
            }
            for g in &line.glyphs[cluster.glyphs.clone()] {
                if current != Some((g.face, g.size)) {
                    let font = writer.font(g.face);
                    self.ops.push(Op::SetFont {
                        font: PdfFontHandle::External(font),
                        size: Pt(g.size),
                    });
                    current = Some((g.face, g.size));
                }
                if fill != Some(g.color) {
                    self.ops.push(Op::SetFillColor {
                        col: color(g.color),
                    });
                    fill = Some(g.color);
                }
                let at = self.point(x + g.x, baseline - g.y);
                self.ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(at.x, at.y),
                });
                let text = g.face.info().glyph_text(g.gid).map(String::from);
                self.ops.push(Op::ShowText {
                    items: vec![TextItem::GlyphIds(vec![Codepoint {
                        gid: g.gid,
                        offset: 0.0,
                        // The glyph's own character, the same wherever it is
                        // drawn ("" writes no entry): ToUnicode is one map per font.
                        cid: Some(text.unwrap_or_default()),
                    }])],
                });
            }
            if cluster.actual_text {
                self.ops.push(Op::EndMarkedContent);
            }
        }
        self.ops.push(Op::EndTextSection);
    }

    /// Text rotated by `degrees` counter-clockwise about its start, as
    /// decoration: extraction skips it (an empty ActualText), since
    /// diagonal text comes out of extractors as fragments.
    pub fn rotated_line(&mut self, writer: &mut Writer, line: &Line, x: f32, y: f32, degrees: f32) {
        let at = self.point(x, y);
        self.ops.push(Op::SaveGraphicsState);
        let (sin, cos) = degrees.to_radians().sin_cos();
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([cos, sin, -sin, cos, at.x.0, at.y.0]),
        });
        // Drawn at the origin of the rotated space: (0, height) in page terms.
        let saved = self.height;
        self.height = 0.0;
        self.begin_actual_text("");
        self.line(writer, line, 0.0, 0.0);
        self.ops.push(Op::EndMarkedContent);
        self.height = saved;
        self.ops.push(Op::RestoreGraphicsState);
    }

    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: Rgb) {
        self.ops.push(Op::SetFillColor { col: color(c) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(self.height - y - h),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    pub fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, c: Rgb, thickness: f32) {
        self.polyline(
            &[(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)],
            c,
            thickness,
            None,
        );
    }

    /// A stroked path through `points`; `dash` as on/off lengths in points.
    pub fn polyline(
        &mut self,
        points: &[(f32, f32)],
        c: Rgb,
        thickness: f32,
        dash: Option<&[f32]>,
    ) {
        self.ops.push(Op::SetOutlineColor { col: color(c) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        self.ops.push(Op::SetLineDashPattern {
            dash: dash.map_or_else(LineDashPattern::solid, |d| LineDashPattern::new(0.0, d)),
        });
        self.ops.push(Op::DrawLine {
            line: PdfLine {
                points: self.path(points),
                is_closed: false,
            },
        });
    }

    pub fn fill_polygon(&mut self, points: &[(f32, f32)], c: Rgb) {
        self.ops.push(Op::SetFillColor { col: color(c) });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing {
                    points: self.path(points),
                }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }

    /// Places an image registered with [`Writer::jpeg`] in the box at
    /// (x, y) of `w`×`h` points; `px` is its size in pixels.
    pub fn image(&mut self, id: &XObjectId, x: f32, y: f32, w: f32, h: f32, px: (u32, u32)) {
        // At dpi d an image of n px is n·72/d pt wide: choose the scale from that.
        let dpi = 72.0;
        self.ops.push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(self.height - y - h)),
                scale_x: Some(w / px.0 as f32),
                scale_y: Some(h / px.1 as f32),
                dpi: Some(dpi),
                ..Default::default()
            },
        });
    }
}
