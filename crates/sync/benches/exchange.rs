//! Export of 10,000 records (time, and bundle size against the zstd of the
//! canonical JSON of the same content), and the Conflicts view's query with
//! 100,000 records. Run: `cargo bench -p fieldbook-sync --bench exchange`.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use fieldbook_bundle::team::KdfParams;
use fieldbook_store::testing_support::plain_sqlite_floor;
use fieldbook_store::{Change, Store};
use fieldbook_sync::{self as sync, Target};
use serde_json::{json, Map, Value};

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A study with `n` findings (≈ 6 ops each), written in batches of 1,000.
fn fill(store: &mut Store, n: usize) -> Vec<String> {
    let study = store
        .create(
            "study",
            fields(json!({"title": "Bench", "fiscal_year": 2026})),
        )
        .unwrap();
    let mut ids = Vec::with_capacity(n);
    for start in (0..n).step_by(1000) {
        let batch = (start..(start + 1000).min(n))
            .map(|i| Change::Create {
                kind: "finding".into(),
                id: None,
                fields: fields(json!({"study_id": study, "sector": "energy",
                    "title": format!("Finding {i}: pump at site {}", i % 97),
                    "text": format!("Observed pump {i} running {} h/yr", 4000 + i % 3000)})),
            })
            .collect();
        ids.extend(store.apply("bench", batch).unwrap());
    }
    ids
}

fn team(a: &Store, b: &Store) {
    let invite = sync::init(
        a,
        "Bench",
        "A",
        "bench passphrase",
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let request = sync::join(b, &invite, "bench passphrase", "B").unwrap();
    sync::add_device(a, &request).unwrap();
}

fn export_everything(store: &Store) -> Vec<Vec<u8>> {
    sync::export(store, &Target::All, 0, &|_| {}, &AtomicBool::new(false))
        .unwrap()
        .parts
}

fn exchange(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::open(&dir.path().join("a.db")).unwrap();
    let b = Store::open(&dir.path().join("b.db")).unwrap();
    team(&a, &b);
    fill(&mut a, 10_000);

    let mut group = c.benchmark_group("export_10k_records");
    group.sample_size(10);
    group.bench_function("bundle export --all", |bench| {
        bench.iter(|| export_everything(&a))
    });
    group.finish();

    let bundle: usize = export_everything(&a).iter().map(Vec::len).sum();
    let dump = a.dump().unwrap();
    let zstd_json = zstd::encode_all(dump.as_bytes(), 3).unwrap().len();
    let started = Instant::now();
    export_everything(&a);
    println!(
        "export of 10,001 records: {:.0} ms; bundle {} B, zstd-3 of the canonical JSON {} B: {:.2}×",
        started.elapsed().as_secs_f64() * 1000.0,
        bundle,
        zstd_json,
        bundle as f64 / zstd_json as f64
    );

    // A whole bundle import, as `bundle import` does it: read, decrypt,
    // decompress, rebuild and check every hash against the signed
    // checkpoints, then merge; 16,667 findings ≈ 100,000 ops.
    let dir = tempfile::tempdir().unwrap();
    let mut a = Store::open(&dir.path().join("a.db")).unwrap();
    let b = Store::open(&dir.path().join("b.db")).unwrap();
    team(&a, &b);
    fill(&mut a, 16_667);
    let file = export_everything(&a).pop().unwrap();
    let ops = a.ops_after(&Default::default()).unwrap().len();
    // Closed, so that its file holds everything: each run imports into a copy.
    drop(b);
    let mut group = c.benchmark_group("bundle_import_100k_ops");
    group.sample_size(10);
    group.throughput(criterion::Throughput::Elements(ops as u64));
    let mut n = 0;
    let fresh_copy = |n: &mut usize| {
        *n += 1;
        let path = dir.path().join(format!("b-{n}.db"));
        std::fs::copy(dir.path().join("b.db"), &path).unwrap();
        Store::open(&path).unwrap()
    };
    group.bench_function("sync::import", |bench| {
        bench.iter_batched(
            || fresh_copy(&mut n),
            |mut store| {
                let report = sync::import(&mut store, &file).unwrap();
                (store, report)
            },
            criterion::BatchSize::PerIteration,
        )
    });
    let all_ops = a.ops_after(&Default::default()).unwrap();
    group.bench_function("plain SQLite insert (floor)", |bench| {
        bench.iter_batched(
            || {
                n += 1;
                dir.path().join(format!("plain-{n}.db"))
            },
            |path| plain_sqlite_floor(&path, &all_ops),
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();

    // The same, side by side in turns, for the notes: medians of 7 runs.
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let mut store = fresh_copy(&mut n);
        let t = Instant::now();
        sync::import(&mut store, &file).unwrap();
        ours.push(t.elapsed());
        drop(store);
        n += 1;
        let t = Instant::now();
        let conn = plain_sqlite_floor(&dir.path().join(format!("plain-{n}.db")), &all_ops);
        floor.push(t.elapsed());
        drop(conn);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (ours, floor) = (median(&mut ours), median(&mut floor));
    println!(
        "whole import of {ops} changes (read, verify, merge): {:.3} s = {:.0} changes/s; plain SQLite floor {:.3} s = {:.0}/s; ours {:.2}× the floor",
        ours.as_secs_f64(),
        ops as f64 / ours.as_secs_f64(),
        floor.as_secs_f64(),
        ops as f64 / floor.as_secs_f64(),
        ours.as_secs_f64() / floor.as_secs_f64()
    );

    // The Conflicts view with 100,000 records, 200 of them in conflict.
    let dir = tempfile::tempdir().unwrap();
    let mut x = Store::open(&dir.path().join("x.db")).unwrap();
    let mut y = Store::open(&dir.path().join("y.db")).unwrap();
    let ids = fill(&mut x, 100_000);
    y.import_ops(&x.ops_after(&Default::default()).unwrap())
        .unwrap();
    for (i, id) in ids.iter().take(200).enumerate() {
        x.edit("finding", id, fields(json!({"status": "complete"})))
            .unwrap();
        y.edit(
            "finding",
            id,
            fields(json!({"title": format!("Edited on Y {i}")})),
        )
        .unwrap();
        x.edit(
            "finding",
            id,
            fields(json!({"title": format!("Edited on X {i}")})),
        )
        .unwrap();
    }
    y.import_ops(&x.ops_after(&y.version_vector().unwrap()).unwrap())
        .unwrap();
    assert_eq!(y.conflicts().unwrap().len(), 200);
    let mut group = c.benchmark_group("conflicts_view_100k_records");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("Store::conflicts", |bench| {
        bench.iter(|| y.conflicts().unwrap())
    });
    group.finish();
}

criterion_group!(benches, exchange);
criterion_main!(benches);
