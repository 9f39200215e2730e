//! `fieldbook import kobo|odk` as a script runs it: the proposed mapping
//! printed, counts in --json, a second run adding nothing, a saved mapping
//! found by name, rejected rows written to CSV, a dry run keeping nothing,
//! and an import killed halfway leaving the database as before.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::Cli;
use fieldbook_interop::import::synthetic;

fn fixture(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn study(cli: &Cli) -> String {
    let made = cli.json(&[
        "study",
        "add",
        "--title",
        "Energy audits",
        "--fiscal-year",
        "2025",
    ]);
    made["id"].as_str().unwrap().to_string()
}

#[test]
fn a_kobo_export_is_imported_once_with_the_mapping_it_prints() {
    let cli = Cli::new();
    let study = study(&cli);
    let csv = fixture("kobo/energy_audit.csv");
    let media = fixture("kobo/energy_audit-media.zip");

    let dry = cli.json(&[
        "import",
        "kobo",
        &csv,
        "--media",
        &media,
        "--study",
        &study,
        "--dry-run",
    ]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["visits"], 4);
    assert_eq!(cli.json(&["visit", "list"]).as_array().unwrap().len(), 0);

    let text = cli.ok(&[
        "import",
        "kobo",
        &csv,
        "--media",
        &media,
        "--study",
        &study,
        "--save-mapping",
        "energy audit",
    ]);
    assert!(text.contains("Mapping proposed from the headers"), "{text}");
    assert!(text.contains("\"date\": \"visit_date\""), "{text}");
    assert!(
        text.contains(
            "Imported from energy_audit.csv: 4 visits, 4 findings, 0 measurements, 3 photos"
        ),
        "{text}"
    );
    let visits = cli.json(&["visit", "list"]);
    assert_eq!(visits.as_array().unwrap().len(), 4);

    let again = cli.json(&[
        "import",
        "kobo",
        &csv,
        "--media",
        &media,
        "--study",
        &study,
        "--mapping",
        "energy audit",
    ]);
    assert_eq!(again["already_imported"], 4);
    assert_eq!(again["visits"], 0);
    assert_eq!(again["mapping"]["visit"]["place"], "site_name");
}

#[test]
fn rejected_rows_are_listed_and_written_to_csv() {
    let cli = Cli::new();
    let study = study(&cli);
    let rejections = cli.file("rejected.csv");
    let report = cli.json(&[
        "import",
        "odk",
        &fixture("odk/energy_audit.zip"),
        "--study",
        &study,
        "--rejections",
        &rejections,
    ]);
    assert_eq!(report["visits"], 3);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report}");
    assert_eq!(rejected[0]["column"], "unit");
    let csv = std::fs::read_to_string(&rejections).unwrap();
    assert!(
        csv.starts_with("\u{feff}sheet,row,column,value,reason\n"),
        "{csv}"
    );
    assert!(csv.contains("energy_audit-measurements,"), "{csv}");
    assert!(csv.contains(",unit,m2,"), "{csv}");
}

#[test]
fn bad_input_is_refused_in_one_line() {
    let cli = Cli::new();
    let study = study(&cli);
    let err = cli.fails(&[
        "import",
        "kobo",
        &fixture("odk/energy_audit.zip"),
        "--study",
        &study,
    ]);
    assert!(err.contains("meta/rootUuid or _id"), "{err}");
    let err = cli.fails(&[
        "import",
        "kobo",
        &fixture("kobo/energy_audit.csv"),
        "--study",
        &study,
        "--mapping",
        "no such mapping",
    ]);
    assert!(err.contains("no saved mapping 'no such mapping'"), "{err}");
    let err = cli.fails(&[
        "import",
        "kobo",
        &fixture("kobo/energy_audit.csv"),
        "--study",
        "0193c5b0-0000-7000-8000-000000000000",
    ]);
    assert!(err.contains("no study"), "{err}");
}

/// Writes a large export into the laptop's folder.
fn large_export(cli: &Cli, submissions: usize) -> (PathBuf, PathBuf) {
    let jpeg = std::fs::read(fixture("photo.jpg")).unwrap();
    let (csv, zip) = synthetic::kobo_export(submissions, 50, &jpeg, 4096);
    let csv_path = PathBuf::from(cli.file("large.csv"));
    let zip_path = PathBuf::from(cli.file("large-media.zip"));
    std::fs::write(&csv_path, csv).unwrap();
    std::fs::write(&zip_path, zip).unwrap();
    (csv_path, zip_path)
}

#[test]
fn an_import_killed_halfway_leaves_the_database_as_before() {
    let cli = Cli::new();
    let study = study(&cli);
    let (csv, zip) = large_export(&cli, 3000);
    let dump_before = cli.ok(&["dump"]);
    let mut child = cli
        .command(&[
            "import",
            "kobo",
            csv.to_str().unwrap(),
            "--media",
            zip.to_str().unwrap(),
            "--study",
            &study,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once it reports writing submissions: inside the transaction.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let first = stderr.lines().next().expect("a progress line").unwrap();
    assert!(first.ends_with("of 3000 submissions"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(cli.ok(&["dump"]), dump_before);

    let report = cli.json(&[
        "import",
        "kobo",
        csv.to_str().unwrap(),
        "--media",
        zip.to_str().unwrap(),
        "--study",
        &study,
    ]);
    assert_eq!(
        (report["visits"].as_u64(), report["photos"].as_u64()),
        (Some(3000), Some(50))
    );
}
