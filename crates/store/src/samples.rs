//! Sample data from the programme guidebook (`assets/samples/*.json`), loaded on
//! request and on the app's first run. The files are data: each record has a
//! `key`, and a reference field names another record as `"@key"`. A sample
//! photo is an `attachment` whose `file` names a picture under
//! `assets/samples/`: its bytes go to the attachment store and its record gets
//! their hash, type and size, as [`Store::attach`] would give it.

use std::collections::HashMap;

use fieldbook_core::ids::new_record_id;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::blobs::content_fields;
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
    (
        "05-study-phnom-penh.json",
        include_str!("../../../assets/samples/05-study-phnom-penh.json"),
    ),
];

const SAMPLE_PHOTOS: &[(&str, &[u8])] = &[
    (
        "photos/danang-caudo-pumps.jpg",
        include_bytes!("../../../assets/samples/photos/danang-caudo-pumps.jpg"),
    ),
    (
        "photos/danang-antrach-intake.jpg",
        include_bytes!("../../../assets/samples/photos/danang-antrach-intake.jpg"),
    ),
    (
        "photos/semarang-depot.jpg",
        include_bytes!("../../../assets/samples/photos/semarang-depot.jpg"),
    ),
    (
        "photos/phnompenh-roof.jpg",
        include_bytes!("../../../assets/samples/photos/phnompenh-roof.jpg"),
    ),
    (
        "photos/phnompenh-chiller.jpg",
        include_bytes!("../../../assets/samples/photos/phnompenh-chiller.jpg"),
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
        let (changes, photos) = sample_changes()?;
        let records = changes.len();
        // The files first: a photo stored without its record is harmless
        // (content-addressed, stored again as the same file); a record
        // without its file is not.
        for bytes in photos {
            self.blobs.put(bytes)?;
        }
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

/// The records to create, and the photo files they refer to.
fn sample_changes() -> Result<(Vec<Change>, Vec<&'static [u8]>)> {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut changes = Vec::new();
    let mut photos = Vec::new();
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
            if let Some(Value::String(file)) = fields.remove("file") {
                let bytes = sample_photo(&file)
                    .ok_or_else(|| StoreError::Sample(format!("{name}: no photo {file}")))?;
                let name = file.rsplit('/').next().unwrap_or(&file);
                fields.extend(content_fields(name, bytes));
                photos.push(bytes);
            }
            changes.push(Change::Create {
                kind: record.kind,
                id: Some(id),
                fields,
            });
        }
    }
    Ok((changes, photos))
}

fn sample_photo(file: &str) -> Option<&'static [u8]> {
    SAMPLE_PHOTOS
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, bytes)| *bytes)
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
