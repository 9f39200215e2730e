//! The whole content as canonical JSON: kinds and records sorted by id, keys
//! sorted, no volatile fields (timestamps, device ids). Two replicas with the
//! same content print byte-identical dumps.

use std::collections::BTreeMap;

use fieldbook_core::KINDS;
use serde_json::Value;

use crate::error::Result;
use crate::read::ListQuery;
use crate::Store;

impl Store {
    pub fn dump(&self) -> Result<String> {
        let mut kinds = BTreeMap::new();
        for kind in KINDS {
            let mut records = Vec::new();
            for deleted in [false, true] {
                let query = ListQuery {
                    deleted,
                    ..ListQuery::default()
                };
                for r in self.list(kind.name, &query)? {
                    let mut obj: BTreeMap<String, Value> = r.fields.into_iter().collect();
                    obj.insert("id".into(), Value::String(r.id));
                    obj.insert("deleted".into(), Value::Bool(r.deleted_at.is_some()));
                    records.push(obj);
                }
            }
            records.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            let records: Vec<Value> = records.into_iter().map(canonical).collect();
            kinds.insert(kind.name.to_string(), Value::Array(records));
        }
        let mut top = BTreeMap::new();
        top.insert("records".to_string(), canonical(kinds));
        top.insert(
            "schema_version".to_string(),
            Value::from(self.schema_version()?),
        );
        let mut out = serde_json::to_string_pretty(&canonical(top)).expect("JSON values serialise");
        out.push('\n');
        Ok(out)
    }
}

/// An object whose keys are inserted in sorted order (serde_json keeps insertion order).
fn canonical(map: BTreeMap<String, Value>) -> Value {
    Value::Object(map.into_iter().collect())
}
