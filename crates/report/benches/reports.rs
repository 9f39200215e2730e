//! Speed of printing: the Semarang brief with 12 phone photos in English and
//! Japanese (target: under 1 s and 3 MB in a release build), a 50-page
//! survey record (target: under 5 s), and, as the floor, one page of text
//! through the same writer. Peak memory: `scripts/bench-reports.sh`.
//! Run: `cargo bench -p fieldbook-report --bench reports`.

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use fieldbook_report::flow::{render, Block, Furniture};
use fieldbook_report::page::{PaperSize, BODY};
use fieldbook_report::pdf::Writer;
use fieldbook_report::text::Span;
use fieldbook_report::{Lang, Options, Request};
use fieldbook_store::Store;
use serde_json::{json, Map, Value};

/// A phone camera's picture: 4032 × 3024 pixels, smooth shapes with a
/// little sensor noise so that it compresses like a photo (about 2–4 MB),
/// different for each `seed`.
fn phone_photo(seed: u32) -> Vec<u8> {
    let s = seed as f32;
    let img = image::RgbImage::from_fn(4032, 3024, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed) % 13) as f32 - 6.0;
        let shade = |a: f32, b: f32| {
            (128.0 + 70.0 * (fx / a + s).sin() + 50.0 * (fy / b - s).cos() + noise)
                .clamp(0.0, 255.0) as u8
        };
        image::Rgb([shade(97.0, 71.0), shade(151.0, 43.0), shade(61.0, 113.0)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encode");
    out
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn sample_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(&dir.join("bench.db")).expect("open");
    store.load_samples().expect("samples");
    store
}

fn study_titled(store: &Store, needle: &str) -> String {
    store
        .list("study", &Default::default())
        .expect("list")
        .into_iter()
        .find(|s| s.title.contains(needle))
        .expect("sample study")
        .id
}

/// The Semarang sample with 12 phone photos spread over its findings.
fn semarang_with_photos(store: &mut Store) -> String {
    let study = study_titled(store, "Semarang");
    let findings = store
        .list("finding", &Default::default())
        .expect("list")
        .into_iter()
        .filter(|f| f.fields["study_id"] == study.as_str())
        .collect::<Vec<_>>();
    let mut bytes = 0;
    for i in 0..12u32 {
        let finding = &findings[i as usize % findings.len()];
        let photo = phone_photo(i);
        bytes += photo.len();
        store
            .attach(&finding.id, "photo", &format!("IMG_{i:04}.jpg"), &photo)
            .expect("attach");
    }
    eprintln!(
        "12 photos of 4032 x 3024: {:.1} MB",
        bytes as f64 / 1048576.0
    );
    study
}

/// A study of 50 visits, each with a finding of 8 measurements: its
/// survey record prints each visit from a new page.
fn fifty_visits(store: &mut Store) -> String {
    let study = store
        .create(
            "study",
            fields(json!({"title": "Fifty visits", "fiscal_year": 2026})),
        )
        .expect("study");
    for v in 0..50 {
        let visit = store
            .create(
                "visit",
                fields(json!({
                    "study_id": study, "date": "2026-11-02",
                    "place": format!("Pump station {v}"),
                    "latitude": "16.02", "longitude": "108.19",
                    "participants": "Survey team; utility staff",
                })),
            )
            .expect("visit");
        let finding = store
            .create(
                "finding",
                fields(json!({
                    "study_id": study, "visit_id": visit, "sector": "water",
                    "title": format!("Pumps at station {v} run at low efficiency"),
                    "text": "Four pumps of 450 kW run 8,000 h a year at about 65 % wire-to-water efficiency. ".repeat(6),
                })),
            )
            .expect("finding");
        for m in 0..8 {
            store
                .create(
                    "measurement",
                    fields(json!({
                        "finding_id": finding, "quantity": format!("Reading {m}"),
                        "value": format!("{}", 100 + m * 17), "unit": "kW",
                    })),
                )
                .expect("measurement");
        }
    }
    study
}

/// Pages of a PDF as printpdf writes them (`/Type/Page` per page).
fn pages(pdf: &[u8]) -> usize {
    let count = |pat: &[u8]| pdf.windows(pat.len()).filter(|w| *w == pat).count();
    count(b"/Type/Page") - count(b"/Type/Pages")
}

fn options(langs: Vec<Lang>) -> Options {
    Options {
        langs,
        paper: PaperSize::A4,
        printed_on: NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"),
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = sample_store(dir.path());
    let semarang = semarang_with_photos(&mut store);
    let fifty = fifty_visits(&mut store);

    let brief = Request::Brief { study_id: semarang };
    let en_ja = options(vec![Lang::En, Lang::Ja]);
    let printed = brief.print(&store, &en_ja).expect("brief");
    eprintln!(
        "Semarang brief, 12 photos, en+ja: {} pages, {} KB",
        pages(&printed.bytes),
        printed.bytes.len() / 1024
    );
    c.bench_function("brief_semarang_12_photos_en_ja", |b| {
        b.iter(|| brief.print(&store, &en_ja).expect("brief"))
    });

    let batch = Request::Visits { study_id: fifty };
    let en = options(vec![Lang::En]);
    let printed = batch.print(&store, &en).expect("batch");
    eprintln!(
        "50-visit survey record: {} pages, {} KB",
        pages(&printed.bytes),
        printed.bytes.len() / 1024
    );
    c.bench_function("survey_record_50_visits", |b| {
        b.iter(|| batch.print(&store, &en).expect("batch"))
    });

    // The floors: one page of text through this crate (shaping, line
    // breaking, subset font), and one plain printpdf page in a built-in font.
    let line = "The pumps at Cau Do run sixteen hours a day. ".repeat(60);
    c.bench_function("floor_one_page_of_text", |b| {
        b.iter(|| {
            let mut writer = Writer::new("floor", PaperSize::A4.paper());
            let furniture = Furniture {
                head_left: String::new(),
                head_right: String::new(),
                foot_left: String::new(),
                watermark: None,
            };
            render(
                &mut writer,
                &furniture,
                &[Block::Paragraph(vec![Span::new(line.clone(), BODY)])],
            );
            writer.save().expect("pdf")
        })
    });
    c.bench_function("floor_plain_printpdf_page", |b| {
        b.iter(|| {
            use printpdf::*;
            let font = PdfFontHandle::Builtin(BuiltinFont::Helvetica);
            let mut ops = vec![
                Op::StartTextSection,
                Op::SetFont {
                    font: font.clone(),
                    size: Pt(10.0),
                },
                Op::SetLineHeight { lh: Pt(14.0) },
                Op::SetTextCursor {
                    pos: Point::new(Mm(20.0), Mm(270.0)),
                },
            ];
            for _ in 0..50 {
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(line[..90].to_string())],
                });
                ops.push(Op::AddLineBreak);
            }
            ops.push(Op::EndTextSection);
            let mut doc = PdfDocument::new("floor");
            doc.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]);
            doc.save(&PdfSaveOptions::default(), &mut Vec::new())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
