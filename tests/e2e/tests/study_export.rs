//! Exporting a study from the app: the Da Nang sample study as an Excel
//! workbook, then as a folder of CSV files, through the study's Export…
//! dialog (the native save and folder dialogs replaced by
//! FIELDBOOK_SAVE_DIR). GeoJSON and KML are tested through the CLI and the
//! interop crate.

use std::path::{Path, PathBuf};

use fieldbook_e2e::{Driver, TestResult};

/// The one entry of `dir` whose name ends with `suffix`.
fn saved(dir: &Path, suffix: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!(
            "expected one *{suffix} in {}, found {other:?}",
            dir.display()
        )
        .into()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_da_nang_study_exports_to_xlsx_and_csv() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("exported");
    std::fs::create_dir(&out)?;
    let driver = Driver::start_with(
        &dir.path().join("fieldbook.db"),
        &[("FIELDBOOK_SAVE_DIR", &out)],
    )
    .await?;
    let app = driver.launch().await?;

    app.open_study("DAWACO").await?;

    // The workbook, with English headers.
    app.click("[data-testid=study-export]").await?;
    app.click("[data-testid=study-export-dialog] [data-testid=study-export-xlsx]")
        .await?;
    app.click("[data-testid=study-export-lang] option[value='en']")
        .await?;
    app.screenshot("[data-testid=study-export-dialog]", "export-dialog")
        .await?;
    app.click("[data-testid=study-export-save]").await?;
    let status = app
        .wait_text("[data-testid=status-text]", |t| {
            t.starts_with("Saved ") && t.contains(".xlsx")
        })
        .await?;
    let xlsx = saved(&out, ".xlsx")?;
    let bytes = std::fs::read(&xlsx)?;
    assert!(
        bytes.starts_with(b"PK"),
        "{} is not a ZIP ({status})",
        xlsx.display()
    );
    assert!(status.contains("sheets"), "{status}");

    // The CSV files, in a folder, with the byte order mark Excel needs:
    // another format chosen in the reopened dialog.
    app.click("[data-testid=study-export]").await?;
    app.click("[data-testid=study-export-dialog] [data-testid=study-export-csv]")
        .await?;
    let checked = app
        .eval("return document.querySelector('[data-testid=study-export-csv] input').checked;")
        .await?;
    assert_eq!(checked.as_bool(), Some(true), "CSV chosen");
    app.click("[data-testid=study-export-save]").await?;
    app.wait_text("[data-testid=status-text]", |t| {
        t.starts_with("Saved ") && t.contains("CSV files")
    })
    .await?;
    let folder = saved(&out, "-csv")?;
    let visits = std::fs::read(folder.join("visit.csv"))?;
    assert!(
        visits.starts_with("\u{FEFF}".as_bytes()),
        "visit.csv has no BOM"
    );
    let text = String::from_utf8(visits)?;
    assert!(text.contains("Cau Do"), "{text}");

    app.close().await
}
