use fieldbook_bundle::team::KdfParams;
use fieldbook_store::{Change, Store};
use fieldbook_sync::{self as sync, Target};
use serde_json::{json, Map, Value};
use std::sync::atomic::AtomicBool;
fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}
fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::open(&dir.path().join("a.db")).unwrap();
    let b = Store::open(&dir.path().join("b.db")).unwrap();
    let invite = sync::init(
        &a,
        "Bench",
        "A",
        "bench passphrase",
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let request = sync::join(&b, &invite, "bench passphrase", "B").unwrap();
    sync::add_device(&a, &request).unwrap();
    let study = a
        .create(
            "study",
            fields(json!({"title": "Bench", "fiscal_year": 2026})),
        )
        .unwrap();
    for start in (0..16_667).step_by(1000) {
        let batch = (start..(start + 1000).min(16_667)).map(|i| Change::Create { kind: "finding".into(), id: None,
            fields: fields(json!({"study_id": study, "sector": "energy", "title": format!("Finding {i}: pump at site {}", i % 97), "text": format!("Observed pump {i} running {} h/yr", 4000 + i % 3000)})) }).collect();
        a.apply("bench", batch).unwrap();
    }
    let file = sync::export(&a, &Target::All, 0, &|_| {}, &AtomicBool::new(false))
        .unwrap()
        .parts
        .pop()
        .unwrap();
    drop(b);
    for n in 0..8 {
        let path = dir.path().join(format!("b-{n}.db"));
        std::fs::copy(dir.path().join("b.db"), &path).unwrap();
        let mut s = Store::open(&path).unwrap();
        if std::env::var("GO").is_ok() {
            eprintln!("go");
        }
        let t = std::time::Instant::now();
        sync::import(&mut s, &file).unwrap();
        eprintln!("import {:?}", t.elapsed());
    }
}
