//! The Print dialog's command: renders a report (fieldbook-report), asks
//! where to save it, writes the file whole, and opens it in the PDF viewer.

use fieldbook_report::{Lang, Options, PaperSize, ReportError, Request};
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri_plugin_opener::OpenerExt;

use crate::commands::{io_error, on_store, save_path, AppState, CmdResult, CommandError};

/// How to print, as the dialog chose.
#[derive(Debug, Deserialize)]
pub struct PrintChoice {
    /// One or two document languages, the first leading.
    langs: Vec<String>,
    paper: String,
    /// Open the saved file in the system's PDF viewer.
    open: bool,
}

#[derive(Debug, Serialize)]
pub struct Printed {
    path: String,
    bytes: usize,
    /// Why the viewer could not be opened, when it was asked for and failed.
    open_error: Option<String>,
}

impl From<ReportError> for CommandError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(e) => e.into(),
            e => CommandError::new("report", e.to_string(), None),
        }
    }
}

fn invalid(message: String, field: &str) -> CommandError {
    CommandError::new("invalid", message, Some(field))
}

fn options(choice: &PrintChoice) -> CmdResult<Options> {
    let langs = choice
        .langs
        .iter()
        .map(|l| l.parse::<Lang>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e, "langs"))?;
    if !(1..=2).contains(&langs.len()) {
        return Err(invalid(
            "choose one or two document languages".into(),
            "langs",
        ));
    }
    let paper = choice
        .paper
        .parse::<PaperSize>()
        .map_err(|e| invalid(e, "paper"))?;
    Ok(Options {
        langs,
        paper,
        printed_on: chrono::Local::now().date_naive(),
    })
}

/// Prints `request`; `None` when the user cancelled the save dialog.
#[tauri::command]
pub async fn report_print(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    request: Request,
    choice: PrintChoice,
) -> CmdResult<Option<Printed>> {
    let o = options(&choice)?;
    let gathered = {
        let o = o.clone();
        on_store(&state, move |s| request.gather(s, &o)).await?
    };
    // Rendered without the store: the app stays editable meanwhile.
    let printed = tauri::async_runtime::spawn_blocking(move || gathered.render(&o))
        .await
        .map_err(|e| CommandError::new("internal", format!("printing stopped: {e}"), None))??;
    let Some(path) = save_path(&app, &printed.file_name, "PDF", "pdf")? else {
        return Ok(None);
    };
    printed
        .save(&path)
        .map_err(|e| io_error(format!("cannot write {}: {e}", path.display())))?;
    let open_error = if choice.open {
        app.opener()
            .open_path(path.to_string_lossy(), None::<&str>)
            .err()
            .map(|e| e.to_string())
    } else {
        None
    };
    Ok(Some(Printed {
        path: path.display().to_string(),
        bytes: printed.bytes.len(),
        open_error,
    }))
}
