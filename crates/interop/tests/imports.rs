//! KoboToolbox and ODK Central exports (tests/fixtures, laid out as each
//! tool writes them) imported into a real store: what each submission
//! becomes, in Vietnamese, Thai, Japanese and Khmer; a second or an
//! overlapping import adds nothing; bad rows are reported with their row,
//! column and reason while the rest is imported; bad files are refused
//! with the database and the attachment store as they were.

use std::io::Write;
use std::path::{Path, PathBuf};

use fieldbook_interop::import::{
    import, open_media, propose, ColumnMeasurement, Field, ImportError, ImportReport, Location,
    Mapping, Submissions, Tool,
};
use fieldbook_store::{Commit, ListQuery, Record, Store};
use serde_json::{json, Map, Value};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}

type Imported = Result<(ImportReport, Mapping), ImportError>;

struct Db {
    dir: tempfile::TempDir,
    store: Store,
    study: String,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("fieldbook.db")).unwrap();
        let fields = json!({"title": "Energy audits 2025", "fiscal_year": 2025});
        let study = store
            .create("study", fields.as_object().unwrap().clone())
            .unwrap();
        Db { dir, store, study }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn list(&self, kind: &str) -> Vec<Record> {
        self.store.list(kind, &ListQuery::default()).unwrap()
    }

    fn import(
        &mut self,
        tool: Tool,
        data: &Path,
        media: Option<&Path>,
        mapping: Option<&Mapping>,
    ) -> Imported {
        let mut subs = Submissions::read(tool, data)?;
        let media = media.map(open_media).transpose()?;
        let mapping = mapping.cloned().unwrap_or_else(|| propose(&subs));
        let report = import(
            &mut self.store,
            &mut subs,
            media,
            &mapping,
            &self.study,
            Commit::Keep,
            |_, _| {},
        )?;
        Ok((report, mapping))
    }

    /// Everything a refused import must leave as it was.
    fn state(&self) -> (String, Vec<PathBuf>) {
        let mut files: Vec<PathBuf> = walk(&self.dir.path().join("fieldbook.db.attachments"));
        files.sort();
        (self.store.dump().unwrap(), files)
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

fn by_field<'r>(records: &'r [Record], field: &str, value: &str) -> &'r Record {
    records
        .iter()
        .find(|r| r.fields[field].as_str() == Some(value))
        .unwrap_or_else(|| panic!("no record with {field} = {value}"))
}

