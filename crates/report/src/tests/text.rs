use super::*;

fn body() -> Style {
    Style {
        size: 10.0,
        weight: Weight::Regular,
        color: Rgb::BLACK,
    }
}

fn lines_of(text: &str, width: f32) -> Vec<Line> {
    layout(&[Span::new(text, body())], width)
}

/// Every line's text, joined, is the paragraph (no character lost or doubled).
fn assert_lossless(text: &str, lines: &[Line]) {
    let joined: String = lines.iter().map(Line::text).collect();
    let expected: String = text.chars().filter(|&c| c != '\n').collect();
    assert_eq!(joined, expected);
}

const THAI: &str =
    "ทีมสำรวจพบว่าระบบสูบน้ำของเมืองใช้พลังงานมากเกินไปในช่วงกลางคืน และควรเปลี่ยนเป็นปั๊มประสิทธิภาพสูง";
const KHMER: &str = "ក្រុមការងារបានរកឃើញថាអំពូលភ្លើងតាមផ្លូវនៅភ្នំពេញប្រើថាមពលច្រើនពេក ហើយគួរតែប្តូរទៅជាអំពូល LED";
const LAO: &str = "ທີມງານພົບວ່າລະບົບສູບນ້ຳຂອງນະຄອນຫຼວງວຽງຈັນໃຊ້ພະລັງງານຫຼາຍເກີນໄປໃນເວລາກາງຄືນ";
const BURMESE: &str = "ရန်ကုန်မြို့ရှိ ရေစုပ်စက်များသည် ညအချိန်တွင် စွမ်းအင်အလွန်အကျွံသုံးစွဲကြောင်း အဖွဲ့က တွေ့ရှိခဲ့သည်";

#[test]
fn complex_scripts_break_only_where_icu_allows_and_stay_within_the_width() {
    for text in [THAI, KHMER, LAO, BURMESE] {
        let width = 120.0;
        let lines = lines_of(text, width);
        assert!(lines.len() > 1, "{text} should wrap at {width} pt");
        assert_lossless(text, &lines);
        let allowed = break_opportunities(text);
        for line in &lines[..lines.len() - 1] {
            assert!(
                allowed.contains(&line.range.end),
                "line of {text:?} ends at {}, not an ICU break",
                line.range.end
            );
        }
        for line in &lines {
            assert!(
                line.width <= width + 0.01,
                "line {:?} is {} pt",
                line.text(),
                line.width
            );
        }
    }
}

#[test]
fn complex_scripts_shape_with_their_own_faces_and_no_missing_glyphs() {
    for (text, face) in [
        (THAI, Face::Thai),
        (KHMER, Face::Khmer),
        (LAO, Face::Lao),
        (BURMESE, Face::Myanmar),
    ] {
        let lines = lines_of(text, 1000.0);
        assert_eq!(lines.len(), 1);
        let glyphs = &lines[0].glyphs;
        assert!(
            glyphs.iter().any(|g| g.face == face),
            "{text}: no {face:?} glyph"
        );
        assert!(glyphs.iter().all(|g| g.gid != 0), "{text}: a missing glyph");
    }
}

#[test]
fn a_khmer_subscript_cluster_carries_its_text_for_extraction() {
    // ស្ត្រី: coeng forms and a pre-base vowel, drawn in another order than typed.
    let lines = lines_of("ស្ត្រី", 1000.0);
    let clusters = &lines[0].clusters;
    assert_eq!(lines[0].text(), "ស្ត្រី");
    assert!(clusters.iter().any(|c| c.actual_text));
}

#[test]
fn a_paragraph_mixing_scripts_picks_a_face_per_run() {
    let text = "ម៉ាស៊ីន Inverter EV-300 របស់ 株式会社ヨコハマ";
    let lines = lines_of(text, 1000.0);
    let faces: Vec<Face> = lines[0].glyphs.iter().map(|g| g.face).collect();
    for face in [Face::Khmer, Face::Sans, Face::Japanese] {
        assert!(faces.contains(&face), "no {face:?} in {faces:?}");
    }
    assert_lossless(text, &lines);
    assert!(lines[0].glyphs.iter().all(|g| g.gid != 0));
}

#[test]
fn vietnamese_typed_decomposed_keeps_its_text() {
    let decomposed = "Nha\u{300} ma\u{301}y nươ\u{301}c";
    let lines = lines_of(decomposed, 1000.0);
    assert_eq!(lines[0].text(), decomposed);
    assert!(lines[0].glyphs.iter().all(|g| g.gid != 0));
}

#[test]
fn a_long_word_is_cut_between_graphemes() {
    let word = "Zweckverbandsabwasserpumpwerksmodernisierungsprogramm".repeat(3);
    let lines = lines_of(&word, 100.0);
    assert!(lines.len() > 3);
    assert_lossless(&word, &lines);
    for line in &lines {
        assert!(line.width <= 100.01);
    }
}

#[test]
fn line_breaks_in_the_text_are_kept_and_blank_lines_keep_their_height() {
    let lines = lines_of("first\n\nthird", 1000.0);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1].text(), "");
    assert!(lines[1].height() > 0.0);
}

#[test]
fn twenty_thousand_characters_flow_without_losing_one() {
    let sentence = "Pump station 3 runs 16 h a day at 45 kW; ปั๊มน้ำทำงาน 16 ชั่วโมง. ";
    let text: String = sentence.repeat(20_000 / sentence.chars().count() + 1);
    let lines = lines_of(&text, 400.0);
    assert_lossless(&text, &lines);
}

#[test]
fn hostile_text_prints_without_a_crash() {
    let text = "<script>alert(1)</script>\u{0}\u{7}\u{202E}\u{200F}abc 😀 \u{10FFFF}";
    let lines = lines_of(text, 200.0);
    assert_lossless(text, &lines);
    // What no bundled face has prints as the missing-glyph box, with its text kept.
    let emoji = lines
        .iter()
        .flat_map(|l| &l.clusters)
        .find(|c| c.text.contains('😀'))
        .unwrap();
    assert!(emoji.actual_text);
}
