//! Ops from other replicas: imported idempotently, and every record they touch
//! materialised again from the op set alone (SYNC.md §8.4), so replicas that
//! hold the same ops show the same records whatever order the ops came in.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use chrono::Utc;
use fieldbook_core::kinds::{self, KindSpec, KINDS};
use fieldbook_core::op::{Op, OpId, OpKind, OP_SCHEMA_VERSION};
use fieldbook_core::Stored;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::bulk::insert_rows;
use crate::error::{Result, StoreError};
use crate::oplog::{self, LIFECYCLE, OP_COLUMNS};
use crate::search::{self, Entry};
use crate::sql::{logged_value_fits, stored_from_log, Sql};
use crate::Store;

/// A remote clock further ahead than this does not move ours (its ops are
/// still accepted: the clock orders display, never correctness).
const MAX_DRIFT_MS: u64 = 24 * 3600 * 1000;

/// What an import brought.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub ops_new: usize,
    pub ops_known: usize,
    pub records_new: usize,
    pub records_changed: usize,
    /// Conflicts open after the import that were not open before.
    pub conflicts_new: usize,
    /// Ops of a newer schema or an unknown kind: kept and relayed, not shown.
    pub ops_not_applied: usize,
}

impl Store {
    /// Adds `ops` to the log in one transaction (or in the one
    /// [`Store::atomically`] opened) and materialises the records they
    /// touch. Ops already known are skipped; an op that claims a known
    /// (actor, seq) with different content refuses the whole import.
    pub fn import_ops(&mut self, ops: &[Op]) -> Result<ImportSummary> {
        self.bulk_write(|conn| {
            let mut merge = Merge::begin(conn, Hashes::Check)?;
            merge.add(Arc::new(ops.to_vec()))?;
            merge.finish([])
        })
    }

