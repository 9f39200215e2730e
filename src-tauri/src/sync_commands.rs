//! The Sync screen's commands: the team (start, join, enrol, revoke), bundle
//! export and import through file dialogs (with progress events and cancel),
//! the Conflicts view, per-record sync badges and history. The work is the
//! sync crate's and the store's; this only wires it to the UI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fieldbook_bundle::team::KdfParams;
use fieldbook_store::{Conflict, HistoryEntry, SyncState};
use fieldbook_sync::{DeviceView, ImportReport, Progress, Target, TeamView};
use serde::Serialize;
use tauri::{Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::{chosen, io_error, on_store, with_store, AppState, CmdResult, CommandError};

/// Set by `bundle_cancel`, read by a running export.
#[derive(Default)]
pub struct Cancel(Arc<AtomicBool>);

/// The team, or `None` when this laptop is in none yet.
#[tauri::command]
pub async fn team_show(state: State<'_, AppState>) -> CmdResult<Option<TeamView>> {
    on_store(&state, |s| match fieldbook_sync::show(s) {
        Ok(t) => Ok(Some(t)),
        Err(fieldbook_sync::SyncError::NoTeam) => Ok(None),
        Err(e) => Err(e),
    })
    .await
}

/// Starts a team; asks where to save the invite. `None` when cancelled.
#[tauri::command]
pub async fn team_init(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    name: String,
    label: String,
    passphrase: String,
) -> CmdResult<Option<String>> {
    if passphrase.chars().count() < 8 {
        return Err(CommandError::new(
            "invalid",
            "a team passphrase needs at least 8 characters".into(),
            Some("passphrase"),
        ));
    }
    let Some(path) = chosen(
        app.dialog()
            .file()
            .set_file_name(format!("{name}.fbteam"))
            .blocking_save_file(),
    )?
    else {
        return Ok(None);
    };
    let invite = on_store(&state, move |s| {
        fieldbook_sync::init(s, &name, &label, &passphrase, KdfParams::DEFAULT)
    })
    .await?;
    std::fs::write(&path, invite).map_err(io_error)?;
    Ok(Some(path.display().to_string()))
}

/// Joins the team of an invite the user picks; saves the join request where
/// the user says. `None` when a dialog was cancelled.
#[tauri::command]
pub async fn team_join(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
    label: String,
) -> CmdResult<Option<String>> {
    let Some(invite) = chosen(
        app.dialog()
            .file()
            .add_filter("Fieldbook team invite", &["fbteam"])
            .blocking_pick_file(),
    )?
    else {
        return Ok(None);
    };
    let bytes = std::fs::read(&invite).map_err(io_error)?;
    let Some(out) = chosen(
        app.dialog()
            .file()
            .set_file_name("join-request.fbreq")
            .blocking_save_file(),
    )?
    else {
        return Ok(None);
    };
    let request = on_store(&state, move |s| {
        fieldbook_sync::join(s, &bytes, &passphrase, &label)
    })
    .await?;
    std::fs::write(&out, request).map_err(io_error)?;
    Ok(Some(out.display().to_string()))
}

/// Enrols the laptop of a join request the user picks.
#[tauri::command]
pub async fn team_add_device(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CmdResult<Option<DeviceView>> {
    let Some(path) = chosen(
        app.dialog()
            .file()
            .add_filter("Fieldbook join request", &["fbreq"])
            .blocking_pick_file(),
    )?
    else {
        return Ok(None);
    };
    let bytes = std::fs::read(&path).map_err(io_error)?;
    on_store(&state, move |s| {
        fieldbook_sync::add_device(s, &bytes).map(Some)
    })
    .await
}

#[tauri::command]
pub async fn team_revoke(state: State<'_, AppState>, actor: String) -> CmdResult<DeviceView> {
    on_store(&state, move |s| fieldbook_sync::revoke(s, &actor)).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub files: Vec<String>,
    pub ops: usize,
    pub photos: usize,
}

/// Exports for a peer (or everything) to a file the user names; emits
/// `sync-progress` events; `None` when the dialog was cancelled.
#[tauri::command]
pub async fn bundle_export(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    cancel: State<'_, Cancel>,
    peer: Option<String>,
) -> CmdResult<Option<Exported>> {
    let Some(path) = chosen(
        app.dialog()
            .file()
            .set_file_name("fieldbook.fsb")
            .blocking_save_file(),
    )?
    else {
        return Ok(None);
    };
    let flag = cancel.0.clone();
    flag.store(false, Ordering::Relaxed);
    let emitter = app.clone();
    let report = on_store(&state, move |s| {
        let target = peer.map_or(Target::All, Target::Peer);
        let progress = |p: Progress| {
            let _ = emitter.emit("sync-progress", p);
        };
        fieldbook_sync::export(s, &target, 0, &progress, &flag)
    })
    .await?;
    let count = report.parts.len();
    let mut files = Vec::with_capacity(count);
    for (i, bytes) in report.parts.iter().enumerate() {
        let file = if count == 1 {
            path.clone()
        } else {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            path.with_file_name(format!("{stem}-part-{}-of-{count}.fsb", i + 1))
        };
        std::fs::write(&file, bytes).map_err(io_error)?;
        files.push(file.display().to_string());
    }
    Ok(Some(Exported {
        files,
        ops: report.ops,
        photos: report.photos,
    }))
}

#[tauri::command]
pub fn bundle_cancel(cancel: State<'_, Cancel>) {
    cancel.0.store(true, Ordering::Relaxed);
}

/// Imports the bundle files the user picks (any number, any order).
#[tauri::command]
pub async fn bundle_import_pick(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CmdResult<Option<Vec<ImportReport>>> {
    let Some(paths) = app
        .dialog()
        .file()
        .add_filter("Fieldbook bundle", &["fsb"])
        .blocking_pick_files()
    else {
        return Ok(None);
    };
    let mut files = Vec::new();
    for p in paths {
        let path = p.into_path().map_err(io_error)?;
        files.push(std::fs::read(&path).map_err(io_error)?);
    }
    let mut reports = Vec::new();
    for bytes in files {
        reports.push(import_reporting(&app, &state, bytes).await?);
    }
    Ok(Some(reports))
}

/// Imports one bundle file's bytes (from a file input or a drop); emits
/// `sync-import-progress` events.
#[tauri::command]
pub async fn bundle_import_bytes(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    bytes: Vec<u8>,
) -> CmdResult<ImportReport> {
    import_reporting(&app, &state, bytes).await
}

async fn import_reporting(
    app: &tauri::AppHandle,
    state: &State<'_, AppState>,
    bytes: Vec<u8>,
) -> CmdResult<ImportReport> {
    let emitter = app.clone();
    on_store(state, move |s| {
        let progress = |p: Progress| {
            let _ = emitter.emit("sync-import-progress", p);
        };
        fieldbook_sync::import_reporting(s, &bytes, &progress)
    })
    .await
}

#[tauri::command]
pub async fn conflicts(state: State<'_, AppState>) -> CmdResult<Vec<Conflict>> {
    with_store(&state, |s| s.conflicts()).await
}

/// Settles a delete-versus-edit by keeping the record.
#[tauri::command]
pub async fn keep_record(state: State<'_, AppState>, kind: String, id: String) -> CmdResult<()> {
    with_store(&state, move |s| s.keep_record(&kind, &id)).await
}

#[tauri::command]
pub async fn sync_states(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> CmdResult<Vec<SyncState>> {
    with_store(&state, move |s| s.sync_states(&ids)).await
}

#[tauri::command]
pub async fn history(state: State<'_, AppState>, id: String) -> CmdResult<Vec<HistoryEntry>> {
    with_store(&state, move |s| s.history(&id)).await
}
