//! Import throughput of 100,000 ops, measured side by side with (a) plain
//! SQLite inserting the same rows in one transaction — the floor — and (b) the
//! `automerge` crate applying the same edits to a document — a peer design.
//! Run: `cargo bench -p fieldbook-store --bench import`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use fieldbook_core::op::{Op, OpKind};
use fieldbook_store::testing_support::plain_sqlite_floor;
use fieldbook_store::{Change, Store};
use serde_json::{json, Map, Value};

/// Findings whose creation writes ~100,000 ops (a create and five field sets each).
const FINDINGS: usize = 16_667;

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn source_ops(dir: &std::path::Path) -> Vec<Op> {
    let mut store = Store::open(&dir.join("source.db")).expect("open");
    let study = store
        .create(
            "study",
            fields(json!({"title": "Bench", "fiscal_year": 2024})),
        )
        .expect("study");
    for start in (0..FINDINGS).step_by(1000) {
        let batch = (start..(start + 1000).min(FINDINGS))
            .map(|i| Change::Create {
                kind: "finding".into(),
                id: None,
                fields: fields(json!({
                    "study_id": study, "sector": "energy",
                    "title": format!("Finding {i}: pump at site {}", i % 97),
                    "text": format!("Observed pump {i} running {} h/yr", 4000 + i % 3000),
                })),
            })
            .collect();
        store.apply("bench", batch).expect("insert");
    }
    store.ops_after(&Default::default()).expect("ops")
}

/// The peer: the same creates and field sets applied to an Automerge document.
fn automerge_apply(ops: &[Op]) -> AutoCommit {
    let mut doc = AutoCommit::new();
    let mut objects = std::collections::HashMap::new();
    for o in ops {
        match o.op {
            OpKind::Create => {
                let obj = doc.put_object(ROOT, &o.record_id, ObjType::Map).unwrap();
                objects.insert(o.record_id.clone(), obj);
            }
            OpKind::Set => {
                let obj = objects[&o.record_id].clone();
                let field = o.field.as_deref().unwrap_or_default();
                doc.put(&obj, field, o.value.clone().unwrap_or_default())
                    .unwrap();
            }
            _ => {}
        }
    }
    doc
}

/// The merge as a bundle import runs it, the ops handed over in chunks (the
/// copy into them is outside the merge's work, but inside the timing).
fn merge_verified(store: &mut Store, ops: &[Op]) -> fieldbook_store::ImportSummary {
    let chunks: Vec<Arc<Vec<Op>>> = ops.chunks(4096).map(|c| Arc::new(c.to_vec())).collect();
    store
        .atomically(|store| {
            let mut merge = store.merge_verified()?;
            for chunk in chunks {
                merge.add(chunk)?;
            }
            merge.finish([])
        })
        .expect("import")
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ops = source_ops(dir.path());
    println!("{} ops to import", ops.len());
    let mut group = c.benchmark_group("import_100k_ops");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(ops.len() as u64));
    let mut n = 0;
    // The ops of a bundle the reader has verified, as `bundle import` merges them.
    group.bench_function("fieldbook merge_verified", |b| {
        b.iter_batched(
            || {
                n += 1;
                Store::open(&dir.path().join(format!("target-{n}.db"))).expect("open")
            },
            // The store is returned, so closing it (SQLite's final
            // checkpoint) happens outside the measurement.
            |mut store| {
                let summary = merge_verified(&mut store, &ops);
                (store, summary)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("plain SQLite insert (floor)", |b| {
        b.iter_batched(
            || {
                n += 1;
                dir.path().join(format!("plain-{n}.db"))
            },
            |path| plain_sqlite_floor(&path, &ops),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("automerge apply (peer)", |b| {
        b.iter(|| automerge_apply(&ops))
    });
    group.finish();

    // One direct measurement of each, printed for the notes.
    let mut store = Store::open(&dir.path().join("once.db")).unwrap();
    let t = Instant::now();
    merge_verified(&mut store, &ops);
    let ours = t.elapsed();
    let t = Instant::now();
    drop(store);
    let checkpoint = t.elapsed();
    let t = Instant::now();
    let conn = plain_sqlite_floor(&dir.path().join("once-plain.db"), &ops);
    let plain = t.elapsed();
    drop(conn);
    let t = Instant::now();
    let doc = automerge_apply(&ops);
    let peer = t.elapsed();
    assert_eq!(doc.length(ROOT), FINDINGS + 1);
    let rate = |d: Duration| ops.len() as f64 / d.as_secs_f64();
    println!(
        "import {} ops: fieldbook {:.2} s ({:.0} ops/s; then its background checkpoint {:.2} s), plain SQLite {:.2} s ({:.0} ops/s), automerge {:.2} s ({:.0} ops/s); fieldbook/plain {:.1}×, fieldbook/automerge {:.1}×",
        ops.len(),
        ours.as_secs_f64(),
        rate(ours),
        checkpoint.as_secs_f64(),
        plain.as_secs_f64(),
        rate(plain),
        peer.as_secs_f64(),
        rate(peer),
        ours.as_secs_f64() / plain.as_secs_f64(),
        ours.as_secs_f64() / peer.as_secs_f64()
    );
}

criterion_group!(benches, import);
criterion_main!(benches);