    /// Starts merging ops whose hashes the caller checks (a bundle reader,
    /// while it decodes them), inside the transaction of
    /// [`Store::atomically`]: hand them over with [`Merge::add`] as they
    /// come, and [`Merge::finish`] once the reader has vouched for them all;
    /// if it does not, return its error, which rolls everything back.
    pub fn merge_verified(&mut self) -> Result<Merge<'_>> {
        if self.conn.is_autocommit() {
            return Err(StoreError::Corrupt(
                "a merge runs inside Store::atomically".into(),
            ));
        }
        Merge::begin(&self.conn, Hashes::Verified)
    }

    /// This replica's version vector: per actor, the highest seq below which
    /// it holds every op (a gap stops the count, SYNC.md §8.1.4).
    pub fn version_vector(&self) -> Result<BTreeMap<String, u64>> {
        let mut vv = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT device, seq FROM change ORDER BY device, seq")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let actor: String = r.get(0)?;
            let seq = r.get::<_, i64>(1)? as u64;
            let contiguous = vv.entry(actor).or_insert(0u64);
            if seq == *contiguous + 1 {
                *contiguous = seq;
            }
        }
        Ok(vv)
    }

    /// This replica's hybrid logical clock now: its last op, or a newer
    /// remote clock seen in an import.
    pub fn clock(&self) -> Result<u64> {
        let (_, _, own) = oplog::chain_end(&self.conn, &self.device)?;
        Ok(own.max(oplog::seen_clock(&self.conn)?))
    }

    /// Every op a replica whose version vector is `have` lacks, by actor and seq.
    pub fn ops_after(&self, have: &BTreeMap<String, u64>) -> Result<Vec<Op>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OP_COLUMNS} FROM change ORDER BY device, seq"
        ))?;
        let ops = stmt.query_map([], oplog::op_from_row)?;
        let mut out = Vec::new();
        for op in ops {
            let op = op?;
            if op.seq > have.get(&op.actor).copied().unwrap_or(0) {
                out.push(op);
            }
        }
        Ok(out)
    }

    /// Rebuilds every record from the op log: the oracle the sync tests
    /// compare incremental materialisation against, and what an upgrade runs
    /// to show ops an older build kept without interpreting them.
    pub fn rebuild_from_log(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let records: Vec<(String, String)> = tx
            .prepare("SELECT DISTINCT kind, record_id FROM change")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for kind in KINDS {
            tx.execute(&format!("DELETE FROM {}", kind.table()), [])?;
        }
        tx.execute_batch("DELETE FROM conflict; DELETE FROM head; DELETE FROM superseded;")?;
        // Heads again from the ops alone, in an order unrelated to arrival.
        let ops: Vec<Op> = tx
            .prepare(&format!("SELECT {OP_COLUMNS} FROM change ORDER BY op_hash"))?
            .query_map([], oplog::op_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        for op in ops.iter().filter(|o| understood(o)) {
            oplog::record_heads(&tx, op)?;
        }
        for (kind, id) in records {
            if let Some(kind) = kinds::kind(&kind) {
                materialise(&tx, kind, &id)?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Whether a merge recomputes each op's hash, or its caller does (the
/// bundle reader verifies every op it hands over).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hashes {
    Check,
    Verified,
}

/// Where an op handed to a [`Merge`] sits: its chunk, and its place there.
type At = (u32, u32);

/// An import fed a chunk of ops at a time: each chunk's new ops go into the
/// log as it arrives, so the log fills while a bundle is still being read;
/// the chains are checked and the records materialised at the end.
pub struct Merge<'c> {
    conn: &'c Connection,
    hashes: Hashes,
    /// Per actor, the highest seq this replica held before the import.
    held: HashMap<String, u64>,
    conflicts_before: i64,
    /// The batch the new ops are logged under, once there is one.
    batch: Option<i64>,
    chunks: Vec<Arc<Vec<Op>>>,
    /// Actors by number, so the index needs no string per op.
    actors: HashMap<String, u32>,
    index: HashMap<(u32, u64), At>,
    /// The ops new to this replica, in the order given.
    fresh: Vec<At>,
    /// Per record touched: whether it was unknown to this replica before,
    /// and how many of the new ops are its.
    records: HashMap<String, (bool, usize)>,
    summary: ImportSummary,
}

impl<'c> Merge<'c> {
    fn begin(conn: &'c Connection, hashes: Hashes) -> Result<Merge<'c>> {
        Ok(Merge {
            conn,
            hashes,
            held: highest_seqs(conn)?,
            conflicts_before: conn.query_row("SELECT COUNT(*) FROM conflict", [], |r| r.get(0))?,
            batch: None,
            chunks: Vec::new(),
            actors: HashMap::new(),
            index: HashMap::new(),
            fresh: Vec::new(),
            records: HashMap::new(),
            summary: ImportSummary::default(),
        })
    }

    fn holds(&self, actor: &str, seq: u64) -> bool {
        self.held.get(actor).is_some_and(|max| seq <= *max)
    }

    fn op(&self, (chunk, i): At) -> &Op {
        &self.chunks[chunk as usize][i as usize]
    }

    fn actor_no(&mut self, actor: &str) -> u32 {
        if let Some(n) = self.actors.get(actor) {
            return *n;
        }
        let n = self.actors.len() as u32;
        self.actors.insert(actor.to_string(), n);
        n
    }

    fn indexed(&self, actor: &str, seq: u64) -> Option<&Op> {
        let at = self.index.get(&(*self.actors.get(actor)?, seq))?;
        Some(self.op(*at))
    }

    /// Takes the next ops (by actor and seq from a bundle, which keeps the
    /// log's indexes appending) and logs those new to this replica.
    pub fn add(&mut self, chunk: Arc<Vec<Op>>) -> Result<()> {
        let c = self.chunks.len() as u32;
        self.chunks.push(Arc::clone(&chunk));
        let mut new_here: Vec<&Op> = Vec::with_capacity(chunk.len());
        for (i, op) in chunk.iter().enumerate() {
            if self.hashes == Hashes::Check && op.compute_hash() != op.op_hash {
                return Err(StoreError::Corrupt(format!(
                    "op {} of replica {} does not match its hash",
                    op.seq, op.actor
                )));
            }
            let actor = self.actor_no(&op.actor);
            if let Some(at) = self.index.get(&(actor, op.seq)) {
                if self.op(*at).op_hash != op.op_hash {
                    return Err(equivocation(op));
                }
                self.summary.ops_known += 1;
                continue;
            }
            if self.holds(&op.actor, op.seq) {
                match known_hash(self.conn, &op.actor, op.seq)? {
                    Some(hash) if hash == op.op_hash => {
                        self.summary.ops_known += 1;
                        continue;
                    }
                    Some(_) => return Err(equivocation(op)),
                    None => {}
                }
            }
            self.index.insert((actor, op.seq), (c, i as u32));
            self.fresh.push((c, i as u32));
            match self.records.get_mut(&op.record_id) {
                Some((_, ops)) => *ops += 1,
                None => {
                    // Asked before the record's first op goes into the log.
                    let seen = self
                        .conn
                        .prepare_cached("SELECT 1 FROM change WHERE record_id = ?1 LIMIT 1")?
                        .exists([&op.record_id])?;
                    self.records.insert(op.record_id.clone(), (!seen, 1));
                }
            }
            new_here.push(op);
        }
        if !new_here.is_empty() {
            let batch = self.batch()?;
            insert_ops(self.conn, &new_here, batch)?;
        }
        Ok(())
    }

    fn batch(&mut self) -> Result<i64> {
        if let Some(b) = self.batch {
            return Ok(b);
        }
        self.conn.execute(
            "INSERT INTO batch (device, at, label) VALUES ('import', ?1, 'Import')",
            [Utc::now().to_rfc3339()],
        )?;
        let b = self.conn.last_insert_rowid();
        self.batch = Some(b);
        Ok(b)
    }

    /// Checks that the new ops chain to their neighbours, then materialises
    /// every record they touch. Records no op of this replica touched yet
    /// are built from the imported ops alone, as `prepared` hands them over
    /// (worked out from the same ops on another thread, while this one
    /// writes), or here; the others from the log.
    pub fn finish(self, prepared: impl IntoIterator<Item = NewRecords>) -> Result<ImportSummary> {
        let conn = self.conn;
        let fresh: Vec<&Op> = self.fresh.iter().map(|at| self.op(*at)).collect();
        for op in &fresh {
            let linked = |found: Option<&str>, expected: &str| found.is_none_or(|h| h == expected);
            let prev_ok = match self.indexed(&op.actor, op.seq.wrapping_sub(1)) {
                Some(p) => p.op_hash == op.prev_hash,
                None if op.seq > 1 && self.holds(&op.actor, op.seq - 1) => linked(
                    known_hash(conn, &op.actor, op.seq - 1)?.as_deref(),
                    &op.prev_hash,
                ),
                None => true,
            };
            let next_ok = match self.indexed(&op.actor, op.seq + 1) {
                Some(n) => n.prev_hash == op.op_hash,
                None if self.holds(&op.actor, op.seq + 1) => linked(
                    known_prev_hash(conn, &op.actor, op.seq + 1)?.as_deref(),
                    &op.op_hash,
                ),
                None => true,
            };
            if !prev_ok || !next_ok {
                return Err(equivocation(op));
            }
        }
        let mut summary = self.summary.clone();
        if fresh.is_empty() {
            return Ok(summary);
        }

        let newest_hlc = fresh.iter().map(|o| o.hlc).max().unwrap_or(0);
        summary.ops_new = fresh.len();
        let is_new = |op: &&Op| self.records[op.record_id.as_str()].0;
        let mut known: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
        for op in fresh.iter().filter(|o| !is_new(o)) {
            known.entry(op.record_id.as_str()).or_default().push(op);
        }
        for (id, record_ops) in &known {
            summary.ops_not_applied += record_ops.iter().filter(|o| !understood(o)).count();
            for op in record_ops.iter().filter(|o| understood(o)) {
                oplog::record_heads(conn, op)?;
            }
            let state = RecordState::from_log(conn, id)?;
            if let Some(row) = kinds::kind(&record_ops[0].kind).and_then(|k| Row::of(k, &state)) {
                summary.records_changed += 1;
                row.write(conn, id, Entry::MayExist)?;
            }
        }
        // New records as they were prepared, then any that were not: those
        // are grouped from the ops here.
        let mut waiting: HashMap<&str, usize> = self
            .records
            .iter()
            .filter(|(_, (new, _))| *new)
            .map(|(id, (_, ops))| (id.as_str(), *ops))
            .collect();
        let mut new_records: Vec<NewRecord> = Vec::with_capacity(waiting.len());
        let mut write_new = |mut record: NewRecord| -> Result<()> {
            summary.ops_not_applied += record.not_applied;
            if let Some(row) = record.row.take() {
                summary.records_new += 1;
                row.write(conn, &record.id, Entry::New)?;
            }
            new_records.push(record);
            Ok(())
        };
        for batch in prepared {
            for record in batch.0 {
                // Only what was worked out from exactly the ops merged here.
                if waiting.get(record.id.as_str()) == Some(&record.ops) {
                    waiting.remove(record.id.as_str());
                    write_new(record)?;
                }
            }
        }
        if !waiting.is_empty() {
            let mut rest: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
            for op in fresh
                .iter()
                .filter(|o| waiting.contains_key(o.record_id.as_str()))
            {
                rest.entry(op.record_id.as_str()).or_default().push(op);
            }
            for record_ops in rest.into_values() {
                write_new(NewRecord::of(&record_ops))?;
            }
        }
        save_new_heads(conn, &new_records)?;
        let conflicts_after: i64 =
            conn.query_row("SELECT COUNT(*) FROM conflict", [], |r| r.get(0))?;
        summary.conflicts_new = (conflicts_after - self.conflicts_before).max(0) as usize;
        advance_clock(conn, newest_hlc)?;
        Ok(summary)
    }
}

/// Whether this build knows how to show `op`: its schema, kind and field
/// are known and a `set`'s value is one this build could have written. An
/// op that is not is kept and relayed, but takes no part in the heads, as if
/// absent, so one ill-typed or newer op can neither break an import nor be
/// shown (an upgrade's [`Store::rebuild_from_log`] shows what it then knows).
fn understood(op: &Op) -> bool {
    op.schema_ver <= OP_SCHEMA_VERSION
        && op.extra.is_empty()
        && kinds::kind(&op.kind).is_some_and(|k| match (op.op, &op.field) {
            (OpKind::Set, Some(f)) => k
                .field(f)
                .is_some_and(|spec| logged_value_fits(spec, op.value.as_deref())),
            (OpKind::Set, None) => false,
            (_, field) => field.is_none(),
        })
}

/// Per actor, the highest seq this replica holds.
fn highest_seqs(conn: &Connection) -> Result<HashMap<String, u64>> {
    Ok(conn
        .prepare("SELECT device, MAX(seq) FROM change GROUP BY device")?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<rusqlite::Result<_>>()?)
}

fn equivocation(op: &Op) -> StoreError {
    StoreError::Equivocation {
        actor: op.actor.clone(),
        seq: op.seq,
    }
}

fn known_hash(conn: &Connection, actor: &str, seq: u64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT op_hash FROM change WHERE device = ?1 AND seq = ?2")?
        .query_row(params![actor, seq as i64], |r| r.get(0))
        .optional()?)
}

fn known_prev_hash(conn: &Connection, actor: &str, seq: u64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT prev_hash FROM change WHERE device = ?1 AND seq = ?2")?
        .query_row(params![actor, seq as i64], |r| r.get(0))
        .optional()?)
}

/// Adds the ops to the log, all under the import's `batch`.
fn insert_ops(conn: &Connection, ops: &[&Op], batch: i64) -> Result<()> {
    static INSERT: LazyLock<String> =
        LazyLock::new(|| format!("INSERT OR FAIL INTO change ({OP_COLUMNS}, batch)"));
    insert_rows(conn, &INSERT, 17, ops, |s, at, op| {
        s.raw_bind_parameter(at, &op.actor)?;
        s.raw_bind_parameter(at + 1, op.seq as i64)?;
        s.raw_bind_parameter(at + 2, op.hlc as i64)?;
        s.raw_bind_parameter(at + 3, &op.at)?;
        s.raw_bind_parameter(at + 4, op.op.as_str())?;
        s.raw_bind_parameter(at + 5, &op.kind)?;
        s.raw_bind_parameter(at + 6, &op.record_id)?;
        s.raw_bind_parameter(at + 7, &op.field)?;
        s.raw_bind_parameter(at + 8, &op.value)?;
        s.raw_bind_parameter(at + 9, oplog::ids_json(&op.supersedes))?;
        s.raw_bind_parameter(at + 10, oplog::ids_json(&op.observed))?;
        s.raw_bind_parameter(at + 11, &op.cascade_of)?;
        s.raw_bind_parameter(at + 12, op.schema_ver)?;
        s.raw_bind_parameter(at + 13, &op.prev_hash)?;
        s.raw_bind_parameter(at + 14, &op.op_hash)?;
        s.raw_bind_parameter(at + 15, oplog::extra_json(op))?;
        s.raw_bind_parameter(at + 16, batch)
    })
}

/// Moves this replica's clock up to a remote one that is not too far ahead.
fn advance_clock(conn: &Connection, remote_hlc: u64) -> Result<()> {
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    let remote_ms = remote_hlc >> 16;
    if remote_hlc == 0 || remote_ms > now_ms + MAX_DRIFT_MS {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('clock', ?1)
         ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)",
        [remote_hlc as i64],
    )?;
    Ok(())
}

