//! The submissions of a KoboToolbox or ODK Central export, as each tool
//! really writes them (docs/research/kobo-odk-exports.md): which sheet holds
//! the submissions and which its repeat groups, which column is a
//! submission's stable id, and how a repeat row finds its submission.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::str::FromStr;

use super::media::MediaZip;
use super::sheet::{read_csv, read_xlsx, Row, Sheet};
use super::ImportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Kobo,
    Odk,
}

impl FromStr for Tool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "kobo" => Ok(Tool::Kobo),
            "odk" => Ok(Tool::Odk),
            other => Err(format!("unknown survey tool '{other}': kobo or odk")),
        }
    }
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Kobo => "KoboToolbox",
            Tool::Odk => "ODK Central",
        }
    }

    /// The columns that hold a submission's id that stays the same when
    /// the submission is edited on the server, best first: Kobo's
    /// `meta/rootUuid` (kpi 2.026.03 on; `_uuid` changes on edit), else its
    /// database `_id`; Central's `KEY` (the first version's instanceID).
    fn id_columns(self) -> &'static [&'static str] {
        match self {
            Tool::Kobo => &["meta/rootUuid", "_id"],
            Tool::Odk => &["KEY"],
        }
    }

    /// A repeat row's column naming its submission, and the submission's
    /// column it names.
    fn parent_link(self) -> (&'static str, &'static str) {
        match self {
            Tool::Kobo => ("_submission__id", "_id"),
            Tool::Odk => ("PARENT_KEY", "KEY"),
        }
    }

    /// Columns the tool adds to every export (not questions of the form).
    pub fn is_metadata(self, header: &str) -> bool {
        let last = header.rsplit(['/', '-']).next().unwrap_or(header);
        match self {
            Tool::Kobo => {
                header.starts_with('_')
                    || last.starts_with('_')
                    || header.ends_with("_URL")
                    || header == "meta/rootUuid"
                    || header == "__version__"
            }
            Tool::Odk => {
                matches!(
                    header,
                    "SubmissionDate"
                        | "KEY"
                        | "PARENT_KEY"
                        | "SubmitterID"
                        | "SubmitterName"
                        | "AttachmentsPresent"
                        | "AttachmentsExpected"
                        | "Status"
                        | "ReviewState"
                        | "DeviceID"
                        | "Edits"
                        | "FormVersion"
                ) || header.starts_with("meta-")
            }
        }
    }
}

/// An export read into memory: the submissions, the repeat groups' rows,
/// and the media archive when the export carries one (ODK's `.zip`).
pub struct Submissions {
    pub tool: Tool,
    /// The export's file name, for the action's label and messages.
    pub file_name: String,
    pub main: Sheet,
    pub repeats: Vec<Sheet>,
    /// The column of `main` holding each submission's stable id.
    pub id_column: String,
    pub media: Option<MediaZip<File>>,
    /// Repeat sheet → submission's link value → its rows' positions.
    children: HashMap<String, HashMap<String, Vec<usize>>>,
}

impl Submissions {
    /// Reads `path` as `tool` writes it: Kobo's CSV or XLSX, or Central's
    /// CSV or its ZIP of CSVs (and media).
    pub fn read(tool: Tool, path: &Path) -> Result<Self, ImportError> {
        let file_name = super::file_name(path);
        let lower = file_name.to_ascii_lowercase();
        let (sheets, media) = if lower.ends_with(".zip") {
            let mut zip =
                MediaZip::open(&file_name, File::open(path).map_err(ImportError::io(path))?)?;
            let mut sheets = Vec::new();
            for entry in zip.csv_entries() {
                let bytes = zip.read_path(&entry)?;
                let name = entry.rsplit('/').next().unwrap_or(&entry);
                sheets.push(read_csv(name.trim_end_matches(".csv"), &bytes)?);
            }
            (sheets, Some(zip))
        } else {
            let bytes = std::fs::read(path).map_err(ImportError::io(path))?;
            if lower.ends_with(".xlsx") {
                (read_xlsx(&file_name, &bytes)?, None)
            } else if lower.ends_with(".csv") {
                let stem = file_name[..file_name.len() - 4].to_string();
                (vec![read_csv(&stem, &bytes)?], None)
            } else {
                return Err(ImportError::NotATable(format!(
                    "{file_name}: a survey export is a .csv, .xlsx or (ODK Central) .zip file"
                )));
            }
        };
        Self::from_sheets(tool, file_name, sheets, media)
    }

