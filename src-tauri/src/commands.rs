//! The commands the UI calls. Each runs the engine on a blocking thread and
//! returns JSON; errors carry a code for translation, the English message and,
//! for bad input, the field.

use std::sync::{Arc, Mutex};

use fieldbook_core::catalogue::TechnologyCatalogue;
use fieldbook_core::units::UnitCatalogue;
use fieldbook_core::{ValidationError, KINDS};
use fieldbook_estimate::rules::Rules;
use fieldbook_proposal::EstimateReport;
use fieldbook_store::{BlobStore, Change, Hit, ListQuery, Record, Store, StoreError, UndoOutcome};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

pub struct AppState {
    store: Arc<Mutex<Store>>,
}

impl AppState {
    pub fn new(store: Arc<Mutex<Store>>) -> Self {
        AppState { store }
    }

    /// The store as the background hub sync shares it.
    pub fn shared_store(&self) -> Arc<Mutex<Store>> {
        Arc::clone(&self.store)
    }

    pub fn blobs(&self) -> BlobStore {
        self.store.lock().expect("store lock").blobs().clone()
    }
}

#[derive(Debug, Serialize)]
pub struct CommandError {
    code: &'static str,
    message: String,
    field: Option<String>,
    errors: Vec<ValidationError>,
}

impl CommandError {
    pub(crate) fn new(code: &'static str, message: String, field: Option<&str>) -> Self {
        CommandError {
            code,
            message,
            field: field.map(str::to_string),
            errors: Vec::new(),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let errors = match &e {
            StoreError::Invalid(list) => list.0.clone(),
            _ => Vec::new(),
        };
        CommandError {
            code: e.code(),
            field: e.field().map(str::to_string),
            message: e.to_string(),
            errors,
        }
    }
}

pub(crate) type CmdResult<T> = Result<T, CommandError>;

pub(crate) fn io_error(e: impl std::fmt::Display) -> CommandError {
    CommandError::new("io", e.to_string(), None)
}

/// The path a file dialog returned; `None` when it was cancelled.
pub(crate) fn chosen(
    path: Option<tauri_plugin_dialog::FilePath>,
) -> CmdResult<Option<std::path::PathBuf>> {
    path.map(|p| p.into_path().map_err(io_error)).transpose()
}

/// Where to save a file suggested as `file_name` (of type `label`, extension
/// `ext`): the native save dialog, or, when `FIELDBOOK_SAVE_DIR` is set
/// (scripted runs, the end-to-end tests that cannot click in a native
/// dialog), that folder under the suggested name.
pub(crate) fn save_path(
    app: &tauri::AppHandle,
    file_name: &str,
    label: &str,
    ext: &str,
) -> CmdResult<Option<std::path::PathBuf>> {
    use tauri_plugin_dialog::DialogExt;
    if let Some(dir) = std::env::var_os("FIELDBOOK_SAVE_DIR") {
        return Ok(Some(std::path::PathBuf::from(dir).join(file_name)));
    }
    chosen(
        app.dialog()
            .file()
            .set_file_name(file_name)
            .add_filter(label, &[ext])
            .blocking_save_file(),
    )
}

impl From<fieldbook_sync::SyncError> for CommandError {
    fn from(e: fieldbook_sync::SyncError) -> Self {
        match e {
            fieldbook_sync::SyncError::Store(e) => e.into(),
            e => CommandError::new("sync", e.to_string(), None),
        }
    }
}

/// Runs `f` with the store on a blocking thread: SQLite must not stall the UI loop.
pub(crate) async fn with_store<T, F>(state: &State<'_, AppState>, f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    on_store(state, f).await
}

/// [`with_store`] for work whose errors are not the store's (sync).
pub(crate) async fn on_store<T, E, F>(state: &State<'_, AppState>, f: F) -> CmdResult<T>
where
    T: Send + 'static,
    E: Into<CommandError> + Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, E> + Send + 'static,
{
    let store = state.store.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut guard = store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| {
        CommandError::new(
            "internal",
            format!("the engine stopped unexpectedly: {e}"),
            None,
        )
    })?
    .map_err(Into::into)
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<Value> {
    with_store(&state, |s| {
        Ok(json!({
            "db_path": s.path().display().to_string(),
            "device_id": s.device_id(),
            "schema_version": s.schema_version()?,
            "language": s.setting("language")?.unwrap_or_else(|| "en".into()),
        }))
    })
    .await
}

#[tauri::command]
pub fn schema() -> Value {
    json!({
        "kinds": KINDS,
        "units": UnitCatalogue::shipped(),
        "technologies": TechnologyCatalogue::shipped().technologies,
    })
}

#[tauri::command]
pub async fn list_records(
    state: State<'_, AppState>,
    kind: String,
    parent_id: Option<String>,
) -> CmdResult<Vec<Record>> {
    with_store(&state, move |s| {
        s.list(
            &kind,
            &ListQuery {
                parent_id,
                ..ListQuery::default()
            },
        )
    })
    .await
}

#[tauri::command]
pub async fn get_record(state: State<'_, AppState>, kind: String, id: String) -> CmdResult<Record> {
    with_store(&state, move |s| s.get(&kind, &id)).await
}

#[tauri::command]
pub async fn create_record(
    state: State<'_, AppState>,
    kind: String,
    fields: Map<String, Value>,
) -> CmdResult<Record> {
    with_store(&state, move |s| {
        let id = s.create(&kind, fields)?;
        s.get(&kind, &id)
    })
    .await
}

#[tauri::command]
pub async fn set_field(
    state: State<'_, AppState>,
    kind: String,
    id: String,
    field: String,
    value: Value,
) -> CmdResult<Record> {
    with_store(&state, move |s| {
        let label = format!("Edit {kind} {field}");
        let change = Change::Set {
            kind: kind.clone(),
            id: id.clone(),
            field,
            value,
        };
        s.apply(&label, vec![change])?;
        s.get(&kind, &id)
    })
    .await
}

#[tauri::command]
pub async fn delete_record(state: State<'_, AppState>, kind: String, id: String) -> CmdResult<()> {
    with_store(&state, move |s| s.delete(&kind, &id)).await
}

#[tauri::command]
pub async fn restore_record(state: State<'_, AppState>, kind: String, id: String) -> CmdResult<()> {
    with_store(&state, move |s| s.restore(&kind, &id)).await
}

#[tauri::command]
pub async fn trash(state: State<'_, AppState>) -> CmdResult<Vec<Record>> {
    with_store(&state, |s| s.trash()).await
}

#[tauri::command]
pub async fn undo(state: State<'_, AppState>) -> CmdResult<Option<UndoOutcome>> {
    with_store(&state, |s| s.undo()).await
}

#[tauri::command]
pub async fn redo(state: State<'_, AppState>) -> CmdResult<Option<UndoOutcome>> {
    with_store(&state, |s| s.redo()).await
}

/// A latitude and longitude pasted together (`16°04'10.6"N 108°05'32.3"E`),
/// as the decimals the fields store; `None` when the text is not a pair.
#[tauri::command]
pub fn parse_coordinates(text: String) -> CmdResult<Option<(String, String)>> {
    match fieldbook_core::coordinate::parse_pair(&text) {
        None => Ok(None),
        Some(Ok((lat, lon))) => Ok(Some((lat.to_string(), lon.to_string()))),
        Some(Err(why)) => Err(CommandError::new("bad_coordinate", why, Some("latitude"))),
    }
}

#[tauri::command]
pub async fn search(state: State<'_, AppState>, text: String) -> CmdResult<Vec<Hit>> {
    with_store(&state, move |s| s.search(&text, 50)).await
}

/// Opens the native file dialog and attaches the chosen file; `None` if cancelled.
#[tauri::command]
pub async fn pick_attachment(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    finding_id: String,
    role: String,
) -> CmdResult<Option<Record>> {
    let mut dialog = app.dialog().file();
    if role == "photo" {
        dialog = dialog.add_filter("Photos", &["jpg", "jpeg", "png", "webp", "gif", "heic"]);
    }
    let Some(picked) = dialog.blocking_pick_file() else {
        return Ok(None);
    };
    let path = picked
        .into_path()
        .map_err(|e| CommandError::new("io", format!("cannot read the chosen file: {e}"), None))?;
    with_store(&state, move |s| {
        let id = s.attach_file(&finding_id, &role, &path)?;
        s.get("attachment", &id).map(Some)
    })
    .await
}

/// Attaches a file the webview read itself (drag and drop, `<input type=file>`).
#[tauri::command]
pub async fn attach_bytes(
    state: State<'_, AppState>,
    finding_id: String,
    role: String,
    file_name: String,
    bytes: Vec<u8>,
) -> CmdResult<Record> {
    with_store(&state, move |s| {
        let id = s.attach(&finding_id, &role, &file_name, &bytes)?;
        s.get("attachment", &id)
    })
    .await
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> CmdResult<()> {
    with_store(&state, move |s| s.set_setting("language", &language)).await
}

fn rules() -> &'static Rules {
    Rules::shipped()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Which financing schemes fit a study (or one of its candidate technologies)
/// today, and what is missing to decide.
#[tauri::command]
pub async fn advise(
    state: State<'_, AppState>,
    study_id: String,
    technology_id: Option<String>,
) -> CmdResult<fieldbook_estimate::advisor::Advice> {
    with_store(&state, move |s| {
        let facts = fieldbook_proposal::study_facts(
            s,
            rules(),
            &study_id,
            technology_id.as_deref(),
            today(),
        )?;
        Ok(fieldbook_estimate::advisor::advise(
            rules(),
            &facts,
            today(),
        ))
    })
    .await
}

/// The methodologies of the rule pack with their parameters, units and defaults.
#[tauri::command]
pub fn methodologies() -> Vec<fieldbook_estimate::rules::Methodology> {
    rules().methodologies.clone()
}

/// The cost-effectiveness threshold (JPY per tonne) the user compares
/// against; empty goes back to the rule pack's value.
#[tauri::command]
pub async fn set_cost_threshold(state: State<'_, AppState>, value: String) -> CmdResult<()> {
    let value = value.trim().to_string();
    let positive = fieldbook_core::validate::parse_decimal(&value)
        .is_some_and(|d| d.is_sign_positive() && !d.is_zero());
    if !value.is_empty() && !positive {
        return Err(CommandError::new(
            "invalid",
            format!("the threshold must be a positive number of JPY per tonne, not '{value}'"),
            Some("threshold"),
        ));
    }
    with_store(&state, move |s| {
        if value.is_empty() {
            s.clear_setting(fieldbook_proposal::THRESHOLD_SETTING)
        } else {
            s.set_setting(fieldbook_proposal::THRESHOLD_SETTING, &value)
        }
    })
    .await
}

/// One saved estimate evaluated: emissions with the working, subsidies side by
/// side, cost-effectiveness and finance with and without the subsidy.
#[tauri::command]
pub async fn evaluate_estimate(
    state: State<'_, AppState>,
    estimate_id: String,
) -> CmdResult<EstimateReport> {
    with_store(&state, move |s| {
        fieldbook_proposal::evaluate(s, rules(), &estimate_id, today())
    })
    .await
}

/// Every estimate of a study evaluated, for the chart of reductions by technology.
#[tauri::command]
pub async fn study_estimates(
    state: State<'_, AppState>,
    study_id: String,
) -> CmdResult<Vec<EstimateReport>> {
    with_store(&state, move |s| {
        fieldbook_proposal::study_estimates(s, rules(), &study_id, today())
    })
    .await
}

/// For each parameter of a methodology, the study's measurements that convert to its unit.
#[tauri::command]
pub async fn measurement_candidates(
    state: State<'_, AppState>,
    study_id: String,
    methodology: String,
) -> CmdResult<Vec<fieldbook_proposal::ParamCandidates>> {
    let found = with_store(&state, move |s| {
        Ok(fieldbook_proposal::measurement_candidates(
            s,
            rules(),
            &methodology,
            &study_id,
        ))
    })
    .await?;
    found.map_err(|e| match e {
        fieldbook_proposal::InputError::Store(e) => CommandError::from(e),
        other => CommandError::new("estimate", other.to_string(), Some("methodology")),
    })
}

/// The study's credit shares applied to `issued` tonnes; a plan that breaks the
/// rules (not 100 %, Japan under half) comes back as an error to show.
#[tauri::command]
pub async fn credit_split(
    state: State<'_, AppState>,
    study_id: String,
    issued: u64,
) -> CmdResult<Vec<fieldbook_estimate::credits::Allocation>> {
    with_store(&state, move |s| {
        fieldbook_proposal::credit_split(s, &study_id, issued)
    })
    .await?
    .map_err(|e| CommandError {
        errors: vec![e.to_field_error()],
        ..CommandError::new("credits", e.to_string(), Some("percent"))
    })
}
