//! Every export re-read by an independent reader and checked field by
//! field: calamine for XLSX (types too), the csv crate for CSV, serde_json
//! for GeoJSON, quick-xml's reader for KML. On the sample studies and on a
//! study made here in Thai and Japanese, with quotes, commas and newlines.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::NaiveDate;
use fieldbook_estimate::emissions::Provenance;
use fieldbook_estimate::rules::Rules;
use fieldbook_interop::csv::{export_csv, CsvOptions};
use fieldbook_interop::geo::{export_geojson, export_kml};
use fieldbook_interop::xlsx::{export_xlsx, study_workbook, XlsxOptions};
use fieldbook_interop::{ExportError, Lang};
use fieldbook_store::{ListQuery, Store};
use serde_json::{json, Map, Value};

const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
const PLACE: &str = "โรงบำบัดน้ำ, \"浄水場\"";
const NOTES: &str = "ปั๊มน้ำ 3 เครื่อง\n二行目, \"引用\"";
const FINDING: &str = "ポンプ効率が低い \"η=52%\", ปั๊ม";

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    out: std::path::PathBuf,
    store: Store,
    study: String,
    visit: String,
    finding: String,
    measurement: String,
}

/// A store with the sample studies and one study in Thai and Japanese: a
/// visit with coordinates, one without, a finding, a measurement, a need.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("fb.db")).unwrap();
    store.load_samples().unwrap();
    let mut create = |kind: &str, v: Value| store.create(kind, fields(v)).unwrap();
    let study = create(
        "study",
        json!({"title": "ขอนแก่น・省エネ調査", "fiscal_year": 2025}),
    );
    let visit = create(
        "visit",
        json!({"study_id": study, "date": "2025-03-14", "place": PLACE,
               "latitude": "16.4419", "longitude": "102.8360", "notes": NOTES}),
    );
    create(
        "visit",
        json!({"study_id": study, "date": "2025-03-15", "place": "会議室"}),
    );
    let finding = create(
        "finding",
        json!({"study_id": study, "visit_id": visit, "sector": "water", "title": FINDING,
               "text": "一行目\n2nd line, with \"quotes\""}),
    );
    let measurement = create(
        "measurement",
        json!({"finding_id": finding, "quantity": "定格出力", "value": "75.5", "unit": "kW"}),
    );
    create(
        "need",
        json!({"study_id": study, "statement": "ลดค่าไฟฟ้า", "priority": "high",
               "finding_ids": [finding]}),
    );
    Fixture {
        out: dir.path().to_path_buf(),
        _dir: dir,
        store,
        study,
        visit,
        finding,
        measurement,
    }
}

fn sample_study(store: &Store, part: &str) -> String {
    store
        .list("study", &ListQuery::default())
        .unwrap()
        .into_iter()
        .find(|s| s.title.contains(part))
        .unwrap()
        .id
}

type Sheets = Vec<(String, Vec<Vec<Data>>)>;

fn read_xlsx(bytes: Vec<u8>) -> Sheets {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(sheets: &'a Sheets, name: &str) -> &'a [Vec<Data>] {
    &sheets
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no sheet {name} in {:?}",
                sheets.iter().map(|s| &s.0).collect::<Vec<_>>()
            )
        })
        .1
}

/// The row whose first cell (the id column) is `id`, by header.
fn row<'a>(rows: &'a [Vec<Data>], id: &str) -> impl Fn(&str) -> &'a Data {
    let headers = &rows[0];
    let row = rows
        .iter()
        .find(|r| r[0] == Data::String(id.to_string()))
        .unwrap_or_else(|| panic!("no row {id}"));
    move |h: &str| {
        let c = headers
            .iter()
            .position(|x| *x == Data::String(h.to_string()))
            .unwrap_or_else(|| panic!("no column {h} in {headers:?}"));
        &row[c]
    }
}

