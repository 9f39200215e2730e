//! The XLSForm an export was collected with, when the user has it: its
//! `survey` sheet says what each question is (a date, a geopoint, a photo,
//! a choice among a list), which the proposal trusts over guesses from the
//! first values; its `choices` sheet lists a select's options.

use std::collections::HashMap;
use std::path::Path;

use super::sheet::read_xlsx;
use super::ImportError;

#[derive(Debug, Clone, Default)]
pub struct Form {
    /// Question name → its type's first word and its options.
    questions: HashMap<String, Question>,
    /// Any language's label → question name, for exports headed by labels.
    by_label: HashMap<String, String>,
}

#[derive(Debug, Clone)]
struct Question {
    kind: String,
    choices: Vec<String>,
}

impl Form {
    /// Reads the XLSForm at `path`.
    pub fn read(path: &Path) -> Result<Form, ImportError> {
        let bytes = std::fs::read(path).map_err(ImportError::io(path))?;
        let name = path.display().to_string();
        let sheets = read_xlsx(&name, &bytes)?;
        let sheet = |wanted: &str| sheets.iter().find(|s| s.name.eq_ignore_ascii_case(wanted));
        let survey = sheet("survey").ok_or_else(|| {
            ImportError::NotATable(format!("{name} has no 'survey' sheet: is it an XLSForm?"))
        })?;
        let mut lists: HashMap<&str, Vec<String>> = HashMap::new();
        if let Some(choices) = sheet("choices") {
            for row in &choices.rows {
                lists
                    .entry(choices.cell(row, "list_name"))
                    .or_default()
                    .push(choices.cell(row, "name").to_string());
            }
        }
        let labels: Vec<&String> = survey
            .headers
            .iter()
            .filter(|h| h.starts_with("label"))
            .collect();
        let mut form = Form::default();
        for row in &survey.rows {
            let name = survey.cell(row, "name");
            let mut words = survey.cell(row, "type").split_whitespace();
            let (Some(kind), false) = (words.next(), name.is_empty()) else {
                continue;
            };
            let choices = words
                .next()
                .and_then(|list| lists.get(list))
                .cloned()
                .unwrap_or_default();
            for label in &labels {
                let label = survey.cell(row, label);
                if !label.is_empty() {
                    form.by_label.insert(label.to_string(), name.to_string());
                }
            }
            form.questions.insert(
                name.to_string(),
                Question {
                    kind: kind.to_string(),
                    choices,
                },
            );
        }
        Ok(form)
    }

    /// The name of the question the column `header` answers: its last
    /// path part, or the question it is the label of.
    pub fn name_of<'a>(&'a self, header: &'a str) -> Option<&'a str> {
        let leaf = header.rsplit(['/', '-']).next().unwrap_or(header);
        if self.questions.contains_key(leaf) {
            return Some(leaf);
        }
        self.by_label.get(header).map(String::as_str)
    }

    fn question(&self, header: &str) -> Option<&Question> {
        self.questions.get(self.name_of(header)?)
    }

    /// Whether the column `header` holds answers to a question of type
    /// `kind` (`date`, `geopoint`, `image`, `select_one` …).
    pub fn is(&self, header: &str, kind: &str) -> bool {
        self.question(header).is_some_and(|q| q.kind == kind)
    }

    /// The options of the select the column `header` answers.
    pub fn choices(&self, header: &str) -> &[String] {
        self.question(header).map_or(&[], |q| &q.choices)
    }
}
