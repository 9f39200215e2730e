//! Importing survey submissions from the app: the KoboToolbox fixture
//! (tests/fixtures/kobo: four submissions in Vietnamese, Thai, Japanese and
//! Khmer, three photos in the media ZIP) into the Da Nang sample study
//! through the study's Import… wizard. The paths are typed into the
//! wizard's path fields (WebDriver cannot click in the native open dialog,
//! which only fills those fields in). The visits appear in the study's
//! list; a second import of the same export, by the mapping the first one
//! saved, adds nothing and says so.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fieldbook_e2e::{App, Driver, Error, TestResult};

/// The Japanese UI's reason for a unit not in the catalogue (error.unknown_unit).
const UNKNOWN_UNIT_JA: &str = "不明な単位です";

fn fixture(name: &str) -> Result<PathBuf, Error> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/kobo")
        .join(name);
    Ok(path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?)
}

/// The number shown for `stat` in the wizard's result.
async fn stat(app: &App, stat: &str) -> Result<String, Error> {
    app.text(&format!(
        "[data-testid=survey-result] [data-stat={stat}] .survey-stat-n"
    ))
    .await
}

/// Waits until the study's visit list names every one of `places`.
async fn visits_listed(app: &App, places: &[&str]) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed = app
            .eval(
                "return [...document.querySelectorAll('[data-testid=record-item][data-kind=visit]')]
                    .map((e) => e.textContent).join('\\n');",
            )
            .await?;
        let listed = listed.as_str().unwrap_or_default().to_string();
        if places.iter().all(|p| listed.contains(p)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the visit list shows {listed:?}, not all of {places:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Step 3: Import, then the result shown.
async fn run_import(app: &App) -> TestResult {
    app.click("[data-testid=survey-run]").await?;
    app.wait_for("[data-testid=survey-result]:not([hidden])")
        .await?;
    Ok(())
}

/// Whether the tool `tool` is the one chosen in the wizard's first step.
async fn tool_chosen(app: &App, tool: &str) -> Result<bool, Error> {
    let checked = app
        .eval(&format!(
            "return document.querySelector('[data-testid=survey-tool-{tool}] input').checked;"
        ))
        .await?;
    Ok(checked.as_bool() == Some(true))
}

/// Step 1 of the wizard: KoboToolbox, the export and its media ZIP typed in.
async fn choose_files(app: &App, csv: &Path, media: &Path) -> TestResult {
    app.click("[data-testid=study-import]").await?;
    app.wait_for("[data-testid=survey-dialog] [data-testid=survey-step-file]")
        .await?;
    // The first clicks in the freshly opened dialog: each one takes.
    app.click("[data-testid=survey-tool-odk]").await?;
    assert!(tool_chosen(app, "odk").await?, "ODK Central chosen");
    app.click("[data-testid=survey-tool-kobo]").await?;
    assert!(tool_chosen(app, "kobo").await?, "KoboToolbox chosen");
    for (field, path) in [("file", csv), ("media", media)] {
        let input = app
            .wait_for(&format!("[data-testid=survey-{field}]"))
            .await?;
        input.clear().await?;
        input.send_keys(path.to_str().ok_or("path")?).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kobo_export_with_its_photos_imports_into_a_study_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("saved");
    std::fs::create_dir(&out)?;
    let csv = fixture("energy_audit.csv")?;
    let media = fixture("energy_audit-media.zip")?;
    let driver = Driver::start_with(
        &dir.path().join("fieldbook.db"),
        &[("FIELDBOOK_SAVE_DIR", &out)],
    )
    .await?;
    let app = driver.launch().await?;

    app.open_study("DAWACO").await?;

    // Step 1: the files.
    choose_files(&app, &csv, &media).await?;
    app.screenshot("[data-testid=survey-dialog]", "import-files")
        .await?;
    app.click("[data-testid=survey-next]").await?;

    // Step 2: the proposed mapping, and the four submissions previewed.
    app.wait_for("[data-testid=survey-step-columns]").await?;
    let summary = app.text("[data-testid=survey-summary]").await?;
    assert!(
        summary.contains("energy_audit.csv") && summary.contains("4 submissions"),
        "{summary}"
    );
    for (field, column) in [
        ("visit.date", "visit_date"),
        ("visit.place", "site_name"),
        ("visit.location.geopoint", "geo"),
        ("finding.title", "title"),
        ("finding.sector", "c:sector"),
    ] {
        let value = app
            .eval(&format!(
                "return document.querySelector(\"[data-testid=survey-mapping] select[data-field='{field}']\").value;"
            ))
            .await?;
        assert_eq!(value.as_str(), Some(column), "{field}");
    }
    app.wait_count("[data-testid=survey-preview-row]", 4)
        .await?;
    let preview = app.text("[data-testid=survey-preview]").await?;
    for seen in [
        "Nhà máy nước Cầu Đỏ",
        "เครื่องทำน้ำเย็นอายุ 20 ปี",
        "照明のLED化候補",
        "IMG 0042.jpg",
    ] {
        assert!(
            preview.contains(seen),
            "{seen} not in the preview: {preview}"
        );
    }
    assert_eq!(app.count("[data-testid=survey-preview-problem]").await?, 0);
    app.wait_for("[data-testid=survey-save-as]")
        .await?
        .send_keys("Energy audit (Kobo)")
        .await?;

    // Check: a dry run of the whole export, nothing written.
    app.click("[data-testid=survey-check]").await?;
    app.wait_text("[data-testid=survey-check-result]", |t| {
        t.contains("nothing written")
    })
    .await?;
    for (what, n) in [
        ("visits", "4"),
        ("findings", "4"),
        ("photos", "3"),
        ("rejected", "0"),
    ] {
        let shown = app
            .text(&format!(
                "[data-testid=survey-check-stats] [data-stat={what}] .survey-stat-n"
            ))
            .await?;
        assert_eq!(shown, n, "checked {what}");
    }
    app.screenshot("[data-testid=survey-dialog]", "import-mapping")
        .await?;
    app.screenshot(
        "[data-testid=survey-mapping] [data-field='finding.title']",
        "import-mapping-finding",
    )
    .await?;

    // Step 3: the import, and what it did.
    run_import(&app).await?;
    assert_eq!(stat(&app, "visits").await?, "4");
    assert_eq!(stat(&app, "findings").await?, "4");
    assert_eq!(stat(&app, "photos").await?, "3");
    assert_eq!(stat(&app, "already_imported").await?, "0");
    assert_eq!(stat(&app, "rejected").await?, "0");
    let saved = app.text("[data-testid=survey-mapping-saved]").await?;
    assert!(saved.contains("Energy audit (Kobo)"), "{saved}");
    let status = app
        .wait_text("[data-testid=status-text]", |t| {
            t.starts_with("Imported from energy_audit.csv")
        })
        .await?;
    assert!(
        status.contains("site visits 4") && status.contains("photos 3"),
        "{status}"
    );
    app.screenshot("[data-testid=survey-dialog]", "import-result")
        .await?;
    app.click("[data-testid=survey-close]").await?;

    // The visits are in the study's list.
    app.click("[data-testid=tab-visits]").await?;
    visits_listed(
        &app,
        &[
            "Nhà máy nước Cầu Đỏ",
            "Terminal Bus Terboyo",
            "โรงพยาบาลราชวิถี อาคาร 3",
            "ផ្សារធំថ្មី",
        ],
    )
    .await?;

    // The same export again, by the saved mapping: nothing new.
    choose_files(&app, &csv, &media).await?;
    app.click("[data-testid=survey-saved] option[value='Energy audit (Kobo)']")
        .await?;
    app.click("[data-testid=survey-next]").await?;
    app.wait_count("[data-testid=survey-preview-row]", 4)
        .await?;
    let save_as = app
        .eval("return document.querySelector('[data-testid=survey-save-as]').value;")
        .await?;
    assert_eq!(save_as.as_str(), Some("Energy audit (Kobo)"));
    run_import(&app).await?;
    assert_eq!(stat(&app, "already_imported").await?, "4");
    assert_eq!(stat(&app, "visits").await?, "0");
    assert_eq!(stat(&app, "photos").await?, "0");
    let title = app.text("[data-testid=survey-status]").await?;
    assert!(title.contains("Nothing new"), "{title}");
    app.screenshot("[data-testid=survey-dialog]", "import-again")
        .await?;
    app.click("[data-testid=survey-close]").await?;

    // Each visit is listed once (the list read afresh).
    app.click("[data-testid=tab-findings]").await?;
    app.click("[data-testid=tab-visits]").await?;
    visits_listed(&app, &["Nhà máy nước Cầu Đỏ"]).await?;
    let listed = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=record-item][data-kind=visit]')]
                .filter((e) => e.textContent.includes('Cầu Đỏ')).length;",
        )
        .await?;
    assert_eq!(listed.as_u64(), Some(1), "the Cầu Đỏ visit listed once");

    app.close().await
}

/// Without the media ZIP, the three submissions that name a photo are not
/// imported: the result lists them by sheet, row and column with the
/// reason, and saves them as CSV; the fourth (no photo) comes in.
#[tokio::test(flavor = "multi_thread")]
async fn rows_that_cannot_be_imported_are_listed_and_saved_as_csv() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("saved");
    std::fs::create_dir(&out)?;
    let csv = fixture("energy_audit.csv")?;
    let driver = Driver::start_with(
        &dir.path().join("fieldbook.db"),
        &[("FIELDBOOK_SAVE_DIR", &out)],
    )
    .await?;
    let app = driver.launch().await?;

    app.open_study("Trans Semarang").await?;

    app.click("[data-testid=study-import]").await?;
    // The wizard remembers the last tool: this export is KoboToolbox's.
    app.click("[data-testid=survey-tool-kobo]").await?;
    app.wait_for("[data-testid=survey-file]")
        .await?
        .send_keys(csv.to_str().ok_or("path")?)
        .await?;
    // A file that is no XLSForm, given as the form: told beside its field.
    let form = app.wait_for("[data-testid=survey-form]").await?;
    form.send_keys(csv.to_str().ok_or("path")?).await?;
    app.click("[data-testid=survey-next]").await?;
    let told = app
        .wait_text("[data-testid=survey-form-error]", |t| t.contains("XLSForm"))
        .await?;
    assert!(told.contains("energy_audit.csv"), "{told}");
    app.screenshot("[data-testid=survey-dialog]", "import-form-error")
        .await?;
    form.clear().await?;
    app.click("[data-testid=survey-next]").await?;
    app.wait_count("[data-testid=survey-preview-row]", 4)
        .await?;
    run_import(&app).await?;
    assert_eq!(stat(&app, "visits").await?, "1");
    assert_eq!(stat(&app, "rejected").await?, "3");
    assert_eq!(app.count("[data-testid=survey-rejected-row]").await?, 3);
    let rejected = app.text("[data-testid=survey-rejected]").await?;
    assert!(
        rejected.contains("Photo IMG 0042.jpg is named, but no media ZIP was chosen"),
        "{rejected}"
    );
    app.screenshot("[data-testid=survey-dialog]", "import-rejected")
        .await?;

    app.click("[data-testid=survey-save-rejections]").await?;
    let message = app
        .wait_text("[data-testid=survey-rejections-message]", |t| {
            t.starts_with("Saved ")
        })
        .await?;
    let saved = out.join("energy_audit-rejected.csv");
    let text = std::fs::read_to_string(&saved)
        .map_err(|e| format!("{} ({message}): {e}", saved.display()))?;
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "sheet,row,column,value,reason");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines.iter().skip(1).all(|l| l.contains(",photo,")),
        "{text}"
    );

    app.close().await
}

