//! The layout engine on its own, checked through poppler: every script
//! comes back from pdftotext as typed, fonts are embedded and subset, long
//! text and long tables flow over pages, nothing leaves the printable area.

mod common;

use common::{squeeze, Pdf};
use fieldbook_report::flow::{render, Block, Furniture, Table};
use fieldbook_report::page::{PaperSize, BODY, MARGIN_SIDE, MARGIN_TOP, TABLE};
use fieldbook_report::pdf::Writer;
use fieldbook_report::photo::Photo;
use fieldbook_report::text::Span;

const SAMPLES: &[(&str, &str)] = &[
    ("en", "The pumps at Cau Do run sixteen hours a day."),
    (
        "ja",
        "カウド浄水場のポンプは一日16時間稼働している（横浜市水道局）。",
    ),
    (
        "vi",
        "Trạm bơm Cầu Đỏ hoạt động mười sáu giờ mỗi ngày; cần thay thế gấp.",
    ),
    (
        "mn",
        "Улаанбаатар хотын дулааны станц өвөл их хэмжээний нүүрс шатаадаг. Өндөр үр ашигтай зуух.",
    ),
    (
        "th",
        "ปั๊มน้ำที่สถานีจ่ำทำงานวันละสิบหกชั่วโมง ควรเปลี่ยนเป็นปั๊มประสิทธิภาพสูง",
    ),
    ("km", "ស្ត្រីនៅប្រទេសកម្ពុជាបានលើកឡើងថា អំពូលភ្លើងតាមផ្លូវប្រើថាមពលច្រើនពេក"),
    ("lo", "ລະບົບສູບນ້ຳຂອງນະຄອນຫຼວງວຽງຈັນໃຊ້ພະລັງງານຫຼາຍເກີນໄປ"),
    ("my", "ရန်ကုန်မြို့ရှိ ရေစုပ်စက်များသည် ညအချိန်တွင် စွမ်းအင်အလွန်အကျွံသုံးစွဲသည်။ ကြက်သွန်"),
    (
        "mixed",
        "ម៉ាស៊ីន Inverter EV-300 របស់ 株式会社ヨコハマ ត្រូវបានដំឡើង",
    ),
];

fn furniture(draft: bool) -> Furniture {
    Furniture {
        head_left: "Engine test".into(),
        head_right: "study 0000".into(),
        foot_left: "Printed 2026-12-03 · reference values: test".into(),
        watermark: draft.then(|| "DRAFT — not reviewed".to_string()),
    }
}

fn pdf(blocks: &[Block], draft: bool) -> (Pdf, Vec<fieldbook_report::flow::Extent>) {
    let mut writer = Writer::new("engine test", PaperSize::A4.paper());
    let extents = render(&mut writer, &furniture(draft), blocks);
    (Pdf::new(&writer.save().unwrap()), extents)
}

#[test]
fn every_script_extracts_as_typed_in_logical_order() {
    let blocks: Vec<Block> = SAMPLES
        .iter()
        .map(|(_, s)| Block::Paragraph(vec![Span::new(*s, BODY)]))
        .collect();
    let (pdf, _) = pdf(&blocks, true);
    let text = pdf.text(None);
    assert!(
        !text.contains('\u{FFFD}'),
        "replacement characters in {text}"
    );
    assert!(
        !text.contains('\u{25CC}'),
        "a dotted circle: a shaping failure"
    );
    let flat = squeeze(&text);
    for (lang, s) in SAMPLES {
        assert!(flat.contains(&squeeze(s)), "{lang}: {s:?} not in\n{text}");
    }
    assert!(text.contains("DRAFT — not reviewed"));
    assert!(flat.contains("1/1"));
}

#[test]
fn fonts_are_embedded_subset_and_mapped_to_unicode() {
    let blocks: Vec<Block> = SAMPLES
        .iter()
        .map(|(_, s)| Block::Paragraph(vec![Span::new(*s, BODY)]))
        .collect();
    let (pdf, _) = pdf(&blocks, false);
    let fonts = pdf.fonts();
    assert!(fonts.len() >= 6, "{fonts:?}");
    for (name, _, emb, sub, uni) in &fonts {
        assert_eq!(
            (emb.as_str(), sub.as_str(), uni.as_str()),
            ("yes", "yes", "yes"),
            "{name}"
        );
    }
    let size = std::fs::metadata(&pdf.path).unwrap().len();
    assert!(size < 400_000, "{size} bytes for one page of text");
}

#[test]
fn a_twenty_thousand_character_text_flows_over_pages_without_losing_a_character() {
    let sentence = "Pump 3 runs 16 h a day at 45 kW; ปั๊มน้ำทำงานวันละสิบหกชั่วโมง ស្ត្រីនៅកម្ពុជា. ";
    let text = sentence.repeat(20_000 / sentence.chars().count() + 1);
    let (pdf, extents) = pdf(
        &[Block::Paragraph(vec![Span::new(text.clone(), BODY)])],
        false,
    );
    assert!(pdf.pages() >= 3, "{} pages", pdf.pages());
    let body: String = (1..=pdf.pages())
        .map(|p| {
            // Leave out each page's head and foot lines.
            let page = pdf.text(Some((p, p)));
            let lines: Vec<&str> = page.lines().filter(|l| !l.trim().is_empty()).collect();
            lines[2..lines.len() - 2].join("")
        })
        .collect();
    assert_eq!(squeeze(&body), squeeze(&text));
    assert_inside(&extents);
}