/// The order in which concurrent values are shown: the greatest wins.
fn shown_order(op: &Op) -> (u64, &str, u64) {
    (op.hlc, op.actor.as_str(), op.seq)
}

/// The (record, field) an op is a head of: its field for a `set`, else the lifecycle.
fn head_of(op: &Op) -> &str {
    oplog::head_field(op.op, op.field.as_deref())
}

/// What materialising one record needs to know of its ops.
struct RecordState<'a> {
    /// When its first create was written; `None` while the create has not arrived.
    created_at: Option<String>,
    /// The heads of its fields and of its lifecycle ([`head_of`]): read from
    /// the log, or borrowed from the imported ops of a new record.
    heads: Vec<Cow<'a, Op>>,
    /// Per actor, the highest seq of its `set` ops on the record.
    edits: BTreeMap<String, u64>,
    /// `at` and author of the record's greatest op.
    latest: (String, String),
}

impl<'a> RecordState<'a> {
    /// From the log and the head table.
    fn from_log(conn: &Connection, id: &str) -> Result<RecordState<'a>> {
        let created_at = conn
            .prepare_cached(&format!(
                "SELECT {OP_COLUMNS} FROM change WHERE record_id = ?1 AND op = 'create'
                 ORDER BY hlc, device, seq"
            ))?
            .query_map([id], oplog::op_from_row)?
            .collect::<rusqlite::Result<Vec<Op>>>()?
            .into_iter()
            .find(understood)
            .map(|o| o.at);
        let heads = conn
            .prepare_cached(&HEADS_SQL)?
            .query_map([id], |r| Ok(Cow::Owned(oplog::op_from_row(r)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let edits = conn
            .prepare_cached(
                "SELECT device, MAX(seq) FROM change WHERE record_id = ?1 AND op = 'set'
                 GROUP BY device",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<_>>()?;
        let latest = conn
            .prepare_cached(
                "SELECT at, device FROM change WHERE record_id = ?1
                 ORDER BY hlc DESC, device DESC, seq DESC LIMIT 1",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(RecordState {
            created_at,
            heads,
            edits,
            latest,
        })
    }

    /// From the ops of a record this replica had never seen (they are all
    /// its ops) and their [`unsuperseded`] heads.
    fn from_ops(ops: &[&'a Op], heads: Vec<&'a Op>) -> RecordState<'a> {
        let created_at = ops
            .iter()
            .filter(|o| o.op == OpKind::Create && understood(o))
            .min_by(|a, b| shown_order(a).cmp(&shown_order(b)))
            .map(|o| o.at.clone());
        let mut edits = BTreeMap::new();
        for o in ops.iter().filter(|o| o.op == OpKind::Set) {
            let max = edits.entry(o.actor.clone()).or_insert(0);
            *max = (*max).max(o.seq);
        }
        let latest = ops
            .iter()
            .max_by(|a, b| shown_order(a).cmp(&shown_order(b)))
            .map(|o| (o.at.clone(), o.actor.clone()))
            .expect("a record's ops are not empty");
        RecordState {
            created_at,
            heads: heads.into_iter().map(Cow::Borrowed).collect(),
            edits,
            latest,
        }
    }

    /// Whether some edit of the record is not covered by a delete's `observed`.
    fn edited_after(&self, observed: &[OpId]) -> bool {
        self.edits.iter().any(|(actor, seq)| {
            let seen = observed
                .iter()
                .find(|o| &o.actor == actor)
                .map_or(0, |o| o.seq);
            *seq > seen
        })
    }
}

/// The ops of a record no other of its ops supersedes: its heads, when
/// `ops` are all the record's ops.
fn unsuperseded<'a>(ops: &[&'a Op]) -> Vec<&'a Op> {
    let superseded: HashSet<(&str, u64)> = ops
        .iter()
        .flat_map(|o| o.supersedes.iter().map(|s| (s.actor.as_str(), s.seq)))
        .collect();
    ops.iter()
        .copied()
        .filter(|o| !superseded.contains(&(o.actor.as_str(), o.seq)))
        .collect()
}

