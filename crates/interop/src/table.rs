//! A study's records as tables, one per kind, with typed cells: the XLSX
//! and CSV writers render the same tables, each in its own way.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use fieldbook_core::kinds::{FieldSpec, FieldType, KindSpec, KINDS};
use fieldbook_store::{ListQuery, Record, Store};
use serde_json::Value;

use crate::{live_study, Lang, Result};

/// The kind a kind's records hang below (`finding` for `measurement`).
fn parent_kind(kind: &KindSpec) -> Option<&'static str> {
    match kind.parent.and_then(|p| kind.field(p))?.ty {
        FieldType::Ref { kind } => Some(kind),
        _ => None,
    }
}

fn belongs_to_study(kind: &KindSpec) -> bool {
    match parent_kind(kind) {
        Some("study") => true,
        Some(parent) => fieldbook_core::kinds::kind(parent).is_some_and(belongs_to_study),
        None => false,
    }
}

/// Every kind whose records belong to a study, parents before children (the
/// registry's order, checked by a test).
pub(crate) fn exported() -> impl Iterator<Item = &'static KindSpec> {
    KINDS.iter().filter(|k| belongs_to_study(k))
}

/// One kind's live records in a study.
pub struct KindTable {
    pub kind: &'static KindSpec,
    pub records: Vec<Record>,
}

/// The study and a table per kind it has records of, read through the
/// store's read API by following parent references down from the study.
pub fn study_tables(store: &Store, study_id: &str) -> Result<(Record, Vec<KindTable>)> {
    let study = live_study(store, study_id)?;
    let mut ids: HashMap<&str, Vec<String>> = HashMap::from([("study", vec![study.id.clone()])]);
    let mut tables = Vec::new();
    for kind in exported() {
        let parents = parent_kind(kind).and_then(|p| ids.get(p)).cloned();
        let mut records = Vec::new();
        for parent_id in parents.unwrap_or_default() {
            records.extend(store.list(
                kind.name,
                &ListQuery {
                    parent_id: Some(parent_id),
                    ..ListQuery::default()
                },
            )?);
        }
        ids.insert(kind.name, records.iter().map(|r| r.id.clone()).collect());
        if !records.is_empty() {
            tables.push(KindTable { kind, records });
        }
    }
    Ok((study, tables))
}

/// A value as the spreadsheet should hold it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// An exact decimal: `f64` for spreadsheets, its canonical text for CSV.
    Number(f64, String),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
}

impl Cell {
    fn of(spec: &FieldSpec, value: &Value) -> Cell {
        match (spec.ty, value) {
            (_, Value::Null) => Cell::Empty,
            (FieldType::Bool, Value::Bool(b)) => Cell::Bool(*b),
            (FieldType::Int { .. }, Value::Number(n)) => n.as_i64().map_or(Cell::Empty, Cell::Int),
            (
                FieldType::Decimal { .. } | FieldType::Latitude | FieldType::Longitude,
                Value::String(s),
            ) => match s.parse() {
                Ok(f) => Cell::Number(f, s.clone()),
                Err(_) => Cell::Text(s.clone()),
            },
            (FieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_or_else(|_| Cell::Text(s.clone()), Cell::Date),
            // Several ids in one cell, as Excel users split them.
            (FieldType::RefList { .. }, Value::Array(ids)) => {
                let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
                if ids.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(ids.join(";"))
                }
            }
            (_, Value::String(s)) => Cell::Text(s.clone()),
            (_, other) => Cell::Text(other.to_string()),
        }
    }

    /// The cell as text: what CSV holds, and what column widths are measured on.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) | Cell::Number(_, s) => Cow::Borrowed(s),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
        }
    }
}

impl KindTable {
    /// The record id first (so a re-import can match rows), then every field.
    pub fn headers(&self, lang: Lang) -> Vec<String> {
        std::iter::once(lang.label("id", &[]))
            .chain(
                self.kind
                    .fields
                    .iter()
                    .map(|f| lang.header(self.kind.name, f.name)),
            )
            .collect()
    }

    pub fn rows(&self) -> impl Iterator<Item = Vec<Cell>> + '_ {
        self.records.iter().map(|r| {
            std::iter::once(Cell::Text(r.id.clone()))
                .chain(
                    self.kind
                        .fields
                        .iter()
                        .map(|f| Cell::of(f, r.fields.get(f.name).unwrap_or(&Value::Null))),
                )
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_before_their_children() {
        let order: Vec<&str> = exported().map(|k| k.name).collect();
        for kind in exported() {
            let parent = parent_kind(kind).unwrap();
            if parent != "study" {
                let at = |n: &str| order.iter().position(|k| *k == n).unwrap();
                assert!(at(parent) < at(kind.name), "{} before {parent}", kind.name);
            }
        }
        for expected in [
            "visit",
            "finding",
            "measurement",
            "need",
            "technology",
            "member",
            "credit_share",
            "activity",
            "estimate",
            "estimate_input",
        ] {
            assert!(order.contains(&expected), "{expected}");
        }
    }
}
