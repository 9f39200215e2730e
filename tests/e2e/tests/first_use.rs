//! What a new user hits first, in the real app: a coordinate pair pasted into
//! Latitude fills both fields; undo names the record and offers redo; a delete's
//! message has a working Undo; a unit that does not fit the quantity is refused;
//! estimate inputs show their labels.

use fieldbook_e2e::{App, TestResult};

/// Pastes `text` into the input `css` as the clipboard would.
async fn paste(app: &App, css: &str, text: &str) -> TestResult {
    app.wait_for(css).await?;
    let script = format!(
        "const el = document.querySelector({css:?}); el.focus();
         const ev = new Event('paste', {{bubbles: true, cancelable: true}});
         Object.defineProperty(ev, 'clipboardData', {{value: {{getData: () => {text:?}}}}});
         el.dispatchEvent(ev);"
    );
    app.eval(&script).await?;
    Ok(())
}

/// Types `value` over the text field `css` in one go (one edit, as a paste
/// would be; clearing first would save an empty value of its own).
async fn replace_text(app: &App, css: &str, value: &str) -> TestResult {
    app.wait_for(css).await?;
    let script = format!(
        "const el = document.querySelector({css:?}); el.focus(); el.value = {value:?};
         el.dispatchEvent(new Event('input', {{bubbles: true}}));
         el.dispatchEvent(new Event('change', {{bubbles: true}}));"
    );
    app.eval(&script).await?;
    Ok(())
}

async fn value_of(app: &App, css: &str) -> Result<String, Box<dyn std::error::Error>> {
    let el = app.wait_for(css).await?;
    Ok(el.prop("value").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_new_user_hits_first() -> TestResult {
    let dir = tempfile::tempdir()?;
    let driver = fieldbook_e2e::Driver::start(&dir.path().join("fieldbook.db")).await?;
    let app = driver.launch().await?;

    app.open_study("DAWACO").await?;

    // A visit: the pair copied from a map fills latitude and longitude.
    app.click("[data-testid=tab-visits]").await?;
    app.click("[data-testid=new-record]").await?;
    let visit_form = "[data-testid=record-form][data-kind=visit]";
    app.fill(visit_form, "date", "2024-05-02").await?;
    app.fill(visit_form, "place", "Cau Do intake").await?;
    let lat = format!("{visit_form} [data-field=latitude]");
    let lon = format!("{visit_form} [data-field=longitude]");
    paste(&app, &lat, "16°04'10.6\"N 108°05'32.3\"E").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while value_of(&app, &lon).await?.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(value_of(&app, &lat).await?, "16.069611");
    assert_eq!(value_of(&app, &lon).await?, "108.092306");
    app.click(&format!("{visit_form} [data-testid=save]"))
        .await?;
    let saved = format!("{visit_form}[data-id]");
    let visit = app.attr(&saved, "data-id").await?.ok_or("no id")?;
    app.screenshot(&saved, "first-use-visit").await?;

    // An edit undone: the message names the record, and Redo takes it back again.
    replace_text(
        &app,
        &format!("{saved} [data-field=place]"),
        "Cau Do intake, north bank",
    )
    .await?;
    app.wait_for("[data-testid=save-status][data-state=saved]")
        .await?;
    app.click("[data-testid=undo]").await?;
    let undone = app
        .wait_text("[data-testid=status-text]", |t| t.starts_with("Undone"))
        .await?;
    assert!(undone.contains("Cau Do intake"), "{undone}");
    app.screenshot("[data-testid=save-status]", "first-use-undone")
        .await?;
    app.click("[data-testid=status-redo]").await?;
    let redone = app
        .wait_text("[data-testid=status-text]", |t| t.starts_with("Redone"))
        .await?;
    assert!(redone.contains("north bank"), "{redone}");

    // A delete says so with an Undo that brings the visit back.
    app.click(&format!("{saved} [data-testid=delete]")).await?;
    app.wait_text("[data-testid=status-text]", |t| {
        t.starts_with("Moved to the Trash")
    })
    .await?;
    app.click("[data-testid=status-undo]").await?;
    app.wait_text("[data-testid=status-text]", |t| t.starts_with("Undone"))
        .await?;
    app.wait_for(&format!(
        "[data-testid=record-item][data-kind=visit][data-id='{visit}']"
    ))
    .await?;

    // "Flow rate = 850 kWh" is refused, naming the units that fit.
    app.click("[data-testid=tab-findings]").await?;
    app.click("[data-testid=record-item][data-kind=finding]")
        .await?;
    app.click("[data-testid=new-measurement]").await?;
    let m_form =
        "[data-testid=measurements] [data-testid=record-form][data-kind=measurement]:not([data-id])";
    // The new row is at the end of the finding's measurements: bring it into view.
    app.wait_for(m_form).await?;
    app.eval(&format!(
        "document.querySelector({m_form:?}).scrollIntoView({{block: 'center'}});"
    ))
    .await?;
    app.fill(m_form, "quantity", "Flow rate").await?;
    app.fill(m_form, "value", "850").await?;
    app.fill(m_form, "unit", "kWh").await?;
    app.click(&format!("{m_form} [data-testid=save]")).await?;
    let error = app.text(&format!("{m_form} [data-error-for=unit]")).await?;
    assert!(
        error.contains("m3/h") && error.contains("not kWh"),
        "{error}"
    );
    app.screenshot(m_form, "first-use-unit-mismatch").await?;

    // The sample estimate's inputs by their labels, not their codes.
    app.click("[data-testid=tab-estimates]").await?;
    app.click("[data-testid=record-item][data-kind=estimate]")
        .await?;
    let label = app
        .text("[data-testid=estimate-input][data-param=volume_m3] .input-label")
        .await?;
    assert_eq!(label, "Water pumped per year");
    // The refused measurement's "Not saved" does not follow to another view.
    let status = app.text("[data-testid=save-status]").await?;
    assert!(!status.contains("Not saved"), "{status}");
    let years = app
        .attr("[data-testid=result-durable-years]", "data-value")
        .await?;
    assert_eq!(years.as_deref(), Some("18"));
    app.screenshot("[data-testid=estimate-inputs]", "first-use-inputs")
        .await?;
    app.close().await?;
    Ok(())
}