/// A record new to this replica as its ops alone make it: everything its
/// import writes, worked out without the database, so on another thread
/// while the merge adds ops ([`NewRecords`]).
struct NewRecord {
    id: String,
    /// How many ops it was worked out from.
    ops: usize,
    /// Of those, how many this build cannot interpret ([`understood`]).
    not_applied: usize,
    /// Its heads, as `(field, actor, seq)` ([`head_of`]).
    heads: Vec<(String, String, u64)>,
    /// The op ids its ops supersede.
    superseded: Vec<(String, u64)>,
    /// Its typed row, `None` once written (or if its create has not arrived).
    row: Option<Row>,
}

impl NewRecord {
    fn of(ops: &[&Op]) -> NewRecord {
        let shown: Vec<&Op> = ops.iter().copied().filter(|o| understood(o)).collect();
        let heads = unsuperseded(&shown);
        let record = NewRecord {
            id: ops[0].record_id.clone(),
            ops: ops.len(),
            not_applied: ops.len() - shown.len(),
            heads: heads
                .iter()
                .map(|o| (head_of(o).to_string(), o.actor.clone(), o.seq))
                .collect(),
            superseded: shown
                .iter()
                .flat_map(|o| &o.supersedes)
                .map(|s| (s.actor.clone(), s.seq))
                .collect(),
            row: None,
        };
        let row =
            kinds::kind(&ops[0].kind).and_then(|k| Row::of(k, &RecordState::from_ops(ops, heads)));
        NewRecord { row, ..record }
    }
}

