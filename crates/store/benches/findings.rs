//! Speed of the store at field-study scale: inserting findings through the one
//! write path, and searching 100,000 of them.
//! Run: `cargo bench -p fieldbook-store --bench findings`.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fieldbook_core::kinds::SECTORS;
use fieldbook_store::{Change, Store};
use serde_json::{json, Map, Value};

const FINDINGS: usize = 100_000;
const BATCH: usize = 1_000;

const WORDS: [&str; 12] = [
    "pump", "diesel", "chiller", "inverter", "boiler", "solar", "bus", "depot", "meter", "valve",
    "roof", "grid",
];

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn finding_batch(study: &str, start: usize) -> Vec<Change> {
    (start..start + BATCH)
        .map(|i| Change::Create {
            kind: "finding".into(),
            id: None,
            fields: fields(json!({
                "study_id": study,
                "sector": SECTORS[i % SECTORS.len()],
                "title": format!("Finding {i}: {} at site {}", WORDS[i % WORDS.len()], i % 97),
                "text": format!(
                    "Observed {} and {} near the {} (sample {i}); operating hours {} h/yr.",
                    WORDS[(i / 3) % WORDS.len()], WORDS[(i / 7) % WORDS.len()],
                    WORDS[(i / 11) % WORDS.len()], 4000 + i % 3000
                ),
            })),
        })
        .collect()
}

fn store_with_findings(dir: &std::path::Path, n: usize) -> (Store, String) {
    let mut store = Store::open(&dir.join("bench.db")).expect("open");
    let study = store
        .create(
            "study",
            fields(json!({"title": "Bench study", "fiscal_year": 2024})),
        )
        .expect("study");
    let started = Instant::now();
    for start in (0..n).step_by(BATCH) {
        store
            .apply("bench", finding_batch(&study, start))
            .expect("insert");
    }
    let took = started.elapsed();
    let size: u64 = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "inserted {n} findings in {:.2} s ({:.0}/s, batches of {BATCH}); database {:.1} MiB",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        size as f64 / (1024.0 * 1024.0)
    );
    (store, study)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut store, study) = store_with_findings(dir.path(), FINDINGS);

    let mut search = c.benchmark_group("search_100k_findings");
    for query in ["chiller", "diesel depot", "Finding 4242", "bus"] {
        search.bench_with_input(BenchmarkId::from_parameter(query), query, |b, q| {
            b.iter(|| store.search(q, 50).expect("search"))
        });
    }
    search.finish();

    let mut insert = c.benchmark_group("insert_findings");
    insert.sample_size(10);
    insert.throughput(Throughput::Elements(BATCH as u64));
    let mut next = FINDINGS;
    insert.bench_function("batch_of_1000_into_100k", |b| {
        b.iter(|| {
            store
                .apply("bench", finding_batch(&study, next))
                .expect("insert");
            next += BATCH;
        })
    });
    insert.finish();

    let mut edit = c.benchmark_group("autosave");
    edit.sample_size(20);
    edit.bench_function("one_field_edit_with_100k_findings", |b| {
        let id = store
            .create(
                "finding",
                fields(json!({"study_id": study, "sector": "energy", "title": "x"})),
            )
            .expect("create");
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            store
                .edit(
                    "finding",
                    &id,
                    fields(json!({"text": format!("draft {n}")})),
                )
                .expect("edit")
        })
    });
    edit.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
