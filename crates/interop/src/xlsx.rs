//! The study workbook: a sheet per record kind the study has, and a "JCM"
//! parameter sheet per estimate laid out like the input sheet of the official
//! monitoring spreadsheets. Numbers are numbers and dates are dates, so
//! Excel sorts, filters and sums them; the id column lets a re-import match
//! rows.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use fieldbook_estimate::emissions::{InputShown, MonitoringOption, Provenance};
use fieldbook_estimate::rules::Rules;
use fieldbook_proposal::{study_estimates, EstimateReport};
use fieldbook_store::Store;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use crate::table::{study_tables, Cell};
use crate::{file, Lang, Result};

/// Excel holds at most this many characters in a cell.
const MAX_CELL_CHARS: usize = 32_767;
/// Excel's limit on a sheet name.
const MAX_SHEET_NAME: usize = 31;
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

pub struct XlsxOptions {
    pub lang: Lang,
    /// The day estimates are evaluated as of (partner-country lists change).
    pub today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct XlsxSummary {
    /// Each sheet's name and its number of data rows.
    pub sheets: Vec<(String, usize)>,
    /// Cells cut at Excel's 32,767 characters (the CSV export keeps them whole).
    pub truncated_cells: usize,
}

/// Writes the workbook of `study_id` to `path`, whole or not at all.
pub fn export_xlsx(
    store: &Store,
    study_id: &str,
    path: &Path,
    o: &XlsxOptions,
) -> Result<XlsxSummary> {
    let (bytes, summary) = study_workbook(store, study_id, o)?;
    file::write_all_whole(&[(path, &bytes)])?;
    Ok(summary)
}

/// The workbook of `study_id` as bytes.
pub fn study_workbook(
    store: &Store,
    study_id: &str,
    o: &XlsxOptions,
) -> Result<(Vec<u8>, XlsxSummary)> {
    let (_, tables) = study_tables(store, study_id)?;
    let estimates = study_estimates(store, Rules::shipped(), study_id, o.today)?;
    let mut book = Book::new();
    for table in &tables {
        let name = o.lang.kind(table.kind.name);
        let headers = table.headers(o.lang);
        book.sheet(&name, &headers, table.rows())?;
    }
    let titles: HashMap<&str, &str> = tables
        .iter()
        .flat_map(|t| t.records.iter())
        .map(|r| (r.id.as_str(), r.title.as_str()))
        .collect();
    for (n, e) in estimates.iter().enumerate() {
        let name = format!(
            "{} {}",
            o.lang.label("sheet_jcm", &[("n", &(n + 1).to_string())]),
            e.title
        );
        let (headers, rows) = jcm_parameters(e, &titles, o.lang);
        book.sheet(&name, &headers, rows.into_iter())?;
    }
    let bytes = book.workbook.save_to_buffer()?;
    Ok((bytes, book.summary))
}

struct Book {
    workbook: Workbook,
    header: Format,
    date: Format,
    names: HashSet<String>,
    summary: XlsxSummary,
}

impl Book {
    fn new() -> Book {
        Book {
            workbook: Workbook::new(),
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            names: HashSet::new(),
            summary: XlsxSummary {
                sheets: Vec::new(),
                truncated_cells: 0,
            },
        }
    }

    /// A sheet with a bold, frozen, filterable header row and columns as
    /// wide as their content.
    fn sheet(
        &mut self,
        name: &str,
        headers: &[String],
        rows: impl Iterator<Item = Vec<Cell>>,
    ) -> Result<()> {
        let name = self.unique_name(name);
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(&name)?;
        let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col(c), h, &self.header)?;
        }
        let mut last_row = 0;
        for (r, cells) in rows.enumerate() {
            last_row = u32::try_from(r + 1).expect("fewer rows than Excel's limit");
            for (c, cell) in cells.iter().enumerate() {
                let truncated = write(sheet, last_row, col(c), cell, &self.date)?;
                self.summary.truncated_cells += usize::from(truncated);
                widths[c] = widths[c].max(display_width(&cell.text()));
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, last_row, col(headers.len().saturating_sub(1)))?;
        for (c, w) in widths.into_iter().enumerate() {
            sheet.set_column_width(col(c), (w.clamp(MIN_WIDTH, MAX_WIDTH) + 2) as f64)?;
        }
        self.summary.sheets.push((name, last_row as usize));
        Ok(())
    }

    /// `name` as Excel accepts it: without `[]:*?/\`, at most 31 characters,
    /// and unlike every other sheet's name (Excel compares them caseless).
    fn unique_name(&mut self, name: &str) -> String {
        let clean: String = name
            .chars()
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .collect();
        let clean = clean.trim_matches('\'');
        let mut n = 1;
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!(" ({n})")
            };
            let keep = MAX_SHEET_NAME - suffix.chars().count();
            let candidate: String = clean.chars().take(keep).collect::<String>() + &suffix;
            if self.names.insert(candidate.to_lowercase()) {
                return candidate;
            }
            n += 1;
        }
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).expect("fewer columns than Excel's limit")
}