/// Some of the records an import's ops would create, each as
/// [`NewRecord`] if it is new to the replica: worked out by the bundle
/// reader once it has vouched for the ops, handed to [`Merge::finish`] a
/// batch at a time so that it writes the first while the rest are built.
pub struct NewRecords(Vec<NewRecord>);

impl NewRecords {
    /// The records `ops` make, `per_batch` at a time, to `emit`, until it
    /// returns false.
    pub fn prepare<'a>(
        ops: impl IntoIterator<Item = &'a Op>,
        per_batch: usize,
        emit: &mut dyn FnMut(NewRecords) -> bool,
    ) {
        // In the order of their ids, as the tables' indexes hold them.
        let mut by_record: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
        for op in ops {
            by_record.entry(op.record_id.as_str()).or_default().push(op);
        }
        let mut batch = Vec::with_capacity(per_batch);
        for ops in by_record.into_values() {
            batch.push(NewRecord::of(&ops));
            if batch.len() == per_batch && !emit(NewRecords(std::mem::take(&mut batch))) {
                return;
            }
        }
        if !batch.is_empty() {
            emit(NewRecords(batch));
        }
    }
}

/// Stores the heads and superseded ids of the records new to this replica, in bulk.
fn save_new_heads(conn: &Connection, records: &[NewRecord]) -> Result<()> {
    let superseded: Vec<&(String, u64)> = records.iter().flat_map(|r| &r.superseded).collect();
    insert_rows(
        conn,
        "INSERT OR IGNORE INTO superseded (actor, seq)",
        2,
        &superseded,
        |s, at, (actor, seq)| {
            s.raw_bind_parameter(at, actor)?;
            s.raw_bind_parameter(at + 1, *seq as i64)
        },
    )?;
    let mut heads: Vec<(&str, &(String, String, u64))> = records
        .iter()
        .flat_map(|r| r.heads.iter().map(|h| (r.id.as_str(), h)))
        .collect();
    // In key order, the B-tree is appended to rather than split all over.
    heads.sort_unstable();
    insert_rows(
        conn,
        "INSERT OR IGNORE INTO head (record_id, field, actor, seq)",
        4,
        &heads,
        |s, at, (id, (field, actor, seq))| {
            s.raw_bind_parameter(at, id)?;
            s.raw_bind_parameter(at + 1, field)?;
            s.raw_bind_parameter(at + 2, actor)?;
            s.raw_bind_parameter(at + 3, *seq as i64)
        },
    )
}

