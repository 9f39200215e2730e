//! The Import wizard's commands: a KoboToolbox or ODK Central submission
//! export (and its media ZIP) into a study, through a column mapping the user
//! confirms (fieldbook_interop::import). The export is read once and kept
//! while the wizard asks about it (its columns, a preview as the mapping
//! changes); the import runs on a blocking thread and tells the window how
//! far it got (`survey-import-progress`); its rejected rows can be saved as
//! CSV.
//!
//! Files are named by path: the native open dialog fills the wizard's path
//! fields, and a path may also be typed or pasted there (a file manager's
//! "Copy" gives a `file://` address, which is taken too). WebDriver tests
//! type it, as they cannot click in a native dialog.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use fieldbook_interop::import::{
    self, ImportError, ImportReport, Mapping, PreviewRow, Submissions, Tool,
};
use fieldbook_store::Commit;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::{chosen, io_error, on_store, save_path, AppState, CmdResult, CommandError};

/// Submissions shown in the mapping step's preview.
const PREVIEW_ROWS: usize = 5;

/// Progress events at most this often (an export may have thousands of rows).
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// The wizard's memory between its commands.
#[derive(Default)]
pub struct ImportState {
    /// The export read last: the wizard's steps ask about it again and again.
    loaded: Arc<Mutex<Option<Loaded>>>,
    /// The last run's report (and its export's name), for "Save as CSV".
    last: Mutex<Option<(String, ImportReport)>>,
}

struct Loaded {
    tool: Tool,
    path: PathBuf,
    /// Size and modification time when read: a changed file is read again.
    stamp: Stamp,
    subs: Submissions,
}

type Stamp = (u64, Option<SystemTime>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl From<ImportError> for CommandError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Store(e) => e.into(),
            ImportError::StudyInTrash(_) => CommandError::new("in_trash", e.to_string(), None),
            ImportError::Mapping(_) => CommandError::new("mapping", e.to_string(), None),
            ImportError::Io { .. } => io_error(e),
            e => CommandError::new("import_file", e.to_string(), None),
        }
    }
}

/// An error about the file in wizard field `field` (`file`, `media` or `form`).
fn file_error(e: ImportError, field: &str) -> CommandError {
    let code = match e {
        ImportError::Io { .. } => "io",
        _ if field == "form" => "bad_form",
        _ => "import_file",
    };
    CommandError::new(code, e.to_string(), Some(field))
}

fn invalid(message: String, field: &str) -> CommandError {
    CommandError::new("invalid", message, Some(field))
}

fn stopped(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(
        "internal",
        format!("the import stopped unexpectedly: {e}"),
        None,
    )
}

fn tool(name: &str) -> CmdResult<Tool> {
    name.parse().map_err(|e| invalid(e, "tool"))
}

/// The path the user typed, pasted or chose: surrounding quotes and
/// whitespace dropped, a `file://` address and a leading `~/` understood.
fn user_path(text: &str, field: &str) -> CmdResult<PathBuf> {
    let mut text = text.trim();
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            text = &text[1..text.len() - 1];
        }
    }
    if text.is_empty() {
        let what = if field == "media" {
            "the media ZIP"
        } else {
            "the export file"
        };
        return Err(invalid(format!("choose {what}"), field));
    }
    let path = if text.starts_with("file://") {
        // `file:///home/…` or `file://localhost/home/…`, %-escaped.
        url::Url::parse(text)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| invalid(format!("{text} is not a file address"), field))?
    } else if let Some(rest) = text.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => PathBuf::from(text),
        }
    } else {
        PathBuf::from(text)
    };
    if !path.is_file() {
        let why = if path.exists() {
            "is not a file"
        } else {
            "does not exist"
        };
        return Err(CommandError::new(
            "no_file",
            format!("{} {why}", path.display()),
            Some(field),
        ));
    }
    Ok(path)
}

/// An optional path field: none when left empty.
fn optional_path(text: Option<String>, field: &str) -> CmdResult<Option<PathBuf>> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| user_path(&t, field))
        .transpose()
}

