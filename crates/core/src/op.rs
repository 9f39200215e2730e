//! The operation: one entry of a replica's log, and what sync moves between
//! replicas. Every record's state is a function of the set of its ops, so
//! replicas that hold the same ops show the same data, whatever the order
//! they arrived in (`SYNC.md` §8.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format of the fields that make up an op; a replica stores and relays
/// ops of a newer version without interpreting them.
pub const OP_SCHEMA_VERSION: u32 = 1;

/// `(actor, seq)`: names one op. An actor is one replica (one database file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId {
    pub actor: String,
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Create,
    Set,
    Delete,
    Restore,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Set => "set",
            OpKind::Delete => "delete",
            OpKind::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> Option<OpKind> {
        Some(match s {
            "create" => OpKind::Create,
            "set" => OpKind::Set,
            "delete" => OpKind::Delete,
            "restore" => OpKind::Restore,
            _ => return None,
        })
    }
}

/// One op as it travels. Field order is the canonical encoding: the hash
/// covers the JSON of every field but `op_hash`, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub actor: String,
    /// Contiguous per actor, from 1.
    pub seq: u64,
    /// Hybrid logical clock: display order and the deterministic "shown first"
    /// tie-break among concurrent values, never correctness.
    pub hlc: u64,
    /// The author's wall clock when written (RFC 3339), for people to read.
    pub at: String,
    pub op: OpKind,
    /// The record kind (`finding`).
    pub kind: String,
    pub record_id: String,
    /// The field a `set` writes.
    pub field: Option<String>,
    /// A `set`'s value as the log's JSON text (`null` clears the field).
    pub value: Option<String>,
    /// The ops this one replaces: for a `set`, the field's heads the author
    /// saw; for a delete or restore, the record's lifecycle heads.
    pub supersedes: Vec<OpId>,
    /// Delete only: per actor, the highest seq of this record's ops the
    /// deleting replica had seen. An edit outside it keeps the record alive.
    pub observed: Vec<OpId>,
    /// A delete or restore done because this parent record was deleted or restored.
    pub cascade_of: Option<String>,
    pub schema_ver: u32,
    /// `op_hash` of (actor, seq − 1); all zeros for seq 1: a per-actor chain.
    pub prev_hash: String,
    /// Hex SHA-256 of the canonical encoding of every other field.
    pub op_hash: String,
    /// Fields a newer Fieldbook added to ops: kept, hashed and relayed as
    /// they came, so an older laptop never loses or breaks them. (A newer
    /// version hashes its added fields after `prev_hash`, by name.)
    #[serde(flatten, default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The chain's start: the `prev_hash` of an actor's first op.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Borrowed view of the hashed fields, in `Op`'s order.
#[derive(Serialize)]
struct Hashed<'a> {
    actor: &'a str,
    seq: u64,
    hlc: u64,
    at: &'a str,
    op: OpKind,
    kind: &'a str,
    record_id: &'a str,
    field: &'a Option<String>,
    value: &'a Option<String>,
    supersedes: &'a [OpId],
    observed: &'a [OpId],
    cascade_of: &'a Option<String>,
    schema_ver: u32,
    prev_hash: &'a str,
    #[serde(flatten)]
    extra: &'a BTreeMap<String, serde_json::Value>,
}

impl Op {
    /// The hash its fields give: equal to `op_hash` unless the op was altered.
    pub fn compute_hash(&self) -> String {
        let body = Hashed {
            actor: &self.actor,
            seq: self.seq,
            hlc: self.hlc,
            at: &self.at,
            op: self.op,
            kind: &self.kind,
            record_id: &self.record_id,
            field: &self.field,
            value: &self.value,
            supersedes: &self.supersedes,
            observed: &self.observed,
            cascade_of: &self.cascade_of,
            schema_ver: self.schema_ver,
            prev_hash: &self.prev_hash,
            extra: &self.extra,
        };
        // The JSON is streamed into the hash, never held.
        let mut hasher = Sha256::new();
        serde_json::to_writer(&mut hasher, &body).expect("plain data serialises");
        hex::encode(hasher.finalize())
    }

    /// Sets `op_hash` from the fields (after building or changing an op).
    pub fn seal(mut self) -> Op {
        self.op_hash = self.compute_hash();
        self
    }

    pub fn id(&self) -> OpId {
        OpId {
            actor: self.actor.clone(),
            seq: self.seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op() -> Op {
        Op {
            actor: "a1".into(),
            seq: 1,
            hlc: 42,
            at: "2026-11-27T10:00:00.000Z".into(),
            op: OpKind::Set,
            kind: "finding".into(),
            record_id: "01a21ea6-d9a1-7483-8c64-17ab28490ff9".into(),
            field: Some("title".into()),
            value: Some("\"Diesel depot\"".into()),
            supersedes: vec![],
            observed: vec![],
            cascade_of: None,
            schema_ver: OP_SCHEMA_VERSION,
            prev_hash: GENESIS_HASH.into(),
            op_hash: String::new(),
            extra: BTreeMap::new(),
        }
        .seal()
    }

    #[test]
    fn the_hash_covers_every_field_and_survives_a_round_trip() {
        let a = op();
        assert_eq!(a.op_hash.len(), 64);
        let json = serde_json::to_string(&a).unwrap();
        let b: Op = serde_json::from_str(&json).unwrap();
        assert_eq!(b.compute_hash(), a.op_hash);
        let mut c = a.clone();
        c.value = Some("\"Diesel depot!\"".into());
        assert_ne!(c.compute_hash(), a.op_hash);
        let mut d = a.clone();
        d.supersedes.push(OpId {
            actor: "b2".into(),
            seq: 7,
        });
        assert_ne!(d.compute_hash(), a.op_hash);
    }

    #[test]
    fn fields_from_a_newer_version_are_kept_and_hashed() {
        let mut newer: serde_json::Value = serde_json::to_value(op()).unwrap();
        newer["schema_ver"] = 2.into();
        newer["confidence"] = "high".into();
        let mut parsed: Op = serde_json::from_value(newer).unwrap();
        assert_eq!(parsed.extra["confidence"], "high");
        let sealed = parsed.clone().seal();
        let again: Op = serde_json::from_str(&serde_json::to_string(&sealed).unwrap()).unwrap();
        assert_eq!(again, sealed);
        assert_eq!(again.compute_hash(), sealed.op_hash);
        parsed.extra.clear();
        assert_ne!(
            parsed.compute_hash(),
            sealed.op_hash,
            "the extra field is hashed"
        );
    }
}