fn excel_serial(d: NaiveDate) -> f64 {
    (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

#[test]
fn the_workbook_reads_back_field_by_field_with_types() {
    let f = fixture();
    let path = f.out.join("study.xlsx");
    let o = XlsxOptions {
        lang: Lang::En,
        today: TODAY,
    };
    let summary = export_xlsx(&f.store, &f.study, &path, &o).unwrap();
    let names: Vec<&str> = summary.sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Site visit", "Finding", "Measurement", "Local need"]
    );
    let sheets = read_xlsx(std::fs::read(&path).unwrap());

    let visits = sheet(&sheets, "Site visit");
    assert_eq!(visits.len(), 3, "header and two visits");
    assert_eq!(visits[0][0], Data::String("ID".into()));
    let v = row(visits, &f.visit);
    assert_eq!(*v("Study"), Data::String(f.study.clone()));
    match v("Date of visit") {
        Data::DateTime(d) => {
            assert!(d.is_datetime());
            assert_eq!(
                d.as_f64(),
                excel_serial(NaiveDate::from_ymd_opt(2025, 3, 14).unwrap())
            );
        }
        other => panic!("a date cell, not {other:?}"),
    }
    assert_eq!(*v("Place"), Data::String(PLACE.into()));
    assert_eq!(*v("Notes"), Data::String(NOTES.into()));
    assert_eq!(*v("Latitude [°]"), Data::Float(16.4419));
    assert_eq!(*v("Longitude [°]"), Data::Float(102.836));
    assert_eq!(*v("Participants"), Data::Empty);

    let m = row(sheet(&sheets, "Measurement"), &f.measurement);
    assert_eq!(*m("Finding"), Data::String(f.finding.clone()));
    assert_eq!(*m("Value [Unit]"), Data::Float(75.5), "a number, not text");
    assert_eq!(*m("Unit"), Data::String("kW".into()));
    let fnd = row(sheet(&sheets, "Finding"), &f.finding);
    assert_eq!(*fnd("Title"), Data::String(FINDING.into()));
    assert_eq!(*fnd("Site visit"), Data::String(f.visit.clone()));
    let need = sheet(&sheets, "Local need");
    assert_eq!(
        *row(need, &need[1][0].to_string())("Linked findings"),
        Data::String(f.finding.clone())
    );

    // Frozen header row and autofilter, as the sheet's XML declares them
    // (calamine does not read views): the first sheet, "Site visit".
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        ),
        "{xml}"
    );
    assert!(xml.contains("<autoFilter ref=\"A1:"), "{xml}");
}

#[test]
fn a_sample_study_has_japanese_headers_and_a_jcm_parameter_sheet_per_estimate() {
    let f = fixture();
    let study = sample_study(&f.store, "DAWACO");
    let o = XlsxOptions {
        lang: Lang::Ja,
        today: TODAY,
    };
    let (bytes, summary) = study_workbook(&f.store, &study, &o).unwrap();
    assert_eq!(summary.truncated_cells, 0);
    let sheets = read_xlsx(bytes);
    let estimates =
        fieldbook_proposal::study_estimates(&f.store, Rules::shipped(), &study, TODAY).unwrap();
    assert!(!estimates.is_empty());
    for kind in [
        "現地訪問",
        "所見",
        "測定値",
        "地域ニーズ",
        "候補技術",
        "試算",
        "試算の入力値",
    ] {
        assert!(
            sheets.iter().any(|(n, _)| n == kind),
            "{kind} in {:?}",
            sheets.iter().map(|s| &s.0).collect::<Vec<_>>()
        );
    }
    for (n, e) in estimates.iter().enumerate() {
        let name: String = format!("JCM {} {}", n + 1, e.title)
            .chars()
            .take(31)
            .collect();
        let rows = sheet(&sheets, &name);
        assert_eq!(
            rows[0],
            [
                "パラメータ",
                "説明",
                "値",
                "単位",
                "モニタリング方法",
                "出典",
                "根拠（測定値／調査結果のID）",
                "規則の版"
            ]
            .map(|h| Data::String(h.into()))
        );
        let em = e.emissions.as_ref().expect("the sample estimate computes");
        assert_eq!(rows.len(), em.inputs.len() + 1);
        let mut measured = 0;
        for (input, r) in em.inputs.iter().zip(&rows[1..]) {
            assert_eq!(r[0], Data::String(input.name.clone()));
            assert_eq!(
                r[2],
                Data::Float(input.value.to_string().parse().unwrap()),
                "{}",
                input.name
            );
            assert_eq!(r[3], Data::String(input.unit.clone()));
            assert_eq!(r[7], Data::String(e.subsidies[0].edition.clone()));
            if let Provenance::Measurement {
                measurement_id,
                finding_id,
            } = &input.provenance
            {
                assert_eq!(
                    r[6],
                    Data::String(format!("{measurement_id} / {finding_id}"))
                );
                measured += 1;
            }
        }
        assert!(measured > 0, "the sample links a measurement");
    }
}

