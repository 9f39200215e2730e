//! The op log's bookkeeping shared by local writes, imports and the migration
//! that introduced it: reading ops back as [`Op`]s, the heads of each field and
//! of each record's lifecycle, and what supersedes what.

use std::collections::{BTreeMap, HashMap};

use fieldbook_core::op::{Op, OpId, OpKind, GENESIS_HASH};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};

/// The `field` of a head that tracks the record's lifecycle (create, delete, restore).
pub(crate) const LIFECYCLE: &str = "";

/// The op columns schema v4 introduced (the v4 backfill reads only these).
macro_rules! v4_columns {
    () => {
        "device, seq, hlc, at, op, kind, record_id, field, value,
         supersedes, observed, cascade_of, schema_ver, prev_hash, op_hash"
    };
}

/// The columns of `change` that make an [`Op`], in [`op_from_row`]'s order.
pub(crate) const OP_COLUMNS: &str = concat!(v4_columns!(), ", extra");

pub(crate) fn op_from_row(r: &Row<'_>) -> rusqlite::Result<Op> {
    let ids = |i: usize| -> rusqlite::Result<Vec<OpId>> {
        let text: String = r.get(i)?;
        serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    let op: String = r.get(4)?;
    Ok(Op {
        actor: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        hlc: r.get::<_, i64>(2)? as u64,
        at: r.get(3)?,
        op: OpKind::parse(&op).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown op {op}").into(),
            )
        })?,
        kind: r.get(5)?,
        record_id: r.get(6)?,
        field: r.get(7)?,
        value: r.get(8)?,
        supersedes: ids(9)?,
        observed: ids(10)?,
        cascade_of: r.get(11)?,
        schema_ver: r.get::<_, i64>(12)? as u32,
        prev_hash: r.get(13)?,
        op_hash: r.get(14)?,
        extra: match r.get::<_, Option<String>>(15)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    15,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            None => Default::default(),
        },
    })
}

/// The `extra` column: `NULL` unless a newer Fieldbook added fields.
pub(crate) fn extra_json(op: &Op) -> Option<String> {
    (!op.extra.is_empty()).then(|| serde_json::to_string(&op.extra).expect("JSON values serialise"))
}

pub(crate) fn ids_json(ids: &[OpId]) -> String {
    serde_json::to_string(ids).expect("op ids serialise")
}

/// The head field an op counts under: its field for a `set`, else the lifecycle.
pub(crate) fn head_field(op: OpKind, field: Option<&str>) -> &str {
    match op {
        OpKind::Set => field.unwrap_or(LIFECYCLE),
        _ => LIFECYCLE,
    }
}

pub(crate) fn heads(conn: &Connection, record_id: &str, field: &str) -> Result<Vec<OpId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT actor, seq FROM head WHERE record_id = ?1 AND field = ?2 ORDER BY actor, seq",
    )?;
    let rows = stmt.query_map(params![record_id, field], |r| {
        Ok(OpId {
            actor: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per actor, the highest seq of the ops on `record_id` this replica holds.
pub(crate) fn observed(conn: &Connection, record_id: &str) -> Result<Vec<OpId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device, MAX(seq) FROM change WHERE record_id = ?1 GROUP BY device ORDER BY device",
    )?;
    let rows = stmt.query_map([record_id], |r| {
        Ok(OpId {
            actor: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records that `op` supersedes what it names and, unless some known op
/// supersedes it already, makes it a head of its (record, field).
pub(crate) fn record_heads(conn: &Connection, op: &Op) -> Result<()> {
    let field = head_field(op.op, op.field.as_deref());
    for old in &op.supersedes {
        conn.prepare_cached("INSERT OR IGNORE INTO superseded (actor, seq) VALUES (?1, ?2)")?
            .execute(params![old.actor, old.seq as i64])?;
        conn.prepare_cached(
            "DELETE FROM head WHERE record_id = ?1 AND field = ?2 AND actor = ?3 AND seq = ?4",
        )?
        .execute(params![op.record_id, field, old.actor, old.seq as i64])?;
    }
    let is_superseded = conn
        .prepare_cached("SELECT 1 FROM superseded WHERE actor = ?1 AND seq = ?2")?
        .exists(params![op.actor, op.seq as i64])?;
    if !is_superseded {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO head (record_id, field, actor, seq) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![op.record_id, field, op.actor, op.seq as i64])?;
    }
    Ok(())
}

/// The last op of `actor` in this replica: its seq and hash (0 and the genesis hash if none).
pub(crate) fn chain_end(conn: &Connection, actor: &str) -> Result<(u64, String, u64)> {
    Ok(conn
        .query_row(
            "SELECT seq, op_hash, hlc FROM change WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
            [actor],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)? as u64,
                ))
            },
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS_HASH.to_string(), 0)),
            e => Err(e),
        })?)
}

