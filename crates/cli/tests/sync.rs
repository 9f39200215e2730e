//! Sync from the shell, as the issue scripts it: laptops in a team exchange
//! bundle files, see and resolve conflicts, refuse what they must — and an
//! import killed at any moment leaves the database exactly before or after.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::Cli;
use serde_json::{json, Map, Value};

type Laptop = Cli;

fn id(l: &Laptop) -> String {
    l.json(&["init"])["device_id"].as_str().unwrap().to_string()
}

/// Exports what `to` lacks from `from` and imports it there; returns the import report.
fn send(from: &Laptop, to: &Laptop) -> Value {
    let file = from.file("out.fsb");
    from.ok(&["bundle", "export", "--out", &file, "--for", &id(to)]);
    to.json(&["bundle", "import", &file])[0].clone()
}

/// Laptop A starts the team; the others join with its invite and A enrols them.
fn team(n: usize) -> Vec<Laptop> {
    let laptops: Vec<Laptop> = (0..n).map(|_| Laptop::new()).collect();
    let invite = laptops[0].file("invite.fbteam");
    laptops[0].ok(&[
        "team",
        "init",
        "--name",
        "Mekong survey",
        "--out",
        &invite,
        "--label",
        "A",
    ]);
    for (i, l) in laptops.iter().enumerate().skip(1) {
        let request = l.file("request.fbreq");
        l.ok(&[
            "team",
            "join",
            &invite,
            "--out",
            &request,
            "--label",
            &format!("laptop {i}"),
        ]);
        laptops[0].ok(&["team", "add-device", &request]);
    }
    laptops
}

#[test]
fn two_laptops_meet_edit_the_same_finding_and_resolve_it() {
    let l = team(2);
    let (a, b) = (&l[0], &l[1]);
    let study = a.json(&[
        "study",
        "add",
        "--title",
        "Da Nang pumps",
        "--fiscal-year",
        "2026",
    ]);
    let sid = study["id"].as_str().unwrap();
    let f = a.json(&[
        "finding",
        "add",
        "--study-id",
        sid,
        "--sector",
        "water",
        "--title",
        "Pumps run flat out",
    ]);
    let fid = f["id"].as_str().unwrap();
    let got = send(a, b);
    assert_eq!(got["summary"]["records_new"], 2);
    assert_eq!(a.ok(&["dump"]), b.ok(&["dump"]));

    a.ok(&["finding", "edit", fid, "--title", "Pumps run 20 h a day"]);
    b.ok(&["finding", "edit", fid, "--title", "Pumps run 22 h a day"]);
    assert_eq!(send(a, b)["summary"]["conflicts_new"], 1);
    send(b, a);
    for x in [a, b] {
        let c = x.json(&["conflicts", "list"]);
        assert_eq!(c.as_array().unwrap().len(), 1, "{c}");
        assert_eq!(c[0]["field"], "title");
        assert_eq!(c[0]["candidates"].as_array().unwrap().len(), 2);
    }
    // Resolve on B by keeping A's value, and send it back.
    let listed = b.json(&["conflicts", "list"]);
    let pick = listed[0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["value"] == "\"Pumps run 20 h a day\"")
        .unwrap()
        + 1;
    b.ok(&[
        "conflicts",
        "resolve",
        fid,
        "--field",
        "title",
        "--pick",
        &pick.to_string(),
    ]);
    send(b, a);
    for x in [a, b] {
        assert_eq!(x.json(&["conflicts", "list"]), json!([]));
        assert_eq!(
            x.json(&["finding", "show", fid])["fields"]["title"],
            "Pumps run 20 h a day"
        );
    }
    assert_eq!(a.ok(&["dump"]), b.ok(&["dump"]));
    // The audit trail: every change, who made it and what it replaced.
    let history = a.json(&["history", fid]);
    let titles: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "title")
        .collect();
    assert_eq!(titles.len(), 4);
    assert!(titles.iter().any(|h| h["actor"] == id(b).as_str()));
    // Inspect shows the sender without importing.
    let file = a.file("inspect.fsb");
    a.ok(&["bundle", "export", "--out", &file]);
    let header = b.json(&["bundle", "inspect", &file]);
    assert_eq!(header["sender_actor"], id(a).as_str());
}

#[test]
fn two_laptops_importing_the_same_survey_export_converge_without_duplicates() {
    let l = team(2);
    let (a, b) = (&l[0], &l[1]);
    let study = a.json(&["study", "add", "--title", "Audits", "--fiscal-year", "2025"]);
    let sid = study["id"].as_str().unwrap();
    send(a, b);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/odk");
    let export = fixtures.join("energy_audit.zip");
    // Both import the same Central export while apart.
    for x in [a, b] {
        let report = x.json(&["import", "odk", export.to_str().unwrap(), "--study", sid]);
        assert_eq!(report["visits"], 3, "{report}");
    }
    send(a, b);
    send(b, a);
    assert_eq!(a.ok(&["dump"]), b.ok(&["dump"]));
    for x in [a, b] {
        assert_eq!(x.json(&["visit", "list"]).as_array().unwrap().len(), 3);
        assert_eq!(x.json(&["attachment", "list"]).as_array().unwrap().len(), 3);
        let conflicts = x.json(&["conflicts", "list"]);
        assert_eq!(conflicts.as_array().unwrap().len(), 0, "{conflicts}");
    }
}