fn text(r: &Record, field: &str) -> String {
    r.fields[field].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_kobo_csv_export_and_its_media_become_visits_findings_and_photos() {
    let mut db = Db::new();
    let (report, mapping) = db
        .import(
            Tool::Kobo,
            &fixture("kobo/energy_audit.csv"),
            Some(&fixture("kobo/energy_audit-media.zip")),
            None,
        )
        .unwrap();

    // The proposal, from Kobo's own column names and what the columns hold.
    assert_eq!(mapping.visit.date, "visit_date");
    assert_eq!(mapping.visit.place.as_deref(), Some("site_name"));
    assert_eq!(mapping.visit.participants.as_deref(), Some("enumerator"));
    assert_eq!(
        mapping.visit.location,
        Some(Location::Geopoint("geo".into()))
    );
    let finding = mapping.finding.as_ref().unwrap();
    assert_eq!(finding.title, "title");
    assert_eq!(finding.sector, Field::Column("sector".into()));
    assert_eq!(finding.text, ["city", "issues", "notes", "electricity_kwh"]);
    assert_eq!(mapping.photos, ["photo"]);

    assert_eq!(
        (
            report.visits,
            report.findings,
            report.photos,
            report.measurements
        ),
        (4, 4, 3, 0),
        "{report:?}"
    );
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);

    let visits = db.list("visit");
    let danang = by_field(&visits, "place", "Nhà máy nước Cầu Đỏ");
    assert_eq!(text(danang, "date"), "2025-11-04");
    assert_eq!(text(danang, "latitude"), "16.0245");
    assert_eq!(text(danang, "longitude"), "108.1537");
    assert_eq!(text(danang, "participants"), "Nguyễn Văn An");
    assert_eq!(
        text(danang, "source"),
        "KoboToolbox submission uuid:b7c1e3a0-5d2f-4c1e-9a8b-1f2e3d4c5b6a"
    );
    let semarang = by_field(&visits, "place", "Terminal Bus Terboyo");
    assert!(
        semarang.fields["latitude"].is_null(),
        "no geopoint, no coordinates"
    );
    by_field(&visits, "place", "ផ្សារធំថ្មី");

    let findings = db.list("finding");
    let bangkok = by_field(&findings, "title", "เครื่องทำน้ำเย็นอายุ 20 ปี");
    assert_eq!(text(bangkok, "sector"), "buildings");
    assert!(text(bangkok, "text").contains("notes: ฉนวนท่อน้ำเย็นเสื่อมสภาพ"));
    assert!(text(bangkok, "text").contains("city: กรุงเทพมหานคร"));
    let bangkok_visit = db.store.get("visit", &text(bangkok, "visit_id")).unwrap();
    assert_eq!(text(&bangkok_visit, "place"), "โรงพยาบาลราชวิถี อาคาร 3");
    // Edited on the server: the id kept is the one that does not change.
    assert_eq!(
        text(bangkok, "source"),
        "KoboToolbox submission uuid:4f3e2d1c-0b9a-4876-a543-210fedcba987"
    );
    let lights = by_field(&findings, "title", "照明のLED化候補");
    assert!(text(lights, "text").contains("水銀灯 48 基"));

    // Photos: the bytes of the ZIP's entries, the name a space had.
    let photos = db.list("attachment");
    let photo = by_field(&photos, "file_name", "IMG 0042.jpg");
    assert_eq!(text(photo, "finding_id"), lights.id);
    assert_eq!(text(photo, "mime"), "image/jpeg");
    let stored = db.store.blobs().read(&text(photo, "sha256")).unwrap();
    let original =
        std::fs::read(fixture("../../assets/samples/photos/semarang-depot.jpg")).unwrap();
    assert_eq!(stored, original);

    // The same export again adds nothing.
    let before = db.state();
    let (again, _) = db
        .import(
            Tool::Kobo,
            &fixture("kobo/energy_audit.csv"),
            Some(&fixture("kobo/energy_audit-media.zip")),
            None,
        )
        .unwrap();
    assert_eq!(again.already_imported, 4);
    assert_eq!((again.visits, again.findings, again.photos), (0, 0, 0));
    assert_eq!(db.state().1, before.1);
    assert_eq!(db.list("visit").len(), 4);

    // One action: one undo takes the whole import back.
    let undone = db.store.undo().unwrap().unwrap();
    assert_eq!(undone.label, "Import KoboToolbox export energy_audit.csv");
    assert!(db.list("visit").is_empty());
    assert!(db.list("attachment").is_empty());
}

/// Kobo's XLSX export of the same form: typed cells (dates as Excel dates,
/// numbers as numbers) and the repeat group in a sheet of its own.
fn kobo_xlsx(db: &Db) -> PathBuf {
    kobo_xlsx_with(db, Vec::new())
}

/// [`kobo_xlsx`] with more repeat sheets: (name, rows with the header first).
fn kobo_xlsx_with(db: &Db, more: Vec<(&str, Vec<Vec<String>>)>) -> PathBuf {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let main = csv_rows(
        &std::fs::read(fixture("kobo/energy_audit.csv")).unwrap(),
        b';',
    );
    let repeats = csv_rows(
        &std::fs::read(fixture("kobo/energy_audit-measurements.csv")).unwrap(),
        b',',
    );
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheets = [("Energy audit", main), ("measurements", repeats)]
        .into_iter()
        .chain(more);
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                if cell.is_empty() {
                    continue;
                }
                if r > 0 && cell.len() == 10 && cell.as_bytes()[4] == b'-' {
                    let d = ExcelDateTime::parse_from_str(cell).unwrap();
                    sheet.write_datetime_with_format(r, c, &d, &date).unwrap();
                } else if let (true, Ok(n)) = (r > 0, cell.parse::<f64>()) {
                    sheet.write_number(r, c, n).unwrap();
                } else {
                    sheet.write_string(r, c, cell).unwrap();
                }
            }
        }
    }
    db.file("energy_audit.xlsx", &book.save_to_buffer().unwrap())
}

fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_kobo_xlsx_export_brings_its_repeat_group_as_measurements() {
    let mut db = Db::new();
    let xlsx = kobo_xlsx(&db);
    let (report, mapping) = db
        .import(
            Tool::Kobo,
            &xlsx,
            Some(&fixture("kobo/energy_audit-media.zip")),
            None,
        )
        .unwrap();
    let m = mapping
        .measurements
        .as_ref()
        .expect("the repeat group proposed");
    assert_eq!(m.sheet, "measurements");
    assert_eq!(m.value, "value");

    // The Khmer submission's roof area is in m², not a unit Fieldbook
    // knows: that submission is reported, the others imported.
    assert_eq!(report.visits, 3, "{report:?}");
    assert_eq!(report.measurements, 3);
    assert_eq!(report.photos, 3);
    let [rejected] = report.rejected.as_slice() else {
        panic!("{:?}", report.rejected)
    };
    assert_eq!(rejected.sheet, "measurements");
    assert_eq!(rejected.row, 5);
    assert_eq!(rejected.column, "unit");
    assert!(rejected.reason.contains("m2"), "{}", rejected.reason);

    let measurements = db.list("measurement");
    let flow = by_field(&measurements, "quantity", "pump flow");
    assert_eq!(text(flow, "value"), "420");
    assert_eq!(text(flow, "unit"), "m3/h");
    let finding = db.store.get("finding", &text(flow, "finding_id")).unwrap();
    assert_eq!(text(&finding, "title"), "Bơm nước cũ, hiệu suất thấp");
    // An Excel date cell is read back as the date it shows.
    let visit = db.store.get("visit", &text(&finding, "visit_id")).unwrap();
    assert_eq!(text(&visit, "date"), "2025-11-04");
}

#[test]
fn an_odk_central_zip_brings_submissions_repeats_and_media_and_edits_add_nothing() {
    let mut db = Db::new();
    let (report, mapping) = db
        .import(Tool::Odk, &fixture("odk/energy_audit.zip"), None, None)
        .unwrap();
    assert_eq!(mapping.visit.date, "site-visit_date");
    assert_eq!(
        mapping.visit.location,
        Some(Location::Split {
            latitude: "site-geo-Latitude".into(),
            longitude: "site-geo-Longitude".into()
        })
    );
    assert_eq!(mapping.photos, ["finding-photo"]);
    assert_eq!(
        mapping.measurements.as_ref().unwrap().sheet,
        "energy_audit-measurements"
    );
    assert_eq!(
        (report.visits, report.measurements, report.photos),
        (3, 3, 3)
    );
    let [rejected] = report.rejected.as_slice() else {
        panic!("{:?}", report.rejected)
    };
    assert_eq!(
        (rejected.sheet.as_str(), rejected.column.as_str()),
        ("energy_audit-measurements", "unit")
    );
    let visits = db.list("visit");
    let bangkok = by_field(&visits, "place", "โรงพยาบาลราชวิถี อาคาร 3");
    assert_eq!(text(bangkok, "latitude"), "13.7649");
    assert_eq!(
        text(bangkok, "source"),
        "ODK Central submission uuid:4f3e2d1c-0b9a-4876-a543-210fedcba987"
    );

    // A later export: the Thai submission edited again on the server (a new
    // instanceID, the same KEY) and one new submission.
    let later = odk_later_export(&db);
    let (report, _) = db.import(Tool::Odk, &later, None, Some(&mapping)).unwrap();
    assert_eq!(report.already_imported, 3, "{report:?}");
    assert_eq!(report.visits, 1);
    // The Khmer submission is reported again (still in m²), and the new
    // encrypted one Central could not decrypt.
    let [encrypted, m2] = report.rejected.as_slice() else {
        panic!("{:?}", report.rejected)
    };
    assert_eq!(m2.column, "unit");
    assert_eq!((encrypted.row, encrypted.column.as_str()), (3, "Status"));
    assert!(
        encrypted.reason.contains("not decrypted"),
        "{}",
        encrypted.reason
    );
    assert_eq!(db.list("visit").len(), 4);
}