fn assert_inside(extents: &[fieldbook_report::flow::Extent]) {
    let paper = PaperSize::A4.paper();
    for (i, &(left, top, right, bottom)) in extents.iter().enumerate() {
        assert!(left >= MARGIN_SIDE - 0.01, "page {i}: left {left}");
        assert!(
            right <= paper.width - MARGIN_SIDE + 0.01,
            "page {i}: right {right}"
        );
        assert!(top >= MARGIN_TOP - 0.01, "page {i}: top {top}");
        assert!(
            bottom <= paper.content_bottom() + 0.01,
            "page {i}: bottom {bottom}"
        );
    }
}

#[test]
fn a_table_longer_than_a_page_repeats_its_header_on_every_page() {
    let rows = (1..=150)
        .map(|i| {
            vec![
                vec![Span::new(format!("Row {i}"), TABLE)],
                vec![Span::new(format!("{} kWh", i * 1000), TABLE)],
                vec![Span::new(
                    "ปั๊มน้ำทำงานวันละสิบหกชั่วโมง ควรเปลี่ยนเป็นปั๊มประสิทธิภาพสูง",
                    TABLE,
                )],
            ]
        })
        .collect();
    let table = Table {
        columns: vec![
            ("Measurement".into(), 1.0),
            ("Annual energy".into(), 1.0),
            ("Note".into(), 2.0),
        ],
        rows,
    };
    let (pdf, extents) = pdf(&[Block::Table(table)], false);
    let pages = pdf.pages();
    assert!(pages >= 3);
    for p in 1..=pages {
        let text = pdf.text(Some((p, p)));
        assert!(
            text.contains("Annual energy"),
            "page {p} has no header:\n{text}"
        );
    }
    let all = pdf.text(None);
    for i in [1, 75, 150] {
        assert!(
            all.contains(&format!("Row {i}\n")) || all.contains(&format!("Row {i} ")),
            "Row {i}"
        );
    }
    assert_inside(&extents);
}

#[test]
fn hostile_text_and_a_missing_photo_print_without_a_crash() {
    let hostile = "<script>alert('x')</script> \u{0}\u{7}\u{202E}RTL\u{200F} emoji 😀 and a 1 MB field follows";
    let big = "Lorem ipsum dolor sit amet. ".repeat(1_000_000 / 28);
    let blocks = vec![
        Block::Paragraph(vec![Span::new(hostile, BODY)]),
        Block::Photos(vec![Photo::placeholder(
            "Pump house, east side".into(),
            "Photo not received yet: pump-house.jpg".into(),
        )]),
        Block::Paragraph(vec![Span::new(big, BODY)]),
    ];
    let (pdf, _) = pdf(&blocks, false);
    let text = pdf.text(Some((1, 1)));
    assert!(text.contains("<script>alert('x')</script>"));
    assert!(text.contains("Photo not received yet: pump-house.jpg"));
    assert!(pdf.pages() > 100);
}

#[test]
fn every_page_renders_without_a_warning() {
    let blocks: Vec<Block> = SAMPLES
        .iter()
        .map(|(_, s)| Block::Paragraph(vec![Span::new(*s, BODY)]))
        .collect();
    let (pdf, _) = pdf(&blocks, true);
    let dir = tempfile::tempdir().unwrap();
    let stderr = pdf.render(dir.path(), 40, "scripts");
    assert!(stderr.trim().is_empty(), "pdftoppm: {stderr}");
}

/// A sample photo stored sideways (750 × 1000 pixels) with EXIF orientation 6.
const SIDEWAYS: &[u8] = include_bytes!("../../../assets/samples/photos/danang-antrach-intake.jpg");

#[test]
fn a_photo_prints_upright_as_a_jpeg_at_two_hundred_dpi() {
    // A PNG (a screenshot, a scanned sketch) prints too, re-encoded as JPEG.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(600, 400, image::Rgb([40, 120, 90]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let photo = |bytes: &[u8]| Photo::from_bytes(bytes, "caption".into(), "unreadable".into());
    let photos = vec![photo(SIDEWAYS), photo(&png)];
    assert!(photos.iter().all(|p| !p.is_placeholder()));
    let (pdf, _) = pdf(&[Block::Photos(photos)], false);
    // Turned upright, the 4:3 photo fills the box's height (118 pt) at
    // 200 dpi: 328 pixels high and 437 wide. Left sideways it would be
    // 328 high and 246 wide.
    let images = pdf.images();
    assert_eq!(images[0], (437, 328, "jpeg".to_string()), "{images:?}");
    assert_eq!(images[1].2, "jpeg", "{images:?}");
}

#[test]
fn a_record_title_is_never_split_from_its_first_lines() {
    // A two-line title after n one-line paragraphs, for every n that brings
    // it across the first page's bottom: it is always whole on one page,
    // with the line after it.
    let title = "Salinity forces the An Trach raw-water pumps to run flat out — Water · 2018-07-11 · An Trach raw-water pumping station on the Yen River, Hoa Vang district (location approximate)";
    let after = "What followed the title.";
    let mut on_second_page = 0;
    for n in 28..48 {
        let mut blocks: Vec<Block> = (0..n)
            .map(|i| Block::Paragraph(vec![Span::new(format!("Filler line {i}."), BODY)]))
            .collect();
        blocks.push(Block::Subheading(vec![Span::new(
            title,
            fieldbook_report::page::BODY_BOLD,
        )]));
        blocks.push(Block::Paragraph(vec![Span::new(after, BODY)]));
        let (pdf, _) = pdf(&blocks, false);
        let last = squeeze(&pdf.text(Some((pdf.pages(), pdf.pages()))));
        assert!(last.contains(&squeeze(title)), "n = {n}: {last}");
        assert!(last.contains(&squeeze(after)), "n = {n}: {last}");
        if pdf.pages() == 2 {
            on_second_page += 1;
        }
    }
    // The range straddles the page's bottom.
    assert!((1..20).contains(&on_second_page), "{on_second_page}");
}