/// The newest remote clock an import moved this replica's clock to (merge.rs).
pub(crate) fn seen_clock(conn: &Connection) -> Result<u64> {
    let seen: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'clock'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(seen.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Schema v4's backfill of a log written before ops superseded each other: on
/// one replica every op saw all earlier ones, so each set supersedes the
/// previous set of its field and each delete or restore the record's previous
/// lifecycle op; then each actor's chain is hashed.
pub(crate) fn backfill(conn: &Connection) -> Result<()> {
    let mut field_head: HashMap<(String, String), OpId> = HashMap::new();
    let mut seen: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
    let mut updates = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT device, seq, op, record_id, field FROM change ORDER BY hlc, device, seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = OpId {
                actor: r.get(0)?,
                seq: r.get::<_, i64>(1)? as u64,
            };
            let op: String = r.get(2)?;
            let op = OpKind::parse(&op).ok_or_else(|| StoreError::Corrupt(format!("op {op}")))?;
            let record: String = r.get(3)?;
            let field: Option<String> = r.get(4)?;
            let key = (record.clone(), head_field(op, field.as_deref()).to_string());
            let supersedes: Vec<OpId> = field_head.insert(key, id.clone()).into_iter().collect();
            let record_seen = seen.entry(record).or_default();
            let observed: Vec<OpId> = match op {
                OpKind::Delete => record_seen
                    .iter()
                    .map(|(actor, seq)| OpId {
                        actor: actor.clone(),
                        seq: *seq,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            record_seen.insert(id.actor.clone(), id.seq);
            updates.push((id, supersedes, observed));
        }
    }
    let mut set = conn.prepare(
        "UPDATE change SET supersedes = ?3, observed = ?4 WHERE device = ?1 AND seq = ?2",
    )?;
    for (id, supersedes, observed) in &updates {
        set.execute(params![
            id.actor,
            id.seq as i64,
            ids_json(supersedes),
            ids_json(observed)
        ])?;
    }
    // Hash each actor's chain in seq order.
    let ops: Vec<Op> = conn
        .prepare(concat!(
            "SELECT ",
            v4_columns!(),
            ", NULL FROM change ORDER BY device, seq"
        ))?
        .query_map([], op_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut prev: HashMap<String, String> = HashMap::new();
    let mut seal = conn
        .prepare("UPDATE change SET prev_hash = ?3, op_hash = ?4 WHERE device = ?1 AND seq = ?2")?;
    for mut op in ops {
        op.prev_hash = prev
            .get(&op.actor)
            .cloned()
            .unwrap_or_else(|| GENESIS_HASH.to_string());
        let op = op.seal();
        seal.execute(params![op.actor, op.seq as i64, op.prev_hash, op.op_hash])?;
        prev.insert(op.actor.clone(), op.op_hash.clone());
    }
    for (_, supersedes, _) in &updates {
        for s in supersedes {
            conn.execute(
                "INSERT OR IGNORE INTO superseded (actor, seq) VALUES (?1, ?2)",
                params![s.actor, s.seq as i64],
            )?;
        }
    }
    for ((record, field), id) in field_head {
        conn.execute(
            "INSERT INTO head (record_id, field, actor, seq) VALUES (?1, ?2, ?3, ?4)",
            params![record, field, id.actor, id.seq as i64],
        )?;
    }
    Ok(())
}
