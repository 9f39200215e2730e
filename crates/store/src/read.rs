//! Reading records back: one, a list, the Trash.

use fieldbook_core::kinds::{FieldType, KindSpec, KINDS};
use fieldbook_core::validate::to_json;
use rusqlite::{OptionalExtension, Row};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Result, StoreError};
use crate::sql::{select_columns, stored_from};
use crate::write::kind_spec;
use crate::Store;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Record {
    pub kind: &'static str,
    pub id: String,
    /// A human name for lists: the kind's title fields, references resolved.
    pub title: String,
    pub fields: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only records whose parent field points at this id.
    pub parent_id: Option<String>,
    /// List the Trash's records of this kind instead of the live ones.
    pub deleted: bool,
    pub limit: Option<usize>,
}

fn record_from_row(kind: &'static KindSpec, row: &Row<'_>) -> rusqlite::Result<Record> {
    let mut fields = Map::new();
    for (i, spec) in kind.fields.iter().enumerate() {
        let stored = stored_from(row.get_ref(i + 1)?);
        fields.insert(spec.name.to_string(), to_json(spec, &stored));
    }
    let n = kind.fields.len();
    Ok(Record {
        kind: kind.name,
        id: row.get(0)?,
        title: String::new(),
        fields,
        created_at: row.get(n + 1)?,
        updated_at: row.get(n + 2)?,
        updated_by: row.get(n + 3)?,
        deleted_at: row.get(n + 4)?,
    })
}

impl Store {
    pub fn get(&self, kind: &str, id: &str) -> Result<Record> {
        let spec = kind_spec(kind)?;
        let mut record = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE id = ?1",
                select_columns(spec),
                spec.table()
            ))?
            .query_row([id], |r| record_from_row(spec, r))
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                kind: kind.into(),
                id: id.into(),
            })?;
        record.title = self.title(spec, &record.fields, 0)?;
        Ok(record)
    }

    pub fn list(&self, kind: &str, query: &ListQuery) -> Result<Vec<Record>> {
        let spec = kind_spec(kind)?;
        let mut sql = format!(
            "SELECT {} FROM {} WHERE (deleted_at IS NOT NULL) = ?1",
            select_columns(spec),
            spec.table()
        );
        let parent = match (&query.parent_id, spec.parent) {
            (Some(id), Some(field)) => {
                sql.push_str(&format!(" AND {field} = ?2"));
                Some(id.as_str())
            }
            (Some(_), None) => {
                return Err(StoreError::UnknownField {
                    kind: kind.into(),
                    field: "parent".into(),
                })
            }
            (None, _) => None,
        };
        let order: Vec<String> = spec
            .title
            .iter()
            .map(|f| format!("{f} COLLATE NOCASE"))
            .chain(["id".to_string()])
            .collect();
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
        if let Some(limit) = query.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut bind: Vec<&dyn rusqlite::ToSql> = vec![&query.deleted];
        if let Some(p) = &parent {
            bind.push(p);
        }
        let rows = stmt.query_map(bind.as_slice(), |r| record_from_row(spec, r))?;
        let mut records = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        for r in &mut records {
            r.title = self.title(spec, &r.fields, 0)?;
        }
        Ok(records)
    }

    /// Everything in the Trash that the user deleted themselves (records that went
    /// along with a deleted parent come back with it), newest first.
    pub fn trash(&self) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for kind in KINDS {
            let deleted = self.list(
                kind.name,
                &ListQuery {
                    deleted: true,
                    ..ListQuery::default()
                },
            )?;
            for record in deleted {
                // The record's last delete: its clock orders the Trash, its cause
                // says whether it went along with a parent.
                let (hlc, cascaded): (i64, bool) = self.conn.query_row(
                    "SELECT hlc, cascade_of IS NOT NULL FROM change
                     WHERE record_id = ?1 AND op = 'delete'
                     ORDER BY hlc DESC LIMIT 1",
                    [&record.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if !cascaded {
                    out.push((hlc, record));
                }
            }
        }
        out.sort_by_key(|(hlc, _)| std::cmp::Reverse(*hlc));
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    /// The study a record belongs to, following parent fields up.
    pub fn study_of(&self, kind: &str, id: &str) -> Result<Option<String>> {
        let spec = kind_spec(kind)?;
        if spec.name == "study" {
            return Ok(Some(id.to_string()));
        }
        let Some(parent_field) = spec.parent.and_then(|p| spec.field(p)) else {
            return Ok(None);
        };
        let FieldType::Ref { kind: parent_kind } = parent_field.ty else {
            return Ok(None);
        };
        let parent_id: Option<String> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE id = ?1",
                parent_field.name,
                spec.table()
            ))?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten();
        match parent_id {
            Some(p) => self.study_of(parent_kind, &p),
            None => Ok(None),
        }
    }

    fn title(&self, spec: &KindSpec, fields: &Map<String, Value>, depth: u8) -> Result<String> {
        let mut parts = Vec::new();
        for name in spec.title {
            let value = fields.get(*name).unwrap_or(&Value::Null);
            let part = match (spec.field(name).map(|f| f.ty), value) {
                (Some(FieldType::Ref { kind }), Value::String(id)) if depth < 2 => {
                    let target = kind_spec(kind)?;
                    match self.get_fields(target, id)? {
                        Some(f) => self.title(target, &f, depth + 1)?,
                        None => id.clone(),
                    }
                }
                (_, Value::String(s)) => s.clone(),
                (_, Value::Null) => continue,
                (_, other) => other.to_string(),
            };
            if !part.is_empty() {
                parts.push(part);
            }
        }
        // A long text as a title: its first line, shortened.
        let joined = parts.join(" – ");
        let first_line = joined.lines().next().unwrap_or_default();
        Ok(match first_line.char_indices().nth(120) {
            Some((cut, _)) => format!("{}…", &first_line[..cut]),
            None => first_line.to_string(),
        })
    }

    fn get_fields(&self, spec: &'static KindSpec, id: &str) -> Result<Option<Map<String, Value>>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM {} WHERE id = ?1",
                select_columns(spec),
                spec.table()
            ))?
            .query_row([id], |r| record_from_row(spec, r))
            .optional()?
            .map(|r| r.fields))
    }
}
