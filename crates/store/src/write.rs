//! The one write path. Every change to a record — create, set of one field,
//! delete, restore — is a [`Change`] applied by [`Store::apply`] in one
//! transaction: it is validated, logged in `change` with the value it replaced,
//! and made visible in the typed table and the search index. Undo reads the log
//! back and writes the inverse changes through the same path.

use std::collections::BTreeSet;

use chrono::{SecondsFormat, Utc};
use fieldbook_core::ids::{is_record_id, new_record_id, Hlc};
use fieldbook_core::kinds::{self, FieldSpec, FieldType, KindSpec, KINDS};
use fieldbook_core::op::{Op, OpKind, OP_SCHEMA_VERSION};
use fieldbook_core::validate::{check_record, checked_across, normalise, Stored};
use fieldbook_core::{ValidationError, ValidationErrors};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Result, StoreError};
use crate::sql::{check_stored, stored_from, stored_from_log, stored_to_log, Sql};
use crate::{oplog, search, Store};

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Create {
        kind: String,
        /// A new UUIDv7 is made when absent.
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        fields: Map<String, Value>,
    },
    Set {
        kind: String,
        id: String,
        field: String,
        value: Value,
    },
    Delete {
        kind: String,
        id: String,
    },
    Restore {
        kind: String,
        id: String,
    },
}

/// What an undo (or a redo) did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UndoOutcome {
    /// The label of the action that was undone ("Edit finding title").
    pub label: String,
    /// The records it touched, as (kind, id).
    pub records: Vec<(String, String)>,
    /// The title of the record the action was about (its first), so the
    /// message can name it: the action may be in another study than the one shown.
    pub title: Option<String>,
    /// Changes of the action that no longer applied and were left as they are.
    pub skipped: Vec<Skipped>,
}

/// One change an undo left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub kind: String,
    pub record_id: String,
    pub field: Option<String>,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SkipReason {
    /// The field no longer holds what the action wrote (edited since,
    /// here or on another laptop, or in conflict): the newer value stays.
    ChangedSince,
    /// The record is in the Trash (deleted since, maybe on another laptop).
    InTrash,
    /// The record is no longer in the Trash (restored or kept since).
    NotInTrash,
    /// Writing the old value back is refused now (a duplicate, a reference
    /// to a record deleted since …): the message says why.
    Refused { message: String },
}

pub(crate) fn kind_spec(name: &str) -> Result<&'static KindSpec> {
    kinds::kind(name).ok_or_else(|| StoreError::UnknownKind(name.to_string()))
}

fn field_spec(kind: &KindSpec, name: &str) -> Result<&'static FieldSpec> {
    kind.field(name).ok_or_else(|| StoreError::UnknownField {
        kind: kind.name.to_string(),
        field: name.to_string(),
    })
}

impl Store {
    /// Applies `changes` as one user action called `label`: all or nothing.
    /// Returns the ids of the records touched, in order.
    pub fn apply(&mut self, label: &str, changes: Vec<Change>) -> Result<Vec<String>> {
        self.apply_marking(label, changes, None)
    }

