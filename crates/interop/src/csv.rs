//! One CSV file per record kind (`visit.csv`, `finding.csv` …) in a folder,
//! RFC 4180 (quotes doubled, CRLF line ends), in UTF-8 with a byte order
//! mark by default: without it Excel reads UTF-8 as the system code page and
//! garbles Vietnamese, Thai and Japanese.

use std::path::{Path, PathBuf};

use fieldbook_store::Store;

use crate::table::{study_tables, KindTable};
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
        w.write_record(row.iter().map(|c| c.text().into_owned()))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}
