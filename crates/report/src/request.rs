//! Which report to print, named the way the CLI and the app name it: the
//! study is found from the record asked for, its dossier gathered, and the
//! report rendered.

use std::io::Write;
use std::path::Path;

use fieldbook_estimate::rules::Rules;
use fieldbook_proposal::Dossier;
use fieldbook_store::Store;
use serde::Deserialize;

use crate::{brief, estimate_sheet, visit_record, Options, ReportError};

/// A report of one study.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "report", rename_all = "snake_case")]
pub enum Request {
    /// The partner-meeting brief.
    Brief { study_id: String },
    /// The site survey record of every visit of a study.
    Visits { study_id: String },
    /// The site survey record of one visit.
    Visit { visit_id: String },
    /// One estimate with its whole working.
    Estimate { estimate_id: String },
}

/// A printed report and the file name it suggests.
#[derive(Debug)]
pub struct Printed {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

impl Printed {
    /// Writes the PDF to a temporary file beside `path`, then renames it: a
    /// reader (the PDF viewer, a synced folder) never sees half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let mut tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new(".")))?;
        tmp.write_all(&self.bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// What a report needs from the store, read in one go: rendering it (the
/// slow part, with its photos) needs no store, so the app renders without
/// holding the store and editing goes on meanwhile.
pub struct Gathered {
    request: Request,
    dossier: Dossier,
}

impl Request {
    pub fn print(&self, store: &Store, o: &Options) -> Result<Printed, ReportError> {
        self.gather(store, o)?.render(o)
    }

    pub fn gather(&self, store: &Store, o: &Options) -> Result<Gathered, ReportError> {
        let study_id = match self {
            Request::Brief { study_id } | Request::Visits { study_id } => study_id.clone(),
            Request::Visit { visit_id } => parent_study(store, "visit", visit_id)?,
            Request::Estimate { estimate_id } => parent_study(store, "estimate", estimate_id)?,
        };
        let dossier =
            fieldbook_proposal::dossier(store, Rules::shipped(), &study_id, o.printed_on)?;
        Ok(Gathered {
            request: self.clone(),
            dossier,
        })
    }
}

impl Gathered {
    pub fn render(&self, o: &Options) -> Result<Printed, ReportError> {
        let (d, rules) = (&self.dossier, Rules::shipped());
        let (what, bytes) = match &self.request {
            Request::Brief { .. } => ("brief", brief(d, o)?),
            Request::Visits { .. } => ("visits", visit_record(d, None, o)?),
            Request::Visit { visit_id } => ("visit", visit_record(d, Some(visit_id), o)?),
            Request::Estimate { estimate_id } => {
                ("estimate", estimate_sheet(d, estimate_id, rules, o)?)
            }
        };
        let file_name = format!(
            "{what}-{}-{}.pdf",
            slug(&d.study.title).unwrap_or_else(|| d.study.id.chars().take(8).collect()),
            o.printed_on
        );
        Ok(Printed { bytes, file_name })
    }
}

/// The study a visit or an estimate belongs to.
fn parent_study(store: &Store, kind: &str, id: &str) -> Result<String, ReportError> {
    let r = store.get(kind, id)?;
    Ok(r.fields["study_id"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The first words of a title as a file name part (ASCII letters and digits
/// joined by '-'); `None` when the title has none, as in a Khmer title.
pub fn slug(title: &str) -> Option<String> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut out = String::new();
    for w in words {
        if out.len() + w.len() > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn a_file_name_takes_the_first_ascii_words_of_the_title() {
        assert_eq!(
            slug("High-efficiency pumps and inverters for DAWACO water treatment plants")
                .as_deref(),
            Some("high-efficiency-pumps-and-inverters-for")
        );
        assert_eq!(slug("ម៉ាស៊ីនត្រជាក់"), None);
    }
}
