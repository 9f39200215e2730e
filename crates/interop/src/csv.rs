//! One CSV file per record kind (`visit.csv`, `finding.csv` …) in a folder,
//! RFC 4180 (quotes doubled, CRLF line ends), in UTF-8 with a byte order
//! mark by default: without it Excel reads UTF-8 as the system code page and
//! garbles Vietnamese, Thai and Japanese.

use std::path::{Path, PathBuf};

use fieldbook_store::Store;

use crate::table::{study_tables, Cell, KindTable};
use crate::{file, ExportError, Lang, Result};

const BOM: &str = "\u{FEFF}";

pub struct CsvOptions {
    pub lang: Lang,
    /// Start each file with a UTF-8 byte order mark (for Excel).
    pub bom: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CsvSummary {
    /// Each file written and its number of data rows.
    pub files: Vec<(PathBuf, usize)>,
}

/// Writes the study's CSV files into `dir` (made if missing); either every
/// file is replaced or none is.
pub fn export_csv(store: &Store, study_id: &str, dir: &Path, o: &CsvOptions) -> Result<CsvSummary> {
    let (_, tables) = study_tables(store, study_id)?;
    let files = tables
        .iter()
        .map(|t| {
            Ok((
                dir.join(format!("{}.csv", t.kind.name)),
                kind_csv(t, o)?,
                t.records.len(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let whole: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(p, bytes, _)| (p.as_path(), bytes.as_slice()))
        .collect();
    file::write_all_whole(&whole)?;
    Ok(CsvSummary {
        files: files.into_iter().map(|(p, _, n)| (p, n)).collect(),
    })
}

/// One kind's table as CSV bytes.
pub fn kind_csv(table: &KindTable, o: &CsvOptions) -> Result<Vec<u8>> {
    let out = if o.bom {
        BOM.as_bytes().to_vec()
    } else {
        Vec::new()
    };
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(table.headers(o.lang))?;
    for row in table.rows() {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(text) => defused(text),
            other => other.text().into_owned(),
        }))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}

/// Text that Excel would run as a formula (`=HYPERLINK(…)`, `+cmd|…`,
/// `@SUM(…)`, `-1+…`) when the file is opened, with an apostrophe before it
/// so Excel shows it as the text it is (OWASP's advice for CSV injection).
/// Text that merely starts with a minus before a number stays as it is.
fn defused(text: &str) -> String {
    let mut chars = text.chars();
    let risky = match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => chars
            .next()
            .is_some_and(|c| !(c.is_ascii_digit() || c == '.' || c == ' ')),
        _ => false,
    };
    if risky {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::defused;

    #[test]
    fn formulas_are_shown_as_text_and_plain_text_is_left_alone() {
        for (text, shown) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-A1+B1", "'-A1+B1"),
            ("-5 °C at night", "-5 °C at night"),
            ("- leaking valve", "- leaking valve"),
            ("ปั๊มน้ำ = 3", "ปั๊มน้ำ = 3"),
        ] {
            assert_eq!(defused(text), shown, "{text}");
        }
    }
}
