//! Fieldbook's desktop shell: opens the store, registers the commands the UI
//! calls, and serves attachment files to the webview. No business logic here.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod attachments;
mod commands;
mod export_commands;
mod hub_sync;
mod import_commands;
mod print_commands;
mod sync_commands;

use std::sync::{Arc, Mutex};

use fieldbook_store::Store;

fn main() {
    let path = fieldbook_store::default_db_path();
    let mut store = match Store::open(&path) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("Fieldbook cannot open {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    // First run on an empty database: show the guidebook's sample studies.
    if store.is_empty().unwrap_or(false) {
        if let Err(e) = store.load_samples() {
            eprintln!("Fieldbook could not load the sample data: {e}");
        }
    }
    let state = commands::AppState::new(Arc::new(Mutex::new(store)));
    let blobs = state.blobs();
    let shared = state.shared_store();

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .manage(sync_commands::Cancel::default())
        .manage(import_commands::ImportState::default())
        .setup(move |app| {
            use tauri::Manager;
            app.manage(hub_sync::HubSync::start(app.handle().clone(), shared));
            Ok(())
        })
        .register_uri_scheme_protocol("fbfile", move |_ctx, request| {
            attachments::serve(&blobs, &request)
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::schema,
            commands::list_records,
            commands::get_record,
            commands::create_record,
            commands::set_field,
            commands::delete_record,
            commands::restore_record,
            commands::trash,
            commands::undo,
            commands::redo,
            commands::search,
            commands::parse_coordinates,
            commands::pick_attachment,
            commands::attach_bytes,
            commands::set_language,
            commands::advise,
            commands::credit_split,
            commands::methodologies,
            commands::set_cost_threshold,
            commands::evaluate_estimate,
            commands::study_estimates,
            commands::measurement_candidates,
            sync_commands::team_show,
            sync_commands::team_init,
            sync_commands::team_join,
            sync_commands::team_add_device,
            sync_commands::team_revoke,
            sync_commands::bundle_export,
            sync_commands::bundle_cancel,
            sync_commands::bundle_import_pick,
            sync_commands::bundle_import_bytes,
            sync_commands::conflicts,
            sync_commands::keep_record,
            sync_commands::sync_states,
            sync_commands::history,
            print_commands::report_print,
            export_commands::study_export,
            import_commands::import_pick,
            import_commands::import_inspect,
            import_commands::import_mappings,
            import_commands::import_mapping,
            import_commands::import_preview,
            import_commands::import_run,
            import_commands::import_save_rejections,
            hub_sync::hub_status,
            hub_sync::hub_enrol,
            hub_sync::hub_pick_ca,
            hub_sync::hub_sync_now,
            hub_sync::hub_forget,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("Fieldbook could not start its window: {e}");
            std::process::exit(1);
        });
}
