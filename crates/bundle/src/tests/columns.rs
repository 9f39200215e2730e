//! The op columns: every field round-trips with the author's hashes, and
//! hostile encodings are refused without a panic.

use std::collections::BTreeMap;

use fieldbook_core::op::{Op, OpId, OpKind, GENESIS_HASH};
use proptest::prelude::*;
use serde_json::json;

use crate::columns::{columns, encode, Columns};
use crate::{ranges_of, BundleError, Limits, Range};

const B_START: &str = "5d41402abc4b2a76b9719d911017c592e13a4be41db4ef16fa58a7ba93b31d7c";

/// Every op [`crate::columns::decode`] hands over, checking that each
/// range's last hash is the one returned.
fn decode(bytes: &[u8], ranges: &[Range], limits: &Limits) -> Result<Vec<Op>, BundleError> {
    let mut ops: Vec<Op> = Vec::new();
    let ends = crate::columns::decode(bytes, ranges, limits, &mut |chunk| {
        ops.extend(chunk);
        Ok(())
    })?;
    let mut end = 0;
    for (r, hash) in ranges.iter().zip(&ends) {
        end += (r.to_seq - r.from_seq + 1) as usize;
        assert_eq!(&ops[end - 1].op_hash, hash);
    }
    Ok(ops)
}

fn id(actor: &str, seq: u64) -> OpId {
    OpId {
        actor: actor.into(),
        seq,
    }
}

/// A `set` of `field`, not yet chained.
fn set(actor: &str, seq: u64, field: &str, value: Option<&str>) -> Op {
    Op {
        actor: actor.into(),
        seq,
        hlc: 1_000 + seq,
        at: "2026-06-01T10:00:00.000Z".into(),
        op: OpKind::Set,
        kind: "finding".into(),
        record_id: "0196f000-0000-7000-8000-000000000001".into(),
        field: Some(field.into()),
        value: value.map(str::to_string),
        supersedes: vec![],
        observed: vec![],
        cascade_of: None,
        schema_ver: 1,
        prev_hash: String::new(),
        op_hash: String::new(),
        extra: BTreeMap::new(),
    }
}

/// Sets `prev_hash` and `op_hash` along `ops`, from `start`.
fn chain(ops: &mut [Op], start: &str) {
    let mut prev = start.to_string();
    for op in ops {
        op.prev_hash = prev;
        op.op_hash = op.compute_hash();
        prev = op.op_hash.clone();
    }
}

/// The ops split at their ranges, as the writer hands them to the encoder.
fn runs(ops: &[Op]) -> (Vec<&[Op]>, Vec<Range>) {
    let ranges = ranges_of(ops);
    let mut runs = Vec::new();
    let mut rest = ops;
    for r in &ranges {
        let (run, tail) = rest.split_at((r.to_seq - r.from_seq + 1) as usize);
        runs.push(run);
        rest = tail;
    }
    (runs, ranges)
}

/// `a`'s ops 1..=4 and `b`'s 7..=9, every field of `Op` used somewhere:
/// unicode, a `null` value and no value, op ids of several actors, a
/// cascade, a newer schema version with nested extra fields, an unknown
/// record kind, clocks that go backwards and wrap.
pub(crate) fn rich_ops() -> Vec<Op> {
    let mut a = vec![
        Op {
            op: OpKind::Create,
            field: None,
            value: None,
            ..set("a", 1, "", None)
        },
        set(
            "a",
            2,
            "title",
            Some("\"Ünïcödé — 日本語 🚰 \\\"q\\\"\\n\""),
        ),
        Op {
            hlc: 5,
            at: "2026-06-02T08:30:00.123+07:00".into(),
            record_id: "m:danang-volume".into(),
            supersedes: vec![id("b", 3), id("c", 12)],
            ..set("a", 3, "notes", Some("null"))
        },
        Op {
            op: OpKind::Delete,
            field: None,
            supersedes: vec![id("a", 1)],
            observed: vec![id("a", 3), id("b", 8), id("c", 1)],
            cascade_of: Some("0196f000-0000-7000-8000-0000000000aa".into()),
            ..set("a", 4, "", None)
        },
    ];
    let extra = json!({
        "confidence": "high",
        "geo": {"lon": 108.2, "lat": 16.05, "tags": ["a", {"z": null, "a": [1, -7, 2.5e-7, true]}]},
        "empty": {}
    });
    let mut b = vec![
        Op {
            kind: "survey_v2".into(),
            schema_ver: 2,
            extra: serde_json::from_value(extra).unwrap(),
            ..set("b", 7, "title", None)
        },
        Op {
            op: OpKind::Restore,
            field: None,
            hlc: u64::MAX,
            supersedes: vec![id("b", 100), id("a", u64::MAX)],
            ..set("b", 8, "", None)
        },
        Op {
            hlc: 0,
            record_id: "m:danang-volume".into(),
            ..set("b", 9, "title", Some("\"line\\nnext\""))
        },
    ];
    chain(&mut a, GENESIS_HASH);
    chain(&mut b, B_START);
    a.into_iter().chain(b).collect()
}

