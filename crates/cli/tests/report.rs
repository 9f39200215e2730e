//! `fieldbook report brief` as a user runs it, read back with poppler's
//! pdftotext: the sample study's brief in English + Japanese, in a partner
//! language, bad input refused with one line and no file left behind.

mod common;

use std::process::Command;

use common::Cli;

fn pdftotext(path: &str) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", path, "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/install-system-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The id of the sample record of `kind` whose title contains `part`.
fn sample_id(cli: &Cli, kind: &str, part: &str) -> String {
    cli.json(&[kind, "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"].as_str().unwrap().contains(part))
        .unwrap_or_else(|| panic!("no sample {kind} titled …{part}…"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A database with the sample studies; the Da Nang study's id.
fn sample() -> (Cli, String) {
    let cli = Cli::new();
    cli.ok(&["sample", "load"]);
    let id = sample_id(&cli, "study", "DAWACO");
    (cli, id)
}

#[test]
fn the_brief_of_a_sample_study_prints_in_english_and_japanese() {
    let (cli, study) = sample();
    let out = cli.file("brief.pdf");
    let written = cli.json(&[
        "report", "brief", "--study", &study, "--lang", "en,ja", "--out", &out,
    ]);
    assert!(written["bytes"].as_u64().unwrap() > 10_000);
    let text = pdftotext(&out);
    for expected in [
        "Partner-meeting brief",
        "パートナー都市協議用資料",
        "Local needs of the partner city",
        "パートナー都市のニーズ",
        "Bring down the electricity bill of pumping at the treatment plants.",
        "Candidate technologies",
        "Emission reductions by technology (tCO2/year)",
        "With subsidy",
        "DRAFT — not reviewed",
        "City of Yokohama",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the brief:\n{text}"
        );
    }
    // Study id on every page, and page numbers n / N.
    let pages = text.split('\u{c}').filter(|p| !p.trim().is_empty()).count();
    assert!((2..=6).contains(&pages), "{pages} pages");
    assert_eq!(text.matches(&study).count(), pages);
    assert!(squeeze(&text).contains(&format!("1/{pages}")));
    // The reductions are whole tonnes with thousands grouped.
    assert!(text.contains("1,075"), "{text}");
}

#[test]
fn a_partner_language_brief_falls_back_to_english_label_by_label() {
    let (cli, study) = sample();
    let out = cli.file("brief-km.pdf");
    cli.ok(&[
        "report", "brief", "--study", &study, "--lang", "km", "--out", &out,
    ]);
    let text = pdftotext(&out);
    // Khmer labels where the catalogue has them, English where it has none.
    assert!(
        squeeze(&text).contains("តម្រូវការក្នុងមូលដ្ឋានរបស់ទីក្រុងដៃគូ"),
        "{text}"
    );
    assert!(text.contains("Consortium and credit allocation"), "{text}");
}

#[test]
fn bad_input_is_refused_in_one_line_and_leaves_no_file() {
    let (cli, study) = sample();
    let out = cli.file("never.pdf");
    let err = cli.fails(&["report", "brief", "--study", "nope", "--out", &out]);
    assert!(err.contains("nope"), "{err}");
    let err = cli.fails(&[
        "report", "brief", "--study", &study, "--lang", "fr", "--out", &out,
    ]);
    assert!(err.contains("unknown document language 'fr'"), "{err}");
    let err = cli.fails(&[
        "report", "brief", "--study", &study, "--lang", "en,ja,vi", "--out", &out,
    ]);
    assert!(err.contains("one or two"), "{err}");
    let err = cli.fails(&[
        "report", "brief", "--study", &study, "--paper", "a3", "--out", &out,
    ]);
    assert!(err.contains("a4 or letter"), "{err}");
    assert!(!std::path::Path::new(&out).exists());
    let err = cli.fails(&[
        "report",
        "brief",
        "--study",
        &study,
        "--out",
        "/nonexistent/dir/x.pdf",
    ]);
    assert!(err.contains("cannot write /nonexistent/dir/x.pdf"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(cli.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pdf") || n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_estimate_sheet_shows_its_working_and_footnotes_unverified_defaults() {
    let cli = Cli::new();
    cli.ok(&["sample", "load"]);
    let bus = sample_id(&cli, "estimate", "buses");
    let out = cli.file("sheet.pdf");
    cli.ok(&[
        "report",
        "estimate",
        "--estimate",
        &bus,
        "--lang",
        "en,ja",
        "--out",
        &out,
    ]);
    let text = pdftotext(&out);
    for expected in [
        "Estimate sheet",
        "算定シート",
        "The working",
        "Provenance",
        "Subsidy under each scheme",
        "JCM Model Project",
        "Notes on the values",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the sheet:\n{text}"
        );
    }
    // Each unverified default is marked in the table and explained in a footnote.
    assert!(
        text.contains("[1] Unverified default of the rule pack"),
        "{text}"
    );
    let err = cli.fails(&["report", "estimate", "--estimate", "nope", "--out", &out]);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn site_survey_records_print_one_visit_or_every_visit_of_a_study() {
    let (cli, study) = sample();
    let all = cli.file("visits.pdf");
    cli.ok(&[
        "report", "visit", "--study", &study, "--lang", "en,ja", "--out", &all,
    ]);
    let text = pdftotext(&all);
    let visits = cli.json(&["visit", "list", "--study-id", &study]);
    let visits = visits.as_array().unwrap();
    assert!(visits.len() >= 2);
    // Each visit starts its own page, under its title.
    assert!(
        text.matches("Site survey record /").count() >= visits.len(),
        "{text}"
    );
    for v in visits {
        let date = v["fields"]["date"]
            .as_str()
            .unwrap_or_else(|| v["date"].as_str().unwrap());
        assert!(text.contains(date), "{date} not in:\n{text}");
    }
    // Coordinates in decimal and DMS.
    assert!(text.contains("°") && text.contains("\"N"), "{text}");
    assert!(text.contains("Findings of this visit"));

    let one = cli.file("visit.pdf");
    let id = visits[0]["id"].as_str().unwrap();
    cli.ok(&["report", "visit", "--visit", id, "--out", &one]);
    // The title once, and the running head on every page (pdftotext ends
    // each page with a form feed).
    let text = pdftotext(&one);
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 1);
    assert_eq!(
        text.matches("Site survey record").count(),
        1 + pages,
        "title and head:\n{text}"
    );
    // Neither --visit nor --study: clap's usage error.
    let out = cli.run(&["report", "visit", "--out", &one]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--visit <visit>|--study <study>"));
}
