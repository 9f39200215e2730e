//! Study → Estimates in the app: a new estimate for the Da Nang pumps, its
//! inputs linked to the survey's measurements, and the numbers the engine
//! works out — reduction, lifetime, subsidy, finance and the charts.

use fieldbook_e2e::{App, Driver, TestResult};

/// Picks, in the select `css`, the option whose label contains `needle`, by
/// clicking it (scrolled into view first, as a person would).
async fn choose(app: &App, css: &str, needle: &str) -> TestResult {
    app.wait_for(css).await?;
    let script = format!(
        "const s = document.querySelector({css:?}); s.scrollIntoView({{block: 'center'}});
         return [...s.options].findIndex(o => o.text.includes({needle:?})) + 1;"
    );
    let nth = app.eval(&script).await?.as_u64().unwrap_or(0);
    if nth == 0 {
        return Err(format!("no option with {needle:?} in {css}").into());
    }
    app.click(&format!("{css} option:nth-child({nth})")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_estimate_from_measurements_shows_its_numbers() -> TestResult {
    let dir = tempfile::tempdir()?;
    let driver = Driver::start(&dir.path().join("fieldbook.db")).await?;
    let app = driver.launch().await?;

    app.open_study("DAWACO").await?;
    app.click("[data-testid=tab-estimates]").await?;
    // The sample estimate is charted.
    app.wait_count(
        "[data-testid=chart-reductions] [data-testid=reduction-bar]",
        1,
    )
    .await?;

    // A new estimate: the technology brings its methodology, name and cost.
    app.click("[data-testid=new-estimate]").await?;
    let form = "[data-testid=record-form][data-kind=estimate]";
    choose(
        &app,
        &format!("{form} [data-field=technology_id]"),
        "Cau Do",
    )
    .await?;
    app.wait_for(&format!(
        "{form} [data-field=methodology] option[value=pump-efficiency]:checked"
    ))
    .await?;
    app.fill(form, "title", "Cau Do pumps, measured").await?;
    app.fill(form, "durable_years", "18").await?;
    app.fill(form, "discount_rate", "0.06").await?;
    app.fill(form, "savings_per_year", "21000000").await?;
    app.click(&format!("{form} [data-testid=save]")).await?;
    app.wait_for(&format!("{form}[data-id]")).await?;

    // Each input from the survey's measurements; the grid factor stays the default.
    for (param, measurement) in [
        ("volume_m3", "Volume pumped"),
        ("sec_reference_kwh_per_m3", "Specific energy, reference"),
        ("consumption_mwh", "after replacement"),
    ] {
        let row = format!("[data-testid=estimate-input][data-param={param}]");
        choose(
            &app,
            &format!("{row} [data-testid=input-source]"),
            "Measurement",
        )
        .await?;
        choose(
            &app,
            &format!("{row} [data-testid=input-measurement]"),
            measurement,
        )
        .await?;
        app.wait_for(&format!("{row}[data-source=measurement][data-id]"))
            .await?;
        // The estimate is evaluated again before the next input is touched.
        app.wait_for("[data-testid=estimate-detail]:not([aria-busy])")
            .await?;
    }
    // (48,000,000 m³ × 0.28 kWh/m³ − 11,808 MWh) × 0.6592 t/MWh = 1,075.8 t → 1,075 t;
    // × 18 years = 19,364 t.
    app.wait_for("[data-testid=result-reduction][data-value='1075']")
        .await?;
    app.wait_for("[data-testid=result-lifetime][data-value='19364']")
        .await?;
    // JCM Model Project: no similar project yet, 50 % of JPY 150 M.
    let jcm = "[data-testid=subsidy-card][data-scheme=jcm-model-project]";
    app.wait_for(&format!(
        "{jcm}[data-eligible=true] [data-testid=subsidy-amount][data-value='75000000']"
    ))
    .await?;
    // Finance with and without the subsidy, and the cash-flow chart's two lines.
    let npv = |case: &str| format!("[data-testid=finance-{case}][data-row=npv]");
    let without = app.text(&npv("without")).await?;
    let with = app.text(&npv("with")).await?;
    assert_ne!(without, with, "the subsidy changes the NPV");
    app.wait_count("[data-testid=chart-cashflow] polyline", 2)
        .await?;
    // Both estimates in the reductions chart.
    app.wait_count(
        "[data-testid=chart-reductions] [data-testid=reduction-bar]",
        2,
    )
    .await?;
    // To look at: FIELDBOOK_SCREENSHOTS=DIR saves the tab at each section.
    for section in [
        "estimate-inputs",
        "estimate-working",
        "estimate-subsidies",
        "estimate-finance",
    ] {
        app.screenshot(&format!("[data-testid={section}]"), section)
            .await?;
    }
    app.close().await?;
    Ok(())
}