#[test]
fn refusals_say_what_to_do_and_change_nothing() {
    let l = team(2);
    let (a, b) = (&l[0], &l[1]);
    a.ok(&["study", "add", "--title", "Kept", "--fiscal-year", "2026"]);
    let file = a.file("good.fsb");
    a.ok(&["bundle", "export", "--out", &file]);
    let before = b.ok(&["dump"]);

    let bytes = std::fs::read(&file).unwrap();
    let cut = b.file("cut.fsb");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = b.fails(&["bundle", "import", &cut]);
    assert!(err.contains("refused, nothing changed"), "{err}");

    let other = Laptop::new();
    other.ok(&[
        "team",
        "init",
        "--name",
        "Other",
        "--out",
        &other.file("i.fbteam"),
    ]);
    other.ok(&[
        "study",
        "add",
        "--title",
        "Intruder",
        "--fiscal-year",
        "2026",
    ]);
    let foreign = other.file("foreign.fsb");
    other.ok(&["bundle", "export", "--out", &foreign]);
    let err = b.fails(&["bundle", "import", &foreign]);
    assert!(err.contains("project key"), "{err}");

    let err = Laptop::new().fails(&["bundle", "export", "--out", "x.fsb"]);
    assert!(err.contains("team init"), "{err}");
    let wrong = Laptop::new();
    let err = wrong
        .command(&[
            "team",
            "join",
            &a.file("invite.fbteam"),
            "--out",
            &wrong.file("r"),
        ])
        .env("FIELDBOOK_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&err.stderr).contains("passphrase"));
    assert_eq!(b.ok(&["dump"]), before);
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// About 100,000 ops and 200 photos written straight through the store.
fn fill(db: &Path) {
    let mut store = fieldbook_store::Store::open(db).unwrap();
    let study = store
        .create(
            "study",
            fields(json!({"title": "Large", "fiscal_year": 2026})),
        )
        .unwrap();
    for start in (0..16_600).step_by(1000) {
        let batch = (start..start + 1000)
            .map(|i| fieldbook_store::Change::Create {
                kind: "finding".into(),
                id: None,
                fields: fields(json!({"study_id": study, "sector": "energy",
                    "title": format!("Finding {i}"), "text": format!("Observation {i}")})),
            })
            .collect();
        store.apply("fill", batch).unwrap();
    }
    let photo = include_bytes!("../../../tests/fixtures/photo.jpg");
    let finding = store
        .create(
            "finding",
            fields(json!({"study_id": study, "sector": "water", "title": "Photos"})),
        )
        .unwrap();
    for i in 0..200u32 {
        let mut bytes = photo.to_vec();
        bytes.extend_from_slice(&i.to_le_bytes());
        store
            .attach(&finding, "photo", &format!("p{i}.jpg"), &bytes)
            .unwrap();
    }
}

fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[cfg(unix)]
#[test]
fn killing_an_import_midway_leaves_the_database_before_or_after() {
    use std::time::Instant;
    let l = team(3);
    let (a, b, timing) = (&l[0], &l[1], &l[2]);
    fill(&a.db);
    let file = a.file("large.fsb");
    let exported = a.json(&["bundle", "export", "--out", &file]);
    assert!(
        exported["report"]["ops"].as_u64().unwrap() >= 100_000,
        "{exported}"
    );
    assert_eq!(exported["report"]["photos"], 200);
    let after = a.ok(&["dump"]);

    // How long an undisturbed import takes here, so the kills land across all of it.
    let started = Instant::now();
    timing.ok(&["bundle", "import", &file]);
    let full = started.elapsed();
    assert_eq!(timing.ok(&["dump"]), after);

    let before = b.ok(&["dump"]);
    const KILLS: u32 = 12;
    let mut finished = false;
    for attempt in 0..KILLS {
        let mut child = b
            .command(&["bundle", "import", &file])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * attempt / (KILLS - 2));
        // SIGKILL: no destructor, no rollback by the process itself.
        let _ = child.kill();
        let _ = child.wait();
        integrity_ok(&b.db);
        let dump = b.ok(&["dump"]);
        if dump == before {
            assert!(
                !finished,
                "a finished import cannot be undone by a later kill"
            );
            continue;
        }
        assert_eq!(dump, after, "attempt {attempt}: neither before nor after");
        finished = true;
    }
    // Importing again completes, and is a no-op once complete.
    let report = b.json(&["bundle", "import", &file]);
    assert_eq!(b.ok(&["dump"]), after);
    assert_eq!(
        b.json(&["bundle", "import", &file])[0]["summary"]["ops_new"],
        0
    );
    let _ = report;
    integrity_ok(&b.db);
    // Every photo is there; no temporary file is left behind.
    let attachments = b.db.with_file_name("fb.db.attachments");
    let tmp = attachments.join("tmp");
    assert!(!tmp.exists() || std::fs::read_dir(&tmp).unwrap().next().is_none());
    let photos = b.json(&["attachment", "list"]);
    for p in photos.as_array().unwrap() {
        let sha = p["fields"]["sha256"].as_str().unwrap();
        assert!(attachments.join(&sha[..2]).join(sha).is_file(), "{sha}");
    }
}
