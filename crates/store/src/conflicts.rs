//! What the Conflicts view and a record's history show, read from the op log:
//! concurrent values with who wrote them, when and from which earlier value.

use fieldbook_core::kinds::{self, FieldType, KINDS};
use fieldbook_core::op::{Op, OpKind};
use rusqlite::params;
use serde::Serialize;

use crate::error::Result;
use crate::oplog::{self, LIFECYCLE, OP_COLUMNS};
use crate::Store;

/// One value a conflicted field could take, or one side of a delete-versus-edit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// `set` for a value, `delete` or `restore` for the record's fate.
    pub op: OpKind,
    /// The value as the log's JSON text (`None` clears the field).
    pub value: Option<String>,
    pub actor: String,
    pub at: String,
    pub hlc: u64,
    /// The value its author replaced (the author's view), when known.
    pub base: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub kind: String,
    pub record_id: String,
    /// The field, or `""` for a record deleted on one laptop while edited on
    /// another, or added inside a parent another laptop deleted.
    pub field: String,
    /// The value shown until someone decides comes first.
    pub candidates: Vec<Candidate>,
    /// The record lives inside one that is in the Trash: it was added (or
    /// edited) on one laptop while another deleted its parent. Keeping it
    /// restores the parent; deleting it sends it after its parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_parent: Option<RecordRef>,
}

/// A record, by kind and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordRef {
    pub kind: String,
    pub id: String,
}

/// Where a record stands with the other laptops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Some change to it has reached no other laptop we heard from.
    LocalOnly,
    /// Every change to it is held by at least one other laptop.
    Synced,
    /// Concurrent edits (or a delete versus an edit) wait for a decision.
    Conflict,
}

/// One entry of a record's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub op: OpKind,
    pub field: Option<String>,
    pub value: Option<String>,
    /// The value(s) this op replaced, from the ops it supersedes.
    pub before: Vec<Option<String>>,
    pub actor: String,
    pub seq: u64,
    pub at: String,
    pub hlc: u64,
}

