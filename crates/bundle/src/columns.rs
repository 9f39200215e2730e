//! The plaintext of the ops section (before zstd): the ops as columns, one
//! [`Columns`] value serialised with `postcard` (fields in declared order;
//! unsigned integers as LEB128 varints, signed ones zigzag-encoded first,
//! `u8` as one byte, a string or list as its varint length then its items,
//! an `Option` as a 0/1 byte then the value, an enum as its variant's index
//! then its data), and nothing after it.
//!
//! Column by column, zstd finds like next to like (the same date, small
//! clock steps, the same field names), where row-wise JSON repeated every
//! key and interleaved fields of different kinds.
//!
//! What is not stored:
//! - an op's `actor` and `seq`: ops are in the order of `header.ranges`,
//!   each range's by ascending seq;
//! - `prev_hash` and `op_hash` (64 random hex digits each, which zstd
//!   cannot shrink): the reader starts each range from [`GENESIS_HASH`] at
//!   seq 1, or else from the range's entry in `range_prev`, and hashes op by
//!   op, each op's `prev_hash` being the `op_hash` of the one before. The
//!   author's signed checkpoint at the end of the range is then compared with
//!   the last hash, so an altered, reordered or missing op, or a wrong
//!   `range_prev`, fails it.
//!
//! Decoding trusts no count: every column's length is read before the column
//! and checked against what the header's ranges allow, and the memory the
//! decoded columns and then the ops will take is counted against
//! [`Limits::max_decoded_bytes`] before it is allocated (a few bytes of
//! plaintext can name a long dictionary entry for every op); every run and
//! id count and every dictionary index is checked against the others before
//! use.

use std::collections::{BTreeMap, HashMap};

use fieldbook_core::op::{Op, OpId, OpKind, GENESIS_HASH};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::crypto::unhex;
use crate::error::BundleError;
use crate::model::{Limits, Range};
use crate::verify::ops_in;

/// The wire value of each [`OpKind`] is its index here.
const OP_KINDS: [OpKind; 4] = [OpKind::Create, OpKind::Set, OpKind::Delete, OpKind::Restore];

/// The ops of one bundle file. Dictionaries list each distinct string once,
/// in order of first use; `n` below is the number of ops. Decoded field by
/// field by [`Columns::take`], in this order.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Columns {
    /// For each range with `from_seq > 1`, in range order: its first op's
    /// `prev_hash` (the `op_hash` of the op before the range).
    pub range_prev: Vec<[u8; 32]>,
    /// Dictionary of record kinds (`kind`).
    pub kinds: Vec<String>,
    /// Dictionary of record ids (`record`), each a [`RecordId`].
    pub records: Vec<RecordId>,
    /// Dictionary of field names (`field`).
    pub fields: Vec<String>,
    /// Dictionary of the actors that `supersedes` and `observed` name.
    pub actors: Vec<String>,
    /// `at` as runs `(text, ops)`: the ops of one batch share their time.
    /// The counts are non-zero and sum to `n`.
    pub at: Vec<(String, u32)>,
    /// `n` entries: `hlc` minus the previous op's (the first op's minus 0),
    /// wrapping, as i64.
    pub hlc: Vec<i64>,
    /// `n` entries: [`OpKind`] as 0 create, 1 set, 2 delete, 3 restore.
    pub op: Vec<u8>,
    /// `n` entries: index into `kinds`.
    pub kind: Vec<u32>,
    /// `n` entries: index into `records` minus the previous op's (the
    /// first op's minus 0): 0 for another op of the same record.
    pub record: Vec<i64>,
    /// `n` entries: 0 for no field, else 1 + index into `fields`.
    pub field: Vec<u32>,
    /// `n` entries: `value`, byte for byte.
    pub value: Vec<Option<String>>,
    /// `n` entries: `cascade_of`.
    pub cascade_of: Vec<Option<String>>,
    /// `n` entries: `schema_ver`.
    pub schema_ver: Vec<u32>,
    /// `n` entries: `extra` as a JSON object, or "" when it is empty.
    pub extra: Vec<String>,
    /// `n` entries: the number of op ids in `supersedes`.
    pub supersedes: Vec<u32>,
    /// `n` entries: the number of op ids in `observed`.
    pub observed: Vec<u32>,
    /// One entry per op id (each op's `supersedes`, then its `observed`, op
    /// by op): index into `actors`.
    pub id_actor: Vec<u32>,
    /// One entry per op id: the op's seq minus the id's, wrapping, as i64
    /// (an op mostly supersedes a recent op of its own author).
    pub id_seq: Vec<i64>,
}