/// Writes one cell; says whether its text had to be cut to Excel's limit.
fn write(sheet: &mut Worksheet, row: u32, c: u16, cell: &Cell, date: &Format) -> Result<bool> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            if let Some((cut, _)) = s.char_indices().nth(MAX_CELL_CHARS) {
                sheet.write_string(row, c, &s[..cut])?;
                return Ok(true);
            }
            sheet.write_string(row, c, s)?;
        }
        Cell::Number(f, _) => {
            sheet.write_number(row, c, *f)?;
        }
        Cell::Int(n) => {
            // Exact in a spreadsheet's f64 for every value the registry allows
            // but attachment sizes beyond 2^53 bytes.
            sheet.write_number(row, c, *n as f64)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(row, c, *b)?;
        }
        Cell::Date(d) => {
            let when = ExcelDateTime::from_ymd(
                u16::try_from(d.year()).unwrap_or(1900),
                d.month() as u8,
                d.day() as u8,
            )?;
            sheet.write_datetime_with_format(row, c, &when, date)?;
        }
    }
    Ok(false)
}

/// Columns as wide as their text: CJK and other wide characters take two.
fn display_width(s: &str) -> usize {
    s.lines()
        .map(|l| {
            l.chars()
                .map(|c| if is_wide(c) { 2 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// The estimate's inputs as the official input sheet lists them; the
/// working is the proposal crate's, the same the printed estimate sheet shows.
fn jcm_parameters(
    e: &EstimateReport,
    titles: &HashMap<&str, &str>,
    lang: Lang,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let headers = [
        "jcm_parameter",
        "jcm_description",
        "jcm_value",
        "jcm_unit",
        "jcm_monitoring",
        "jcm_source",
        "jcm_evidence",
        "jcm_edition",
    ]
    .iter()
    .map(|k| lang.label(k, &[]))
    .collect();
    let Some(em) = &e.emissions else {
        let reason = e.emissions_error.clone().unwrap_or_default();
        let row = vec![
            Cell::Empty,
            Cell::Text(lang.label("jcm_not_computed", &[("reason", &reason)])),
        ];
        return (headers, vec![row]);
    };
    let methodology = Rules::shipped().methodology(&e.methodology);
    // The JCM Model Project edition the estimate's subsidy is worked out under.
    let edition = e
        .subsidies
        .first()
        .map(|s| Cell::Text(s.edition.clone()))
        .unwrap_or(Cell::Empty);
    let rows = em
        .inputs
        .iter()
        .map(|i| {
            let param = methodology.and_then(|m| m.params.iter().find(|p| p.name == i.name));
            let description = param.map_or(String::new(), |p| match lang {
                Lang::En => format!("{}: {}", p.label_en, p.description_en),
                Lang::Ja => format!("{}：{}", p.label_ja, p.description_ja),
            });
            let (source, evidence) = provenance(i, titles, lang);
            vec![
                Cell::Text(i.name.clone()),
                Cell::Text(description),
                decimal(i),
                Cell::Text(i.unit.clone()),
                i.monitoring
                    .map_or(Cell::Empty, |m| Cell::Text(monitoring(m).into())),
                Cell::Text(source),
                evidence,
                edition.clone(),
            ]
        })
        .collect();
    (headers, rows)
}

fn decimal(i: &InputShown) -> Cell {
    let text = i.value.normalize().to_string();
    match text.parse() {
        Ok(f) => Cell::Number(f, text),
        Err(_) => Cell::Text(text),
    }
}

fn monitoring(m: MonitoringOption) -> &'static str {
    match m {
        MonitoringOption::A => "A",
        MonitoringOption::B => "B",
        MonitoringOption::C => "C",
    }
}

/// Where an input's value comes from, and the id of the record that shows it.
fn provenance(i: &InputShown, titles: &HashMap<&str, &str>, lang: Lang) -> (String, Cell) {
    match &i.provenance {
        Provenance::Measurement {
            finding_id,
            measurement_id,
        } => {
            let title = |id: &str| titles.get(id).map_or(id.to_string(), |t| t.to_string());
            let source = lang.label(
                "prov_measurement",
                &[
                    ("quantity", &title(measurement_id)),
                    ("finding", &title(finding_id)),
                ],
            );
            (
                source,
                Cell::Text(format!("{measurement_id} / {finding_id}")),
            )
        }
        Provenance::User { source } => {
            (lang.label("prov_user", &[("source", source)]), Cell::Empty)
        }
        Provenance::Reference { source, .. } => {
            let key = if i.unverified {
                "prov_reference_unverified"
            } else {
                "prov_reference"
            };
            (lang.label(key, &[("source", source)]), Cell::Empty)
        }
    }
}
