//! Imports of KoboToolbox and ODK Central submission exports (CSV, XLSX,
//! Central's ZIP) and their media ZIPs: each submission becomes a visit,
//! and a finding with its measurements and photos, through a column
//! mapping the user confirms. Everything is written through the store's one
//! write path, in one transaction; rows that fail its checks are reported
//! with their row, column and reason, and the others are imported.

mod form;
mod mapping;
mod media;
mod propose;
mod records;
mod sheet;
mod submissions;
#[doc(hidden)]
pub mod synthetic;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use fieldbook_store::{attachment_fields, Commit, Store, StoreError};
use serde::Serialize;

pub use form::Form;
pub use mapping::{
    ColumnMeasurement, Field, FindingMapping, Location, Mapping, RepeatMeasurements, RepeatPhotos,
    VisitMapping,
};
pub use media::MediaZip;
pub use propose::{propose, propose_with};
pub use submissions::{Submissions, Tool};

use media::Missing;
use records::{Planned, Planner};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0} is empty")]
    Empty(String),
    #[error("{0}")]
    NotATable(String),
    #[error("{0}")]
    BadZip(String),
    #[error("the mapping does not fit this export: {0}")]
    Mapping(String),
    #[error("study {0} is in the Trash: restore it before importing into it")]
    StudyInTrash(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ImportError {
    /// The error of reading `path`, naming it.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
        move |source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A file's name for messages and labels (its path when it has none).
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A row that was not imported: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    /// The cell's content as the export holds it ("" when it is empty).
    pub value: String,
    /// What is wrong, as a stable code the app translates (`not_date`,
    /// `unknown_unit`, `photo_missing` …), with the values its message names.
    pub code: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// What is wrong, in English.
    pub reason: String,
}

/// Why a row is rejected, before it is placed at its row and column.
#[derive(Debug, Clone)]
pub(crate) struct Reason {
    code: String,
    params: BTreeMap<String, String>,
    text: String,
}

impl Reason {
    pub(crate) fn new(code: &str, text: impl Into<String>) -> Reason {
        Reason {
            code: code.into(),
            params: BTreeMap::new(),
            text: text.into(),
        }
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Reason {
        self.params.insert(name.into(), value.into());
        self
    }

    /// The write path's reason for refusing a change.
    fn refused(error: &StoreError) -> Reason {
        match error {
            // The column is reported beside the reason: no field name in it.
            StoreError::Invalid(errors) => {
                let first = errors.0.first();
                Reason {
                    code: first.map_or("invalid", |e| e.code).into(),
                    params: first
                        .map(|e| {
                            e.params
                                .iter()
                                .map(|(k, v)| (k.to_string(), v.clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                    text: errors
                        .0
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            }
            other => Reason::new(other.code(), other.to_string()),
        }
    }

    /// This reason, at a row's cell.
    pub(crate) fn at(self, sheet: &str, row: usize, column: &str, value: &str) -> Rejection {
        Rejection {
            sheet: sheet.into(),
            row,
            column: column.into(),
            value: value.into(),
            code: self.code,
            params: self.params,
            reason: self.text,
        }
    }
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub submissions: usize,
    pub visits: usize,
    pub findings: usize,
    pub measurements: usize,
    pub photos: usize,
    /// Submissions imported before (or twice in this export): nothing added.
    pub already_imported: usize,
    pub rejected: Vec<Rejection>,
    pub dry_run: bool,
}

impl ImportReport {
    /// The rejected rows as CSV (UTF-8 with a BOM, for Excel).
    pub fn rejections_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        w.write_record(["sheet", "row", "column", "value", "reason"])?;
        for r in &self.rejected {
            w.write_record([&r.sheet, &r.row.to_string(), &r.column, &r.value, &r.reason])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// Opens the media ZIP given beside an export.
pub fn open_media(path: &Path) -> Result<MediaZip<File>, ImportError> {
    let file = File::open(path).map_err(ImportError::io(path))?;
    MediaZip::open(&file_name(path), file)
}

/// Imports `subs` into study `study_id` through `mapping`: one action (one
/// undo) and one transaction. `progress` hears (submissions done, total).
pub fn import(
    store: &mut Store,
    subs: &mut Submissions,
    media: Option<MediaZip<File>>,
    mapping: &Mapping,
    study_id: &str,
    commit: Commit,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let study = store.get("study", study_id)?;
    if study.deleted_at.is_some() {
        return Err(ImportError::StudyInTrash(study_id.to_string()));
    }
    mapping.check(subs)?;
    let mut media = media.or_else(|| subs.media.take());
    let mut report = ImportReport {
        submissions: subs.main.rows.len(),
        dry_run: commit == Commit::DryRun,
        ..ImportReport::default()
    };

    // First pass, reading the store: what is new, and what it makes.
    let planner = Planner {
        subs,
        mapping,
        study_id,
    };
    let mut seen = HashSet::new();
    let mut plans = Vec::new();
    for row in &subs.main.rows {
        let stable_id = subs.stable_id(row);
        if stable_id.is_empty() {
            let reason = Reason::new(
                "no_submission_id",
                "the submission has no id: it cannot be told apart from others",
            );
            let main = &subs.main.name;
            report
                .rejected
                .push(reason.at(main, row.number, &subs.id_column, ""));
            continue;
        }
        if let Some((column, status, reason)) = subs.unreadable(row) {
            let reason = Reason::new("encrypted", reason).with("status", status);
            let main = &subs.main.name;
            report
                .rejected
                .push(reason.at(main, row.number, column, status));
            continue;
        }
        let visit_id = records::derived_id(study_id, subs, stable_id, "visit");
        if !seen.insert(stable_id) || exists(store, "visit", &visit_id)? {
            report.already_imported += 1;
            continue;
        }
        match planner.plan(row, stable_id) {
            Ok(planned) => plans.push((row, planned)),
            Err(rejections) => report.rejected.extend(rejections),
        }
    }

    // Second pass, writing: photos are read from the ZIP as their
    // submission's turn comes, so only one is held in memory at a time.
    let total = subs.main.rows.len();
    let skipped = total - plans.len();
    let mut written = Vec::new();
    let mut photo_rejections = Vec::new();
    let parts = plans.into_iter().filter_map(|(row, mut planned)| {
        match read_photos(subs, row, &mut planned, media.as_mut()) {
            Ok(()) => {
                written.push((planned.origins, count(&planned.part)));
                Some(planned.part)
            }
            Err(rejection) => {
                photo_rejections.push(*rejection);
                None
            }
        }
    });
    let label = format!("Import {} export {}", subs.tool.name(), subs.file_name);
    let answers = store.apply_parts(&label, parts, commit, |done| {
        progress(skipped + done, total)
    })?;
    report.rejected.extend(photo_rejections);
    for ((origins, counts), answer) in written.into_iter().zip(answers) {
        match answer {
            None => {
                report.visits += counts[0];
                report.findings += counts[1];
                report.measurements += counts[2];
                report.photos += counts[3];
            }
            Some(refusal) => {
                let origin = &origins[refusal.change];
                let reason = Reason::refused(&refusal.error);
                report
                    .rejected
                    .push(origin.reject(refusal.error.field(), reason));
            }
        }
    }
    report
        .rejected
        .sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    progress(total, total);
    Ok(report)
}

/// The first `n` submissions as the records they would become (before
/// the store's checks, which a dry run adds), or the cells that stop them.
pub fn preview(
    subs: &Submissions,
    mapping: &Mapping,
    study_id: &str,
    n: usize,
) -> Result<Vec<PreviewRow>, ImportError> {
    mapping.check(subs)?;
    let planner = Planner {
        subs,
        mapping,
        study_id,
    };
    Ok(subs
        .main
        .rows
        .iter()
        .take(n)
        .map(|row| {
            let planned = planner.plan(row, subs.stable_id(row));
            let (records, rejected) = match planned {
                Ok(planned) => (
                    planned
                        .part
                        .changes
                        .into_iter()
                        .filter_map(|c| match c {
                            fieldbook_store::Change::Create { kind, fields, .. } => {
                                Some(PreviewRecord { kind, fields })
                            }
                            _ => None,
                        })
                        .chain(planned.photos.into_iter().map(|p| PreviewRecord {
                            kind: "attachment".into(),
                            fields: serde_json::Map::from_iter([(
                                "file_name".to_string(),
                                serde_json::Value::from(p.file_name),
                            )]),
                        }))
                        .collect(),
                    Vec::new(),
                ),
                Err(rejected) => (Vec::new(), rejected),
            };
            PreviewRow {
                row: row.number,
                records,
                rejected,
            }
        })
        .collect())
}

/// One submission in a preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewRow {
    pub row: usize,
    pub records: Vec<PreviewRecord>,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewRecord {
    pub kind: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

fn exists(store: &Store, kind: &str, id: &str) -> Result<bool, ImportError> {
    match store.get(kind, id) {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Visits, findings, measurements and photos a part creates.
fn count(part: &fieldbook_store::Part) -> [usize; 4] {
    let mut counts = [0; 4];
    for change in &part.changes {
        if let fieldbook_store::Change::Create { kind, .. } = change {
            match kind.as_str() {
                "visit" => counts[0] += 1,
                "finding" => counts[1] += 1,
                "measurement" => counts[2] += 1,
                "attachment" => counts[3] += 1,
                _ => {}
            }
        }
    }
    counts
}

/// Reads a submission's photos from the media ZIP and adds them to its
/// records, or says which photo stops it.
fn read_photos(
    subs: &Submissions,
    row: &sheet::Row,
    planned: &mut Planned,
    mut media: Option<&mut MediaZip<File>>,
) -> Result<(), Box<Rejection>> {
    let photos = std::mem::take(&mut planned.photos);
    let folders = subs.media_folders(row);
    for photo in &photos {
        let file = photo.file_name.as_str();
        let reject =
            |reason: Reason| Box::new(reason.at(&photo.sheet, photo.row, &photo.column, file));
        let Some(zip) = media.as_deref_mut() else {
            return Err(reject(
                Reason::new(
                    "no_media",
                    format!("photo {file} is named but no media ZIP was given"),
                )
                .with("file", file),
            ));
        };
        // Kobo stores names with spaces as underscores.
        let stored_name = file.replace(' ', "_");
        let found = zip
            .find(file, &folders)
            .or_else(|_| zip.find(&stored_name, &folders));
        let (path, index) = found.map_err(|missing| {
            reject(
                match missing {
                    Missing::NotInZip => Reason::new(
                        "photo_missing",
                        format!("photo {file} is not in {}", zip.name()),
                    ),
                    Missing::Ambiguous(n) => Reason::new(
                        "photo_ambiguous",
                        format!(
                            "{} holds {n} files named {file} and none in this submission's folder",
                            zip.name()
                        ),
                    )
                    .with("count", n.to_string()),
                }
                .with("file", file)
                .with("zip", zip.name()),
            )
        })?;
        let bytes = zip
            .read(index, &path)
            .map_err(|e| reject(Reason::new("bad_zip", e.to_string())))?;
        let fields =
            attachment_fields(file, "photo", &bytes).map_err(|e| reject(Reason::refused(&e)))?;
        planned.attach(photo, fields, bytes);
    }
    Ok(())
}

/// A mapping from a JSON file.
pub fn read_mapping_file(path: &Path) -> Result<Mapping, ImportError> {
    let file = File::open(path).map_err(ImportError::io(path))?;
    serde_json::from_reader(BufReader::new(file))
        .map_err(|e| ImportError::Mapping(format!("{} is not a mapping: {e}", path.display())))
}

const MAPPING_SETTING: &str = "import.mapping.";

/// The mapping saved under `name`, if any.
pub fn saved_mapping(store: &Store, name: &str) -> Result<Option<Mapping>, ImportError> {
    match store.setting(&format!("{MAPPING_SETTING}{name}"))? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
            ImportError::Mapping(format!("the saved mapping '{name}' is damaged: {e}"))
        }),
    }
}

/// The names of the saved mappings.
pub fn saved_mapping_names(store: &Store) -> Result<Vec<String>, ImportError> {
    Ok(store
        .settings_under(MAPPING_SETTING)?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// Saves `mapping` under `name` (replacing one of that name).
pub fn save_mapping(store: &Store, name: &str, mapping: &Mapping) -> Result<(), ImportError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ImportError::Mapping("a saved mapping needs a name".into()));
    }
    let json = serde_json::to_string(mapping).expect("a mapping serialises");
    store.set_setting(&format!("{MAPPING_SETTING}{name}"), &json)?;
    Ok(())
}
