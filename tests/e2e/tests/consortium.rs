//! The consortium and exit-strategy tabs of a sample study: credit shares split
//! by the engine, and the advisor's verdicts.

use fieldbook_e2e::{Driver, TestResult};

#[tokio::test(flavor = "multi_thread")]
async fn credit_split_and_advice_on_the_semarang_study() -> TestResult {
    let dir = tempfile::tempdir()?;
    let driver = Driver::start(&dir.path().join("fieldbook.db")).await?;
    let app = driver.launch().await?;

    // Open the Semarang study through search.
    app.open_study("Trans Semarang BRT").await?;

    // The advisor: the sample's saved estimate puts the JCM Model Project
    // subsidy under the JPY 50 M floor, and the consortium is still open.
    app.click("[data-testid=tab-exit]").await?;
    let jcm = "[data-testid=scheme-card][data-scheme=jcm-model-project]";
    app.wait_text(jcm, |t| t.contains("Does not fit")).await?;

    // All credits to Japan: the whole issue in one row.
    app.click("[data-testid=tab-consortium]").await?;
    let panel = "[data-testid=credit-panel]";
    app.click(&format!("{panel} [data-testid=new-credit-share]"))
        .await?;
    let form = format!("{panel} [data-testid=record-form][data-kind=credit_share]");
    app.fill(&form, "party", "government_of_japan").await?;
    app.fill(&form, "percent", "100").await?;
    app.click(&format!("{form} [data-testid=save]")).await?;
    app.wait_for(&format!(
        "{panel} [data-testid=record-form][data-kind=credit_share][data-id]"
    ))
    .await?;
    app.wait_for("[data-testid=issued-input]")
        .await?
        .send_keys("8947")
        .await?;
    app.wait_text("[data-testid=credit-row][data-party=gov-japan]", |t| {
        t.replace([',', ' '], "").contains("8947")
    })
    .await?;
    app.close().await?;
    Ok(())
}