/// ODK Central's ZIP (its CSV files and media together), in the Japanese
/// UI: the repeat group's sheet is mapped to measurements, and the row
/// whose unit the store does not know is reported while the rest comes in.
#[tokio::test(flavor = "multi_thread")]
async fn an_odk_central_zip_brings_its_repeat_group_as_measurements() -> TestResult {
    let dir = tempfile::tempdir()?;
    let zip = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/odk/energy_audit.zip")
        .canonicalize()?;
    let driver = Driver::start(&dir.path().join("fieldbook.db")).await?;
    let app = driver.launch().await?;
    // In Japanese, as a Japanese municipality officer would see it.
    app.click("[data-testid=lang-ja]").await?;
    app.wait_text("[data-testid=nav-studies]", |t| t.contains("調査"))
        .await?;

    app.open_study("DAWACO").await?;

    app.click("[data-testid=study-import]").await?;
    app.click("[data-testid=survey-tool-odk]").await?;
    assert!(tool_chosen(&app, "odk").await?, "ODK Central chosen");
    app.wait_for("[data-testid=survey-file]")
        .await?
        .send_keys(zip.to_str().ok_or("path")?)
        .await?;
    app.click("[data-testid=survey-next]").await?;

    app.wait_count("[data-testid=survey-preview-row]", 4)
        .await?;
    let sheet = app
        .eval("return document.querySelector(\"[data-testid=survey-mapping] select[data-field='measurements.sheet']\").value;")
        .await?;
    assert_eq!(sheet.as_str(), Some("energy_audit-measurements"));
    let measured = app
        .count("[data-testid=survey-preview] td[data-kind=measurement] .survey-record")
        .await?;
    assert!(measured >= 3, "{measured} measurements previewed");
    app.screenshot(
        "[data-testid=survey-mapping] [data-field='measurements.sheet']",
        "import-mapping-odk",
    )
    .await?;

    run_import(&app).await?;
    assert_eq!(stat(&app, "visits").await?, "3");
    assert_eq!(stat(&app, "measurements").await?, "3");
    assert_eq!(stat(&app, "photos").await?, "3");
    assert_eq!(stat(&app, "rejected").await?, "1");
    let rejected = app.text("[data-testid=survey-rejected-row]").await?;
    assert!(
        rejected.contains("energy_audit-measurements")
            && rejected.contains("unit")
            && rejected.contains("m2")
            && rejected.contains(UNKNOWN_UNIT_JA),
        "{rejected}"
    );
    app.screenshot("[data-testid=survey-dialog]", "import-result-odk")
        .await?;

    app.close().await
}
