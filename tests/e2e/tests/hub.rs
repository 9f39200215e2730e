//! Two app instances and a team hub on a loopback port: B enrols in the
//! app (Sync page, Hub), A adds a study in the app, and it appears in B's
//! open list by itself, no click, no reload.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldbook_bundle::team::KdfParams;
use fieldbook_e2e::{App, Driver, TestResult};
use fieldbook_hub::store::SqliteStore;
use fieldbook_hub::{Hub, Limits};
use fieldbook_store::Store;
use fieldbook_sync::{self as sync, Target};

const PASS: &str = "mekong field team 2026";
const TITLE: &str = "Hub study from laptop A";

/// A real hub on a free loopback port, serving until the test ends; its URL
/// and a fresh admin code.
async fn start_hub(dir: &Path) -> Result<(String, String), Box<dyn std::error::Error>> {
    let store = SqliteStore::open(&dir.join("hub.db"))?;
    let hub = Hub::new(Arc::new(store), Limits::default());
    let code = hub.new_admin_code().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(fieldbook_hub::serve(hub, listener, std::future::pending()));
    Ok((url, code))
}

/// A holds the samples and starts a team; B joins it and has A's first
/// bundle (as part 3 leaves them). A registers the team on the hub; the
/// device code for B is returned.
fn team_on_hub(
    a_db: &Path,
    b_db: &Path,
    url: &str,
    admin_code: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let mut a = Store::open(a_db)?;
    a.load_samples()?;
    let invite = sync::init(
        &a,
        "Semarang team",
        "A",
        PASS,
        KdfParams::INSECURE_FOR_TESTS,
    )?;
    let mut b = Store::open(b_db)?;
    let request = sync::join(&b, &invite, PASS, "B")?;
    sync::add_device(&a, &request)?;
    for part in sync::export(&a, &Target::All, 0, &|_| {}, &AtomicBool::new(false))?.parts {
        sync::import(&mut b, &part)?;
    }
    fieldbook_hub_client::enrol(&a, url, admin_code, None)?;
    Ok(fieldbook_hub_client::invite(&a)?.code)
}

/// Waits until a study titled `title` is in the open list.
async fn wait_for_study(app: &App, title: &str) -> TestResult {
    let script = format!(
        "return [...document.querySelectorAll('[data-testid=record-item][data-kind=study]')]
           .some(e => e.textContent.includes({title:?}));"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.eval(&script).await?.as_bool() != Some(true) {
        if Instant::now() > deadline {
            return Err(format!("{title:?} did not appear in the list within 60 s").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_study_added_on_one_laptop_appears_on_the_other_without_a_click() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (a_db, b_db) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let (url, admin_code) = start_hub(dir.path()).await?;
    let (a, b, u) = (a_db.clone(), b_db.clone(), url.clone());
    let device_code = tokio::task::spawn_blocking(move || {
        team_on_hub(&a, &b, &u, &admin_code).map_err(|e| e.to_string())
    })
    .await??;
    // Both apps sync every second while the hub answers.
    let every = Path::new("1");
    let env = [("FIELDBOOK_HUB_INTERVAL_SECS", every)];
    let driver_a = Driver::start_with(&a_db, &env).await?;
    let driver_b = Driver::start_with(&b_db, &env).await?;
    let app_a = driver_a.launch().await?;
    let app_b = driver_b.launch().await?;
    app_a
        .wait_for("[data-testid=hub-status][data-state=up_to_date]")
        .await?;

    // B enrols in the app with the code A asked for, then shows its studies.
    app_b.click("[data-testid=nav-sync]").await?;
    let section = "[data-testid=hub-section]";
    app_b.fill(section, "hub-url", &url).await?;
    app_b.fill(section, "hub-code", &device_code).await?;
    app_b.screenshot(section, "hub-enrol-form").await?;
    app_b.click("[data-testid=hub-enrol]").await?;
    app_b
        .wait_for("[data-testid=hub-status][data-state=up_to_date]")
        .await?;
    app_b
        .screenshot("[data-testid=hub-section]", "hub-section")
        .await?;
    app_b.click("[data-testid=nav-studies]").await?;
    app_b
        .wait_for("[data-testid=record-item][data-kind=study]")
        .await?;

    // A adds a study, in the app.
    app_a.click("[data-testid=nav-studies]").await?;
    app_a.click("[data-testid=new-record]").await?;
    let form = "[data-testid=record-form][data-kind=study]";
    app_a.fill(form, "title", TITLE).await?;
    app_a.fill(form, "fiscal_year", "2026").await?;
    app_a.click(&format!("{form} [data-testid=save]")).await?;
    app_a.wait_for(&format!("{form}[data-id]")).await?;

    // It reaches B's open list by itself.
    wait_for_study(&app_b, TITLE).await?;
    app_b.screenshot("body", "hub-arrived").await?;
    app_a.close().await?;
    app_b.close().await?;
    drop((driver_a, driver_b));
    let (a, b) = (Store::open(&a_db)?, Store::open(&b_db)?);
    assert_eq!(a.dump()?, b.dump()?);
    Ok(())
}