    fn from_sheets(
        tool: Tool,
        file_name: String,
        sheets: Vec<Sheet>,
        media: Option<MediaZip<File>>,
    ) -> Result<Self, ImportError> {
        let (parent_column, _) = tool.parent_link();
        let (repeats, mut mains): (Vec<Sheet>, Vec<Sheet>) = sheets
            .into_iter()
            .map(drop_hxl_row)
            .partition(|s| s.column(parent_column).is_some());
        // The submissions are the first sheet of a workbook; in Central's
        // ZIP, the file named after the form, which the others' names
        // (`<form>-<repeat>.csv`, `<form> - audit.csv`) start with.
        if tool == Tool::Odk {
            mains.sort_by_key(|s| s.name.len());
        }
        let main = mains.into_iter().next().ok_or_else(|| {
            ImportError::NotATable(format!("{file_name} holds no table of submissions"))
        })?;
        let id_column = tool
            .id_columns()
            .iter()
            .find(|c| main.column(c).is_some())
            .ok_or_else(|| {
                ImportError::NotATable(format!(
                    "{file_name} has no {} column: is it a {} submission export? ({})",
                    tool.id_columns().join(" or "),
                    tool.name(),
                    match tool {
                        Tool::Kobo =>
                            "export it from the project's Data → Downloads, as CSV or XLS",
                        Tool::Odk => "download it from the form's Submissions page, as CSV or ZIP",
                    }
                ))
            })?
            .to_string();
        let mut subs = Submissions {
            tool,
            file_name,
            main,
            repeats,
            id_column,
            media,
            children: HashMap::new(),
        };
        subs.children = subs.link_children();
        Ok(subs)
    }

    fn link_children(&self) -> HashMap<String, HashMap<String, Vec<usize>>> {
        let (parent_column, _) = self.tool.parent_link();
        self.repeats
            .iter()
            .map(|sheet| {
                let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
                for (i, row) in sheet.rows.iter().enumerate() {
                    by_parent
                        .entry(sheet.cell(row, parent_column).to_string())
                        .or_default()
                        .push(i);
                }
                (sheet.name.clone(), by_parent)
            })
            .collect()
    }

    pub fn repeat(&self, name: &str) -> Option<&Sheet> {
        self.repeats.iter().find(|s| s.name == name)
    }

    /// A submission's stable id, without the `uuid:` prefix; "" when absent.
    pub fn stable_id<'a>(&self, row: &'a Row) -> &'a str {
        let id = self.main.cell(row, &self.id_column);
        id.strip_prefix("uuid:").unwrap_or(id)
    }

    /// Why a submission's answers cannot be read, when they cannot, as
    /// (column, its value, reason): Central exports an encrypted submission
    /// it could not decrypt with its answers empty and its `Status` saying so.
    pub fn unreadable<'r>(&self, row: &'r Row) -> Option<(&'static str, &'r str, String)> {
        let status = match self.tool {
            Tool::Odk => self.main.cell(row, "Status"),
            Tool::Kobo => "",
        };
        (!status.is_empty()).then(|| {
            let reason = format!(
                "the submission is encrypted ({status}): download the export again from \
                 ODK Central with the form's passphrase"
            );
            ("Status", status, reason)
        })
    }

    /// The rows of repeat sheet `sheet` that belong to submission `row`.
    pub fn children<'a>(&'a self, sheet: &'a Sheet, row: &Row) -> impl Iterator<Item = &'a Row> {
        let (_, key) = self.tool.parent_link();
        let link = self.main.cell(row, key);
        self.children
            .get(&sheet.name)
            .and_then(|by_parent| by_parent.get(link))
            .into_iter()
            .flatten()
            .map(|&i| &sheet.rows[i])
    }

    /// The folders a submission's files may be in, in Kobo's media ZIP
    /// (named by the submission's uuid when its files were uploaded).
    pub fn media_folders<'a>(&self, row: &'a Row) -> Vec<&'a str> {
        ["_uuid", "meta/rootUuid", "meta-instanceID", "KEY"]
            .iter()
            .map(|c| self.main.cell(row, c))
            .map(|id| id.strip_prefix("uuid:").unwrap_or(id))
            .filter(|id| !id.is_empty())
            .collect()
    }
}

/// Kobo writes a second header row of HXL hashtags when the form has any.
fn drop_hxl_row(mut sheet: Sheet) -> Sheet {
    let is_hxl = |row: &Row| {
        row.cells
            .iter()
            .filter(|c| !c.is_empty())
            .all(|c| c.starts_with('#'))
            && row.cells.iter().any(|c| !c.is_empty())
    };
    if sheet.rows.first().is_some_and(is_hxl) {
        sheet.rows.remove(0);
    }
    sheet
}