static HEADS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM head h JOIN change c ON c.device = h.actor AND c.seq = h.seq
         WHERE h.record_id = ?1",
        crate::conflicts::prefixed("c")
    )
});

/// The INSERT OR REPLACE of a whole typed row, per kind.
fn upsert_sql(kind: &KindSpec) -> &'static str {
    static SQL: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
        KINDS
            .iter()
            .map(|k| {
                let columns: Vec<&str> = k.fields.iter().map(|f| f.name).collect();
                let placeholders: Vec<String> =
                    (0..columns.len()).map(|i| format!("?{}", i + 6)).collect();
                let sql = format!(
                    "INSERT OR REPLACE INTO {} (id, created_at, updated_at, updated_by, deleted_at, {})
                     VALUES (?1, ?2, ?3, ?4, ?5, {})",
                    k.table(),
                    columns.join(", "),
                    placeholders.join(", ")
                );
                (k.name, sql)
            })
            .collect()
    });
    &SQL[kind.name]
}

/// Writes the record's typed row from its ops: it exists once its create is
/// known; each field shows its greatest head; a delete hides it only if it
/// saw every edit; concurrent different values are conflicts.
pub(crate) fn materialise(conn: &Connection, kind: &'static KindSpec, id: &str) -> Result<()> {
    // Edits whose record has not arrived yet wait in the log.
    match Row::of(kind, &RecordState::from_log(conn, id)?) {
        Some(row) => row.write(conn, id, Entry::MayExist),
        None => Ok(()),
    }
}

