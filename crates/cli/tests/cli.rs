//! The `fieldbook` binary, run as a user would, on real database files.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Cli;
use serde_json::Value;

#[test]
fn sample_data_lists_searches_and_dumps() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    assert!(cli.ok(&["sample", "load"]).contains("Loaded"));
    assert!(cli.ok(&["sample", "load"]).contains("already"));
    let studies = cli.json(&["study", "list"]);
    assert_eq!(studies.as_array().unwrap().len(), 3);
    let hits = cli.json(&["search", "dual-fuel"]);
    assert!(!hits.as_array().unwrap().is_empty());
    let dump = cli.ok(&["dump"]);
    assert_eq!(dump, cli.ok(&["dump"]), "dump is stable");
    let parsed: Value = serde_json::from_str(&dump).unwrap();
    assert!(parsed["records"]["country"].as_array().unwrap().len() >= 18);
}

#[test]
fn crud_for_a_study_and_its_records() {
    let cli = Cli::new();
    let study = cli.json(&[
        "study",
        "add",
        "--title",
        "Chiller survey",
        "--fiscal-year",
        "2024",
    ]);
    let sid = study["id"].as_str().unwrap();
    let visit = cli.json(&[
        "visit",
        "add",
        "--study-id",
        sid,
        "--date",
        "2024-05-02",
        "--latitude",
        "11°33'N",
        "--longitude",
        "104.92",
        "--place",
        "Mall roof",
    ]);
    assert_eq!(visit["fields"]["latitude"], "11.55");

    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("finding.json");
    std::fs::write(
        &from,
        format!(r#"{{"study_id": "{sid}", "sector": "buildings", "title": "Old chillers", "text": "COP 3.1 at part load"}}"#),
    )
    .unwrap();
    let finding = cli.json(&[
        "finding",
        "add",
        "--from",
        from.to_str().unwrap(),
        "--status",
        "complete",
    ]);
    let fid = finding["id"].as_str().unwrap();
    assert_eq!(finding["fields"]["status"], "complete");

    cli.json(&[
        "measurement",
        "add",
        "--finding-id",
        fid,
        "--quantity",
        "rated power",
        "--value",
        "75",
        "--unit",
        "kW",
    ]);
    let photo_path = write_photo(dir.path());
    let photo = cli.json(&[
        "attachment",
        "file",
        "--finding",
        fid,
        photo_path.to_str().unwrap(),
    ]);
    assert_eq!(photo["fields"]["mime"], "image/jpeg");

    let edited = cli.json(&["finding", "edit", fid, "--title", "Two old chillers"]);
    assert_eq!(edited["fields"]["title"], "Two old chillers");
    let listed = cli.json(&["finding", "list", "--study-id", sid]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    cli.ok(&["study", "rm", sid]);
    assert_eq!(cli.json(&["trash"]).as_array().unwrap().len(), 1);
    assert!(cli
        .json(&["finding", "list", "--study-id", sid])
        .as_array()
        .unwrap()
        .is_empty());
    cli.ok(&["study", "restore", sid]);
    assert_eq!(
        cli.json(&["finding", "list", "--study-id", sid])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let undone = cli.json(&["undo"]);
    assert_eq!(undone["label"], "Restore study");
    assert!(cli
        .json(&["finding", "list", "--study-id", sid])
        .as_array()
        .unwrap()
        .is_empty());
    let redone = cli.json(&["redo"]);
    assert_eq!(redone["label"], "Restore study");
    assert_eq!(
        cli.json(&["finding", "list", "--study-id", sid])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(cli.json(&["redo"]), serde_json::Value::Null);
}

#[test]
fn bad_input_gets_a_one_line_message_naming_the_field() {
    let cli = Cli::new();
    let study = cli.json(&["study", "add", "--title", "T", "--fiscal-year", "2024"]);
    let sid = study["id"].as_str().unwrap();
    let before = cli.ok(&["dump"]);
    assert!(cli
        .fails(&["study", "add", "--title", "x"])
        .contains("fiscal_year: is required"));
    assert!(cli
        .fails(&["visit", "add", "--study-id", sid, "--date", "2024-02-30"])
        .contains("date:"));
    let e = cli.fails(&[
        "visit",
        "add",
        "--study-id",
        sid,
        "--date",
        "2024-02-03",
        "--latitude",
        "100",
    ]);
    assert!(
        e.contains("latitude:") && e.contains("between -90 and 90"),
        "{e}"
    );
    assert!(cli
        .fails(&["study", "edit", sid, "--years", "7"])
        .contains("years:"));
    assert!(cli
        .fails(&["study", "show", "01a21e1c-93db-74c9-8749-f2ee681b9df5"])
        .contains("no study"));
    assert!(cli
        .fails(&["study", "edit", sid])
        .contains("nothing to change"));
    let e = cli.fails(&["finding", "add", "--from", "/nonexistent.json"]);
    assert!(e.contains("cannot read /nonexistent.json"), "{e}");
    assert_eq!(cli.ok(&["dump"]), before, "refused input changed nothing");
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("photo.jpg");
    std::fs::write(&txt, "not a photo").unwrap();
    let f = cli.json(&[
        "finding",
        "add",
        "--study-id",
        sid,
        "--sector",
        "energy",
        "--title",
        "F",
    ]);
    let e = cli.fails(&[
        "attachment",
        "file",
        "--finding",
        f["id"].as_str().unwrap(),
        txt.to_str().unwrap(),
    ]);
    assert!(e.contains("not an image"), "{e}");
    let fid = f["id"].as_str().unwrap();
    let measurement = |value: &str, unit: &str| {
        cli.fails(&[
            "measurement",
            "add",
            "--finding-id",
            fid,
            "--quantity",
            "q",
            "--value",
            value,
            "--unit",
            unit,
        ])
    };
    let with_finding = cli.ok(&["dump"]);
    assert!(measurement("ten", "kW").contains("value:"));
    assert!(measurement("-3", "kW").contains("negative"));
    assert!(measurement("3", "kWh/fortnight").contains("unit: unknown unit"));
    assert_eq!(cli.ok(&["dump"]), with_finding);
}

#[test]
fn a_newer_database_is_refused() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    bump_schema_version(&cli.db);
    let e = cli.fails(&["study", "list"]);
    assert!(e.contains("newer Fieldbook"), "{e}");
}

#[cfg(unix)]
#[test]
fn killing_a_write_midway_leaves_the_database_before_or_after() {
    use std::time::Instant;
    let load = |cli: &Cli| {
        Command::new(env!("CARGO_BIN_EXE_fieldbook"))
            .arg("--db")
            .arg(&cli.db)
            .args(["sample", "load"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long an undisturbed load takes here, so the kills land across all of it.
    let timing = Cli::new();
    timing.ok(&["init"]);
    let started = Instant::now();
    load(&timing).wait().unwrap();
    let full = started.elapsed();

    let cli = Cli::new();
    cli.ok(&["init"]);
    let empty = cli.ok(&["dump"]);
    let mut loaded: Option<String> = None;
    const KILLS: u32 = 25;
    for attempt in 0..KILLS {
        let mut child = load(&cli);
        std::thread::sleep(full * attempt / (KILLS - 5));
        // SIGKILL: no destructor, no rollback by the process itself.
        let _ = child.kill();
        let _ = child.wait();
        assert!(cli.ok(&["--json", "init"]).contains("schema_version"));
        let dump = cli.ok(&["dump"]);
        if dump == empty {
            continue;
        }
        // Once loaded, it stays loaded and complete, whatever later kills do.
        match &loaded {
            None => loaded = Some(dump),
            Some(prev) => assert_eq!(&dump, prev),
        }
    }
    // The last kills came after the load had finished (delays up to 1.25 × its time).
    let loaded = loaded.expect("a load outlived its kill");
    let parsed: Value = serde_json::from_str(&loaded).unwrap();
    assert_eq!(parsed["records"]["study"].as_array().unwrap().len(), 3);
}

fn bump_schema_version(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
}

fn write_photo(dir: &Path) -> PathBuf {
    let path = dir.join("pump.jpg");
    std::fs::write(&path, include_bytes!("../../../tests/fixtures/photo.jpg")).unwrap();
    path
}

#[test]
fn converts_between_compatible_units_only() {
    let cli = Cli::new();
    let out = cli.json(&["convert", "75", "kW", "MW"]);
    assert_eq!(out["result"], "0.075");
    assert_eq!(
        cli.ok(&["convert", "6,000", "h/yr", "h/yr"]).trim(),
        "6000 h/yr = 6000 h/yr"
    );
    assert!(cli
        .fails(&["convert", "1", "kW", "kWh"])
        .contains("different things"));
    assert!(cli
        .fails(&["convert", "1", "JPY", "USD"])
        .contains("exchange rate"));
    assert!(cli
        .fails(&["convert", "x", "kW", "MW"])
        .contains("not a number"));
}

#[test]
fn estimates_from_the_shell() {
    let cli = Cli::new();
    let e = cli.json(&[
        "estimate",
        "emissions",
        "--methodology",
        "solar-pv",
        "--param",
        "generation_mwh=1,500",
        "--param",
        "ef_t_per_mwh=0.6592",
    ]);
    assert_eq!(e["reduction_t_per_year"], "988");
    assert_eq!(e["lifetime_reduction_t"], "16809", "floor(988.8 × 17)");
    assert_eq!(e["inputs"][0]["provenance"]["kind"], "user");
    let s = cli.json(&[
        "estimate",
        "subsidy",
        "--scheme",
        "jcm-model-project",
        "--country",
        "ID",
        "--eligible-cost",
        "80000000",
        "--currency",
        "JPY",
        "--date",
        "2020-03-01",
    ]);
    assert_eq!(s["eligible"], false);
    assert_eq!(s["amount"], "40000000");
    let s = cli.json(&[
        "estimate",
        "subsidy",
        "--scheme",
        "jfjcm-sovereign",
        "--country",
        "MN",
        "--total-cost",
        "200000000",
        "--currency",
        "USD",
        "--edition",
        "2019-11",
    ]);
    assert_eq!(
        (s["amount"].as_str(), s["cap_applied"].as_bool()),
        (Some("10000000"), Some(true))
    );
    let c = cli.json(&[
        "estimate",
        "cost-effectiveness",
        "--subsidy-jpy",
        "300000000",
        "--reduction-t-per-year",
        "5000",
        "--durable-years",
        "17",
    ]);
    assert_eq!(c["jpy_per_t"], "3529");
    let f = cli.json(&[
        "estimate",
        "finance",
        "--capex",
        "1000",
        "--opex",
        "0",
        "--savings",
        "300",
        "--years",
        "5",
        "--discount-rate",
        "0.10",
        "--subsidy",
        "200",
    ]);
    assert_eq!(f["without_subsidy"]["npv"], "137.24");
    assert_eq!(f["with_subsidy"]["npv"], "337.24");
    let m = cli.json(&["methodology", "show", "fuel-switch-vehicle"]);
    assert!(m["param"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "cng_kgco2_per_nm3"));
    let e = cli.fails(&[
        "estimate",
        "emissions",
        "--methodology",
        "solar-pv",
        "--param",
        "generation_mwh=1",
    ]);
    assert!(e.contains("ef_t_per_mwh"), "{e}");
    let e = cli.fails(&[
        "estimate",
        "subsidy",
        "--scheme",
        "jcm-model-project",
        "--country",
        "ID",
        "--eligible-cost",
        "100",
        "--currency",
        "USD",
    ]);
    assert!(e.contains("exchange rate"), "{e}");
}

#[test]
fn credits_and_funds() {
    let cli = Cli::new();
    let split = cli.json(&[
        "credits",
        "split",
        "--total",
        "8947",
        "--share",
        "gov-japan=70",
        "--share",
        "jp-company=10",
        "--share",
        "mn-government=20",
    ]);
    let tonnes: Vec<u64> = split["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tonnes"].as_u64().unwrap())
        .collect();
    assert_eq!(tonnes, vec![6263, 895, 1789]);
    let e = cli.fails(&[
        "credits",
        "split",
        "--total",
        "10",
        "--share",
        "gov-japan=40",
        "--share",
        "x=60",
    ]);
    assert!(e.contains("at least 50 %"), "{e}");
    let all = cli.json(&["funds", "list"]);
    let local = cli.json(&[
        "funds",
        "list",
        "--applicant",
        "japanese_local_government",
        "--group",
        "A",
    ]);
    assert!(!local.as_array().unwrap().is_empty());
    assert!(local.as_array().unwrap().len() < all.as_array().unwrap().len());
    assert!(local.as_array().unwrap().iter().all(|f| f["group"] == "A"));
}

#[test]
fn consortium_members_credit_shares_and_timeline() {
    let cli = Cli::new();
    let study = cli.json(&[
        "study",
        "add",
        "--title",
        "Darkhan solar",
        "--fiscal-year",
        "2016",
    ]);
    let sid = study["id"].as_str().unwrap();
    let org = cli.json(&[
        "org",
        "add",
        "--name",
        "Sharp Energy Solutions",
        "--kind",
        "japanese_company",
    ]);
    let oid = org["id"].as_str().unwrap();
    let member = cli.json(&[
        "member",
        "add",
        "--study-id",
        sid,
        "--org-id",
        oid,
        "--consortium-role",
        "representative",
    ]);
    assert_eq!(member["fields"]["duty_f_issuance"], "todo");
    assert_eq!(member["title"], "Sharp Energy Solutions");
    let mid = member["id"].as_str().unwrap();
    let done = cli.json(&["member", "edit", mid, "--duty-f-issuance", "done"]);
    assert_eq!(done["fields"]["duty_f_issuance"], "done");
    let e = cli.fails(&[
        "member",
        "add",
        "--study-id",
        sid,
        "--org-id",
        oid,
        "--consortium-role",
        "partner",
    ]);
    assert!(
        e.contains("already exists"),
        "one membership per organisation: {e}"
    );
    cli.json(&[
        "credit_share",
        "add",
        "--study-id",
        sid,
        "--party",
        "government_of_japan",
        "--percent",
        "70",
    ]);
    let e = cli.fails(&[
        "credit_share",
        "add",
        "--study-id",
        sid,
        "--party",
        "other",
        "--percent",
        "-5",
    ]);
    assert!(e.contains("percent:"), "{e}");
    let act = cli.json(&[
        "activity",
        "add",
        "--study-id",
        sid,
        "--year",
        "1",
        "--activity-kind",
        "field_survey",
        "--title",
        "Site survey in Darkhan",
        "--stage",
        "implementation",
    ]);
    assert_eq!(act["fields"]["year"], 1);
    assert!(cli
        .fails(&[
            "activity",
            "add",
            "--study-id",
            sid,
            "--year",
            "4",
            "--activity-kind",
            "event",
            "--title",
            "x"
        ])
        .contains("year:"));
    assert_eq!(
        cli.json(&["activity", "list", "--study-id", sid])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_advisor_says_what_is_missing() {
    let cli = Cli::new();
    cli.ok(&["sample", "load"]);
    let studies = cli.json(&["study", "list"]);
    let semarang = studies
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"].as_str().unwrap().contains("Semarang"))
        .unwrap();
    let advice = cli.json(&[
        "advise",
        "--study",
        semarang["id"].as_str().unwrap(),
        "--date",
        "2020-03-01",
    ]);
    let jcm = &advice["schemes"][0];
    assert_eq!(jcm["scheme"], "jcm-model-project");
    let verdict_of = |requirement: &str| {
        jcm["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["requirement"] == requirement)
            .map(|c| c["verdict"].as_str().unwrap().to_string())
            .unwrap()
    };
    // The sample's saved estimate quantifies the reduction, but its subsidy
    // (Rp 10 billion at the recorded rate, 50 %) is under the JPY 50 M floor.
    assert_eq!(verdict_of("quantified_reduction"), "fits");
    assert_eq!(verdict_of("subsidy_in_range"), "does_not_fit");
    assert_eq!(verdict_of("japanese_representative"), "unknown");
    assert_eq!(jcm["verdict"], "does_not_fit");
    assert!(advice["stakeholders"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["verdict"] == "fits"));
    assert!(cli
        .fails(&["advise", "--study", "01a21e1c-93db-74c9-8749-f2ee681b9df5"])
        .contains("no study"));
}

#[test]
fn a_saved_estimate_is_worked_out_from_its_inputs() {
    let cli = Cli::new();
    let study = cli.json(&[
        "study",
        "add",
        "--title",
        "Mall PV",
        "--fiscal-year",
        "2024",
    ]);
    let sid = study["id"].as_str().unwrap();
    let f = cli.json(&[
        "finding",
        "add",
        "--study-id",
        sid,
        "--sector",
        "energy",
        "--title",
        "PV meter",
    ]);
    let m = cli.json(&[
        "measurement",
        "add",
        "--finding-id",
        f["id"].as_str().unwrap(),
        "--quantity",
        "yearly output",
        "--value",
        "1,200",
        "--unit",
        "MWh/yr",
    ]);
    let e = cli.json(&[
        "estimate",
        "add",
        "--study-id",
        sid,
        "--title",
        "Rooftop PV",
        "--methodology",
        "solar-pv",
        "--capex",
        "200000000",
        "--currency",
        "JPY",
    ]);
    let eid = e["id"].as_str().unwrap();
    cli.ok(&[
        "estimate_input",
        "add",
        "--estimate-id",
        eid,
        "--name",
        "generation_mwh",
        "--measurement-id",
        m["id"].as_str().unwrap(),
    ]);
    cli.ok(&[
        "estimate_input",
        "add",
        "--estimate-id",
        eid,
        "--name",
        "ef_t_per_mwh",
        "--value",
        "0.5",
        "--source",
        "utility letter 2024",
        "--monitoring",
        "A",
    ]);
    let report = cli.json(&["estimate", "evaluate", eid]);
    let em = &report["emissions"];
    assert_eq!(em["reduction_t_per_year"], "600");
    assert_eq!(em["durable_years"], 17);
    assert_eq!(em["lifetime_reduction_t"], "10200");
    assert_eq!(em["inputs"][0]["provenance"]["kind"], "measurement");
    assert_eq!(
        em["inputs"][1]["provenance"]["source"],
        "utility letter 2024"
    );
    let jcm = &report["subsidies"][0];
    assert!(
        jcm["error"]
            .as_str()
            .unwrap()
            .contains("partner city's country"),
        "{jcm}"
    );

    // A parameter the methodology does not have is named, and nothing else changes.
    cli.ok(&[
        "estimate_input",
        "add",
        "--estimate-id",
        eid,
        "--name",
        "sunshine",
        "--value",
        "3",
    ]);
    let report = cli.json(&["estimate", "evaluate", eid]);
    assert!(report["emissions"].is_null());
    assert!(report["emissions_error"]
        .as_str()
        .unwrap()
        .contains("'sunshine'"));
    let bad = cli.fails(&[
        "estimate",
        "add",
        "--study-id",
        sid,
        "--title",
        "x",
        "--methodology",
        "wind-kite",
    ]);
    assert!(bad.contains("methodology"), "{bad}");
}

#[test]
fn an_estimate_traces_its_input_to_a_measurement() {
    let cli = Cli::new();
    let study = cli.json(&["study", "add", "--title", "Pumps", "--fiscal-year", "2019"]);
    let sid = study["id"].as_str().unwrap();
    let f = cli.json(&[
        "finding",
        "add",
        "--study-id",
        sid,
        "--sector",
        "energy",
        "--title",
        "PV meter",
    ]);
    let fid = f["id"].as_str().unwrap();
    let m = cli.json(&[
        "measurement",
        "add",
        "--finding-id",
        fid,
        "--quantity",
        "yearly output",
        "--value",
        "1,200",
        "--unit",
        "MWh",
    ]);
    let mid = m["id"].as_str().unwrap();
    let e = cli.json(&[
        "estimate",
        "emissions",
        "--methodology",
        "solar-pv",
        "--measurement",
        &format!("generation_mwh={mid}"),
        "--param",
        "ef_t_per_mwh=0.5",
    ]);
    assert_eq!(e["reduction_t_per_year"], "600");
    let input = &e["inputs"][0];
    assert_eq!(input["provenance"]["kind"], "measurement");
    assert_eq!(input["provenance"]["finding_id"], fid);
    assert_eq!(input["monitoring"], "C");
    let err = cli.fails(&[
        "estimate",
        "emissions",
        "--methodology",
        "solar-pv",
        "--measurement",
        &format!("generation_mwh={mid}"),
        "--param",
        "generation_mwh=3",
        "--param",
        "ef_t_per_mwh=0.5",
    ]);
    assert!(err.contains("twice"), "{err}");
}