impl Store {
    /// Every open conflict, by kind, record and field.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let open: Vec<(String, String, String)> = self
            .conn
            .prepare("SELECT kind, record_id, field FROM conflict ORDER BY kind, record_id, field")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut conflicts: Vec<Conflict> = open
            .into_iter()
            .map(|(kind, record_id, field)| {
                let candidates = self.candidates(&record_id, &field)?;
                Ok(Conflict {
                    kind,
                    record_id,
                    field,
                    candidates,
                    deleted_parent: None,
                })
            })
            .collect::<Result<_>>()?;
        for (kind, record_id, parent) in self.orphans(None)? {
            let existing = conflicts
                .iter_mut()
                .find(|c| c.record_id == record_id && c.field == LIFECYCLE);
            if let Some(c) = existing {
                c.deleted_parent = Some(parent);
                continue;
            }
            // The parent's delete against the child's own life (its create).
            let mut candidates = self.candidates(&parent.id, LIFECYCLE)?;
            candidates.retain(|c| c.op == OpKind::Delete);
            let mut own = self.candidates(&record_id, LIFECYCLE)?;
            own.retain(|c| c.op != OpKind::Set);
            candidates.extend(own);
            conflicts.push(Conflict {
                kind,
                record_id,
                field: LIFECYCLE.to_string(),
                candidates,
                deleted_parent: Some(parent),
            });
        }
        conflicts.sort_by(|a, b| {
            (&a.kind, &a.record_id, &a.field).cmp(&(&b.kind, &b.record_id, &b.field))
        });
        Ok(conflicts)
    }

    /// The open conflicts of one record (`""` for its life: deleted while
    /// edited, or alive inside a parent in the Trash).
    pub fn record_conflicts(&self, record_id: &str) -> Result<Vec<String>> {
        let mut fields: Vec<String> = self
            .conn
            .prepare_cached("SELECT field FROM conflict WHERE record_id = ?1 ORDER BY field")?
            .query_map([record_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if fields.first().map(String::as_str) != Some(LIFECYCLE)
            && !self.orphans(Some(record_id))?.is_empty()
        {
            fields.insert(0, LIFECYCLE.to_string());
        }
        Ok(fields)
    }

    /// Live records whose parent is in the Trash (all, or the one `only`
    /// names), with that parent. A laptop never writes one — it cannot add
    /// inside a trashed record — so each is a child added on one laptop
    /// while another deleted its parent: they meet only in a merge.
    fn orphans(&self, only: Option<&str>) -> Result<Vec<(String, String, RecordRef)>> {
        let mut out = Vec::new();
        for child in KINDS {
            let Some(field) = child.parent.and_then(|p| child.field(p)) else {
                continue;
            };
            let FieldType::Ref { kind: parent } = field.ty else {
                continue;
            };
            let parent = kinds::kind(parent).expect("registry is consistent");
            let sql = format!(
                "SELECT c.id, p.id FROM {child} c JOIN {parent} p ON p.id = c.{field}
                 WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL
                   AND (?1 IS NULL OR c.id = ?1)",
                child = child.table(),
                parent = parent.table(),
                field = field.name,
            );
            let rows = self
                .conn
                .prepare_cached(&sql)?
                .query_map([only], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.extend(rows.into_iter().map(|(id, parent_id)| {
                let parent = RecordRef {
                    kind: parent.name.to_string(),
                    id: parent_id,
                };
                (child.name.to_string(), id, parent)
            }));
        }
        Ok(out)
    }

    /// Each record's sync state, for the badges of a list.
    pub fn sync_states(&self, record_ids: &[String]) -> Result<Vec<SyncState>> {
        let peers: Vec<std::collections::BTreeMap<String, u64>> = self
            .conn
            .prepare_cached("SELECT have FROM peer")?
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|h| h.ok().and_then(|h| serde_json::from_str(&h).ok()))
            .collect();
        record_ids
            .iter()
            .map(|id| {
                if !self.record_conflicts(id)?.is_empty() {
                    return Ok(SyncState::Conflict);
                }
                let newest: Vec<(String, u64)> = self
                    .conn
                    .prepare_cached(
                        "SELECT device, MAX(seq) FROM change WHERE record_id = ?1 GROUP BY device",
                    )?
                    .query_map([id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                    .collect::<rusqlite::Result<_>>()?;
                let held = |(actor, seq): &(String, u64)| {
                    peers
                        .iter()
                        .any(|have| have.get(actor).is_some_and(|h| h >= seq))
                };
                Ok(if newest.iter().all(held) {
                    SyncState::Synced
                } else {
                    SyncState::LocalOnly
                })
            })
            .collect()
    }

    fn candidates(&self, record_id: &str, field: &str) -> Result<Vec<Candidate>> {
        let mut ops: Vec<Op> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM head h JOIN change c ON c.device = h.actor AND c.seq = h.seq
                 WHERE h.record_id = ?1 AND h.field = ?2",
                prefixed("c")
            ))?
            .query_map(params![record_id, field], oplog::op_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        if field == LIFECYCLE {
            // The other side of a delete is the edits it did not see.
            let unseen: Vec<Op> = self
                .ops_of(record_id)?
                .into_iter()
                .filter(|o| {
                    o.op == OpKind::Set
                        && !ops.iter().any(|d| {
                            d.op == OpKind::Delete
                                && d.observed
                                    .iter()
                                    .any(|seen| seen.actor == o.actor && seen.seq >= o.seq)
                        })
                })
                .collect();
            ops.extend(unseen);
        }
        ops.sort_by(|a, b| (b.hlc, &b.actor, b.seq).cmp(&(a.hlc, &a.actor, a.seq)));
        ops.into_iter()
            .map(|o| {
                Ok(Candidate {
                    base: self.superseded_values(&o)?.into_iter().flatten().next(),
                    op: o.op,
                    value: o.value,
                    actor: o.actor,
                    at: o.at,
                    hlc: o.hlc,
                })
            })
            .collect()
    }

    /// Every op on a record, oldest first: its audit trail.
    pub fn history(&self, record_id: &str) -> Result<Vec<HistoryEntry>> {
        self.ops_of(record_id)?
            .into_iter()
            .map(|o| {
                Ok(HistoryEntry {
                    before: self.superseded_values(&o)?,
                    op: o.op,
                    field: o.field,
                    value: o.value,
                    actor: o.actor,
                    seq: o.seq,
                    at: o.at,
                    hlc: o.hlc,
                })
            })
            .collect()
    }

    fn ops_of(&self, record_id: &str) -> Result<Vec<Op>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {OP_COLUMNS} FROM change WHERE record_id = ?1 ORDER BY hlc, device, seq"
            ))?
            .query_map([record_id], oplog::op_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The values of the `set` ops `op` supersedes (those this replica holds).
    fn superseded_values(&self, op: &Op) -> Result<Vec<Option<String>>> {
        if op.op != OpKind::Set {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for id in &op.supersedes {
            let value: Option<Option<String>> = rusqlite::OptionalExtension::optional(
                self.conn
                    .prepare_cached("SELECT value FROM change WHERE device = ?1 AND seq = ?2")?
                    .query_row(params![id.actor, id.seq as i64], |r| r.get(0)),
            )?;
            out.extend(value);
        }
        Ok(out)
    }
}

/// The op columns, each prefixed with a table alias.
pub(crate) fn prefixed(alias: &str) -> String {
    OP_COLUMNS
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