fn stamp(path: &Path) -> CmdResult<Stamp> {
    let meta = std::fs::metadata(path)
        .map_err(|e| io_error(format!("cannot read {}: {e}", path.display())))?;
    Ok((meta.len(), meta.modified().ok()))
}

/// The export at `path`, read now unless it is the one read last and has
/// not changed since.
fn loaded<'a>(
    slot: &'a mut Option<Loaded>,
    tool: Tool,
    path: &Path,
) -> CmdResult<&'a mut Submissions> {
    let stamp = stamp(path)?;
    let fresh = slot
        .as_ref()
        .is_some_and(|l| l.tool == tool && l.path == path && l.stamp == stamp);
    if !fresh {
        // The old export's memory goes before the new one is read.
        *slot = None;
        let subs = Submissions::read(tool, path).map_err(|e| file_error(e, "file"))?;
        *slot = Some(Loaded {
            tool,
            path: path.to_path_buf(),
            stamp,
            subs,
        });
    }
    Ok(&mut slot.as_mut().expect("just filled").subs)
}

/// Runs `f` on the export at `path` on a blocking thread (reading it first
/// if need be): a large workbook must not stall the UI loop.
async fn with_export<T, F>(imports: &ImportState, tool: Tool, path: PathBuf, f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Submissions) -> CmdResult<T> + Send + 'static,
{
    let cache = Arc::clone(&imports.loaded);
    tauri::async_runtime::spawn_blocking(move || {
        let mut slot = lock(&cache);
        f(loaded(&mut slot, tool, &path)?)
    })
    .await
    .map_err(stopped)?
}

/// Asks for the export file (`what` = `export`), the media ZIP (`media`) or
/// the form's XLSForm (`form`) in the native open dialog, starting in the folder of `near` (the path
/// in the field, if any); `None` when cancelled.
#[tauri::command]
pub async fn import_pick(
    app: AppHandle,
    what: String,
    near: Option<String>,
) -> CmdResult<Option<PathBuf>> {
    let mut dialog = app.dialog().file();
    dialog = match what.as_str() {
        "export" => dialog.add_filter("Survey export (CSV, XLSX, ZIP)", &["csv", "xlsx", "zip"]),
        "media" => dialog.add_filter("Media ZIP", &["zip"]),
        "form" => dialog.add_filter("XLSForm (XLSX)", &["xlsx"]),
        other => return Err(invalid(format!("unknown file to pick: {other}"), "what")),
    };
    let folder = near
        .as_deref()
        .map(|n| Path::new(n.trim()))
        .and_then(Path::parent)
        .filter(|p| p.is_dir());
    if let Some(folder) = folder {
        dialog = dialog.set_directory(folder);
    }
    chosen(dialog.blocking_pick_file())
}

/// A sheet's columns, with a value from each to recognise it by.
#[derive(Debug, Serialize)]
pub struct SheetColumns {
    name: String,
    headers: Vec<String>,
    /// The first non-empty value of each column ("" when it has none),
    /// cut to a few words.
    samples: Vec<String>,
    rows: usize,
}

/// What the wizard shows about an export before the mapping step.
#[derive(Debug, Serialize)]
pub struct Inspected {
    tool: Tool,
    file_name: String,
    submissions: usize,
    /// The column holding each submission's id (what makes a second import
    /// add nothing).
    id_column: String,
    main: SheetColumns,
    /// Repeat groups' sheets (measurements may come from one).
    repeats: Vec<SheetColumns>,
    /// The mapping Fieldbook proposes from the columns' names and values.
    proposed: Mapping,
    /// Names of the mappings saved before.
    saved: Vec<String>,
    /// The export carries its media itself (ODK Central's ZIP).
    media_inside: bool,
}

impl SheetColumns {
    fn of(
        name: &str,
        headers: &[String],
        rows: usize,
        sample: impl Fn(usize) -> Vec<String>,
    ) -> Self {
        SheetColumns {
            name: name.to_string(),
            headers: headers.to_vec(),
            samples: (0..headers.len())
                .map(|c| sample(c).first().map_or_else(String::new, |v| short(v)))
                .collect(),
            rows,
        }
    }
}