/// A record id as stored: most are UUIDs in the canonical text form
/// Fieldbook makes (36 characters, of which zstd cannot shrink the 74
/// random bits much) and travel as their 16 bytes; any other text as it is.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum RecordId {
    Uuid([u8; 16]),
    Text(String),
}

impl RecordId {
    fn new(id: &str) -> RecordId {
        match uuid::Uuid::try_parse(id) {
            Ok(u) if u.hyphenated().to_string() == id => RecordId::Uuid(u.into_bytes()),
            _ => RecordId::Text(id.to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            RecordId::Uuid(bytes) => uuid::Uuid::from_bytes(*bytes).hyphenated().to_string(),
            RecordId::Text(id) => id.clone(),
        }
    }
}

/// The ops section's plaintext for `runs`, each the ops of one header range
/// in order. The ops must have passed `check_ops` (hex hashes).
pub(crate) fn encode(runs: &[&[Op]]) -> Vec<u8> {
    postcard::to_stdvec(&columns(runs)).expect("plain data serialises")
}

/// The columns [`encode`] serialises.
pub(crate) fn columns(runs: &[&[Op]]) -> Columns {
    let mut e = Encoder::default();
    for run in runs {
        if let Some(first) = run.first().filter(|op| op.seq > 1) {
            let prev = unhex(&first.prev_hash).expect("checked hex");
            e.c.range_prev.push(prev);
        }
        run.iter().for_each(|op| e.push(op));
    }
    e.finish()
}

/// Numbers strings in order of first use.
#[derive(Default)]
struct Dict<'a> {
    index: HashMap<&'a str, u32>,
    list: Vec<String>,
}

impl<'a> Dict<'a> {
    fn get(&mut self, s: &'a str) -> u32 {
        let next = self.list.len() as u32;
        *self.index.entry(s).or_insert_with(|| {
            self.list.push(s.to_string());
            next
        })
    }
}

#[derive(Default)]
struct Encoder<'a> {
    c: Columns,
    kinds: Dict<'a>,
    records: Dict<'a>,
    fields: Dict<'a>,
    actors: Dict<'a>,
    hlc: u64,
    record: i64,
}

impl<'a> Encoder<'a> {
    fn push(&mut self, op: &'a Op) {
        let c = &mut self.c;
        match c.at.last_mut() {
            Some((at, n)) if *at == op.at && *n < u32::MAX => *n += 1,
            _ => c.at.push((op.at.clone(), 1)),
        }
        c.hlc.push(op.hlc.wrapping_sub(self.hlc) as i64);
        self.hlc = op.hlc;
        let kind = OP_KINDS
            .iter()
            .position(|k| *k == op.op)
            .expect("every kind");
        c.op.push(kind as u8);
        c.kind.push(self.kinds.get(&op.kind));
        let record = i64::from(self.records.get(&op.record_id));
        c.record.push(record - self.record);
        self.record = record;
        c.field
            .push(op.field.as_deref().map_or(0, |f| 1 + self.fields.get(f)));
        c.value.push(op.value.clone());
        c.cascade_of.push(op.cascade_of.clone());
        c.schema_ver.push(op.schema_ver);
        c.extra.push(if op.extra.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&op.extra).expect("plain data serialises")
        });
        c.supersedes.push(op.supersedes.len() as u32);
        c.observed.push(op.observed.len() as u32);
        for id in op.supersedes.iter().chain(&op.observed) {
            c.id_actor.push(self.actors.get(&id.actor));
            c.id_seq.push(op.seq.wrapping_sub(id.seq) as i64);
        }
    }

    fn finish(mut self) -> Columns {
        self.c.kinds = self.kinds.list;
        self.c.records = self
            .records
            .list
            .iter()
            .map(|id| RecordId::new(id))
            .collect();
        self.c.fields = self.fields.list;
        self.c.actors = self.actors.list;
        self.c
    }
}

