//! Checks shared by the reader (on untrusted input) and the writer (on what
//! the store hands it): header shape, op schema, hashes and chain links.

use std::collections::{BTreeMap, BTreeSet};

use fieldbook_core::op::{Op, OpKind, GENESIS_HASH};

use crate::crypto::{is_hex64, unhex};
use crate::error::BundleError;
use crate::model::{Header, Range};

fn schema(msg: String) -> BundleError {
    BundleError::Schema(msg)
}

/// Most roster entries a header may carry (a team has tens of devices,
/// each enrolled or revoked a few times); deciding trust over them is
/// quadratic.
pub(crate) const MAX_ROSTER_ENTRIES: usize = 4096;

/// The fields every header must get right, whoever wrote it. The sender and
/// key fields are checked by the reader against its key ring.
pub(crate) fn check_header(h: &Header) -> Result<(), BundleError> {
    match uuid::Uuid::parse_str(&h.bundle_id) {
        Ok(u) if u.hyphenated().to_string() == h.bundle_id && u.get_version_num() == 7 => {}
        _ => {
            return Err(schema(format!(
                "bundle_id {:?} is not a UUIDv7",
                h.bundle_id
            )))
        }
    }
    if h.project_id.is_empty() {
        return Err(schema("the header names no project".into()));
    }
    if let Some(p) = h.part {
        if p.count == 0 || p.index == 0 || p.index > p.count {
            return Err(schema(format!(
                "part {}/{} is not a valid part number",
                p.index, p.count
            )));
        }
    }
    check_ranges(&h.ranges)?;
    let mut seen = BTreeSet::new();
    for b in &h.blobs {
        if !is_hex64(&b.sha256) {
            return Err(schema(format!(
                "attachment hash {:?} is not lowercase hex SHA-256",
                b.sha256
            )));
        }
        if !seen.insert(b.sha256.as_str()) {
            return Err(schema(format!("attachment {} is listed twice", b.sha256)));
        }
        if b.mime.len() > 255 {
            return Err(schema(format!(
                "attachment {} has an over-long type",
                b.sha256
            )));
        }
    }
    Ok(())
}

/// Every range is well formed and no two ranges of an actor overlap.
fn check_ranges(ranges: &[Range]) -> Result<(), BundleError> {
    let mut per_actor: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for r in ranges {
        if r.actor.is_empty() || r.from_seq == 0 || r.from_seq > r.to_seq {
            return Err(schema(format!(
                "range {:?} {}..={} is not a valid seq range",
                r.actor, r.from_seq, r.to_seq
            )));
        }
        per_actor
            .entry(&r.actor)
            .or_default()
            .push((r.from_seq, r.to_seq));
    }
    for (actor, mut spans) in per_actor {
        spans.sort_unstable();
        for w in spans.windows(2) {
            if w[1].0 <= w[0].1 {
                return Err(schema(format!("ranges of {actor} overlap")));
            }
        }
    }
    Ok(())
}

/// Number of ops the ranges describe (saturating: a huge count is caught by
/// comparison with the ops actually present).
pub(crate) fn ops_in(ranges: &[Range]) -> u64 {
    ranges.iter().fold(0u64, |n, r| {
        n.saturating_add(r.to_seq - r.from_seq).saturating_add(1)
    })
}

/// The names `Op` serialises its own fields under: `extra` must hold none
/// of them (JSON would give the field twice).
const OP_FIELDS: [&str; 15] = [
    "actor",
    "seq",
    "hlc",
    "at",
    "op",
    "kind",
    "record_id",
    "field",
    "value",
    "supersedes",
    "observed",
    "cascade_of",
    "schema_ver",
    "prev_hash",
    "op_hash",
];

/// The shape of one op (its hash is checked by [`check_ops`], or by the
/// checkpoints on reading).
pub(crate) fn check_op(op: &Op) -> Result<(), BundleError> {
    let bad = |what: &str| schema(format!("op {}/{}: {what}", op.actor, op.seq));
    if op.actor.is_empty() || op.seq == 0 {
        return Err(bad("no actor or a zero seq"));
    }
    if !is_hex64(&op.op_hash) || !is_hex64(&op.prev_hash) {
        return Err(bad("op_hash or prev_hash is not lowercase hex SHA-256"));
    }
    if op.kind.is_empty() || op.record_id.is_empty() || op.at.is_empty() || op.schema_ver == 0 {
        return Err(bad("missing kind, record id, time or schema version"));
    }
    if op.op == OpKind::Set && op.field.is_none() {
        return Err(bad("a set that names no field"));
    }
    if op
        .supersedes
        .iter()
        .chain(&op.observed)
        .any(|id| id.actor.is_empty() || id.seq == 0)
    {
        return Err(bad("an op id with no actor or a zero seq"));
    }
    if op.extra.keys().any(|k| OP_FIELDS.contains(&k.as_str())) {
        return Err(bad("an extra field named like one of the op's own"));
    }
    Ok(())
}

/// `ops` are exactly the ops of `ranges`, in order; each is well formed,
/// matches its own `op_hash`, and links to the one before it inside its
/// range (to the genesis hash at seq 1). Returns the index of each range's
/// first op.
pub(crate) fn check_ops(ranges: &[Range], ops: &[Op]) -> Result<Vec<usize>, BundleError> {
    if ops_in(ranges) != ops.len() as u64 {
        return Err(schema(format!(
            "the header lists {} ops but the bundle holds {}",
            ops_in(ranges),
            ops.len()
        )));
    }
    let mut starts = Vec::with_capacity(ranges.len());
    let mut i = 0usize;
    for r in ranges {
        starts.push(i);
        let mut prev: Option<&str> = None;
        for seq in r.from_seq..=r.to_seq {
            let op = &ops[i];
            i += 1;
            if op.actor != r.actor || op.seq != seq {
                return Err(schema(format!(
                    "op {}/{} is where the header puts {}/{seq}",
                    op.actor, op.seq, r.actor
                )));
            }
            check_op(op)?;
            if op.compute_hash() != op.op_hash {
                return Err(BundleError::OpHash {
                    actor: op.actor.clone(),
                    seq,
                });
            }
            let expected = match prev {
                Some(h) => Some(h),
                None if seq == 1 => Some(GENESIS_HASH),
                None => None,
            };
            if expected.is_some_and(|h| h != op.prev_hash) {
                return Err(BundleError::ChainBroken {
                    actor: op.actor.clone(),
                    seq,
                });
            }
            prev = Some(&op.op_hash);
        }
    }
    Ok(starts)
}

/// The op `(actor, seq)` if the ranges hold it.
pub(crate) fn find<'a>(
    ranges: &[Range],
    starts: &[usize],
    ops: &'a [Op],
    actor: &str,
    seq: u64,
) -> Option<&'a Op> {
    ranges
        .iter()
        .zip(starts)
        .find(|(r, _)| r.actor == actor && (r.from_seq..=r.to_seq).contains(&seq))
        .map(|(r, &start)| &ops[start + (seq - r.from_seq) as usize])
}

pub(crate) fn sig_bytes(hex: &str) -> Option<[u8; 64]> {
    unhex::<64>(hex)
}

#[cfg(test)]
mod tests {
    use super::OP_FIELDS;

    #[test]
    fn op_fields_are_the_names_op_serialises() {
        let op = &crate::fixtures::ops("a", 1)[0];
        let json = serde_json::to_value(op).unwrap();
        let names: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, OP_FIELDS);
    }
}