/// A value cut to at most 40 characters, for a hint.
fn short(value: &str) -> String {
    const MAX: usize = 40;
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.chars().count() <= MAX {
        value
    } else {
        let cut: String = value.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

/// Reads the export (of `tool`, at `path`): its columns, repeat sheets,
/// submissions and the proposed mapping (guided by the XLSForm at `form`,
/// when given); the saved mappings' names. The media ZIP, when given, is
/// checked.
#[tauri::command]
pub async fn import_inspect(
    state: State<'_, AppState>,
    imports: State<'_, ImportState>,
    tool: String,
    path: String,
    media: Option<String>,
    form: Option<String>,
) -> CmdResult<Inspected> {
    let tool = self::tool(&tool)?;
    let path = user_path(&path, "file")?;
    let media = optional_path(media, "media")?;
    let form = optional_path(form, "form")?;
    let saved = on_store(&state, |s| import::saved_mapping_names(s)).await?;
    with_export(&imports, tool, path, move |subs| {
        // The media ZIP is checked now (every entry's path and size), so a
        // bad one is told beside its field, not after the mapping step.
        if let Some(media) = &media {
            import::open_media(media).map_err(|e| file_error(e, "media"))?;
        }
        let proposed = match &form {
            Some(form) => {
                let form = import::Form::read(form).map_err(|e| file_error(e, "form"))?;
                import::propose_with(subs, &form)
            }
            None => import::propose(subs),
        };
        let main = &subs.main;
        let main_columns = SheetColumns::of(&main.name, &main.headers, main.rows.len(), |c| {
            main.samples(c, 1).into_iter().map(str::to_string).collect()
        });
        let repeats = subs
            .repeats
            .iter()
            .map(|sheet| {
                SheetColumns::of(&sheet.name, &sheet.headers, sheet.rows.len(), |c| {
                    sheet
                        .samples(c, 1)
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                })
            })
            .collect();
        Ok(Inspected {
            tool: subs.tool,
            file_name: subs.file_name.clone(),
            submissions: main.rows.len(),
            id_column: subs.id_column.clone(),
            main: main_columns,
            repeats,
            proposed,
            saved,
            media_inside: subs.media.is_some(),
        })
    })
    .await
}

/// The names of the saved mappings (the wizard's first step offers them).
#[tauri::command]
pub async fn import_mappings(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    on_store(&state, |s| import::saved_mapping_names(s)).await
}

/// The mapping saved under `name`.
#[tauri::command]
pub async fn import_mapping(state: State<'_, AppState>, name: String) -> CmdResult<Mapping> {
    on_store(&state, move |s| match import::saved_mapping(s, &name)? {
        Some(m) => Ok(m),
        None => Err(CommandError::new(
            "no_mapping",
            format!("no mapping is saved as '{name}'"),
            Some("saved"),
        )),
    })
    .await
}

/// The first submissions as the records `mapping` makes of them, or the
/// cells that stop them (before the store's checks: a dry run adds those).
#[tauri::command]
pub async fn import_preview(
    imports: State<'_, ImportState>,
    tool: String,
    path: String,
    mapping: Mapping,
    study_id: String,
) -> CmdResult<Vec<PreviewRow>> {
    let tool = self::tool(&tool)?;
    let path = user_path(&path, "file")?;
    with_export(&imports, tool, path, move |subs| {
        Ok(import::preview(subs, &mapping, &study_id, PREVIEW_ROWS)?)
    })
    .await
}

/// An import as the wizard asks for it.
#[derive(Debug, Deserialize)]
pub struct RunRequest {
    tool: String,
    path: String,
    /// The media ZIP's path; none or "" when there is none.
    #[serde(default)]
    media: Option<String>,
    mapping: Mapping,
    study_id: String,
    /// Check everything, write nothing.
    #[serde(default)]
    dry_run: bool,
    /// Save the mapping under this name (when the import is not a dry run).
    #[serde(default)]
    save_as: Option<String>,
}

/// How far an import got: `survey-import-progress` events.
#[derive(Debug, Clone, Serialize)]
struct Progress {
    done: usize,
    total: usize,
    dry_run: bool,
}

/// Imports (or, with `dry_run`, checks) the export into the study as one
/// action; emits `survey-import-progress` while it runs.
#[tauri::command]
pub async fn import_run(
    app: AppHandle,
    state: State<'_, AppState>,
    imports: State<'_, ImportState>,
    request: RunRequest,
) -> CmdResult<ImportReport> {
    let RunRequest {
        tool,
        path,
        media,
        mapping,
        study_id,
        dry_run,
        save_as,
    } = request;
    let tool = self::tool(&tool)?;
    let path = user_path(&path, "file")?;
    let media = optional_path(media, "media")?;
    let save_as = save_as
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty() && !dry_run);

    // The export leaves the cache: the import takes its media (ODK's ZIP)
    // out of it, so the next step reads it afresh.
    let cache = Arc::clone(&imports.loaded);
    let (mut subs, media) = tauri::async_runtime::spawn_blocking(move || -> CmdResult<_> {
        let mut slot = lock(&cache);
        loaded(&mut slot, tool, &path)?;
        let subs = slot.take().expect("just loaded").subs;
        let media = media
            .as_deref()
            .map(import::open_media)
            .transpose()
            .map_err(|e| file_error(e, "media"))?;
        Ok((subs, media))
    })
    .await
    .map_err(stopped)??;

    let file_name = subs.file_name.clone();
    let emitter = app.clone();
    let report = on_store(&state, move |s| -> CmdResult<ImportReport> {
        let mut last_sent: Option<Instant> = None;
        let progress = |done: usize, total: usize| {
            let due = last_sent.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
            if due || done == total {
                last_sent = Some(Instant::now());
                let _ = emitter.emit(
                    "survey-import-progress",
                    Progress {
                        done,
                        total,
                        dry_run,
                    },
                );
            }
        };
        let commit = if dry_run {
            Commit::DryRun
        } else {
            Commit::Keep
        };
        let report = import::import(s, &mut subs, media, &mapping, &study_id, commit, progress)?;
        if let Some(name) = save_as {
            import::save_mapping(s, &name, &mapping)?;
        }
        Ok(report)
    })
    .await?;
    *lock(&imports.last) = Some((file_name, report.clone()));
    Ok(report)
}

/// Saves the last run's rejected rows as CSV (the native save dialog, or
/// `FIELDBOOK_SAVE_DIR`); the path, `None` when cancelled.
#[tauri::command]
pub async fn import_save_rejections(
    app: AppHandle,
    imports: State<'_, ImportState>,
) -> CmdResult<Option<String>> {
    let Some((file_name, report)) = lock(&imports.last).clone() else {
        return Err(CommandError::new(
            "no_report",
            "no import has run yet".into(),
            None,
        ));
    };
    let bytes = report
        .rejections_csv()
        .map_err(|e| io_error(format!("cannot write the CSV: {e}")))?;
    let stem = Path::new(&file_name)
        .file_stem()
        .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    let Some(path) = save_path(&app, &format!("{stem}-rejected.csv"), "CSV", "csv")? else {
        return Ok(None);
    };
    let written = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        fieldbook_interop::write_all_whole(&[(written.as_path(), bytes.as_slice())])
    })
    .await
    .map_err(stopped)?
    .map_err(io_error)?;
    Ok(Some(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_paths_are_taken_as_a_file_manager_gives_them() {
        let dir = std::env::temp_dir().join("fieldbook import path test");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("Khảo sát 1.csv");
        std::fs::write(&file, "a,b\n").unwrap();
        let plain = file.display().to_string();
        assert_eq!(user_path(&plain, "file").unwrap(), file);
        assert_eq!(user_path(&format!("  '{plain}' "), "file").unwrap(), file);
        let url = format!(
            "file://{}",
            plain.replace(' ', "%20").replace("ả", "%E1%BA%A3")
        );
        assert_eq!(user_path(&url, "file").unwrap(), file);
        let missing = user_path(&format!("{plain}.nope"), "media").unwrap_err();
        let missing = serde_json::to_value(missing).unwrap();
        assert_eq!(missing["field"], "media");
        assert_eq!(missing["code"], "no_file");
        assert!(user_path("  ", "file").is_err());
        assert!(user_path("file://host:bad/x", "file").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
