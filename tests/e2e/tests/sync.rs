//! Two laptops, one finding edited differently on each: the bundle is
//! imported in the app, the conflict appears on the Sync page with both
//! values, is resolved there, and after the return bundle both laptops hold
//! the same data.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use fieldbook_bundle::team::KdfParams;
use fieldbook_e2e::{App, Driver, TestResult};
use fieldbook_store::Store;
use fieldbook_sync::{self as sync, Target};

const PASS: &str = "mekong field team 2026";
const FINDING: &str = "Fleet composition and retrofit scope";

/// Writes the bundle of everything `from` holds to `file`.
fn export(from: &Path, file: &Path) {
    let store = Store::open(from).unwrap();
    let parts = sync::export(&store, &Target::All, 0, &|_| {}, &AtomicBool::new(false))
        .unwrap()
        .parts;
    assert_eq!(parts.len(), 1);
    std::fs::write(file, &parts[0]).unwrap();
}

/// Opens the sample finding from the search box, as a person would.
async fn open_finding(app: &App) -> TestResult {
    app.wait_for("#search-input")
        .await?
        .send_keys(FINDING)
        .await?;
    app.click("[data-testid=search-result][data-kind=finding]")
        .await
}

/// Opens the sample finding and retitles it.
async fn retitle(app: &App, title: &str) -> TestResult {
    open_finding(app).await?;
    let form = "[data-testid=record-form][data-kind=finding][data-id]";
    app.wait_for(form).await?;
    app.fill(form, "title", title).await?;
    // Leaving the field saves it.
    app.click(&format!("{form} [data-field=text]")).await?;
    app.wait_for("[data-testid=save-status][data-state=saved]")
        .await?;
    Ok(())
}

/// Laptop A with the samples and a team, laptop B enrolled in it; A's
/// bundle is written to `first.fsb` in `dir`, not yet imported.
fn two_laptops(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), Box<dyn std::error::Error>> {
    let (a_db, b_db) = (dir.join("a.db"), dir.join("b.db"));
    {
        let mut a = Store::open(&a_db)?;
        a.load_samples()?;
        let invite = sync::init(
            &a,
            "Semarang team",
            "A",
            PASS,
            KdfParams::INSECURE_FOR_TESTS,
        )?;
        let b = Store::open(&b_db)?;
        let request = sync::join(&b, &invite, PASS, "B")?;
        sync::add_device(&a, &request)?;
    }
    let first = dir.join("first.fsb");
    export(&a_db, &first);
    Ok((a_db, b_db, first))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_between_two_laptops_is_seen_and_resolved_in_the_app() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (a_db, b_db, first) = two_laptops(dir.path())?;
    sync::import(&mut Store::open(&b_db)?, &std::fs::read(&first)?)?;

    // Each laptop edits the same finding, in the app.
    for (db, title) in [
        (&a_db, "Fleet: 72 of 141 buses"),
        (&b_db, "Fleet: 72 buses, 25 large"),
    ] {
        let driver = Driver::start(db).await?;
        let app = driver.launch().await?;
        retitle(&app, title).await?;
        app.close().await?;
    }

    // B imports A's bundle in the app and sees the conflict.
    let from_a = dir.path().join("from-a.fsb");
    export(&a_db, &from_a);
    let driver = Driver::start(&b_db).await?;
    let app = driver.launch().await?;
    app.click("[data-testid=nav-sync]").await?;
    app.wait_for("[data-testid=bundle-input]")
        .await?
        .send_keys(from_a.to_str().ok_or("path")?)
        .await?;
    app.wait_for("[data-testid=import-summary] [data-stat=conflicts_new]")
        .await?;
    app.wait_text(
        "[data-testid=import-summary] [data-stat=conflicts_new]",
        |t| t.contains('1'),
    )
    .await?;
    let row = "[data-testid=conflict-row][data-field=title]";
    app.wait_count(&format!("{row} [data-testid=conflict-candidate]"), 2)
        .await?;
    let rows = app.text(row).await?;
    assert!(
        rows.contains("72 of 141") && rows.contains("25 large"),
        "{rows}"
    );
    app.wait_for("[data-testid=conflict-count]:not([hidden])")
        .await?;
    app.screenshot("[data-testid=conflicts]", "conflicts")
        .await?;
    // Keep A's value.
    let index = app
        .eval(&format!(
            "return [...document.querySelectorAll('{row} [data-testid=conflict-candidate]')]
               .find(c => c.textContent.includes('72 of 141')).dataset.index;"
        ))
        .await?;
    let index = index.as_str().ok_or("candidate index")?.to_string();
    app.click(&format!(
        "{row} [data-testid=conflict-candidate][data-index='{index}'] [data-testid=keep-candidate]"
    ))
    .await?;
    app.wait_for("[data-testid=conflicts-empty]").await?;
    app.close().await?;
    drop(driver);

    // The return bundle: both laptops end up the same, without conflicts.
    let from_b = dir.path().join("from-b.fsb");
    export(&b_db, &from_b);
    let mut a = Store::open(&a_db)?;
    sync::import(&mut a, &std::fs::read(&from_b)?)?;
    sync::import(&mut Store::open(&b_db)?, &std::fs::read(&from_a)?)?;
    let b = Store::open(&b_db)?;
    assert!(a.conflicts()?.is_empty() && b.conflicts()?.is_empty());
    assert_eq!(a.dump()?, b.dump()?);
    let finding = a
        .search("Fleet", 5)?
        .into_iter()
        .find(|h| h.kind == "finding")
        .ok_or("finding")?;
    assert_eq!(
        a.get("finding", &finding.id)?.fields["title"],
        "Fleet: 72 of 141 buses"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_whose_file_has_not_arrived_shows_as_not_yet_received() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (a_db, b_db, _) = two_laptops(dir.path())?;
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/photo.jpg"
    ))?;
    {
        let mut a = Store::open(&a_db)?;
        let finding = a
            .search(FINDING, 5)?
            .into_iter()
            .find(|h| h.kind == "finding")
            .ok_or("finding")?;
        a.attach(&finding.id, "photo", "depot.jpg", &photo)?;
    }
    let bundle = dir.path().join("with-photo.fsb");
    export(&a_db, &bundle);
    // B has the attachment record, but not the file (as when the part that
    // carries the photo has not been imported yet).
    {
        let mut b = Store::open(&b_db)?;
        sync::import(&mut b, &std::fs::read(&bundle)?)?;
        let sha = b
            .list("attachment", &Default::default())?
            .into_iter()
            .find(|r| r.fields["file_name"] == "depot.jpg")
            .ok_or("the photo's record")?
            .fields["sha256"]
            .as_str()
            .ok_or("sha256")?
            .to_string();
        std::fs::remove_file(b.blobs().path(&sha))?;
    }
    let driver = Driver::start(&b_db).await?;
    let app = driver.launch().await?;
    open_finding(&app).await?;
    let pending = app.wait_for("[data-testid=photo-pending]").await?;
    let title = pending.attr("title").await?.unwrap_or_default();
    assert!(title.contains("import the bundle part"), "{title}");
    // The sample photo of the finding shows; the one not received does not.
    app.wait_count("[data-testid=thumbnail]", 1).await?;
    assert_eq!(
        app.count("[data-testid=thumbnail][alt='depot.jpg']")
            .await?,
        0
    );
    app.screenshot("[data-testid=photo-pending]", "photo-pending")
        .await?;
    app.close().await?;
    Ok(())
}
