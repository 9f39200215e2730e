//! Writing and reading a bundle of 100,000 small `set` ops, and its size
//! against zstd of the plain JSON of the same ops; the ops section of
//! 10,000 findings as the store exports them, against zstd of their JSON.
//! Run: `cargo bench -p fieldbook-bundle --bench bundle`.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldbook_bundle::fixtures::{findings, ops_section_len, team, A, PROJECT_ID};
use fieldbook_bundle::{read, write, Bundle, Header, Limits, DEFAULT_MAX_PART_BYTES};
use fieldbook_core::op::{Op, OpId, OpKind, GENESIS_HASH, OP_SCHEMA_VERSION};

const OPS: u64 = 100_000;
const RECORDS: u64 = 5_000;
const FIELDS: [&str; 6] = ["title", "text", "sector", "status", "quantity", "unit"];

/// 100,000 chained `set` ops of one author over 5,000 records, each
/// superseding the field's previous value.
fn set_ops() -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::with_capacity(OPS as usize);
    let mut last: std::collections::HashMap<(u64, usize), u64> = Default::default();
    for seq in 1..=OPS {
        let record = (seq * 7919) % RECORDS;
        let field = (seq % FIELDS.len() as u64) as usize;
        let value = match FIELDS[field] {
            "quantity" => format!("\"{}.{}\"", seq % 1000, seq % 10),
            "unit" => "\"kWh\"".to_string(),
            "sector" => "\"energy\"".to_string(),
            "status" => "\"open\"".to_string(),
            _ => format!("\"Pump {} at site {}\"", seq % 311, record % 97),
        };
        let supersedes = last
            .insert((record, field), seq)
            .map(|s| {
                vec![OpId {
                    actor: A.to_string(),
                    seq: s,
                }]
            })
            .unwrap_or_default();
        let prev_hash = ops
            .last()
            .map_or(GENESIS_HASH.to_string(), |o: &Op| o.op_hash.clone());
        let ms = 1_780_000_000_000u64 + seq * 250;
        ops.push(
            Op {
                actor: A.to_string(),
                seq,
                hlc: ms << 16,
                at: format!(
                    "2026-06-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                    1 + seq / 86_400 % 28,
                    seq / 3600 % 24,
                    seq / 60 % 60,
                    seq % 60,
                    ms % 1000
                ),
                op: OpKind::Set,
                kind: "finding".to_string(),
                record_id: format!(
                    "01960000-{:04x}-7000-8000-{:012x}",
                    record % 65536,
                    record * 104_729
                ),
                field: Some(FIELDS[field].to_string()),
                value: Some(value),
                supersedes,
                observed: vec![],
                cascade_of: None,
                schema_ver: OP_SCHEMA_VERSION,
                prev_hash,
                op_hash: String::new(),
                extra: Default::default(),
            }
            .seal(),
        );
    }
    ops
}

fn bench(c: &mut Criterion) {
    let t = team();
    let ops = set_ops();
    let mut header = Header::new(
        PROJECT_ID,
        1,
        "bench",
        OP_SCHEMA_VERSION,
        Default::default(),
    );
    header.bundle_id = fieldbook_bundle::fixtures::BUNDLE_ID.to_string();
    let bundle = Bundle::new(header, ops, vec![], vec![]);

    // Sizes, printed once.
    let start = Instant::now();
    let files = write(&bundle, A, &t.a, &t.project, usize::MAX).unwrap();
    let write_once = start.elapsed();
    let file = &files[0];
    let json = serde_json::to_vec(&bundle.ops).unwrap();
    let plain_zstd = zstd::encode_all(&json[..], 3).unwrap();
    let plain_zstd19 = zstd::encode_all(&json[..], 19).unwrap();
    let start = Instant::now();
    let back = read(file, &t.project, &t.keys, &Limits::default()).unwrap();
    let read_once = start.elapsed();
    assert_eq!(back.ops.len(), OPS as usize);
    let parts = write(&bundle, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    eprintln!(
        "\n100k set ops: JSON {} B; zstd-3 of JSON {} B; zstd-19 of JSON {} B; bundle {} B = {:.3}× zstd-3 \
         ({} part(s) at 20 MiB); first write {:.0} ms, first read {:.0} ms\n",
        json.len(),
        plain_zstd.len(),
        plain_zstd19.len(),
        file.len(),
        file.len() as f64 / plain_zstd.len() as f64,
        parts.len(),
        write_once.as_secs_f64() * 1e3,
        read_once.as_secs_f64() * 1e3,
    );
    let findings = Bundle::new(bundle.header.clone(), findings(10_000), vec![], vec![]);
    let export = write(&findings, A, &t.a, &t.project, usize::MAX).unwrap();
    let json = serde_json::to_vec(&findings.ops).unwrap();
    eprintln!(
        "10k findings, 60k ops: ops section {} B; zstd-3 of their JSON {} B\n",
        ops_section_len(&export[0]),
        zstd::encode_all(&json[..], 3).unwrap().len(),
    );

    let mut g = c.benchmark_group("bundle_100k_set_ops");
    g.sample_size(10);
    g.throughput(Throughput::Elements(OPS));
    g.bench_function("write", |b| {
        b.iter(|| write(&bundle, A, &t.a, &t.project, usize::MAX).unwrap())
    });
    g.bench_function("read", |b| {
        b.iter(|| read(file, &t.project, &t.keys, &Limits::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
