//! Ops from other replicas: imported idempotently, and every record they touch
//! materialised again from the op set alone (SYNC.md §8.4), so replicas that
//! hold the same ops show the same records whatever order the ops came in.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use fieldbook_core::kinds::{self, KindSpec, KINDS};
use fieldbook_core::op::{Op, OpId, OpKind, OP_SCHEMA_VERSION};
use fieldbook_core::Stored;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::oplog::{self, LIFECYCLE, OP_COLUMNS};
use crate::sql::{stored_from_log, Sql};
use crate::{search, Store};

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
    /// Adds `ops` to the log in one transaction and materialises the records
    /// they touch. Ops already known are skipped; an op that claims a known
    /// (actor, seq) with different content refuses the whole import.
    pub fn import_ops(&mut self, ops: &[Op]) -> Result<ImportSummary> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let summary = import(&tx, ops)?;
        tx.commit()?;
        Ok(summary)
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
        for op in &ops {
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

fn import(conn: &Connection, ops: &[Op]) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let conflicts_before: i64 =
        conn.query_row("SELECT COUNT(*) FROM conflict", [], |r| r.get(0))?;
    let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
    let mut batch = None;
    let mut newest_hlc = 0;
    for op in ops {
        if op.compute_hash() != op.op_hash {
            return Err(StoreError::Corrupt(format!(
                "op {} of replica {} does not match its hash",
                op.seq, op.actor
            )));
        }
        match known_hash(conn, &op.actor, op.seq)? {
            Some(hash) if hash == op.op_hash => {
                summary.ops_known += 1;
                continue;
            }
            Some(_) => return Err(equivocation(op)),
            None => {}
        }
        check_links(conn, op)?;
        let batch = match batch {
            Some(b) => b,
            None => {
                conn.execute(
                    "INSERT INTO batch (device, at, label) VALUES ('import', ?1, 'Import')",
                    [Utc::now().to_rfc3339()],
                )?;
                *batch.insert(conn.last_insert_rowid())
            }
        };
        insert(conn, op, batch)?;
        oplog::record_heads(conn, op)?;
        summary.ops_new += 1;
        newest_hlc = newest_hlc.max(op.hlc);
        if op.schema_ver > OP_SCHEMA_VERSION || kinds::kind(&op.kind).is_none() {
            summary.ops_not_applied += 1;
        } else {
            touched.insert((op.kind.clone(), op.record_id.clone()));
        }
    }
    for (kind, id) in &touched {
        let kind = kinds::kind(kind).expect("filtered above");
        let existed = conn
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", kind.table()))?
            .exists([id])?;
        materialise(conn, kind, id)?;
        if existed {
            summary.records_changed += 1;
        } else {
            summary.records_new += 1;
        }
    }
    let conflicts_after: i64 = conn.query_row("SELECT COUNT(*) FROM conflict", [], |r| r.get(0))?;
    summary.conflicts_new = (conflicts_after - conflicts_before).max(0) as usize;
    advance_clock(conn, newest_hlc)?;
    Ok(summary)
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

/// The op must chain to its author's neighbours that this replica holds.
fn check_links(conn: &Connection, op: &Op) -> Result<()> {
    if op.seq > 1 {
        if let Some(prev) = known_hash(conn, &op.actor, op.seq - 1)? {
            if prev != op.prev_hash {
                return Err(equivocation(op));
            }
        }
    }
    let next_prev: Option<String> = conn
        .prepare_cached("SELECT prev_hash FROM change WHERE device = ?1 AND seq = ?2")?
        .query_row(params![op.actor, op.seq as i64 + 1], |r| r.get(0))
        .optional()?;
    match next_prev {
        Some(p) if p != op.op_hash => Err(equivocation(op)),
        _ => Ok(()),
    }
}

fn insert(conn: &Connection, op: &Op, batch: i64) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO change ({OP_COLUMNS}, batch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
        op.actor,
        op.seq as i64,
        op.hlc as i64,
        op.at,
        op.op.as_str(),
        op.kind,
        op.record_id,
        op.field,
        op.value,
        oplog::ids_json(&op.supersedes),
        oplog::ids_json(&op.observed),
        op.cascade_of,
        op.schema_ver,
        op.prev_hash,
        op.op_hash,
        batch
    ])?;
    Ok(())
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

/// A head of one of the record's fields (or of its lifecycle), with its op.
struct HeadOp {
    field: String,
    op: Op,
}

/// The order in which concurrent values are shown: the greatest wins.
fn shown_order(op: &Op) -> (u64, &str, u64) {
    (op.hlc, op.actor.as_str(), op.seq)
}