#[test]
fn csv_files_have_a_bom_and_round_trip_thai_japanese_quotes_and_newlines() {
    let f = fixture();
    let dir = f.out.join("csv");
    let summary = export_csv(
        &f.store,
        &f.study,
        &dir,
        &CsvOptions {
            lang: Lang::En,
            bom: true,
        },
    )
    .unwrap();
    assert_eq!(summary.files.len(), 4);
    let bytes = std::fs::read(dir.join("visit.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "ID");
    assert_eq!(&headers[2], "Date of visit");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let visit = records.iter().find(|r| &r[0] == f.visit.as_str()).unwrap();
    let at = |h: &str| headers.iter().position(|x| x == h).unwrap();
    assert_eq!(&visit[at("Place")], PLACE);
    assert_eq!(&visit[at("Notes")], NOTES);
    assert_eq!(&visit[at("Date of visit")], "2025-03-14");
    assert_eq!(&visit[at("Latitude [°]")], "16.4419");
    assert!(
        String::from_utf8(bytes).unwrap().contains("\r\n"),
        "RFC 4180 line ends"
    );

    export_csv(
        &f.store,
        &f.study,
        &dir,
        &CsvOptions {
            lang: Lang::Ja,
            bom: false,
        },
    )
    .unwrap();
    let bytes = std::fs::read(dir.join("finding.csv")).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(&reader.headers().unwrap()[0], "ID");
    let finding = reader.records().next().unwrap().unwrap();
    assert_eq!(&finding[0], f.finding.as_str());
    assert!(finding.iter().any(|c| c == FINDING));
    assert!(finding
        .iter()
        .any(|c| c == "一行目\n2nd line, with \"quotes\""));
}

#[test]
fn geojson_puts_longitude_first_and_counts_visits_without_coordinates() {
    let f = fixture();
    let path = f.out.join("visits.geojson");
    let summary = export_geojson(&f.store, &f.study, &path).unwrap();
    assert_eq!((summary.features, summary.without_coordinates), (1, 1));
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    let feature = &doc["features"][0];
    assert_eq!(
        feature["geometry"],
        json!({"type": "Point", "coordinates": [102.836, 16.4419]})
    );
    let props = &feature["properties"];
    assert_eq!(props["id"], f.visit.as_str());
    assert_eq!(props["place"], PLACE);
    assert_eq!(props["notes"], NOTES);
    assert_eq!(props["date"], "2025-03-14");
    assert_eq!(props["findings"], json!([FINDING]));
}

#[test]
fn kml_coordinates_are_lon_lat_and_text_survives_xml_escaping() {
    use quick_xml::events::Event;
    let f = fixture();
    let path = f.out.join("visits.kml");
    let summary = export_kml(&f.store, &f.study, &path, Lang::Ja).unwrap();
    assert_eq!((summary.features, summary.without_coordinates), (1, 1));
    let xml = std::fs::read_to_string(&path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut path_now, mut texts) = (Vec::<String>::new(), Vec::<(String, String)>::new());
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => path_now.push(e.name().as_ref().to_string()),
            Event::End(_) => {
                path_now.pop();
            }
            Event::Text(t) => texts.push((path_now.join("/"), t.xml10_content().into_owned())),
            Event::GeneralRef(r) => {
                let ch = r
                    .resolve_char_ref()
                    .unwrap()
                    .map(String::from)
                    .unwrap_or_else(|| {
                        quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                            .unwrap()
                            .to_string()
                    });
                texts.push((path_now.join("/"), ch));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // Text may arrive in pieces around entities: join them per element path.
    let text_of = |p: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut last: Option<&str> = None;
        for (at, t) in &texts {
            if at.ends_with(p) {
                if last == Some(at.as_str()) {
                    out.last_mut().unwrap().push_str(t);
                } else {
                    out.push(t.clone());
                }
            }
            last = Some(at.as_str());
        }
        out
    };
    assert_eq!(text_of("Placemark/Point/coordinates"), ["102.836,16.4419"]);
    let values = text_of("ExtendedData/Data/value");
    for expected in [f.visit.as_str(), "2025-03-14", PLACE, NOTES, FINDING] {
        assert!(
            values.iter().any(|v| v == expected),
            "{expected} in {values:?}"
        );
    }
    assert!(text_of("Data/displayName").iter().any(|l| l == "調査結果"));
}

#[test]
fn bad_input_is_refused_clearly_and_writes_nothing() {
    let mut f = fixture();
    let o = XlsxOptions {
        lang: Lang::En,
        today: TODAY,
    };
    let err = study_workbook(&f.store, "no-such-study", &o).unwrap_err();
    assert!(
        err.to_string().contains("no study with id no-such-study"),
        "{err}"
    );

    let missing = f.out.join("missing-folder").join("x.xlsx");
    let err = export_xlsx(&f.store, &f.study, &missing, &o).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err}");
    assert!(!missing.exists());

    f.store.delete("study", &f.study).unwrap();
    let err = export_geojson(&f.store, &f.study, &f.out.join("g.geojson")).unwrap_err();
    assert!(matches!(err, ExportError::StudyInTrash(_)), "{err}");
    assert!(!f.out.join("g.geojson").exists());
}