/// A record's typed row as its ops make it: worked out without the
/// database (so on another thread while an import adds its ops), then
/// written.
pub(crate) struct Row {
    kind: &'static KindSpec,
    values: Vec<Stored>,
    conflicts: BTreeSet<&'static str>,
    created_at: String,
    updated_at: String,
    updated_by: String,
    deleted_at: Option<String>,
}

impl Row {
    /// The row, once the record's create is known (`None` before).
    fn of(kind: &'static KindSpec, state: &RecordState) -> Option<Row> {
        let created_at = state.created_at.clone()?;
        let mut values: Vec<Stored> = Vec::with_capacity(kind.fields.len());
        let mut conflicts: BTreeSet<&'static str> = BTreeSet::new();
        for spec in kind.fields {
            let mut candidates: Vec<&Op> = state
                .heads
                .iter()
                .filter(|h| head_of(h) == spec.name)
                .map(|h| h.as_ref())
                .collect();
            candidates.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
            let distinct: BTreeSet<&Option<String>> = candidates.iter().map(|o| &o.value).collect();
            if distinct.len() > 1 {
                conflicts.insert(spec.name);
            }
            values.push(
                candidates
                    .first()
                    .map_or(Stored::Null, |o| stored_from_log(o.value.as_deref())),
            );
        }

        let lifecycle: Vec<&Op> = state
            .heads
            .iter()
            .filter(|h| head_of(h) == LIFECYCLE)
            .map(|h| h.as_ref())
            .collect();
        let restored = lifecycle.iter().any(|o| o.op == OpKind::Restore);
        let mut deletes: Vec<&&Op> = lifecycle
            .iter()
            .filter(|o| o.op == OpKind::Delete)
            .collect();
        deletes.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
        let deleted_at = if restored {
            None
        } else {
            deletes
                .iter()
                .find(|d| !state.edited_after(&d.observed))
                .map(|d| d.at.clone())
        };
        if !deletes.is_empty() && deleted_at.is_none() {
            // Deleted on one replica while edited (or restored) on another: kept, flagged.
            conflicts.insert(LIFECYCLE);
        }
        let (updated_at, updated_by) = state.latest.clone();
        Some(Row {
            kind,
            values,
            conflicts,
            created_at,
            updated_at,
            updated_by,
            deleted_at,
        })
    }

