//! The background sync with the team hub: a thread that syncs when the hub
//! answers after being unreachable and every few minutes while it does,
//! backs off with jitter on failure, and tells the UI where it stands
//! (`hub-status` events) and when teammates' changes arrived (`hub-synced`).
//! The store is locked for each local step only, so editing goes on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use fieldbook_hub_client::{HubError, SyncStage};
use fieldbook_hub_wire::RefusalCode;
use fieldbook_store::Store;
use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::{chosen, AppState, CmdResult, CommandError};

/// Between syncs while the hub answers (`FIELDBOOK_HUB_INTERVAL_SECS` overrides).
const INTERVAL_SECS: u64 = 180;
/// The first retry after a failure, doubled on each further one up to the interval.
const FIRST_RETRY_SECS: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    NotEnrolled,
    Offline,
    Syncing,
    UpToDate,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusError {
    code: String,
    message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HubSyncStatus {
    state: SyncState,
    hub: Option<String>,
    percent: Option<u8>,
    last_sync: Option<String>,
    error: Option<StatusError>,
    retry_at: Option<String>,
}

impl HubSyncStatus {
    fn new(state: SyncState) -> Self {
        HubSyncStatus {
            state,
            hub: None,
            percent: None,
            last_sync: None,
            error: None,
            retry_at: None,
        }
    }
}

struct Shared {
    status: Mutex<HubSyncStatus>,
    woken: Mutex<bool>,
    wake: Condvar,
}

/// The handle the commands use; the thread runs for the app's lifetime.
#[derive(Clone)]
pub struct HubSync(Arc<Shared>);

impl HubSync {
    pub fn start(app: AppHandle, store: Arc<Mutex<Store>>) -> HubSync {
        let sync = HubSync(Arc::new(Shared {
            status: Mutex::new(HubSyncStatus::new(SyncState::NotEnrolled)),
            woken: Mutex::new(false),
            wake: Condvar::new(),
        }));
        let worker = sync.clone();
        std::thread::Builder::new()
            .name("hub-sync".into())
            .spawn(move || worker.run(&app, &store))
            .expect("a thread for the hub sync");
        sync
    }

    pub fn status(&self) -> HubSyncStatus {
        self.0
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Syncs now instead of at the next turn.
    pub fn wake(&self) {
        *self.0.woken.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.0.wake.notify_all();
    }

    /// Waits `secs`, or less if woken.
    fn pause(&self, secs: f64) {
        let woken = self.0.woken.lock().unwrap_or_else(|p| p.into_inner());
        let (mut woken, _) = self
            .0
            .wake
            .wait_timeout_while(woken, Duration::from_secs_f64(secs), |w| !*w)
            .unwrap_or_else(|p| p.into_inner());
        *woken = false;
    }

    fn set(&self, app: &AppHandle, status: HubSyncStatus) {
        *self.0.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
        let _ = app.emit("hub-status", status);
    }

    fn run(&self, app: &AppHandle, store: &Mutex<Store>) {
        let interval = std::env::var("FIELDBOOK_HUB_INTERVAL_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(INTERVAL_SECS as f64);
        let mut failures = 0u32;
        loop {
            let (hub, last_sync) = {
                let s = store.lock().unwrap_or_else(|p| p.into_inner());
                let status = fieldbook_hub_client::status(&s, false).ok();
                (
                    status.as_ref().and_then(|st| st.hub.clone()),
                    status.and_then(|st| st.last_sync),
                )
            };
            let Some(hub) = hub else {
                self.set(app, HubSyncStatus::new(SyncState::NotEnrolled));
                self.pause(interval);
                continue;
            };
            let base = HubSyncStatus {
                hub: Some(hub),
                last_sync,
                ..HubSyncStatus::new(SyncState::Syncing)
            };
            self.set(
                app,
                HubSyncStatus {
                    percent: Some(0),
                    ..base.clone()
                },
            );
            let progress = |stage: SyncStage| {
                let percent = match stage {
                    SyncStage::Pushing { done, total } => 50 * done / total.max(1),
                    SyncStage::Pulling { done, total } => 50 + 50 * done.min(total) / total.max(1),
                };
                self.set(
                    app,
                    HubSyncStatus {
                        percent: Some(percent as u8),
                        ..base.clone()
                    },
                );
            };
            match fieldbook_hub_client::sync_shared(store, None, &progress) {
                Ok(outcome) => {
                    failures = 0;
                    if outcome.ops_new > 0 {
                        let _ = app.emit("hub-synced", json!({ "ops_new": outcome.ops_new }));
                    }
                    let last_sync = Some(chrono::Utc::now().to_rfc3339());
                    self.set(
                        app,
                        HubSyncStatus {
                            last_sync,
                            ..HubSyncStatus {
                                state: SyncState::UpToDate,
                                ..base
                            }
                        },
                    );
                    self.pause(interval);
                }
                Err(e) => {
                    failures += 1;
                    let wait = backoff(failures, interval);
                    let state = if e.is_transient() {
                        SyncState::Offline
                    } else {
                        SyncState::Error
                    };
                    let retry_at =
                        chrono::Utc::now() + chrono::Duration::milliseconds((wait * 1000.0) as i64);
                    self.set(
                        app,
                        HubSyncStatus {
                            state,
                            percent: None,
                            error: Some(StatusError {
                                code: error_code(&e).into(),
                                message: e.to_string(),
                            }),
                            retry_at: Some(retry_at.to_rfc3339()),
                            ..base
                        },
                    );
                    self.pause(wait);
                }
            }
        }
    }
}

/// Exponential backoff with ±25 % jitter (so a team's laptops coming back
/// online at once do not retry in step), up to the interval.
fn backoff(failures: u32, interval: f64) -> f64 {
    let exp = FIRST_RETRY_SECS * 2f64.powi(failures.saturating_sub(1).min(16) as i32);
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    let jitter = 0.75 + 0.5 * f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX);
    (exp.min(interval.max(FIRST_RETRY_SECS)) * jitter).max(0.2)
}

fn error_code(e: &HubError) -> &'static str {
    match e {
        HubError::Refused(r) => r.code.as_str(),
        HubError::Unreachable(_) => "unreachable",
        HubError::NotEnrolled | HubError::NotEnrolledWith(_) => "not_enrolled",
        HubError::BadUrl(_) => "bad_url",
        HubError::Protocol(_) => "protocol",
        HubError::Sync(_) | HubError::Store(_) | HubError::BadCa => "local",
    }
}

impl From<HubError> for CommandError {
    fn from(e: HubError) -> Self {
        let code = match &e {
            HubError::BadUrl(_) => "bad_url",
            HubError::Unreachable(_) => "hub_unreachable",
            HubError::Refused(_) => "hub_refused",
            HubError::NotEnrolled | HubError::NotEnrolledWith(_) => "not_enrolled",
            HubError::Sync(fieldbook_sync::SyncError::NoTeam) => "no_team",
            HubError::BadCa => "bad_ca",
            HubError::Store(_) | HubError::Sync(_) | HubError::Protocol(_) => "sync",
        };
        // The form shows an address, code or CA problem under its field.
        let field = match &e {
            HubError::BadUrl(_) | HubError::Unreachable(_) => Some("url"),
            HubError::Refused(r) if r.code == RefusalCode::BadCode => Some("code"),
            HubError::BadCa => Some("ca"),
            _ => None,
        };
        CommandError::new(code, e.to_string(), field)
    }
}

#[tauri::command]
pub fn hub_status(sync: State<'_, HubSync>) -> HubSyncStatus {
    sync.status()
}

/// Enrols this laptop with a hub, then syncs at once. `ca`: the file of the
/// team's certificate authority (PEM), for a hub whose certificate is not
/// from a public one.
#[tauri::command]
pub async fn hub_enrol(
    state: State<'_, AppState>,
    sync: State<'_, HubSync>,
    url: String,
    code: String,
    ca: Option<PathBuf>,
) -> CmdResult<HubSyncStatus> {
    let ca_pem = ca.as_deref().map(read_ca).transpose()?;
    crate::commands::on_store(&state, move |s| {
        fieldbook_hub_client::enrol(s, &url, &code, ca_pem.as_deref())
    })
    .await?;
    sync.wake();
    Ok(sync.status())
}

/// Asks for the team's certificate authority file; its path, `None` when cancelled.
#[tauri::command]
pub async fn hub_pick_ca(app: AppHandle) -> CmdResult<Option<PathBuf>> {
    chosen(
        app.dialog()
            .file()
            .add_filter("PEM certificate", &["pem", "crt", "cer"])
            .blocking_pick_file(),
    )
}

/// The CA file's text. Read lossily: a binary (DER) certificate then holds
/// no PEM one, and enrol says so (`BadCa`) rather than "invalid UTF-8".
fn read_ca(path: &Path) -> CmdResult<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        let message = format!("cannot read {}: {e}", path.display());
        CommandError::new("ca_unreadable", message, Some("ca"))
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[tauri::command]
pub fn hub_sync_now(sync: State<'_, HubSync>) {
    sync.wake();
}

/// Stops syncing with the hub; nothing is deleted anywhere.
#[tauri::command]
pub async fn hub_forget(
    state: State<'_, AppState>,
    sync: State<'_, HubSync>,
) -> CmdResult<HubSyncStatus> {
    crate::commands::on_store(&state, |s| fieldbook_hub_client::forget(s)).await?;
    sync.wake();
    Ok(HubSyncStatus::new(SyncState::NotEnrolled))
}