/// The fixture's ZIP with one more submission on top and the Bangkok one
/// edited once more.
fn odk_later_export(db: &Db) -> PathBuf {
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(fixture("odk/energy_audit.zip")).unwrap())
            .unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        if name == "energy_audit.csv" {
            let text = String::from_utf8(bytes).unwrap();
            let (header, rows) = text.split_once('\n').unwrap();
            let rows = rows.replace(
                "uuid:0e9d8c7b-6a5f-4e3d-8c2b-a1b2c3d4e5f6",
                "uuid:11111111-2222-4333-8444-555555555555",
            );
            let new = "2025-12-01T03:00:00.000Z,2025-12-01T09:00:00.000+07:00,2025-12-01T09:30:00.000+07:00,Trần Thị Bình,Trạm bơm Sơn Trà,Đà Nẵng,16.0800,108.2400,5,4,2025-12-01,Máy biến áp quá tải,energy,,,,uuid:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee,uuid:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee,12,Tran Thi Binh,0,0,,,collect:Zx9LmN34OpQr,0,2025110101\n";
            let encrypted = ",,,,,,,,,,,,,,,,uuid:cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee,uuid:cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee,13,Tran Thi Binh,0,1,not decrypted,,collect:Zx9LmN34OpQr,0,2025110101\n";
            bytes = format!("{header}\n{new}{encrypted}{rows}").into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    db.file(
        "energy_audit-later.zip",
        &out.finish().unwrap().into_inner(),
    )
}

#[test]
fn bad_rows_are_reported_with_row_column_and_reason_and_the_rest_imported() {
    let mut db = Db::new();
    let text = std::fs::read_to_string(fixture("kobo/energy_audit.csv")).unwrap();
    let text = text
        // Row 2: a date as a person types it.
        .replacen("\"2025-11-04\"", "\"04/11/2025\"", 1)
        // Row 3: a latitude beyond the pole.
        .replacen(
            "\"13.7649 100.5360 4.2 6.0\"",
            "\"97.7649 100.5360 4.2 6.0\"",
            1,
        )
        // Row 4: a photo the media ZIP does not hold.
        .replacen("\"IMG 0042.jpg\"", "\"IMG 0043.jpg\"", 1);
    let data = db.file("energy_audit.csv", text.as_bytes());
    let subs = Submissions::read(Tool::Kobo, &data).unwrap();
    let mut mapping = propose(&subs);
    // Row 5: a negative electricity reading, as a measurement.
    mapping.measurement_columns.push(ColumnMeasurement {
        column: "electricity_kwh".into(),
        quantity: "electricity use".into(),
        unit: "kWh".into(),
    });
    let text = text.replacen(
        "\"Roof area about 2,400 m² facing south; market committee interested.\";\"\"",
        "\"Roof area about 2,400 m² facing south; market committee interested.\";\"-40\"",
        1,
    );
    let data = db.file("energy_audit.csv", text.as_bytes());
    let (report, _) = db
        .import(
            Tool::Kobo,
            &data,
            Some(&fixture("kobo/energy_audit-media.zip")),
            Some(&mapping),
        )
        .unwrap();
    let got: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.column.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "visit_date"),
            (3, "geo"),
            (4, "photo"),
            (5, "electricity_kwh")
        ],
        "{:?}",
        report.rejected
    );
    let codes: Vec<(&str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.code.as_str(), r.value.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("not_date", "04/11/2025"),
            ("bad_coordinate", "97.7649 100.5360 4.2 6.0"),
            ("photo_missing", "IMG 0043.jpg"),
            ("negative", "-40")
        ]
    );
    assert!(report.rejected[0].reason.contains("04/11/2025"));
    assert!(report.rejected[2].reason.contains("IMG 0043.jpg"));
    assert_eq!(report.visits, 0);
    assert!(db.list("visit").is_empty());

    // The report as CSV, for Excel.
    let csv = report.rejections_csv().unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBFsheet,row,column,value,reason\n"));
}