/// Writes the record's typed row from its ops: it exists once its create is
/// known; each field shows its greatest head; a delete hides it only if it
/// saw every edit; concurrent different values are conflicts.
pub(crate) fn materialise(conn: &Connection, kind: &'static KindSpec, id: &str) -> Result<()> {
    let created: Option<String> = conn
        .prepare_cached(
            "SELECT at FROM change WHERE record_id = ?1 AND op = 'create'
             ORDER BY hlc, device, seq LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(created_at) = created else {
        // Edits whose record has not arrived yet wait in the log.
        return Ok(());
    };
    let heads: Vec<HeadOp> = conn
        .prepare_cached(&format!(
            "SELECT h.field, {} FROM head h JOIN change c ON c.device = h.actor AND c.seq = h.seq
             WHERE h.record_id = ?1",
            crate::conflicts::prefixed("c")
        ))?
        .query_map([id], |r| {
            Ok(HeadOp {
                field: r.get(0)?,
                op: oplog::op_from_row_at(r, 1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;

    let mut values: BTreeMap<&str, Stored> = BTreeMap::new();
    let mut conflicts: BTreeSet<String> = BTreeSet::new();
    for spec in kind.fields {
        let mut candidates: Vec<&Op> = heads
            .iter()
            .filter(|h| h.field == spec.name)
            .map(|h| &h.op)
            .collect();
        candidates.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
        let distinct: BTreeSet<&Option<String>> = candidates.iter().map(|o| &o.value).collect();
        if distinct.len() > 1 {
            conflicts.insert(spec.name.to_string());
        }
        let shown = candidates
            .first()
            .map_or(Stored::Null, |o| stored_from_log(o.value.as_deref()));
        values.insert(spec.name, shown);
    }

    let lifecycle: Vec<&Op> = heads
        .iter()
        .filter(|h| h.field == LIFECYCLE)
        .map(|h| &h.op)
        .collect();
    let mut deleted_at = None;
    if !lifecycle.iter().any(|o| o.op == OpKind::Restore) {
        let unseen_edit =
            |delete: &Op| -> Result<bool> { edited_after(conn, id, &delete.observed) };
        let mut deletes: Vec<&&Op> = lifecycle
            .iter()
            .filter(|o| o.op == OpKind::Delete)
            .collect();
        deletes.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
        for d in &deletes {
            if !unseen_edit(d)? {
                deleted_at = Some(d.at.clone());
                break;
            }
        }
        if deleted_at.is_none() && !deletes.is_empty() {
            // Deleted on one replica while edited on another: keep it, flagged.
            conflicts.insert(LIFECYCLE.to_string());
        }
    } else if lifecycle.iter().any(|o| o.op == OpKind::Delete) {
        conflicts.insert(LIFECYCLE.to_string());
    }

    let (updated_at, updated_by): (String, String) = conn
        .prepare_cached(
            "SELECT at, device FROM change WHERE record_id = ?1
             ORDER BY hlc DESC, device DESC, seq DESC LIMIT 1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;

    let columns: Vec<&str> = kind.fields.iter().map(|f| f.name).collect();
    let placeholders: Vec<String> = (0..columns.len()).map(|i| format!("?{}", i + 6)).collect();
    let sql = format!(
        "INSERT OR REPLACE INTO {table} (id, created_at, updated_at, updated_by, deleted_at, {cols})
         VALUES (?1, ?2, ?3, ?4, ?5, {ph})",
        table = kind.table(),
        cols = columns.join(", "),
        ph = placeholders.join(", ")
    );
    let wrapped: Vec<Sql<'_>> = kind.fields.iter().map(|f| Sql(&values[f.name])).collect();
    let mut bind: Vec<&dyn rusqlite::ToSql> =
        vec![&id, &created_at, &updated_at, &updated_by, &deleted_at];
    bind.extend(wrapped.iter().map(|w| w as &dyn rusqlite::ToSql));
    conn.prepare_cached(&sql)?.execute(bind.as_slice())?;

    conn.prepare_cached("DELETE FROM conflict WHERE record_id = ?1")?
        .execute([id])?;
    for field in conflicts {
        conn.prepare_cached("INSERT INTO conflict (record_id, field, kind) VALUES (?1, ?2, ?3)")?
            .execute(params![id, field, kind.name])?;
    }
    search::reindex(conn, kind, id)
}

/// Whether some op on the record is not covered by a delete's `observed`.
fn edited_after(conn: &Connection, id: &str, observed: &[OpId]) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT device, MAX(seq) FROM change WHERE record_id = ?1 AND op = 'set' GROUP BY device",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    for row in rows {
        let (actor, seq) = row?;
        let seen = observed
            .iter()
            .find(|o| o.actor == actor)
            .map_or(0, |o| o.seq);
        if seq > seen {
            return Ok(true);
        }
    }
    Ok(false)
}