#[test]
fn every_field_round_trips_and_the_hashes_are_the_authors() {
    let ops = rich_ops();
    let (runs, ranges) = runs(&ops);
    assert_eq!(ranges.len(), 2);
    let c = columns(&runs);
    assert_eq!(c.range_prev, [crate::crypto::unhex::<32>(B_START).unwrap()]);
    assert_eq!(c.kinds, ["finding", "survey_v2"]);
    assert_eq!(c.actors, ["b", "c", "a"]);
    assert_eq!(c.at.len(), 3, "runs of times: {:?}", c.at);
    assert_eq!(
        decode(&encode(&runs), &ranges, &Limits::default()).unwrap(),
        ops
    );
}

#[test]
fn many_ops_are_handed_over_in_order_a_chunk_at_a_time() {
    let n = 2 * crate::columns::OPS_PER_CHUNK + 17;
    let mut ops: Vec<Op> = (1..=n as u64)
        .map(|seq| set("a", seq, "title", Some("\"pump\"")))
        .collect();
    chain(&mut ops, GENESIS_HASH);
    let (runs, ranges) = runs(&ops);
    let mut sizes = Vec::new();
    let mut got: Vec<Op> = Vec::new();
    let ends = crate::columns::decode(&encode(&runs), &ranges, &Limits::default(), &mut |c| {
        sizes.push(c.len());
        got.extend(c);
        Ok(())
    })
    .unwrap();
    let chunk = crate::columns::OPS_PER_CHUNK;
    assert_eq!(sizes, [chunk, chunk, 17]);
    assert_eq!(got, ops);
    assert_eq!(ends, [ops[n - 1].op_hash.clone()]);
}

