//! Text for people, JSON (`--json`) for scripts.

use anyhow::Result;
use fieldbook_core::units::UnitCatalogue;
use fieldbook_store::{Hit, Record, SkipReason, UndoOutcome};
use serde_json::Value;

pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn value(&self, v: &Value, text: impl FnOnce(&Value) -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(v)?);
        } else {
            println!("{}", text(v));
        }
        Ok(())
    }

    pub fn done(&self, message: &str) -> Result<()> {
        self.value(&serde_json::json!({"ok": true, "message": message}), |_| {
            message.to_string()
        })
    }

    pub fn record(&self, r: &Record) -> Result<()> {
        self.value(&serde_json::to_value(r)?, |_| {
            let mut lines = vec![format!("{} {}  {}", r.kind, r.id, r.title)];
            for (name, value) in &r.fields {
                let shown = match value {
                    Value::Null => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                lines.push(format!("  {name:<22} {shown}"));
            }
            if let Some(at) = &r.deleted_at {
                lines.push(format!("  (in the Trash since {at})"));
            }
            lines.join("\n")
        })
    }

    pub fn records(&self, records: &[Record]) -> Result<()> {
        self.value(&serde_json::to_value(records)?, |_| {
            if records.is_empty() {
                return "(none)".into();
            }
            records
                .iter()
                .map(|r| format!("{}  {:<10} {}", r.id, r.kind, r.title))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    pub fn hits(&self, hits: &[Hit]) -> Result<()> {
        self.value(&serde_json::to_value(hits)?, |_| {
            if hits.is_empty() {
                return "No matches".into();
            }
            hits.iter()
                .map(|h| {
                    let snippet = h
                        .snippet
                        .replace(['\u{E000}', '\u{E001}'], "*")
                        .replace('\n', " ");
                    format!("{}  {:<10} {}\n    {}", h.id, h.kind, h.title, snippet)
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
    }
}

/// "Undid: Edit study (Bus fleet study)", then one line per change left as it was.
pub fn undo_outcome(verb: &str, u: &UndoOutcome) -> String {
    let mut text = match &u.title {
        Some(title) => format!("{verb}: {} ({title})", u.label),
        None => format!("{verb}: {}", u.label),
    };
    for s in &u.skipped {
        let what = match &s.field {
            Some(field) => format!("{} {} {field}", s.kind, s.record_id),
            None => format!("{} {}", s.kind, s.record_id),
        };
        let why = match &s.reason {
            SkipReason::ChangedSince => "changed since; the newer value stays".to_string(),
            SkipReason::InTrash => "in the Trash now".to_string(),
            SkipReason::NotInTrash => "no longer in the Trash".to_string(),
            SkipReason::Refused { message } => message.clone(),
        };
        text.push_str(&format!("\n  left as it is: {what}: {why}"));
    }
    text
}

pub fn units_table(cat: &UnitCatalogue) -> String {
    let mut lines: Vec<String> = cat
        .units
        .iter()
        .map(|u| format!("{:<12} {:<24} {}", u.code, u.dimension, u.label_en))
        .collect();
    lines.extend(
        cat.currencies
            .iter()
            .map(|c| format!("{:<12} {:<24} {}", c.code, "currency", c.name_en)),
    );
    lines.join("\n")
}
