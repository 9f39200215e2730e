//! Two laptops, one finding edited differently on each: the bundle is
//! imported in the app, the conflict appears on the Sync page with both
//! values, is resolved there, and after the return bundle both laptops hold
//! the same data.

use std::path::Path;
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

/// Opens the sample finding and retitles it, as a person would.
async fn retitle(app: &App, title: &str) -> TestResult {
    app.wait_for("#search-input")
        .await?
        .send_keys(FINDING)
        .await?;
    app.click("[data-testid=search-result][data-kind=finding]")
        .await?;
    let form = "[data-testid=record-form][data-kind=finding][data-id]";
    app.wait_for(form).await?;
    app.fill(form, "title", title).await?;
    // Leaving the field saves it.
    app.click(&format!("{form} [data-field=text]")).await?;
    app.wait_for("[data-testid=save-status][data-state=saved]")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_between_two_laptops_is_seen_and_resolved_in_the_app() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (a_db, b_db) = (dir.path().join("a.db"), dir.path().join("b.db"));
    // Laptop A: the samples and a team; laptop B joins and receives A's data.
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
    let first = dir.path().join("first.fsb");
    export(&a_db, &first);
    sync::import(&mut Store::open(&b_db)?, &std::fs::read(&first)?)?;

    // Each laptop edits the same finding, in the app.
    for (db, title) in [
        (&a_db, "Fleet: 72 of 141 buses"),
        (&b_db, "Fleet: 72 buses, 25 large"),
    ] {
        let driver = Driver::start(db);
        let app = driver.launch().await?;
        retitle(&app, title).await?;
        app.close().await?;
    }

    // B imports A's bundle in the app and sees the conflict.
    let from_a = dir.path().join("from-a.fsb");
    export(&a_db, &from_a);
    let driver = Driver::start(&b_db);
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
    if let Ok(shots) = std::env::var("FIELDBOOK_SCREENSHOTS") {
        app.eval("document.querySelector('[data-testid=conflicts]').scrollIntoView()")
            .await?;
        let png = app.client.screenshot().await?;
        std::fs::write(Path::new(&shots).join("conflicts.png"), png)?;
    }
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