#[test]
fn a_dry_run_reports_what_the_import_would_do_and_keeps_nothing() {
    let mut db = Db::new();
    let before = db.state();
    let mut subs = Submissions::read(Tool::Odk, &fixture("odk/energy_audit.zip")).unwrap();
    let mapping = propose(&subs);
    let mut progress = Vec::new();
    let report = import(
        &mut db.store,
        &mut subs,
        None,
        &mapping,
        &db.study.clone(),
        Commit::DryRun,
        |done, total| progress.push((done, total)),
    )
    .unwrap();
    assert!(report.dry_run);
    assert_eq!((report.visits, report.photos), (3, 3));
    assert_eq!(progress.last(), Some(&(4, 4)));
    assert_eq!(db.state(), before);
}

fn tiny_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A ZIP whose one entry declares `size` bytes, written without them
/// (its local and central headers patched): what a bomb's headers say.
fn zip_declaring(size: u32) -> Vec<u8> {
    let mut bytes = tiny_zip(&[("1730685302120.jpg", b"\xff\xd8\xff tiny")]);
    let patch = |bytes: &mut Vec<u8>, signature: &[u8], offset: usize| {
        let at = bytes.windows(4).position(|w| w == signature).unwrap();
        bytes[at + offset..at + offset + 4].copy_from_slice(&size.to_le_bytes());
    };
    patch(&mut bytes, b"PK\x03\x04", 22);
    patch(&mut bytes, b"PK\x01\x02", 24);
    bytes
}

#[test]
fn bad_files_are_refused_and_change_nothing() {
    let mut db = Db::new();
    let before = db.state();
    let kobo = fixture("kobo/energy_audit.csv");
    let cases: Vec<(&str, Imported)> = vec![
        ("broken ZIP", {
            let zip = db.file("broken.zip", b"PK\x03\x04 this is not a zip");
            db.import(Tool::Kobo, &kobo, Some(&zip), None)
        }),
        ("traversal", {
            let zip = db.file("evil.zip", &tiny_zip(&[("../../x", b"\xff\xd8\xff")]));
            db.import(Tool::Kobo, &kobo, Some(&zip), None)
        }),
        ("1 GB entry", {
            let zip = db.file("big.zip", &zip_declaring(1 << 30));
            db.import(Tool::Kobo, &kobo, Some(&zip), None)
        }),
        ("wrong delimiter", {
            let text = std::fs::read_to_string(&kobo)
                .unwrap()
                .replace("\";\"", "\"|\"");
            let data = db.file("pipes.csv", text.as_bytes());
            db.import(Tool::Kobo, &data, None, None)
        }),
        ("missing columns", {
            let mut mapping = propose(&Submissions::read(Tool::Kobo, &kobo).unwrap());
            mapping.visit.place = Some("site/site_name".into());
            db.import(Tool::Kobo, &kobo, None, Some(&mapping))
        }),
        ("not a Kobo export", {
            db.import(Tool::Kobo, &fixture("odk/energy_audit.zip"), None, None)
        }),
        ("not a table", {
            let data = db.file("photo.xlsx", b"\xff\xd8\xff not a workbook");
            db.import(Tool::Kobo, &data, None, None)
        }),
    ];
    for (case, outcome) in cases {
        let err = outcome.err().unwrap_or_else(|| panic!("{case}: imported"));
        let message = err.to_string();
        let expected = match case {
            "broken ZIP" => "not a readable ZIP",
            "traversal" => "'../../x' points outside",
            "1 GB entry" => "declares 1024 MiB",
            "wrong delimiter" => "one column",
            "missing columns" => "'site/site_name'",
            "not a Kobo export" => "meta/rootUuid or _id",
            _ => "not a readable XLSX",
        };
        assert!(message.contains(expected), "{case}: {message}");
        assert_eq!(db.state(), before, "{case}");
    }
}