fn bad(msg: String) -> BundleError {
    BundleError::Schema(format!("ops: {msg}"))
}

/// Most distinct actors one bundle file may name in op ids (a team has tens
/// of devices).
const MAX_ACTORS: u64 = 1 << 16;

/// Ops handed over at a time while decoding, so that a reader can merge
/// the first ones while the rest are built.
pub(crate) const OPS_PER_CHUNK: usize = 4096;

/// The ops of `ranges` from the ops section's plaintext, with `prev_hash`
/// and `op_hash` rebuilt (see the module documentation), handed to `emit`
/// in order, [`OPS_PER_CHUNK`] at a time; returns each range's last
/// `op_hash`. Their shape is not checked here, nor whether the hashes are
/// the author's: the checkpoints say that. The number of ops is the
/// header's, which the reader has already held to [`Limits::max_ops`].
pub(crate) fn decode(
    bytes: &[u8],
    ranges: &[Range],
    limits: &Limits,
    emit: &mut dyn FnMut(Vec<Op>) -> Result<(), BundleError>,
) -> Result<Vec<String>, BundleError> {
    let mut input = Input {
        rest: bytes,
        budget: limits.max_decoded_bytes,
        limit: limits.max_decoded_bytes,
    };
    let c = Columns::take(&mut input, ranges)?;
    if !input.rest.is_empty() {
        return Err(bad(format!("{} bytes after the ops", input.rest.len())));
    }
    c.into_ops(ranges, &mut input, emit)
}

/// The plaintext not yet decoded, and the memory the decoding may still use.
struct Input<'a> {
    rest: &'a [u8],
    budget: u64,
    limit: u64,
}

impl Input<'_> {
    /// Takes `bytes` of memory from the budget.
    fn spend(&mut self, bytes: u64) -> Result<(), BundleError> {
        self.budget = self
            .budget
            .checked_sub(bytes)
            .ok_or(BundleError::DecodeLimit { limit: self.limit })?;
        Ok(())
    }

    /// The next list, refused before it is decoded if its length prefix is
    /// above `max` or its items would not fit the budget (their heap data
    /// is counted as the input bytes they came from).
    fn list<T: DeserializeOwned>(&mut self, name: &str, max: u64) -> Result<Vec<T>, BundleError> {
        let not_ops = |e: postcard::Error| bad(format!("not an ops encoding ({e})"));
        let (len, _) = postcard::take_from_bytes::<u64>(self.rest).map_err(not_ops)?;
        if len > max {
            return Err(bad(format!(
                "the {name} column has {len} entries where at most {max} belong"
            )));
        }
        self.spend(len.saturating_mul(std::mem::size_of::<T>() as u64))?;
        let (list, rest) = postcard::take_from_bytes::<Vec<T>>(self.rest).map_err(not_ops)?;
        self.spend((self.rest.len() - rest.len()) as u64)?;
        self.rest = rest;
        Ok(list)
    }
}

impl Columns {
    /// The columns, each list no longer than the header's ranges allow.
    fn take(input: &mut Input, ranges: &[Range]) -> Result<Columns, BundleError> {
        let n = ops_in(ranges);
        let later = ranges.iter().filter(|r| r.from_seq > 1).count() as u64;
        let mut c = Columns {
            range_prev: input.list("range_prev", later)?,
            kinds: input.list("kinds", n)?,
            records: input.list("records", n)?,
            fields: input.list("fields", n)?,
            actors: input.list("actors", MAX_ACTORS)?,
            at: input.list("at", n)?,
            hlc: input.list("hlc", n)?,
            op: input.list("op", n)?,
            kind: input.list("kind", n)?,
            record: input.list("record", n)?,
            field: input.list("field", n)?,
            value: input.list("value", n)?,
            cascade_of: input.list("cascade_of", n)?,
            schema_ver: input.list("schema_ver", n)?,
            extra: input.list("extra", n)?,
            supersedes: input.list("supersedes", n)?,
            observed: input.list("observed", n)?,
            ..Columns::default()
        };
        let ids = c.id_count();
        c.id_actor = input.list("id_actor", ids)?;
        c.id_seq = input.list("id_seq", ids)?;
        Ok(c)
    }

