//! Sample data from the programme guidebook (`assets/samples/*.json`), loaded on
//! request and on the app's first run. The files are data: each record has a
//! `key`, and a reference field names another record as `"@key"`.

use std::collections::HashMap;

use fieldbook_core::ids::new_record_id;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Result, StoreError};
use crate::write::Change;
use crate::Store;

const SAMPLE_FILES: &[(&str, &str)] = &[
    (
        "01-countries.json",
        include_str!("../../../assets/samples/01-countries.json"),
    ),
    (
        "02-directory.json",
        include_str!("../../../assets/samples/02-directory.json"),
    ),
    (
        "03-study-semarang.json",
        include_str!("../../../assets/samples/03-study-semarang.json"),
    ),
    (
        "04-study-danang.json",
        include_str!("../../../assets/samples/04-study-danang.json"),
    ),
];

const LOADED_KEY: &str = "samples_loaded";

#[derive(Deserialize)]
struct SampleFile {
    records: Vec<SampleRecord>,
}

#[derive(Deserialize)]
struct SampleRecord {
    kind: String,
    key: String,
    fields: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum SampleOutcome {
    Loaded { records: usize },
    AlreadyLoaded,
}

impl Store {
    /// Loads the sample data once, as one undoable action.
    pub fn load_samples(&mut self) -> Result<SampleOutcome> {
        if self.meta(LOADED_KEY)?.is_some() {
            return Ok(SampleOutcome::AlreadyLoaded);
        }
        let changes = sample_changes()?;
        let records = changes.len();
        self.apply_marking("Load sample data", changes, Some((LOADED_KEY, "1")))?;
        Ok(SampleOutcome::Loaded { records })
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }
}

fn sample_changes() -> Result<Vec<Change>> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut changes = Vec::new();
    for (name, text) in SAMPLE_FILES {
        let file: SampleFile =
            serde_json::from_str(text).map_err(|e| StoreError::Sample(format!("{name}: {e}")))?;
        for record in file.records {
            let id = new_record_id();
            if ids.insert(record.key.clone(), id.clone()).is_some() {
                return Err(StoreError::Sample(format!(
                    "{name}: key {} twice",
                    record.key
                )));
            }
            let mut fields = Map::new();
            for (field, value) in record.fields {
                let resolved = resolve(&value, &ids).map_err(|key| {
                    StoreError::Sample(format!("{name}: {}: unknown {key}", record.key))
                })?;
                fields.insert(field, resolved);
            }
            changes.push(Change::Create {
                kind: record.kind,
                id: Some(id),
                fields,
            });
        }
    }
    Ok(changes)
}

/// Replaces `"@key"` (alone or in a list) by the id made for that key.
fn resolve(value: &Value, ids: &HashMap<String, String>) -> std::result::Result<Value, String> {
    match value {
        Value::String(s) => match s.strip_prefix('@') {
            Some(key) => ids
                .get(key)
                .map(|id| Value::String(id.clone()))
                .ok_or_else(|| s.clone()),
            None => Ok(value.clone()),
        },
        Value::Array(items) => items.iter().map(|v| resolve(v, ids)).collect(),
        other => Ok(other.clone()),
    }
}
