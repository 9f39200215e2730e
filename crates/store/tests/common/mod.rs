#![allow(dead_code)] // each test file uses its own subset

use fieldbook_store::Store;
use serde_json::{json, Map, Value};

pub struct Fixture {
    pub store: Store,
    pub dir: tempfile::TempDir,
}

pub fn fresh() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("fieldbook.db")).unwrap();
    Fixture { store, dir }
}

pub fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("fields must be an object"),
    }
}

/// A study with one visit and one finding: (study, visit, finding).
pub fn study_with_finding(store: &mut Store) -> (String, String, String) {
    let study = store
        .create(
            "study",
            fields(json!({"title": "Bus fleet study", "fiscal_year": 2019})),
        )
        .unwrap();
    let visit = store
        .create(
            "visit",
            fields(json!({"study_id": study, "date": "2019-08-20", "place": "Terboyo depot"})),
        )
        .unwrap();
    let finding = store
        .create(
            "finding",
            fields(json!({
                "study_id": study, "visit_id": visit, "sector": "transport",
                "title": "Diesel buses idle at the depot",
                "text": "141 diesel buses; 72 candidates for CNG dual-fuel retrofit"
            })),
        )
        .unwrap();
    (study, visit, finding)
}
