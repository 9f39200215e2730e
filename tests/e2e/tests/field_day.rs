//! A field day in the real app: create a study, a visit, a finding with a
//! measurement and a photo, a need linked to it; find it; switch to Japanese;
//! restart the app and see everything still there.

use fieldbook_e2e::{App, Driver, TestResult};

const PHOTO: &[u8] = include_bytes!("../../fixtures/photo.jpg");

/// A word no sample record contains, so search hits are ours.
const MARKER: &str = "Zephyranthes";

/// Saves the new-record form of `kind` and returns the id it got.
async fn save_new(
    app: &App,
    scope: &str,
    kind: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let form = format!("{scope} [data-testid=record-form][data-kind={kind}]");
    app.click(&format!("{form} [data-testid=save]")).await?;
    let saved = format!("{scope} [data-testid=record-form][data-kind={kind}][data-id]");
    let id = app
        .attr(&saved, "data-id")
        .await?
        .ok_or("saved form has no id")?;
    Ok(id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_day_survives_a_restart() -> TestResult {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("fieldbook.db");
    let photo = dir.path().join("chiller-plate.jpg");
    std::fs::write(&photo, PHOTO)?;
    let driver = Driver::start(&db).await?;
    let app = driver.launch().await?;

    // First run: the sample studies are there.
    app.click("[data-testid=nav-studies]").await?;
    app.wait_count("[data-testid=record-item][data-kind=study]", 2)
        .await?;

    // A new study.
    app.click("[data-testid=new-record]").await?;
    let study_form = "[data-testid=record-form][data-kind=study]";
    app.fill(study_form, "title", "Phnom Penh mall chillers")
        .await?;
    app.fill(study_form, "fiscal_year", "2024").await?;
    let study = save_new(&app, "", "study").await?;

    // A site visit, coordinates typed in DMS.
    app.click("[data-testid=tab-visits]").await?;
    app.click("[data-testid=new-record]").await?;
    let visit_form = "[data-testid=record-form][data-kind=visit]";
    app.fill(visit_form, "date", "2024-05-02").await?;
    app.fill(visit_form, "place", "Mall roof plant room")
        .await?;
    app.fill(visit_form, "latitude", "11°33'N").await?;
    app.fill(visit_form, "longitude", "104.92").await?;
    save_new(&app, "", "visit").await?;

    // A finding with a measurement and a photo.
    app.click("[data-testid=tab-findings]").await?;
    app.click("[data-testid=new-record]").await?;
    let finding_form = "[data-testid=record-form][data-kind=finding]";
    app.fill(finding_form, "sector", "buildings").await?;
    app.fill(
        finding_form,
        "title",
        &format!("Two centrifugal chillers {MARKER}"),
    )
    .await?;
    app.fill(finding_form, "text", "COP 3.1 at part load; 18 years old")
        .await?;
    let finding = save_new(&app, "", "finding").await?;

    app.click("[data-testid=new-measurement]").await?;
    let m = "[data-testid=measurements]";
    let m_form = format!("{m} [data-testid=record-form][data-kind=measurement]");
    app.fill(&m_form, "quantity", "rated power").await?;
    app.fill(&m_form, "value", "75").await?;
    app.fill(&m_form, "unit", "kW").await?;
    save_new(&app, m, "measurement").await?;

    let input = app.wait_for("[data-testid=attach-input]").await?;
    input.send_keys(photo.to_str().ok_or("path")?).await?;
    let thumb = app.wait_for("img[data-testid=thumbnail]").await?;
    let src = thumb.attr("src").await?.unwrap_or_default();
    assert!(
        src.starts_with("fbfile://"),
        "thumbnail from the attachment store: {src}"
    );
    let loaded = app
        .eval("const i = document.querySelector('img[data-testid=thumbnail]'); return i.complete && i.naturalWidth > 0;")
        .await?;
    assert_eq!(loaded, serde_json::Value::Bool(true), "the photo renders");

    // A local need linked to the finding.
    app.click("[data-testid=tab-needs]").await?;
    app.click("[data-testid=new-record]").await?;
    let need_form = "[data-testid=record-form][data-kind=need]";
    app.fill(need_form, "statement", "Cut the mall's cooling bill")
        .await?;
    app.click(&format!(
        "{need_form} [data-field=finding_ids] input[type=checkbox][value='{finding}']"
    ))
    .await?;
    save_new(&app, "", "need").await?;

    // Search finds the finding.
    let search = app.wait_for("#search-input").await?;
    search.send_keys(MARKER).await?;
    app.wait_for(&format!("[data-testid=search-result][data-id='{finding}']"))
        .await?;

    // Japanese labels.
    app.click("[data-testid=lang-ja]").await?;
    app.wait_text("[data-testid=nav-studies]", |t| t.contains("調査"))
        .await?;
    app.close().await?;

    // Restart: everything is still there, in Japanese.
    let app = driver.launch().await?;
    app.wait_text("[data-testid=nav-studies]", |t| t.contains("調査"))
        .await?;
    app.click("[data-testid=nav-studies]").await?;
    app.wait_for(&format!("[data-testid=record-item][data-id='{study}']"))
        .await?;
    let search = app.wait_for("#search-input").await?;
    search.send_keys(MARKER).await?;
    app.click(&format!("[data-testid=search-result][data-id='{finding}']"))
        .await?;
    app.wait_for(&format!(
        "[data-testid=record-form][data-kind=finding][data-id='{finding}']"
    ))
    .await?;
    app.wait_for("img[data-testid=thumbnail]").await?;
    app.wait_count(&format!("{m} [data-kind=measurement]"), 1)
        .await?;
    app.close().await?;
    drop(driver);

    // And the database says the same, read by the engine itself.
    let store = fieldbook_store::Store::open(&db)?;
    let measurements = store.list(
        "measurement",
        &fieldbook_store::ListQuery {
            parent_id: Some(finding.clone()),
            ..Default::default()
        },
    )?;
    assert_eq!(measurements.len(), 1);
    assert_eq!(measurements[0].fields["value"], "75");
    assert_eq!(measurements[0].fields["unit"], "kW");
    let visits = store.list(
        "visit",
        &fieldbook_store::ListQuery {
            parent_id: Some(study),
            ..Default::default()
        },
    )?;
    assert_eq!(visits[0].fields["latitude"], "11.55");
    let needs = store.search("cooling bill", 5)?;
    let need = store.get("need", &needs[0].id)?;
    assert_eq!(need.fields["finding_ids"], serde_json::json!([finding]));
    Ok(())
}
