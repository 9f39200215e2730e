//! Printing from the app: the Khmer sample study's brief in Khmer and
//! English from the Print button, then an estimate sheet in Japanese on US
//! Letter from Ctrl+P on the estimate on screen; each PDF read back with
//! poppler (pdftotext, pdfinfo) as a partner would read it.

use std::path::{Path, PathBuf};
use std::process::Command;

use fieldbook_e2e::{App, Driver, TestResult};

fn poppler(tool: &str, pdf: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let mut cmd = Command::new(tool);
    cmd.arg(pdf);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!(
            "{tool} {}: {}",
            pdf.display(),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// pdftotext puts line breaks where lines wrapped; compare without spacing.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The one PDF in `dir` whose name starts with `prefix`.
fn saved(dir: &Path, prefix: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".pdf"))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!(
            "expected one {prefix}*.pdf in {}, found {other:?}",
            dir.display()
        )
        .into()),
    }
}

/// Sets up the dialog (languages, paper, not opening a viewer), saves, and
/// waits for the message naming the file saved as `prefix`….
async fn print(app: &App, lang1: &str, lang2: &str, paper: &str, prefix: &str) -> TestResult {
    app.click(&format!(
        "[data-testid=print-lang1] option[value='{lang1}']"
    ))
    .await?;
    app.click(&format!(
        "[data-testid=print-lang2] option[value='{lang2}']"
    ))
    .await?;
    app.click(&format!(
        "[data-testid=print-paper] option[value='{paper}']"
    ))
    .await?;
    if app
        .eval("return document.querySelector('[data-testid=print-open]').checked")
        .await?
        == true
    {
        app.click("[data-testid=print-open]").await?;
    }
    app.click("[data-testid=print-save]").await?;
    app.wait_text("[data-testid=status-text]", |t| {
        t.starts_with("Saved ") && t.contains(prefix)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_brief_and_an_estimate_sheet_print_from_the_app() -> TestResult {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("printed");
    std::fs::create_dir(&out)?;
    let driver = Driver::start_with(
        &dir.path().join("fieldbook.db"),
        &[("FIELDBOOK_SAVE_DIR", &out)],
    )
    .await?;
    let app = driver.launch().await?;

    let study_id = app.open_study("Phnom Penh shopping mall").await?;

    // The findings as typed, in Khmer (the README's screenshot).
    app.click("[data-testid=tab-findings]").await?;
    app.click("[data-testid=record-item][data-kind=finding]")
        .await?;
    app.wait_for("[data-testid=record-form][data-kind=finding] [data-field=text]")
        .await?;
    app.screenshot(
        "[data-testid=record-form][data-kind=finding]",
        "khmer-finding",
    )
    .await?;

    // The brief, in Khmer first and English second, on A4.
    app.click("[data-testid=print]").await?;
    app.wait_for("[data-testid=print-dialog] [data-testid=print-brief]:checked")
        .await?;
    app.screenshot("[data-testid=print-dialog]", "print-dialog")
        .await?;
    print(&app, "km", "en", "a4", "brief-").await?;
    let brief = saved(&out, "brief-1-mw-rooftop-solar")?;
    let text = squeeze(&poppler("pdftotext", &brief)?);
    for expected in [
        // Record text as typed: Khmer with a Latin model number and a
        // Japanese company name in one paragraph.
        "ម៉ាស៊ីនត្រជាក់ចាស់ៗប្រើអគ្គិសនីច្រើន",
        "ម៉ូដែលCH-450R",
        "北九州サンプル環境エンジニアリング株式会社",
        "កាត់បន្ថយថ្លៃអគ្គិសនីរបស់ផ្សារទំនើប។",
        // Labels in both document languages, the Khmer draft watermark,
        // the study's id and the page numbers.
        "ឯកសារសង្ខេបសម្រាប់កិច្ចប្រជុំជាមួយទីក្រុងដៃគូ",
        "Partner-meetingbrief",
        "សេចក្តីព្រាង—មិនទាន់បានពិនិត្យ",
        &squeeze(&study_id),
        "1/4",
    ] {
        assert!(
            text.contains(expected),
            "{expected} not in the brief:\n{text}"
        );
    }

    // The estimate sheet of the estimate on screen, from Ctrl+P, in
    // Japanese only, on US Letter.
    app.click("[data-testid=tab-estimates]").await?;
    app.wait_count("[data-testid=record-item][data-kind=estimate]", 2)
        .await?;
    let chillers = app
        .eval(
            "return [...document.querySelectorAll('[data-testid=record-item][data-kind=estimate]')]
               .find(b => b.textContent.includes('chillers')).dataset.id",
        )
        .await?;
    let chillers = chillers.as_str().ok_or("no chiller estimate in the list")?;
    app.click(&format!("[data-testid=record-item][data-id='{chillers}']"))
        .await?;
    app.wait_for("[data-testid=record-form][data-kind=estimate]")
        .await?;
    app.eval(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'p', ctrlKey: true, bubbles: true}))",
    )
    .await?;
    app.wait_for("[data-testid=print-dialog] [data-testid=print-estimate]:checked")
        .await?;
    print(&app, "ja", "", "letter", "estimate-").await?;
    let sheet = saved(&out, "estimate-")?;
    let text = squeeze(&poppler("pdftotext", &sheet)?);
    for expected in ["高効率チラー", "COP", "TX-1200e"] {
        assert!(
            text.contains(expected),
            "{expected} not in the estimate sheet:\n{text}"
        );
    }
    assert!(
        !text.contains("Estimatesheet"),
        "an English label in a Japanese sheet:\n{text}"
    );
    let info = poppler("pdfinfo", &sheet)?;
    assert!(
        info.contains("612 x 792") && info.contains("(letter)"),
        "{info}"
    );

    app.close().await
}