    fn into_ops(
        mut self,
        ranges: &[Range],
        input: &mut Input,
        emit: &mut dyn FnMut(Vec<Op>) -> Result<(), BundleError>,
    ) -> Result<Vec<String>, BundleError> {
        let n = self.op.len();
        self.check_counts(ranges)?;
        input.spend(self.ops_size(ranges))?;
        let mut ops = Vec::with_capacity(OPS_PER_CHUNK.min(n));
        let mut done = 0usize;
        let mut ends = Vec::with_capacity(ranges.len());
        let records: Vec<String> = self.records.iter().map(RecordId::text).collect();
        let mut range_prev = self.range_prev.iter();
        let mut at = self.at.iter().flat_map(|(s, k)| (0..*k).map(move |_| s));
        let (mut hlc, mut record, mut id) = (0u64, 0i64, 0usize);
        for r in ranges {
            let mut prev = match r.from_seq {
                1 => GENESIS_HASH.to_string(),
                _ => hex::encode(range_prev.next().expect("counted")),
            };
            for seq in r.from_seq..=r.to_seq {
                let i = done;
                done += 1;
                hlc = hlc.wrapping_add(self.hlc[i] as u64);
                record = record
                    .checked_add(self.record[i])
                    .ok_or_else(|| bad("record index overflows".into()))?;
                let mut op = Op {
                    actor: r.actor.clone(),
                    seq,
                    hlc,
                    at: at.next().expect("counted").clone(),
                    op: *OP_KINDS
                        .get(usize::from(self.op[i]))
                        .ok_or_else(|| bad(format!("unknown op type {}", self.op[i])))?,
                    kind: entry(&self.kinds, i64::from(self.kind[i]), "kind")?.clone(),
                    record_id: entry(&records, record, "record")?.clone(),
                    field: match self.field[i] {
                        0 => None,
                        f => Some(entry(&self.fields, i64::from(f) - 1, "field")?.clone()),
                    },
                    value: self.value[i].take(),
                    supersedes: self.ids(seq, &mut id, self.supersedes[i])?,
                    observed: self.ids(seq, &mut id, self.observed[i])?,
                    cascade_of: self.cascade_of[i].take(),
                    schema_ver: self.schema_ver[i],
                    prev_hash: prev,
                    op_hash: String::new(),
                    extra: extra(&self.extra[i])?,
                };
                op.op_hash = op.compute_hash();
                prev = op.op_hash.clone();
                ops.push(op);
                if ops.len() == OPS_PER_CHUNK {
                    emit(std::mem::replace(
                        &mut ops,
                        Vec::with_capacity(OPS_PER_CHUNK),
                    ))?;
                }
            }
            ends.push(prev);
        }
        if !ops.is_empty() {
            emit(ops)?;
        }
        Ok(ends)
    }

