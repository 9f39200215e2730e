use std::collections::BTreeSet;

use super::*;
use crate::fixtures::{bytes, ops, sample, team, A, B, PROJECT_ID};
use crate::{checkpoint, write, Blob, Bundle, Part, DEFAULT_MAX_PART_BYTES};

/// Reads each part alone and checks that together they are exactly `whole`.
fn check_parts(whole: &Bundle, files: &[Vec<u8>], team: &Team, max: usize) -> Vec<crate::Bundle> {
    let count = files.len() as u32;
    assert!(count > 1, "expected a split");
    let mut ops = BTreeSet::new();
    let mut blobs = BTreeSet::new();
    let mut parts = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = read(f, team).unwrap_or_else(|e| panic!("part {} alone: {e}", i + 1));
        assert_eq!(
            p.header.part,
            Some(Part {
                index: i as u32 + 1,
                count
            })
        );
        assert_eq!(p.header.bundle_id, whole.header.bundle_id);
        let units = p.header.blobs.len() + p.header.ranges.len();
        assert!(
            f.len() <= max || units == 1,
            "part {} is {} bytes with {units} units",
            i + 1,
            f.len()
        );
        for op in &p.ops {
            assert!(
                ops.insert((op.actor.clone(), op.seq, op.op_hash.clone())),
                "op in two parts"
            );
        }
        for b in &p.blobs {
            assert!(
                blobs.insert((b.sha256.clone(), b.bytes.clone())),
                "blob in two parts"
            );
        }
        parts.push(p);
    }
    let want_ops: BTreeSet<_> = whole
        .ops
        .iter()
        .map(|o| (o.actor.clone(), o.seq, o.op_hash.clone()))
        .collect();
    let want_blobs: BTreeSet<_> = whole
        .blobs
        .iter()
        .map(|b| (b.sha256.clone(), b.bytes.clone()))
        .collect();
    assert_eq!(ops, want_ops);
    assert_eq!(blobs, want_blobs);
    parts
}

#[test]
fn a_small_bundle_splits_into_parts_each_importable_alone() {
    let t = team();
    let whole = sample(&t);
    let max = 2500;
    let files = write(&whole, A, &t.a, &t.project, max).unwrap();
    let parts = check_parts(&whole, &files, &t, max);
    // The 3000-byte photo is larger than a part: it travels alone.
    assert!(parts
        .iter()
        .any(|p| p.header.blobs.len() == 1 && p.header.blobs[0].size == 3000 && p.ops.is_empty()));
    // B's relayed ops are cut only where B signed a checkpoint (2 and 4).
    for p in &parts {
        for r in &p.header.ranges {
            if r.actor == B {
                assert!([2, 4].contains(&r.to_seq), "{r:?}");
            }
        }
    }
}

#[test]
fn many_ops_split_at_own_seqs_and_relayed_checkpoints() {
    let t = team();
    let a = ops(A, 4000);
    let b = ops(B, 2000);
    let cps: Vec<_> = (1..=200)
        .map(|k| checkpoint(&t.b, PROJECT_ID, B, k * 10, &b[k as usize * 10 - 1].op_hash))
        .collect();
    let blobs = vec![
        Blob::new("image/jpeg", bytes(5, 9000)),
        Blob::new("image/jpeg", bytes(6, 40_000)),
        Blob::new("text/plain", vec![b'x'; 100]),
    ];
    let whole = Bundle::new(
        sample(&t).header,
        a.into_iter().chain(b).collect(),
        cps,
        blobs,
    );
    let mut cut_after_seq_1 = BTreeSet::new();
    for max in [6_000, 16_000, 50_000] {
        let files = write(&whole, A, &t.a, &t.project, max).unwrap();
        let parts = check_parts(&whole, &files, &t, max);
        for p in &parts {
            for r in p.header.ranges.iter().filter(|r| r.actor == B) {
                assert_eq!(r.to_seq % 10, 0, "{r:?}");
            }
        }
        for r in parts.iter().flat_map(|p| &p.header.ranges) {
            if r.from_seq > 1 {
                cut_after_seq_1.insert(r.actor.clone());
            }
        }
        // Parts are reasonably full: no more than about twice the minimum.
        let total: usize = files.iter().map(Vec::len).sum();
        assert!(
            files.len() <= 2 * total.div_ceil(max) + 1,
            "{} parts for {total} bytes at {max}",
            files.len()
        );
    }
    // Ranges cut after seq 1 were read with the starting hash their part carries.
    assert_eq!(cut_after_seq_1, BTreeSet::from([A.into(), B.into()]));
    // Large enough for everything: one file, no part number.
    let files = write(&whole, A, &t.a, &t.project, 1 << 20).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(read(&files[0], &t).unwrap().header.part, None);
}

#[test]
fn a_relayed_run_with_no_inner_checkpoint_is_never_cut() {
    let t = team();
    let b = ops(B, 300);
    let cp = checkpoint(&t.b, PROJECT_ID, B, 300, &b[299].op_hash);
    let whole = Bundle::new(
        sample(&t).header,
        b,
        vec![cp],
        vec![Blob::new("text/plain", vec![1; 10])],
    );
    let files = write(&whole, A, &t.a, &t.project, 2000).unwrap();
    // The whole run goes in one (oversized) part; the blob in another or with it.
    let parts: Vec<_> = files.iter().map(|f| read(f, &t).unwrap()).collect();
    let with_ops: Vec<_> = parts.iter().filter(|p| !p.ops.is_empty()).collect();
    assert_eq!(with_ops.len(), 1);
    assert_eq!(with_ops[0].ops.len(), 300);
}

#[test]
fn a_bundle_with_more_ops_than_a_file_may_hold_is_split_by_count_too() {
    let t = team();
    let a = ops(A, 250);
    let b = ops(B, 100);
    let cps: Vec<_> = (1..=10)
        .map(|k| checkpoint(&t.b, PROJECT_ID, B, k * 10, &b[k as usize * 10 - 1].op_hash))
        .collect();
    let whole = Bundle::new(
        sample(&t).header,
        a.into_iter().chain(b).collect(),
        cps,
        vec![],
    );
    let max_ops = 40;
    let files = crate::write::write_with(
        &whole,
        A,
        &t.a,
        &t.project,
        DEFAULT_MAX_PART_BYTES,
        max_ops,
        &mut crate::fixtures::seeded(7),
    )
    .unwrap();
    let parts = check_parts(&whole, &files, &t, DEFAULT_MAX_PART_BYTES);
    assert!(parts.iter().all(|p| p.ops.len() <= max_ops));
    assert!(
        files.len() <= 2 * 350usize.div_ceil(max_ops),
        "{}",
        files.len()
    );
}
