//! The Export dialog's command: a study as an Excel workbook, a folder of
//! CSV files, or its site visits as GeoJSON or KML (fieldbook-interop). The
//! store is held only while the records are read; the native save dialog (a
//! folder picker for CSV) asks where, and every file appears whole or not at
//! all.

use std::path::{Path, PathBuf};

use fieldbook_interop::csv::{kind_csv, CsvOptions};
use fieldbook_interop::xlsx::{study_workbook, XlsxOptions};
use fieldbook_interop::{geo, study_tables, ExportError, Format, KindTable, Lang};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::commands::{chosen, io_error, on_store, save_path, AppState, CmdResult, CommandError};

/// What to export, as the dialog chose.
#[derive(Debug, Deserialize)]
pub struct ExportChoice {
    /// `xlsx`, `csv`, `geojson` or `kml`.
    format: String,
    /// Language of the headers, sheet names and KML field names: `en` or `ja`.
    lang: String,
    /// CSV only: leave out the UTF-8 byte order mark.
    #[serde(default)]
    no_bom: bool,
}

/// What was written, for the status message.
#[derive(Debug, Default, Serialize)]
pub struct Exported {
    /// The file written, or for CSV the folder.
    path: String,
    /// Every file written.
    files: Vec<String>,
    /// Data rows (XLSX: over every sheet; CSV: over every file).
    rows: usize,
    /// XLSX: the sheets written.
    sheets: usize,
    /// XLSX: cells cut at Excel's 32,767 characters.
    truncated_cells: usize,
    /// GeoJSON and KML: the visits placed on the map.
    features: usize,
    /// GeoJSON and KML: visits left out for lack of coordinates.
    without_coordinates: usize,
}

impl From<ExportError> for CommandError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(e) => e.into(),
            ExportError::StudyInTrash(_) => CommandError::new("in_trash", e.to_string(), None),
            ExportError::Io { .. } => io_error(e),
            e => CommandError::new("export", e.to_string(), None),
        }
    }
}

fn invalid(message: String, field: &str) -> CommandError {
    CommandError::new("invalid", message, Some(field))
}

/// What was read from the store, ready to be written without it.
enum Gathered {
    /// A file's bytes (the workbook is serialised while reading: its
    /// estimates are evaluated from the store).
    File { bytes: Vec<u8>, summary: Exported },
    /// The study's tables, one CSV file each.
    Tables(Vec<KindTable>),
}

/// Exports study `study_id`; `None` when the user cancelled the dialog.
#[tauri::command]
pub async fn study_export(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    study_id: String,
    choice: ExportChoice,
) -> CmdResult<Option<Exported>> {
    let format: Format = choice.format.parse().map_err(|e| invalid(e, "format"))?;
    let lang: Lang = choice.lang.parse().map_err(|e| invalid(e, "lang"))?;
    let today = chrono::Local::now().date_naive();
    let (title, gathered) = {
        let study_id = study_id.clone();
        on_store(&state, move |s| -> Result<_, ExportError> {
            let gathered = match format {
                Format::Xlsx => {
                    let o = XlsxOptions { lang, today };
                    let (bytes, s) = study_workbook(s, &study_id, &o)?;
                    Gathered::File {
                        bytes,
                        summary: Exported {
                            rows: s.sheets.iter().map(|(_, n)| n).sum(),
                            sheets: s.sheets.len(),
                            truncated_cells: s.truncated_cells,
                            ..Exported::default()
                        },
                    }
                }
                Format::Csv => Gathered::Tables(study_tables(s, &study_id)?.1),
                Format::GeoJson | Format::Kml => {
                    let (bytes, g) = if format == Format::Kml {
                        geo::kml(s, &study_id, lang)?
                    } else {
                        geo::geojson(s, &study_id)?
                    };
                    Gathered::File {
                        bytes,
                        summary: Exported {
                            rows: g.features,
                            features: g.features,
                            without_coordinates: g.without_coordinates,
                            ..Exported::default()
                        },
                    }
                }
            };
            Ok((s.get("study", &study_id)?.title, gathered))
        })
        .await?
    };
    let name = format!(
        "{}-{today}",
        fieldbook_report::slug(&title).unwrap_or_else(|| study_id.chars().take(8).collect())
    );

    match gathered {
        Gathered::File { bytes, mut summary } => {
            let (label, ext) = match format {
                Format::Xlsx => ("Excel", "xlsx"),
                Format::GeoJson => ("GeoJSON", "geojson"),
                _ => ("KML", "kml"),
            };
            let Some(path) = save_path(&app, &format!("{name}.{ext}"), label, ext)? else {
                return Ok(None);
            };
            write_all_whole(&[(path.clone(), bytes)])?;
            summary.path = path.display().to_string();
            summary.files = vec![summary.path.clone()];
            Ok(Some(summary))
        }
        Gathered::Tables(tables) => {
            let Some(dir) = folder_path(&app, &format!("{name}-csv"))? else {
                return Ok(None);
            };
            let o = CsvOptions {
                lang,
                bom: !choice.no_bom,
            };
            let rows = tables.iter().map(|t| t.records.len()).sum();
            let dir_for_files = dir.clone();
            // Rendered without the store: the app stays editable meanwhile.
            let files = tauri::async_runtime::spawn_blocking(move || -> CmdResult<_> {
                let files = tables
                    .iter()
                    .map(|t| {
                        Ok((
                            dir_for_files.join(format!("{}.csv", t.kind.name)),
                            kind_csv(t, &o)?,
                        ))
                    })
                    .collect::<Result<Vec<_>, ExportError>>()?;
                std::fs::create_dir_all(&dir_for_files).map_err(|e| {
                    io_error(format!("cannot make {}: {e}", dir_for_files.display()))
                })?;
                write_all_whole(&files)?;
                Ok(files
                    .into_iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>())
            })
            .await
            .map_err(|e| CommandError::new("internal", format!("export stopped: {e}"), None))??;
            Ok(Some(Exported {
                path: dir.display().to_string(),
                files,
                rows,
                ..Exported::default()
            }))
        }
    }
}

/// The folder CSV files go into: the native folder picker, or, with
/// `FIELDBOOK_SAVE_DIR`, a folder named `folder_name` in it.
fn folder_path(app: &tauri::AppHandle, folder_name: &str) -> CmdResult<Option<PathBuf>> {
    if let Some(dir) = std::env::var_os("FIELDBOOK_SAVE_DIR") {
        return Ok(Some(PathBuf::from(dir).join(folder_name)));
    }
    chosen(app.dialog().file().blocking_pick_folder())
}

/// Every file written whole, or none ([`fieldbook_interop::write_all_whole`]).
fn write_all_whole(files: &[(PathBuf, Vec<u8>)]) -> CmdResult<()> {
    let refs: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_path(), b.as_slice()))
        .collect();
    Ok(fieldbook_interop::write_all_whole(&refs)?)
}
