//! `fieldbook export` as a user runs it on the sample studies: every format
//! written, the CSV's BOM on by default and off with --no-bom, the GeoJSON
//! longitude first, bad input refused with one line and no file left behind.

mod common;

use common::Cli;
use serde_json::Value;

/// A database with the sample studies; the Da Nang study's id.
fn sample() -> (Cli, String) {
    let cli = Cli::new();
    cli.ok(&["sample", "load"]);
    let id = cli
        .json(&["study", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"].as_str().unwrap().contains("DAWACO"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (cli, id)
}

#[test]
fn every_format_is_written_for_a_sample_study() {
    let (cli, study) = sample();
    let xlsx = cli.file("study.xlsx");
    let written = cli.json(&[
        "export", "xlsx", "--study", &study, "--out", &xlsx, "--lang", "ja",
    ]);
    assert!(
        written["sheets"].as_array().unwrap().len() >= 5,
        "{written}"
    );
    assert!(
        std::fs::read(&xlsx).unwrap().starts_with(b"PK"),
        "a zip package"
    );

    let dir = cli.file("csv");
    let written = cli.json(&["export", "csv", "--study", &study, "--out", &dir]);
    assert!(!written["files"].as_array().unwrap().is_empty());
    let visits = std::fs::read(format!("{dir}/visit.csv")).unwrap();
    assert!(visits.starts_with(b"\xEF\xBB\xBF"));
    cli.ok(&[
        "export", "csv", "--study", &study, "--out", &dir, "--no-bom",
    ]);
    let visits = std::fs::read(format!("{dir}/visit.csv")).unwrap();
    assert!(visits.starts_with(b"ID,"), "{:?}", &visits[..8]);

    let geojson = cli.file("visits.geojson");
    let summary = cli.json(&["export", "geojson", "--study", &study, "--out", &geojson]);
    let doc: Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, summary["features"].as_u64().unwrap());
    for f in features {
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        // Da Nang: longitude ~108 E, latitude ~16 N.
        assert!(
            c[0].as_f64().unwrap() > 100.0 && c[1].as_f64().unwrap() < 30.0,
            "{c:?}"
        );
    }

    let kml = cli.file("visits.kml");
    let text = cli.ok(&["export", "kml", "--study", &study, "--out", &kml]);
    assert!(text.starts_with("Wrote "), "{text}");
    assert!(std::fs::read_to_string(&kml)
        .unwrap()
        .contains("<coordinates>108."));
}

#[test]
fn bad_input_is_refused_with_one_line_and_no_file() {
    let (cli, study) = sample();
    let out = cli.file("x.xlsx");
    let err = cli.fails(&["export", "xlsx", "--study", "nope", "--out", &out]);
    assert!(err.contains("no study with id nope"), "{err}");
    let err = cli.fails(&[
        "export", "kml", "--study", &study, "--out", &out, "--lang", "fr",
    ]);
    assert!(err.contains("unknown export language 'fr'"), "{err}");
    let nested = cli.file("no/such/dir/x.geojson");
    let err = cli.fails(&["export", "geojson", "--study", &study, "--out", &nested]);
    assert!(err.contains("cannot export study"), "{err}");
    assert!(!std::path::Path::new(&out).exists());
    let leftovers: Vec<_> = std::fs::read_dir(cli.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("fb.db"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
