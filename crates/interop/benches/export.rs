//! XLSX export of a study with 10,000 findings (target: under 2 s).
//! Run: `cargo bench -p fieldbook-interop --bench export`.

use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use fieldbook_core::kinds::SECTORS;
use fieldbook_interop::xlsx::{study_workbook, XlsxOptions};
use fieldbook_interop::Lang;
use fieldbook_store::{Change, Store};
use serde_json::{json, Map, Value};

const FINDINGS: usize = 10_000;
const BATCH: usize = 1_000;

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn store_with_findings(dir: &std::path::Path) -> (Store, String) {
    let mut store = Store::open(&dir.join("bench.db")).expect("open");
    let study = store
        .create(
            "study",
            fields(json!({"title": "Bench study", "fiscal_year": 2025})),
        )
        .expect("study");
    let visit = store
        .create(
            "visit",
            fields(
                json!({"study_id": study, "date": "2025-03-14", "place": "浄水場",
                          "latitude": "16.05", "longitude": "108.2"}),
            ),
        )
        .expect("visit");
    for start in (0..FINDINGS).step_by(BATCH) {
        let batch = (start..start + BATCH)
            .map(|i| Change::Create {
                kind: "finding".into(),
                id: None,
                fields: fields(json!({
                    "study_id": study,
                    "visit_id": visit,
                    "sector": SECTORS[i % SECTORS.len()],
                    "title": format!("Finding {i}: ポンプ効率 at site {}", i % 97),
                    "text": format!("Observed pump {i} running at {} % load; ปั๊มน้ำ.", 40 + i % 60),
                })),
            })
            .collect();
        store.apply("bench", batch).expect("insert");
    }
    (store, study)
}

fn export(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (store, study) = store_with_findings(dir.path());
    let o = XlsxOptions {
        lang: Lang::En,
        today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
    };
    let mut group = c.benchmark_group("xlsx");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("study_with_10000_findings", |b| {
        b.iter(|| study_workbook(&store, &study, &o).expect("export"))
    });
    group.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