#[test]
fn a_saved_mapping_is_found_by_name() {
    let db = Db::new();
    let subs = Submissions::read(Tool::Kobo, &fixture("kobo/energy_audit.csv")).unwrap();
    let mut mapping = propose(&subs);
    mapping.finding.as_mut().unwrap().sector = Field::Value("water".into());
    fieldbook_interop::import::save_mapping(&db.store, "energy audit", &mapping).unwrap();
    let back = fieldbook_interop::import::saved_mapping(&db.store, "energy audit")
        .unwrap()
        .unwrap();
    assert_eq!(back, mapping);
    let json: Value = serde_json::to_value(&back).unwrap();
    assert_eq!(json["finding"]["sector"], json!({"value": "water"}));
    let _: Map<String, Value> = json.as_object().unwrap().clone();
}

/// The fixture's form as an XLSForm, labelled in Vietnamese.
fn xlsform(db: &Db) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let survey = book.add_worksheet().set_name("survey").unwrap();
    let rows: &[[&str; 3]] = &[
        ["type", "name", "label::Tiếng Việt (vi)"],
        ["start", "start", ""],
        ["end", "end", ""],
        ["text", "enumerator", "Người khảo sát"],
        ["text", "site_name", "Tên cơ sở"],
        ["text", "city", "Thành phố"],
        ["geopoint", "geo", "Vị trí GPS"],
        ["date", "visit_date", "Ngày khảo sát"],
        ["text", "title", "Vấn đề chính"],
        ["select_one sector", "sector", "Ngành"],
        ["select_multiple issues", "issues", "Các vấn đề"],
        ["text", "notes", "Ghi chú"],
        ["decimal", "electricity_kwh", "Điện năng (kWh)"],
        ["image", "photo", "Ảnh"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            survey.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    let choices = book.add_worksheet().set_name("choices").unwrap();
    let options = [
        ["list_name", "name"],
        ["sector", "energy"],
        ["sector", "buildings"],
        ["sector", "transport"],
        ["issues", "leak"],
    ];
    for (r, row) in options.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            choices.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    db.file("energy_audit.xlsform.xlsx", &book.save_to_buffer().unwrap())
}

#[test]
fn an_export_headed_by_labels_is_mapped_through_its_xlsform() {
    use fieldbook_interop::import::{propose_with, Form};
    let db = Db::new();
    // Kobo's "labels" export: the header row holds the Vietnamese labels.
    let text = std::fs::read_to_string(fixture("kobo/energy_audit.csv")).unwrap();
    let (header, rows) = text.split_once("\r\n").unwrap();
    let header = header
        .replace("\"enumerator\"", "\"Người khảo sát\"")
        .replace("\"site_name\"", "\"Tên cơ sở\"")
        .replace("\"visit_date\"", "\"Ngày khảo sát\"")
        .replace("\"title\"", "\"Vấn đề chính\"")
        .replace("\"sector\"", "\"Ngành\"")
        .replace("\"photo\"", "\"Ảnh\"")
        .replace("\"geo\"", "\"Vị trí GPS\"");
    let data = db.file("labels.csv", format!("{header}\r\n{rows}").as_bytes());
    let subs = Submissions::read(Tool::Kobo, &data).unwrap();

    let without = propose(&subs);
    assert!(without.finding.is_none(), "no column is named like a title");

    let form = Form::read(&xlsform(&db)).unwrap();
    let mapping = propose_with(&subs, &form);
    assert_eq!(mapping.visit.date, "Ngày khảo sát");
    assert_eq!(mapping.visit.place.as_deref(), Some("Tên cơ sở"));
    assert_eq!(
        mapping.visit.location,
        Some(Location::Geopoint("Vị trí GPS".into()))
    );
    let finding = mapping.finding.as_ref().unwrap();
    assert_eq!(finding.title, "Vấn đề chính");
    assert_eq!(finding.sector, Field::Column("Ngành".into()));
    assert_eq!(mapping.photos, ["Ảnh"]);

    let err = Form::read(&fixture("kobo/energy_audit-media.zip")).unwrap_err();
    assert!(err.to_string().contains("XLSX"), "{err}");
}

#[test]
fn photos_in_a_repeat_group_are_imported_with_their_captions() {
    let mut db = Db::new();
    let rows = |cells: &[&[&str]]| -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    // A `site_photos` repeat group, as Kobo's XLSX puts it in its own sheet:
    // two photos of the Da Nang pumps, one of the Semarang terminal that the
    // media ZIP does not hold.
    let photos = rows(&[
        &[
            "photo",
            "caption",
            "_index",
            "_parent_table_name",
            "_parent_index",
            "_submission__id",
        ],
        &[
            "1730685400001.jpg",
            "Trạm bơm nước thô",
            "1",
            "Energy audit",
            "1",
            "4101",
        ],
        &["1730685400002.jpg", "", "2", "Energy audit", "1", "4101"],
        &[
            "1731925000003.jpg",
            "Lampu merkuri",
            "3",
            "Energy audit",
            "3",
            "4103",
        ],
    ]);
    let xlsx = kobo_xlsx_with(&db, vec![("site_photos", photos)]);
    let intake = std::fs::read(fixture(
        "../../assets/samples/photos/danang-antrach-intake.jpg",
    ))
    .unwrap();
    let roof = std::fs::read(fixture("../../assets/samples/photos/phnompenh-roof.jpg")).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(fixture("kobo/energy_audit-media.zip")).unwrap())
            .unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        entries.push((entry.name().to_string(), bytes));
    }
    let folder = "fieldteam/attachments/3c9f0e1d2b4a45e6a7b8c9d0e1f2a3b4/b7c1e3a0-5d2f-4c1e-9a8b-1f2e3d4c5b6a";
    entries.push((format!("{folder}/1730685400001.jpg"), intake.clone()));
    entries.push((format!("{folder}/1730685400002.jpg"), roof));
    let named: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let media = db.file("media.zip", &tiny_zip(&named));

    let (report, mapping) = db.import(Tool::Kobo, &xlsx, Some(&media), None).unwrap();
    assert_eq!(
        mapping.repeat_photos,
        [fieldbook_interop::import::RepeatPhotos {
            sheet: "site_photos".into(),
            column: "photo".into(),
            caption: Some("caption".into()),
        }]
    );
    // Da Nang and Bangkok imported (Khmer: m²; Semarang: a missing photo).
    assert_eq!(report.visits, 2, "{report:?}");
    assert_eq!(
        report.photos, 4,
        "two from the main sheet, two from the group"
    );
    let missing = report
        .rejected
        .iter()
        .find(|r| r.code == "photo_missing")
        .expect("the Semarang photo");
    assert_eq!(
        (missing.sheet.as_str(), missing.row, missing.column.as_str()),
        ("site_photos", 4, "photo")
    );
    let attachments = db.list("attachment");
    let intake_photo = by_field(&attachments, "file_name", "1730685400001.jpg");
    assert_eq!(text(intake_photo, "caption"), "Trạm bơm nước thô");
    let finding = db
        .store
        .get("finding", &text(intake_photo, "finding_id"))
        .unwrap();
    assert_eq!(text(&finding, "title"), "Bơm nước cũ, hiệu suất thấp");
    assert!(by_field(&attachments, "file_name", "1730685400002.jpg").fields["caption"].is_null());
    assert_eq!(
        db.store
            .blobs()
            .read(&text(intake_photo, "sha256"))
            .unwrap(),
        intake
    );
}
