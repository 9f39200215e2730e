//! Fieldbook's data in the formats other tools open: a study workbook (XLSX)
//! for Excel, one CSV per record kind, GeoJSON and KML of the site visits for
//! QGIS and Google Earth. Everything is read through the store's read API and
//! the proposal crate's evaluated estimates; this crate holds no SQL.

pub mod csv;
mod file;
pub mod geo;
pub mod import;
mod labels;
mod table;
pub mod xlsx;

use std::str::FromStr;

use fieldbook_store::{Record, Store, StoreError};

pub use file::write_all_whole;
pub use labels::Lang;
pub use table::{study_tables, Cell, KindTable};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("study {0} is in the Trash: restore it before exporting it")]
    StudyInTrash(String),
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("cannot write KML: {0}")]
    Xml(#[from] std::io::Error),
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, ExportError>;

/// The format `fieldbook export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    GeoJson,
    Kml,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "xlsx" => Ok(Format::Xlsx),
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            "kml" => Ok(Format::Kml),
            other => Err(format!(
                "unknown export format '{other}': xlsx, csv, geojson or kml"
            )),
        }
    }
}

/// The live study `study_id`: exporting a trashed one would hand out
/// records the team has taken back.
fn live_study(store: &Store, study_id: &str) -> Result<Record> {
    let study = store.get("study", study_id)?;
    if study.deleted_at.is_some() {
        return Err(ExportError::StudyInTrash(study_id.to_string()));
    }
    Ok(study)
}
