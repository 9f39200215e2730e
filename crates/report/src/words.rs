//! What every report prints the same way: labels in one or two document
//! languages, record fields as typed, numbers and money as people read
//! them, and the page furniture of a study.

use chrono::NaiveDate;
use fieldbook_core::units::{group_thousands, UnitCatalogue};
use fieldbook_proposal::Dossier;
use fieldbook_store::Record;
use rust_decimal::Decimal;

use crate::catalogue::Lang;
use crate::flow::{Block, Furniture, Table};
use crate::page::{PaperSize, BODY, BODY_BOLD, TABLE};
use crate::text::{Span, Style};

/// How a report is printed.
#[derive(Debug, Clone)]
pub struct Options {
    /// One or two document languages; the first leads.
    pub langs: Vec<Lang>,
    pub paper: PaperSize,
    pub printed_on: NaiveDate,
}

impl Options {
    /// A label in each document language, joined by `sep`.
    pub fn label(&self, key: &str, args: &[(&str, &str)], sep: &str) -> String {
        let mut seen: Vec<String> = Vec::new();
        for lang in &self.langs {
            let l = lang.label(key, args);
            // A partner language lacking the label falls back to English: print it once.
            if !seen.contains(&l) {
                seen.push(l);
            }
        }
        seen.join(sep)
    }

    pub fn heading(&self, key: &str) -> Block {
        let mut texts: Vec<String> = Vec::new();
        for lang in &self.langs {
            let l = lang.label(key, &[]);
            if !texts.contains(&l) {
                texts.push(l);
            }
        }
        Block::Heading(texts)
    }

    /// A table whose header cells are the labels `columns` name, each in
    /// every document language on its own line, with its share of the width.
    pub fn table(&self, columns: &[(&str, f32)], rows: Vec<Vec<Vec<Span>>>) -> Block {
        Block::Table(Table {
            columns: columns
                .iter()
                .map(|(key, share)| (self.label(key, &[], "\n"), *share))
                .collect(),
            rows,
        })
    }

    pub fn value(&self, group: &str, value: &str) -> String {
        let mut seen: Vec<String> = Vec::new();
        for lang in &self.langs {
            let l = lang.value(group, value);
            if !seen.contains(&l) {
                seen.push(l);
            }
        }
        seen.join(" / ")
    }

    /// Running head and foot of a report about `d`'s study.
    pub fn furniture(&self, d: &Dossier, doc_key: &str, sources: &str) -> Furniture {
        let date = self.printed_on.format("%Y-%m-%d").to_string();
        let lead = self.langs[0];
        Furniture {
            head_left: format!("{} · {}", lead.label(doc_key, &[]), d.study.title),
            head_right: lead.label("page.study", &[("id", &d.study.id)]),
            foot_left: format!(
                "{} · {}",
                self.label("page.printed", &[("date", &date)], " / "),
                self.langs[0].label("page.sources", &[("sources", sources)])
            ),
            watermark: (!d.reviewed()).then(|| lead.label("page.draft", &[])),
        }
    }
}

/// A text field of a record as typed, or "".
pub fn field<'a>(r: &'a Record, name: &str) -> &'a str {
    r.fields
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
}

pub fn int_field(r: &Record, name: &str) -> String {
    r.fields
        .get(name)
        .and_then(|v| v.as_i64())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

pub fn cell(text: impl Into<String>) -> Vec<Span> {
    vec![Span::new(text, TABLE)]
}

pub fn paragraph(text: impl Into<String>, style: Style) -> Block {
    Block::Paragraph(vec![Span::new(text, style)])
}

pub fn subheading(text: impl Into<String>) -> Block {
    Block::Subheading(vec![Span::new(text, BODY_BOLD)])
}

pub fn body(text: impl Into<String>) -> Block {
    paragraph(text, BODY)
}

/// Label–value pairs as a table without a header.
pub fn facts(rows: Vec<(String, String)>) -> Block {
    Block::Table(Table {
        columns: vec![(String::new(), 1.0), (String::new(), 2.4)],
        rows: rows
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| vec![vec![Span::new(k, crate::page::TABLE_HEAD)], cell(v)])
            .collect(),
    })
}

/// Whole tonnes with thousands grouped (reductions are already rounded down).
pub fn tonnes(t: Decimal) -> String {
    group_thousands(t.trunc())
}

/// A measured value with its unit, digits grouped ("360,000 m3/day").
pub fn quantity(value: &str, unit: &str) -> String {
    let shown = value
        .parse::<Decimal>()
        .map_or_else(|_| value.to_string(), group_thousands);
    format!("{shown} {unit}")
}

pub fn money(amount: Decimal, currency: &str) -> String {
    UnitCatalogue::shipped().format_money(amount, currency)
}