    /// [`Store::apply`], also setting a `meta` key in the same transaction (so a
    /// one-time action such as loading the samples is recorded atomically).
    pub(crate) fn apply_marking(
        &mut self,
        label: &str,
        changes: Vec<Change>,
        meta: Option<(&str, &str)>,
    ) -> Result<Vec<String>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Writer::begin(&tx, &self.device, label, None)?;
        let mut ids = Vec::with_capacity(changes.len());
        for change in changes {
            ids.push(w.apply(change)?);
        }
        w.finish()?;
        if let Some((key, value)) = meta {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Creates one record; returns its id.
    pub fn create(&mut self, kind: &str, fields: Map<String, Value>) -> Result<String> {
        let label = format!("Create {kind}");
        let ids = self.apply(
            &label,
            vec![Change::Create {
                kind: kind.into(),
                id: None,
                fields,
            }],
        )?;
        Ok(ids.into_iter().next().expect("one change, one id"))
    }

    /// Sets several fields of one record as one action.
    pub fn edit(&mut self, kind: &str, id: &str, fields: Map<String, Value>) -> Result<()> {
        let changes = fields
            .into_iter()
            .map(|(field, value)| Change::Set {
                kind: kind.into(),
                id: id.into(),
                field,
                value,
            })
            .collect();
        self.apply(&format!("Edit {kind}"), changes).map(drop)
    }

    pub fn delete(&mut self, kind: &str, id: &str) -> Result<()> {
        let change = Change::Delete {
            kind: kind.into(),
            id: id.into(),
        };
        self.apply(&format!("Delete {kind}"), vec![change])
            .map(drop)
    }

    pub fn restore(&mut self, kind: &str, id: &str) -> Result<()> {
        let change = Change::Restore {
            kind: kind.into(),
            id: id.into(),
        };
        self.apply(&format!("Restore {kind}"), vec![change])
            .map(drop)
    }

    /// Settles a record deleted on one laptop while edited on another by
    /// keeping it: a restore that supersedes the delete. A record added
    /// inside a parent another laptop deleted is kept by restoring that
    /// parent (and what went to the Trash with it), up to the first live ancestor.
    pub fn keep_record(&mut self, kind: &str, id: &str) -> Result<()> {
        let kind = kind_spec(kind)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Writer::begin(&tx, &self.device, &format!("Keep {}", kind.name), None)?;
        w.require_live(kind, id)?;
        w.log(kind, id, Entry::op("restore"))?;
        while let Some((ancestor_kind, ancestor)) = w.topmost_trashed_ancestor(kind, id)? {
            w.restore(ancestor_kind, &ancestor, None)?;
        }
        w.finish()?;
        tx.commit()?;
        Ok(())
    }

    /// Undoes this device's most recent action (or redo) that is not undone
    /// yet. A change that no longer applies — the field was changed since,
    /// the record trashed or restored since, here or on another laptop — is
    /// left as it is and listed in [`UndoOutcome::skipped`]; the action still
    /// counts as undone, so the next undo reaches the one before it.
    pub fn undo(&mut self) -> Result<Option<UndoOutcome>> {
        self.invert_batch(
            "SELECT id, label FROM batch b
             WHERE device = ?1 AND (undoes IS NULL OR redo = 1)
               AND NOT EXISTS (SELECT 1 FROM batch u WHERE u.undoes = b.id)
             ORDER BY id DESC LIMIT 1",
            "Undo",
            false,
        )
    }

    /// Takes back this device's most recent undo, unless an action was made
    /// on this device after it (a new action ends what can be redone).
    pub fn redo(&mut self) -> Result<Option<UndoOutcome>> {
        self.invert_batch(
            "SELECT id, label FROM batch b
             WHERE device = ?1 AND undoes IS NOT NULL AND redo = 0
               AND NOT EXISTS (SELECT 1 FROM batch u WHERE u.undoes = b.id)
               AND NOT EXISTS (SELECT 1 FROM batch n
                               WHERE n.device = b.device AND n.id > b.id AND n.undoes IS NULL)
             ORDER BY id DESC LIMIT 1",
            "Redo",
            true,
        )
    }

    /// Writes the inverse of the batch `target` selects, as a new batch that
    /// `undoes` it (a redo is the inverse of an undo).
    fn invert_batch(
        &mut self,
        target: &str,
        verb: &str,
        redo: bool,
    ) -> Result<Option<UndoOutcome>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let target: Option<(i64, String)> = tx
            .query_row(target, [&self.device], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((batch, label)) = target else {
            return Ok(None);
        };
        // The label of an undo is "Undo: <action>"; a redo tells the action again.
        let label = label
            .strip_prefix("Undo: ")
            .or_else(|| label.strip_prefix("Redo: "))
            .unwrap_or(&label)
            .to_string();
        let logged = logged_changes(&tx, batch)?;
        let created: BTreeSet<&str> = logged
            .iter()
            .filter(|c| c.op == "create")
            .map(|c| c.record_id.as_str())
            .collect();
        let mut w = Writer::begin(&tx, &self.device, &format!("{verb}: {label}"), Some(batch))?;
        if redo {
            tx.execute("UPDATE batch SET redo = 1 WHERE id = ?1", [w.batch])?;
        }
        let mut records = Vec::new();
        let mut skipped = Vec::new();
        for c in logged.iter().rev() {
            let Some(kind) = kinds::kind(&c.kind) else {
                continue;
            };
            let inverse = match c.op.as_str() {
                "create" => Inverse::Delete,
                "set" if !created.contains(c.record_id.as_str()) => {
                    Inverse::Set(field_spec(kind, c.field.as_deref().unwrap_or_default())?)
                }
                "delete" if c.cascade_of.is_none() => Inverse::Restore,
                "restore" if c.cascade_of.is_none() => Inverse::Delete,
                _ => continue,
            };
            match w.attempt(|w| w.invert(kind, c, inverse))? {
                None => records.push((c.kind.clone(), c.record_id.clone())),
                Some(reason) => skipped.push(Skipped {
                    kind: c.kind.clone(),
                    record_id: c.record_id.clone(),
                    field: c.field.clone(),
                    reason,
                }),
            }
        }
        w.finish()?;
        tx.commit()?;
        records.dedup();
        let about = logged
            .first()
            .map(|c| (c.kind.as_str(), c.record_id.as_str()));
        let title = match about {
            Some((kind, id)) => self.get(kind, id).ok().map(|r| r.title),
            None => None,
        };
        Ok(Some(UndoOutcome {
            label,
            records,
            title,
            skipped,
        }))
    }
}

/// What takes one logged change back.
#[derive(Clone, Copy)]
enum Inverse {
    Delete,
    Restore,
    /// Writes the field's value from before the change.
    Set(&'static FieldSpec),
}

struct LoggedChange {
    op: String,
    kind: String,
    record_id: String,
    field: Option<String>,
    value: Option<String>,
    prev: Option<String>,
    cascade_of: Option<String>,
}

fn logged_changes(tx: &Transaction<'_>, batch: i64) -> Result<Vec<LoggedChange>> {
    let mut stmt = tx.prepare(
        "SELECT op, kind, record_id, field, value, prev, cascade_of FROM change
         WHERE batch = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([batch], |r| {
        Ok(LoggedChange {
            op: r.get(0)?,
            kind: r.get(1)?,
            record_id: r.get(2)?,
            field: r.get(3)?,
            value: r.get(4)?,
            prev: r.get(5)?,
            cascade_of: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One row of the change log, beyond who, when and which record.
struct Entry<'a> {
    op: &'static str,
    field: Option<&'static str>,
    value: Option<String>,
    prev: Option<String>,
    cascade_of: Option<&'a str>,
}

impl Entry<'_> {
    fn op(op: &'static str) -> Self {
        Entry {
            op,
            field: None,
            value: None,
            prev: None,
            cascade_of: None,
        }
    }
}

/// Writes the changes of one batch inside an open transaction.
pub(crate) struct Writer<'t> {
    tx: &'t Transaction<'t>,
    device: &'t str,
    batch: i64,
    seq: u64,
    /// The hash of this device's last op: the next op chains to it.
    prev_hash: String,
    hlc: Hlc,
    now: String,
    touched: BTreeSet<(&'static str, String)>,
}

impl<'t> Writer<'t> {
    pub(crate) fn begin(
        tx: &'t Transaction<'t>,
        device: &'t str,
        label: &str,
        undoes: Option<i64>,
    ) -> Result<Self> {
        let now_utc = Utc::now();
        let now = now_utc.to_rfc3339_opts(SecondsFormat::Millis, true);
        tx.execute(
            "INSERT INTO batch (device, at, label, undoes) VALUES (?1, ?2, ?3, ?4)",
            params![device, now, label, undoes],
        )?;
        let batch = tx.last_insert_rowid();
        // This device's clock only moves forward, so its last op by seq holds
        // its latest clock value too (a primary-key lookup, not a scan).
        let (seq, prev_hash, hlc) = oplog::chain_end(tx, device)?;
        // Other replicas' clocks seen in imports move ours forward (merge.rs).
        let last = Hlc(hlc.max(oplog::seen_clock(tx)?));
        let now_ms = now_utc.timestamp_millis().max(0) as u64;
        Ok(Writer {
            tx,
            device,
            batch,
            seq,
            prev_hash,
            hlc: last.tick(now_ms),
            now,
            touched: BTreeSet::new(),
        })
    }

    /// Appends one op to the log: it supersedes the heads of its field (or,
    /// for a delete or restore, of the record's lifecycle) and chains to this
    /// device's previous op.
    fn log(&mut self, kind: &KindSpec, id: &str, entry: Entry<'_>) -> Result<()> {
        let op_kind = OpKind::parse(entry.op).expect("the writer's ops are known");
        let head_field = oplog::head_field(op_kind, entry.field);
        let supersedes = match op_kind {
            OpKind::Create => Vec::new(),
            _ => oplog::heads(self.tx, id, head_field)?,
        };
        let observed = match op_kind {
            OpKind::Delete => oplog::observed(self.tx, id)?,
            _ => Vec::new(),
        };
        self.seq += 1;
        let op = Op {
            actor: self.device.to_string(),
            seq: self.seq,
            hlc: self.hlc.0,
            at: self.now.clone(),
            op: op_kind,
            kind: kind.name.to_string(),
            record_id: id.to_string(),
            field: entry.field.map(str::to_string),
            value: entry.value,
            supersedes,
            observed,
            cascade_of: entry.cascade_of.map(str::to_string),
            schema_ver: OP_SCHEMA_VERSION,
            prev_hash: std::mem::take(&mut self.prev_hash),
            op_hash: String::new(),
            extra: Default::default(),
        }
        .seal();
        self.tx
            .prepare_cached(
                "INSERT INTO change (device, seq, hlc, at, batch, op, kind, record_id, field,
                                     value, prev, cascade_of, supersedes, observed, schema_ver,
                                     prev_hash, op_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                         ?16, ?17)",
            )?
            .execute(params![
                op.actor,
                op.seq as i64,
                op.hlc as i64,
                op.at,
                self.batch,
                entry.op,
                op.kind,
                op.record_id,
                op.field,
                op.value,
                entry.prev,
                op.cascade_of,
                oplog::ids_json(&op.supersedes),
                oplog::ids_json(&op.observed),
                op.schema_ver,
                op.prev_hash,
                op.op_hash
            ])?;
        oplog::record_heads(self.tx, &op)?;
        // A local write saw every head it supersedes: what conflicted is settled.
        self.tx
            .prepare_cached("DELETE FROM conflict WHERE record_id = ?1 AND field = ?2")?
            .execute(params![id, head_field])?;
        self.prev_hash = op.op_hash;
        // Each op gets its own clock value, so their order is total.
        self.hlc = Hlc(self.hlc.0 + 1);
        self.touched.insert((kind.name, id.to_string()));
        Ok(())
    }

    /// Runs one step of an undo that may no longer apply: a refused step
    /// leaves nothing behind and comes back as its reason, so the rest of
    /// the batch goes on.
    fn attempt(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<Option<SkipReason>>,
    ) -> Result<Option<SkipReason>> {
        Ok(match self.in_savepoint(step, Option::is_some)? {
            Ok(skipped) => skipped,
            Err(refusal) => Some(SkipReason::Refused {
                message: refusal.to_string(),
            }),
        })
    }

    /// Runs `step` in a savepoint. When the write path refuses it, or
    /// `undone` says its result is to be taken back, everything it wrote is
    /// rolled back and this writer forgets the ops it chained; the
    /// transaction goes on, and a refusal comes back as `Err` for the caller
    /// to report. Other errors (the database, a file) end the transaction.
    pub(crate) fn in_savepoint<T>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<T>,
        undone: impl FnOnce(&T) -> bool,
    ) -> Result<std::result::Result<T, StoreError>> {
        let saved = (
            self.seq,
            self.prev_hash.clone(),
            self.hlc,
            self.touched.clone(),
        );
        self.tx.execute_batch("SAVEPOINT step")?;
        let outcome = match step(self) {
            Ok(done) => Ok(done),
            Err(e) if e.is_refusal() => Err(e),
            Err(e) => return Err(e),
        };
        if outcome.as_ref().map_or(true, undone) {
            self.tx.execute_batch("ROLLBACK TO step")?;
            (self.seq, self.prev_hash, self.hlc, self.touched) = saved;
        }
        self.tx.execute_batch("RELEASE step")?;
        Ok(outcome)
    }

    /// Takes back one logged change if it still applies; else says why not.
    fn invert(
        &mut self,
        kind: &'static KindSpec,
        c: &LoggedChange,
        inverse: Inverse,
    ) -> Result<Option<SkipReason>> {
        let id = c.record_id.as_str();
        let deleted = self.is_deleted(kind, id)?;
        match inverse {
            Inverse::Delete | Inverse::Set(_) if deleted => Ok(Some(SkipReason::InTrash)),
            Inverse::Restore if !deleted => Ok(Some(SkipReason::NotInTrash)),
            Inverse::Delete => self.delete(kind, id, None).map(|()| None),
            Inverse::Restore => self.restore(kind, id, None).map(|()| None),
            Inverse::Set(field) => {
                if !self.still_holds(id, field.name, c.value.as_deref())? {
                    return Ok(Some(SkipReason::ChangedSince));
                }
                let prev = stored_from_log(c.prev.as_deref());
                // The old value may no longer be one the field can hold (a
                // required field whose value had not arrived yet when it was
                // first set here): peers would refuse to show it.
                check_stored(field, &prev).map_err(ValidationErrors::from)?;
                self.check_record_with(kind, id, field, &prev)?;
                self.check_references(field, &prev)?;
                self.set_stored(kind, id, field, prev).map(|()| None)
            }
        }
    }

    /// Whether the field still holds what this device wrote: its only head
    /// is an op of this device with `value`. Otherwise someone changed it
    /// since (or it is in conflict), and taking our edit back would overwrite theirs.
    fn still_holds(&self, id: &str, field: &str, value: Option<&str>) -> Result<bool> {
        let heads: Vec<(String, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT c.device, c.value FROM head h
                 JOIN change c ON c.device = h.actor AND c.seq = h.seq
                 WHERE h.record_id = ?1 AND h.field = ?2",
            )?
            .query_map([id, field], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(matches!(heads.as_slice(),
            [(device, v)] if device == self.device && v.as_deref() == value))
    }

    pub(crate) fn apply(&mut self, change: Change) -> Result<String> {
        match change {
            Change::Create { kind, id, fields } => self.create(kind_spec(&kind)?, id, fields),
            Change::Set {
                kind,
                id,
                field,
                value,
            } => {
                let kind = kind_spec(&kind)?;
                let field = field_spec(kind, &field)?;
                let stored = normalise(field, &value).map_err(ValidationErrors::from)?;
                self.require_live(kind, &id)?;
                self.check_record_with(kind, &id, field, &stored)?;
                self.check_references(field, &stored)?;
                self.set_stored(kind, &id, field, stored)?;
                Ok(id)
            }
            Change::Delete { kind, id } => {
                self.delete(kind_spec(&kind)?, &id, None)?;
                Ok(id)
            }
            Change::Restore { kind, id } => {
                self.restore(kind_spec(&kind)?, &id, None)?;
                Ok(id)
            }
        }
    }

    fn create(
        &mut self,
        kind: &'static KindSpec,
        id: Option<String>,
        given: Map<String, Value>,
    ) -> Result<String> {
        let id = match id {
            Some(id) if !is_record_id(&id) => {
                return Err(ValidationErrors::from(ValidationError::new(
                    "id",
                    "bad_reference",
                    format!("'{id}' is not a record id"),
                ))
                .into())
            }
            Some(id) => id,
            None => new_record_id(),
        };
        for name in given.keys() {
            field_spec(kind, name)?;
        }
        let mut errors = Vec::new();
        let mut values = Vec::with_capacity(kind.fields.len());
        for spec in kind.fields {
            let input = match (given.get(spec.name), spec.default) {
                (Some(v), _) if !v.is_null() => v.clone(),
                (_, Some(default)) => Value::String(default.to_string()),
                (given, None) => given.cloned().unwrap_or(Value::Null),
            };
            match normalise(spec, &input) {
                Ok(v) => values.push((spec, v)),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            let value = |f: &str| values.iter().find(|(s, _)| s.name == f).map(|(_, v)| v);
            errors.extend(check_record(kind, value).err());
        }
        if !errors.is_empty() {
            return Err(ValidationErrors(errors).into());
        }
        if self.exists(kind, &id)? {
            return Err(StoreError::IdTaken {
                kind: kind.name.into(),
                id,
            });
        }
        for (spec, v) in &values {
            self.check_references(spec, v)?;
        }
        self.check_unique(kind, &id, &values)?;

        let columns: Vec<&str> = values.iter().map(|(s, _)| s.name).collect();
        let placeholders: Vec<String> = (0..columns.len()).map(|i| format!("?{}", i + 5)).collect();
        let sql = format!(
            "INSERT INTO {table} (id, created_at, updated_at, updated_by, {cols})
             VALUES (?1, ?2, ?3, ?4, {ph})",
            table = kind.table(),
            cols = columns.join(", "),
            ph = placeholders.join(", ")
        );
        let mut bind: Vec<Box<dyn rusqlite::ToSql + '_>> = vec![
            Box::new(id.as_str()),
            Box::new(self.now.as_str()),
            Box::new(self.now.as_str()),
            Box::new(self.device),
        ];
        bind.extend(
            values
                .iter()
                .map(|(_, v)| Box::new(Sql(v)) as Box<dyn rusqlite::ToSql>),
        );
        self.tx
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(bind.iter().map(|b| b.as_ref())))?;
        drop(bind);

        self.log(kind, &id, Entry::op("create"))?;
        for (spec, v) in values {
            if v != Stored::Null {
                let entry = Entry {
                    field: Some(spec.name),
                    value: stored_to_log(&v),
                    ..Entry::op("set")
                };
                self.log(kind, &id, entry)?;
            }
        }
        Ok(id)
    }

    /// Sets an already-normalised value; a value equal to the current one writes nothing.
    fn set_stored(
        &mut self,
        kind: &'static KindSpec,
        id: &str,
        field: &'static FieldSpec,
        value: Stored,
    ) -> Result<()> {
        let current = self.current(kind, id, field)?;
        // Writing the value already shown settles a conflict over it: it
        // must still supersede the other candidate.
        if current == value && !self.in_conflict(id, field.name)? {
            return Ok(());
        }
        if kind.unique.iter().any(|set| set.contains(&field.name)) {
            let mut values = self.current_values(kind, id)?;
            for (spec, v) in &mut values {
                if spec.name == field.name {
                    *v = value.clone();
                }
            }
            self.check_unique(kind, id, &values)?;
        }
        self.tx
            .prepare_cached(&format!(
                "UPDATE {} SET {} = ?1, updated_at = ?2, updated_by = ?3 WHERE id = ?4",
                kind.table(),
                field.name
            ))?
            .execute(params![Sql(&value), self.now, self.device, id])?;
        let entry = Entry {
            field: Some(field.name),
            value: stored_to_log(&value),
            prev: stored_to_log(&current),
            ..Entry::op("set")
        };
        self.log(kind, id, entry)
    }

    fn delete(
        &mut self,
        kind: &'static KindSpec,
        id: &str,
        cascade_of: Option<&str>,
    ) -> Result<()> {
        self.require_live(kind, id)?;
        self.set_deleted(kind, id, Some(&self.now.clone()))?;
        self.log(
            kind,
            id,
            Entry {
                cascade_of,
                ..Entry::op("delete")
            },
        )?;
        // The records that live inside this one go to the Trash with it.
        let root = cascade_of.unwrap_or(id).to_string();
        for (child_kind, child_id) in self.children(kind, id, false)? {
            self.delete(child_kind, &child_id, Some(&root))?;
        }
        Ok(())
    }

    fn restore(
        &mut self,
        kind: &'static KindSpec,
        id: &str,
        cascade_of: Option<&str>,
    ) -> Result<()> {
        if !self.exists(kind, id)? {
            return Err(StoreError::NotFound {
                kind: kind.name.into(),
                id: id.into(),
            });
        }
        if !self.is_deleted(kind, id)? {
            return Err(StoreError::NotInTrash {
                kind: kind.name.into(),
                id: id.into(),
            });
        }
        if let Some((parent_kind, parent_id)) = self.parent(kind, id)? {
            if self.is_deleted(parent_kind, &parent_id)? {
                return Err(StoreError::ParentInTrash {
                    kind: kind.name.into(),
                    id: id.into(),
                    parent_kind: parent_kind.name.into(),
                    parent_id,
                });
            }
        }
        // Another live record may have taken its unique name meanwhile.
        if !kind.unique.is_empty() {
            let values = self.current_values(kind, id)?;
            self.check_unique(kind, id, &values)?;
        }
        self.set_deleted(kind, id, None)?;
        self.log(
            kind,
            id,
            Entry {
                cascade_of,
                ..Entry::op("restore")
            },
        )?;
        // Bring back what went to the Trash together with this record, and only that.
        let root = cascade_of.unwrap_or(id).to_string();
        for (child_kind, child_id) in self.children(kind, id, true)? {
            let last_delete_cause: Option<Option<String>> = self
                .tx
                .query_row(
                    "SELECT cascade_of FROM change WHERE record_id = ?1 AND op = 'delete'
                     ORDER BY hlc DESC LIMIT 1",
                    [&child_id],
                    |r| r.get(0),
                )
                .optional()?;
            if last_delete_cause.flatten().as_deref() == Some(root.as_str()) {
                self.restore(child_kind, &child_id, Some(&root))?;
            }
        }
        Ok(())
    }

    fn set_deleted(&mut self, kind: &KindSpec, id: &str, at: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(&format!(
                "UPDATE {} SET deleted_at = ?1, updated_at = ?2, updated_by = ?3 WHERE id = ?4",
                kind.table()
            ))?
            .execute(params![at, self.now, self.device, id])?;
        Ok(())
    }

    /// Records of kinds that live inside `kind` (by their parent field) pointing at `id`.
    fn children(
        &self,
        kind: &KindSpec,
        id: &str,
        deleted: bool,
    ) -> Result<Vec<(&'static KindSpec, String)>> {
        let mut out = Vec::new();
        for child in KINDS {
            let Some(parent_field) = child.parent.and_then(|p| child.field(p)) else {
                continue;
            };
            if parent_field.ty != (FieldType::Ref { kind: kind.name }) {
                continue;
            }
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT id FROM {} WHERE {} = ?1 AND (deleted_at IS NOT NULL) = ?2 ORDER BY id",
                child.table(),
                parent_field.name
            ))?;
            let ids = stmt.query_map(params![id, deleted], |r| r.get::<_, String>(0))?;
            for child_id in ids {
                out.push((child, child_id?));
            }
        }
        Ok(out)
    }

    fn parent(&self, kind: &KindSpec, id: &str) -> Result<Option<(&'static KindSpec, String)>> {
        let Some(field) = kind.parent.and_then(|p| kind.field(p)) else {
            return Ok(None);
        };
        let FieldType::Ref { kind: target } = field.ty else {
            return Ok(None);
        };
        let parent_id = self.current(kind, id, field)?;
        Ok(parent_id.as_text().map(|p| {
            (
                kind_spec(target).expect("registry is consistent"),
                p.to_string(),
            )
        }))
    }

    /// The highest of the record's ancestors that is in the Trash (its parent
    /// is live, so it can be restored), if any is.
    fn topmost_trashed_ancestor(
        &self,
        kind: &KindSpec,
        id: &str,
    ) -> Result<Option<(&'static KindSpec, String)>> {
        let mut found = None;
        let mut at = self.parent(kind, id)?;
        while let Some((parent_kind, parent_id)) = at {
            if !self.exists(parent_kind, &parent_id)? {
                break;
            }
            at = self.parent(parent_kind, &parent_id)?;
            if self.is_deleted(parent_kind, &parent_id)? {
                found = Some((parent_kind, parent_id));
            }
        }
        Ok(found)
    }

    fn current(&self, kind: &KindSpec, id: &str, field: &FieldSpec) -> Result<Stored> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE id = ?1",
                field.name,
                kind.table()
            ))?
            .query_row([id], |r| Ok(stored_from(r.get_ref(0)?)))?)
    }

    fn current_values(
        &self,
        kind: &'static KindSpec,
        id: &str,
    ) -> Result<Vec<(&'static FieldSpec, Stored)>> {
        kind.fields
            .iter()
            .map(|spec| Ok((spec, self.current(kind, id, spec)?)))
            .collect()
    }

    /// The checks across fields ([`check_record`]) on the record as it would
    /// be with `field` set to `value`.
    fn check_record_with(
        &self,
        kind: &'static KindSpec,
        id: &str,
        field: &FieldSpec,
        value: &Stored,
    ) -> Result<()> {
        if !checked_across(kind.name, field.name) {
            return Ok(());
        }
        let values = self.current_values(kind, id)?;
        check_record(kind, |f| match f == field.name {
            true => Some(value),
            false => values.iter().find(|(s, _)| s.name == f).map(|(_, v)| v),
        })
        .map_err(|e| ValidationErrors::from(e).into())
    }

    fn in_conflict(&self, id: &str, field: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM conflict WHERE record_id = ?1 AND field = ?2")?
            .exists([id, field])?)
    }

    fn exists(&self, kind: &KindSpec, id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", kind.table()))?
            .exists([id])?)
    }

    fn is_deleted(&self, kind: &KindSpec, id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT deleted_at IS NOT NULL FROM {} WHERE id = ?1",
                kind.table()
            ))?
            .query_row([id], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    fn require_live(&self, kind: &KindSpec, id: &str) -> Result<()> {
        if !self.exists(kind, id)? {
            return Err(StoreError::NotFound {
                kind: kind.name.into(),
                id: id.into(),
            });
        }
        if self.is_deleted(kind, id)? {
            return Err(StoreError::InTrash {
                kind: kind.name.into(),
                id: id.into(),
            });
        }
        Ok(())
    }

    fn check_references(&self, field: &FieldSpec, value: &Stored) -> Result<()> {
        let (target, ids): (&str, Vec<String>) = match (field.ty, value) {
            (FieldType::Ref { kind }, Stored::Text(id)) => (kind, vec![id.clone()]),
            (FieldType::RefList { kind }, Stored::Text(list)) => {
                (kind, serde_json::from_str(list).unwrap_or_default())
            }
            _ => return Ok(()),
        };
        let target_kind = kind_spec(target)?;
        for id in ids {
            if !self.exists(target_kind, &id)? || self.is_deleted(target_kind, &id)? {
                return Err(StoreError::MissingReference {
                    field: field.name.into(),
                    target: target.into(),
                    id,
                });
            }
        }
        Ok(())
    }

    fn check_unique(
        &self,
        kind: &KindSpec,
        id: &str,
        values: &[(&'static FieldSpec, Stored)],
    ) -> Result<()> {
        for set in kind.unique {
            let chosen: Vec<&(&FieldSpec, Stored)> = set
                .iter()
                .filter_map(|name| values.iter().find(|(s, _)| s.name == *name))
                .collect();
            if chosen.iter().any(|(_, v)| *v == Stored::Null) {
                continue;
            }
            let conditions: Vec<String> = chosen
                .iter()
                .enumerate()
                .map(|(i, (s, _))| format!("{} = ?{} COLLATE NOCASE", s.name, i + 2))
                .collect();
            let sql = format!(
                "SELECT 1 FROM {} WHERE deleted_at IS NULL AND id != ?1 AND {}",
                kind.table(),
                conditions.join(" AND ")
            );
            let mut bind: Vec<&dyn rusqlite::ToSql> = vec![&id];
            let wrapped: Vec<Sql<'_>> = chosen.iter().map(|(_, v)| Sql(v)).collect();
            bind.extend(wrapped.iter().map(|w| w as &dyn rusqlite::ToSql));
            if self.tx.prepare_cached(&sql)?.exists(bind.as_slice())? {
                let value = chosen
                    .iter()
                    .map(|(_, v)| match v {
                        Stored::Text(s) => s.clone(),
                        Stored::Int(n) => n.to_string(),
                        Stored::Null => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(" / ");
                return Err(StoreError::Duplicate {
                    kind: kind.name.into(),
                    fields: set.join(" + "),
                    value,
                });
            }
        }
        Ok(())
    }

    /// Brings the search index up to date for every record this batch touched.
    pub(crate) fn finish(self) -> Result<()> {
        for (kind, id) in &self.touched {
            search::reindex(self.tx, kind_spec(kind)?, id)?;
        }
        Ok(())
    }
}
