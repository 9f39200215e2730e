//! Imports of many rows as one action: each row's changes stand or fall
//! together (a savepoint), a row the write path refuses is reported and the
//! others are written, and the whole import is one transaction — a crash
//! leaves the database as before, and a dry run answers exactly what the
//! import would do without keeping any of it.

use rusqlite::TransactionBehavior;

use crate::error::{Result, StoreError};
use crate::write::{Change, Writer};
use crate::Store;

/// The changes of one imported row, and the contents of the attachments
/// they create (stored only when the row is written).
#[derive(Debug, Default)]
pub struct Part {
    pub changes: Vec<Change>,
    pub files: Vec<Vec<u8>>,
}

/// Why the write path refused a part: which of its changes, and the reason.
#[derive(Debug)]
pub struct PartRefusal {
    pub change: usize,
    pub error: StoreError,
}

/// Whether an import keeps what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    Keep,
    /// Check every part, then roll everything back and store no file.
    DryRun,
}

impl Store {
    /// Applies `parts` as one action called `label`, in one transaction:
    /// one answer per part, `None` when it was written. `progress` hears
    /// how many parts are done after each one.
    pub fn apply_parts(
        &mut self,
        label: &str,
        parts: impl IntoIterator<Item = Part>,
        commit: Commit,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<Option<PartRefusal>>> {
        let blobs = self.blobs.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Writer::begin(&tx, &self.device, label, None)?;
        let mut answers = Vec::new();
        for part in parts {
            let mut at = 0;
            let written = w.in_savepoint(
                |w| {
                    for change in part.changes {
                        w.apply(change)?;
                        at += 1;
                    }
                    Ok(())
                },
                |_| false,
            )?;
            answers.push(match written {
                Ok(()) => {
                    if commit == Commit::Keep {
                        for file in &part.files {
                            blobs.put(file)?;
                        }
                    }
                    None
                }
                Err(error) => Some(PartRefusal { change: at, error }),
            });
            progress(answers.len());
        }
        w.finish()?;
        // An import that wrote nothing leaves no empty action to undo.
        let wrote = answers.iter().any(Option::is_none);
        match commit {
            Commit::Keep if wrote => tx.commit()?,
            _ => tx.rollback()?,
        }
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn study(store: &mut Store) -> String {
        store
            .create("study", fields(json!({"title": "S", "fiscal_year": 2025})))
            .unwrap()
    }

    fn visit(study: &str, date: &str) -> Part {
        Part {
            changes: vec![Change::Create {
                kind: "visit".into(),
                id: None,
                fields: fields(json!({"study_id": study, "date": date})),
            }],
            files: Vec::new(),
        }
    }

    #[test]
    fn a_refused_part_leaves_nothing_and_the_others_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("f.db")).unwrap();
        let study = study(&mut store);
        let mut bad = visit(&study, "2025-01-02");
        bad.changes.push(Change::Create {
            kind: "visit".into(),
            id: None,
            fields: fields(json!({"study_id": study, "date": "2025-13-45"})),
        });
        let mut seen = Vec::new();
        let answers = store
            .apply_parts(
                "Import",
                [
                    visit(&study, "2025-01-01"),
                    bad,
                    visit(&study, "2025-01-03"),
                ],
                Commit::Keep,
                |n| seen.push(n),
            )
            .unwrap();
        assert!(answers[0].is_none() && answers[2].is_none());
        let refusal = answers[1].as_ref().unwrap();
        assert_eq!(refusal.change, 1);
        assert_eq!(refusal.error.field(), Some("date"));
        assert_eq!(seen, [1, 2, 3]);
        let visits = store.list("visit", &Default::default()).unwrap();
        let mut dates: Vec<_> = visits
            .iter()
            .map(|v| v.fields["date"].as_str().unwrap().to_string())
            .collect();
        dates.sort();
        assert_eq!(dates, ["2025-01-01", "2025-01-03"]);
        // One action: one undo takes the whole import back.
        store.undo().unwrap().unwrap();
        assert!(store.list("visit", &Default::default()).unwrap().is_empty());
    }

    #[test]
    fn a_dry_run_answers_like_the_import_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("f.db");
        let mut store = Store::open(&db).unwrap();
        let study = study(&mut store);
        let photo = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
        let mut with_file = visit(&study, "2025-01-01");
        with_file.files.push(photo.clone());
        let answers = store
            .apply_parts(
                "Import",
                [with_file, visit(&study, "bad")],
                Commit::DryRun,
                |_| {},
            )
            .unwrap();
        assert!(answers[0].is_none());
        assert!(answers[1].is_some());
        assert!(store.list("visit", &Default::default()).unwrap().is_empty());
        let sha = crate::blobs::attachment_fields("p.jpg", "photo", &photo).unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!store.blobs().contains(&sha));
    }
}