#[test]
fn the_starting_hash_of_a_later_range_is_carried() {
    let ops = rich_ops();
    let (runs, ranges) = runs(&ops);
    let mut c = columns(&runs);
    c.range_prev[0][0] ^= 1;
    let got = decode(
        &postcard::to_stdvec(&c).unwrap(),
        &ranges,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(got[..4], ops[..4]);
    assert_ne!(got[4].prev_hash, ops[4].prev_hash);
    assert_ne!(got[6].op_hash, ops[6].op_hash, "the checkpoint would fail");
}

#[test]
fn an_empty_section_round_trips() {
    assert_eq!(decode(&encode(&[]), &[], &Limits::default()).unwrap(), []);
}

fn schema(r: Result<Vec<Op>, BundleError>) -> String {
    match r {
        Err(BundleError::Schema(msg)) => msg,
        other => panic!("expected Schema, got {other:?}"),
    }
}

/// Decodes the rich ops' columns after `edit`.
fn edited(edit: impl FnOnce(&mut Columns)) -> Result<Vec<Op>, BundleError> {
    let ops = rich_ops();
    let (runs, ranges) = runs(&ops);
    let mut c = columns(&runs);
    edit(&mut c);
    decode(
        &postcard::to_stdvec(&c).unwrap(),
        &ranges,
        &Limits::default(),
    )
}

/// An edit of the columns, and a word the error must contain.
type Edit = (&'static str, fn(&mut Columns));

#[test]
fn an_index_outside_its_dictionary_is_refused() {
    let cases: [Edit; 7] = [
        ("kind", |c| c.kind[2] = 2),
        ("record", |c| c.record[0] = -1),
        ("record", |c| c.record[6] = 3),
        ("field", |c| c.field[1] = 4),
        ("actor", |c| c.id_actor[0] = 3),
        ("op type", |c| c.op[0] = 4),
        ("overflows", |c| c.record[3] = i64::MAX),
    ];
    for (what, edit) in cases {
        let msg = schema(edited(edit));
        assert!(msg.contains(what), "{what}: {msg}");
    }
}

#[test]
fn counts_that_do_not_agree_are_refused() {
    let cases: [Edit; 16] = [
        ("hlc", |c| {
            c.hlc.pop();
        }),
        ("kind", |c| {
            c.kind.pop();
        }),
        ("record", |c| {
            c.record.pop();
        }),
        ("field", |c| {
            c.field.pop();
        }),
        ("value", |c| {
            c.value.pop();
        }),
        ("cascade_of", |c| {
            c.cascade_of.pop();
        }),
        ("schema_ver", |c| c.schema_ver.push(1)),
        ("extra", |c| {
            c.extra.pop();
        }),
        ("supersedes", |c| {
            c.supersedes.pop();
        }),
        ("observed", |c| c.observed.push(0)),
        ("op column has 8 entries where at most 7", |c| c.op.push(1)),
        ("times for 8", |c| c.at[0].1 += 1),
        ("empty run", |c| c.at.push((String::new(), 0))),
        ("op ids", |c| c.supersedes[0] += 1),
        ("op ids", |c| {
            c.id_seq.pop();
        }),
        ("range_prev column", |c| c.range_prev.push([0; 32])),
    ];
    for (what, edit) in cases {
        let msg = schema(edited(edit));
        assert!(msg.contains(what), "{what}: {msg}");
    }
    // The header's ranges must match the columns too.
    let ops = rich_ops();
    let (runs, mut ranges) = runs(&ops);
    let bytes = encode(&runs);
    let second = ranges[1].clone();
    ranges[1].from_seq = 1;
    ranges[1].to_seq = 3;
    assert!(schema(decode(&bytes, &ranges, &Limits::default())).contains("range_prev column"));
    ranges[1] = second;
    ranges[1].to_seq = u64::MAX;
    assert!(schema(decode(&bytes, &ranges, &Limits::default())).contains("header lists"));
}

#[test]
fn extra_fields_that_are_not_a_json_object_are_refused() {
    for bad in ["[1]", "{\"a\":", "null", "{} x"] {
        let msg = schema(edited(|c| c.extra[0] = bad.into()));
        assert!(msg.contains("extra"), "{bad}: {msg}");
    }
}

#[test]
fn truncated_or_extended_bytes_are_refused() {
    let ops = rich_ops();
    let (runs, ranges) = runs(&ops);
    let bytes = encode(&runs);
    for cut in 0..bytes.len() {
        assert!(
            decode(&bytes[..cut], &ranges, &Limits::default()).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(schema(decode(&longer, &ranges, &Limits::default())).contains("1 bytes after"));
    // Invalid UTF-8 in a string.
    let at = bytes
        .windows(7)
        .position(|w| w == b"finding")
        .expect("present");
    let mut g = bytes.clone();
    g[at] = 0xff;
    schema(decode(&g, &ranges, &Limits::default()));
}

#[test]
fn huge_counts_allocate_nothing_and_are_refused() {
    // Each list's length as the largest varint, with nothing behind it.
    for lists_before in 0..6 {
        let mut bytes = vec![0u8; lists_before];
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        schema(decode(&bytes, &[], &Limits::default()));
    }
    // Counts of op ids and runs of times that overflow a u32 sum.
    schema(edited(|c| {
        c.supersedes = vec![u32::MAX; 7];
        c.observed = vec![u32::MAX; 7];
    }));
    schema(edited(|c| c.at = vec![("t".into(), u32::MAX); 3]));
}

#[test]
fn a_column_longer_than_the_header_allows_is_refused_before_it_is_decoded() {
    // A million absent values for 7 ops: refused by its length prefix.
    let msg = schema(edited(|c| c.value = vec![None; 1_000_000]));
    assert!(msg.contains("value column has 1000000 entries"), "{msg}");
    let msg = schema(edited(|c| c.actors = vec![String::new(); 70_000]));
    assert!(msg.contains("actors column"), "{msg}");
}

#[test]
fn a_dictionary_entry_named_by_every_op_counts_against_the_decoded_size() {
    // One kind of 1 MiB that all 7 ops name: a few bytes of columns per op,
    // 7 MiB of ops.
    let ops = rich_ops();
    let (runs, ranges) = runs(&ops);
    let mut c = columns(&runs);
    c.kinds = vec!["k".repeat(1 << 20); 1];
    c.kind = vec![0; ops.len()];
    let bytes = postcard::to_stdvec(&c).unwrap();
    assert!(bytes.len() < (1 << 20) + 4096);
    let decoded = decode(&bytes, &ranges, &Limits::default()).unwrap();
    assert!(decoded.iter().all(|op| op.kind.len() == 1 << 20));
    let limits = Limits {
        max_decoded_bytes: 4 << 20,
        ..Limits::default()
    };
    assert_eq!(
        decode(&bytes, &ranges, &limits).unwrap_err(),
        BundleError::DecodeLimit { limit: 4 << 20 }
    );
    // The columns themselves count too.
    let limits = Limits {
        max_decoded_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_eq!(
        decode(&bytes, &ranges, &limits).unwrap_err(),
        BundleError::DecodeLimit { limit: 1 << 20 }
    );
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z]{1,3}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn arb_extra() -> impl Strategy<Value = BTreeMap<String, serde_json::Value>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        arb_text().prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::vec(("[a-z]{1,2}", inner), 0..3)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("x[a-z]{0,3}", value, 0..3)
}

fn arb_ids() -> impl Strategy<Value = Vec<OpId>> {
    prop::collection::vec(
        ("[abc]", any::<u64>()).prop_map(|(actor, seq)| OpId { actor, seq }),
        0..3,
    )
}

/// An op of no particular actor or seq, not chained.
fn arb_op() -> impl Strategy<Value = Op> {
    let head = (
        any::<u64>(),
        prop_oneof![Just("t1".to_string()), arb_text()],
        0..4usize,
        prop_oneof![Just("finding".to_string()), arb_text()],
        prop_oneof![Just("r1".to_string()), arb_text()],
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
    );
    let tail = (
        arb_ids(),
        arb_ids(),
        proptest::option::of(arb_text()),
        any::<u32>(),
        arb_extra(),
    );
    (head, tail).prop_map(|((hlc, at, op, kind, record_id, field, value), tail)| Op {
        actor: String::new(),
        seq: 0,
        hlc,
        at,
        op: [OpKind::Create, OpKind::Set, OpKind::Delete, OpKind::Restore][op],
        kind,
        record_id,
        field,
        value,
        supersedes: tail.0,
        observed: tail.1,
        cascade_of: tail.2,
        schema_ver: tail.3,
        prev_hash: String::new(),
        op_hash: String::new(),
        extra: tail.4,
    })
}

/// One to three ranges of distinct actors, each from seq 1 to 4 on.
fn arb_ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((1..4u64, prop::collection::vec(arb_op(), 1..6)), 1..4).prop_map(
        |ranges| {
            let mut out = Vec::new();
            for (i, (from, mut ops)) in ranges.into_iter().enumerate() {
                for (seq, op) in (from..).zip(&mut ops) {
                    op.actor = format!("actor{i}");
                    op.seq = seq;
                }
                chain(&mut ops, if from == 1 { GENESIS_HASH } else { B_START });
                out.extend(ops);
            }
            out
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_ops_round_trip_with_their_hashes(ops in arb_ops()) {
        let (runs, ranges) = runs(&ops);
        prop_assert_eq!(decode(&encode(&runs), &ranges, &Limits::default()).unwrap(), ops);
    }
}