    /// Writes the row, its conflicts and its search entry.
    fn write(&self, conn: &Connection, id: &str, entry: Entry) -> Result<()> {
        let kind = self.kind;
        let wrapped: Vec<Sql<'_>> = self.values.iter().map(Sql).collect();
        let mut bind: Vec<&dyn rusqlite::ToSql> = vec![
            &id,
            &self.created_at,
            &self.updated_at,
            &self.updated_by,
            &self.deleted_at,
        ];
        bind.extend(wrapped.iter().map(|w| w as &dyn rusqlite::ToSql));
        conn.prepare_cached(upsert_sql(kind))?
            .execute(bind.as_slice())?;

        if entry == Entry::MayExist {
            conn.prepare_cached("DELETE FROM conflict WHERE record_id = ?1")?
                .execute([id])?;
        }
        for field in &self.conflicts {
            conn.prepare_cached(
                "INSERT INTO conflict (record_id, field, kind) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, field, kind.name])?;
        }
        // The index entry from the values just written, not read back.
        let texts: Vec<&str> = kind
            .fields
            .iter()
            .zip(&self.values)
            .filter(|(f, _)| f.searchable)
            .map(|(_, v)| v.as_text().unwrap_or_default())
            .collect();
        if texts.is_empty() {
            return Ok(());
        }
        let shown = self.deleted_at.is_none().then_some(texts.as_slice());
        search::set_entry(conn, kind, id, shown, entry)
    }
}