    /// The memory the ops will take beyond the columns they are built from:
    /// each op's own struct, hashes and copies of its actor, time and
    /// dictionary entries (values and cascades move; extra fields are parsed
    /// anew), and the record ids as text.
    fn ops_size(&self, ranges: &[Range]) -> u64 {
        const HASHES: usize = 2 * 64;
        let len = |dict: &[String], i: i64| {
            usize::try_from(i)
                .ok()
                .and_then(|i| dict.get(i))
                .map_or(0, String::len)
        };
        let record_len = |r: &RecordId| match r {
            RecordId::Uuid(_) => 36,
            RecordId::Text(t) => t.len(),
        };
        let records = self.records.iter().map(record_len);
        let longest_record = records.clone().max().unwrap_or(0);
        let record_texts: usize = records.map(|l| l + std::mem::size_of::<String>()).sum();
        let actors: usize = ranges
            .iter()
            .map(|r| r.actor.len() * (r.to_seq - r.from_seq + 1) as usize)
            .sum();
        let times: usize = self.at.iter().map(|(s, k)| s.len() * *k as usize).sum();
        let ids: usize = self
            .id_actor
            .iter()
            .map(|&a| std::mem::size_of::<OpId>() + len(&self.actors, i64::from(a)))
            .sum();
        let per_op: usize = (0..self.op.len())
            .map(|i| {
                std::mem::size_of::<Op>()
                    + HASHES
                    + longest_record
                    + len(&self.kinds, i64::from(self.kind[i]))
                    + len(&self.fields, i64::from(self.field[i]) - 1)
                    + 2 * self.extra[i].len()
            })
            .sum();
        (per_op + record_texts + actors + times + ids) as u64
    }

    /// Every column and count agrees with the others and with the header's
    /// ranges, so that decoding indexes within bounds.
    fn check_counts(&self, ranges: &[Range]) -> Result<(), BundleError> {
        let n = self.op.len();
        if ops_in(ranges) != n as u64 {
            return Err(bad(format!(
                "the header lists {} ops but the ops section holds {n}",
                ops_in(ranges)
            )));
        }
        let lengths = [
            ("hlc", self.hlc.len()),
            ("kind", self.kind.len()),
            ("record", self.record.len()),
            ("field", self.field.len()),
            ("value", self.value.len()),
            ("cascade_of", self.cascade_of.len()),
            ("schema_ver", self.schema_ver.len()),
            ("extra", self.extra.len()),
            ("supersedes", self.supersedes.len()),
            ("observed", self.observed.len()),
        ];
        if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
            return Err(bad(format!(
                "the {name} column has {len} entries for {n} ops"
            )));
        }
        if self.at.iter().any(|(_, k)| *k == 0) {
            return Err(bad("an empty run of times".into()));
        }
        let timed: u64 = self.at.iter().map(|(_, k)| u64::from(*k)).sum();
        if timed != n as u64 {
            return Err(bad(format!("times for {timed} ops, not {n}")));
        }
        let ids = self.id_count();
        if ids != self.id_actor.len() as u64 || ids != self.id_seq.len() as u64 {
            return Err(bad(format!(
                "{ids} op ids counted, but {} actors and {} seqs given",
                self.id_actor.len(),
                self.id_seq.len()
            )));
        }
        let later = ranges.iter().filter(|r| r.from_seq > 1).count();
        if later != self.range_prev.len() {
            return Err(bad(format!(
                "{later} ranges start after seq 1, but {} starting hashes are given",
                self.range_prev.len()
            )));
        }
        Ok(())
    }

    /// The number of op ids the ops' `supersedes` and `observed` counts say.
    fn id_count(&self) -> u64 {
        self.supersedes
            .iter()
            .chain(&self.observed)
            .map(|&k| u64::from(k))
            .sum()
    }

    /// The next `count` op ids, from `*next` on (counts are checked).
    fn ids(&self, seq: u64, next: &mut usize, count: u32) -> Result<Vec<OpId>, BundleError> {
        let span = *next..*next + count as usize;
        *next = span.end;
        span.map(|j| {
            Ok(OpId {
                actor: entry(&self.actors, i64::from(self.id_actor[j]), "actor")?.clone(),
                seq: seq.wrapping_sub(self.id_seq[j] as u64),
            })
        })
        .collect()
    }
}

fn entry<'a>(dict: &'a [String], i: i64, what: &str) -> Result<&'a String, BundleError> {
    usize::try_from(i)
        .ok()
        .and_then(|i| dict.get(i))
        .ok_or_else(|| {
            bad(format!(
                "{what} index {i} is outside its dictionary of {}",
                dict.len()
            ))
        })
}

fn extra(json: &str) -> Result<BTreeMap<String, serde_json::Value>, BundleError> {
    if json.is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(json).map_err(|e| bad(format!("extra fields: {e}")))
}
