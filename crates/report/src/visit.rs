//! The site survey record: one visit — date, place, coordinates (decimal
//! and DMS), participants — with its findings, their measurements and
//! photos, and the local needs linked to those findings. The batch form
//! prints every visit of a study, each from a new page.

use fieldbook_core::coordinate::{to_dms, Axis};
use fieldbook_proposal::Dossier;
use fieldbook_store::Record;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::brief::{finding, needs_table};
use crate::flow::Block;
use crate::page::{SMALL, TITLE};
use crate::text::Span;
use crate::words::{body, facts, field, Options};
use crate::{render_document, ReportError};

#[derive(Debug, thiserror::Error)]
#[error("study {study} has no visit '{visit}'")]
pub struct UnknownVisit {
    pub study: String,
    pub visit: String,
}

/// The record of one visit (`Some(id)`) or of every visit of the study.
pub fn visit_record(d: &Dossier, visit: Option<&str>, o: &Options) -> Result<Vec<u8>, ReportError> {
    let visits: Vec<&Record> = match visit {
        Some(id) => vec![d
            .visits
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(|| UnknownVisit {
                study: d.study.id.clone(),
                visit: id.to_string(),
            })?],
        None => d.visits.iter().collect(),
    };
    let doc = if visit.is_some() {
        "doc.visit"
    } else {
        "doc.visits"
    };
    let mut blocks = Vec::new();
    if visits.is_empty() {
        blocks.push(Block::Title(vec![Span::new(
            o.label(doc, &[], " / "),
            TITLE,
        )]));
        blocks.push(body(o.label("none", &[], " / ")));
    }
    for v in visits {
        blocks.push(Block::PageBreak);
        one_visit(d, v, o, &mut blocks);
    }
    let furniture = o.furniture(d, doc, &crate::brief::sources(&d.estimates));
    render_document(&d.study.title, o, &furniture, &blocks)
}

/// "16.069611, 108.092306 (16°04'10.6"N 108°05'32.3"E)", or "" without both.
fn coordinates(v: &Record) -> String {
    let get = |name: &str| -> Option<Decimal> {
        match v.fields.get(name)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.to_string().parse().ok(),
            _ => None,
        }
    };
    match (get("latitude"), get("longitude")) {
        (Some(lat), Some(lon)) => format!(
            "{lat}, {lon} ({} {})",
            to_dms(lat, Axis::Latitude),
            to_dms(lon, Axis::Longitude)
        ),
        _ => String::new(),
    }
}

fn one_visit(d: &Dossier, v: &Record, o: &Options, blocks: &mut Vec<Block>) {
    let l = |key: &str| o.label(key, &[], " / ");
    blocks.push(Block::Title(vec![Span::new(l("doc.visit"), SMALL)]));
    blocks.push(Block::Title(vec![Span::new(v.title.clone(), TITLE)]));
    blocks.push(facts(vec![
        (l("field.date"), field(v, "date").to_string()),
        (l("field.place"), field(v, "place").to_string()),
        (l("field.coordinates"), coordinates(v)),
        (
            l("field.participants"),
            field(v, "participants").to_string(),
        ),
        (l("field.notes"), field(v, "notes").to_string()),
    ]));
    let found: Vec<_> = d
        .findings
        .iter()
        .filter(|f| d.visit_of(&f.finding).is_some_and(|fv| fv.id == v.id))
        .collect();
    blocks.push(o.heading("section.visit_findings"));
    if found.is_empty() {
        blocks.push(body(l("none")));
    }
    for f in &found {
        finding(d, f, o, blocks);
    }
    let linked: Vec<&Record> = d
        .needs
        .iter()
        .filter(|n| {
            n.fields
                .get("finding_ids")
                .and_then(Value::as_array)
                .is_some_and(|ids| {
                    ids.iter().any(|id| {
                        found
                            .iter()
                            .any(|f| Some(f.finding.id.as_str()) == id.as_str())
                    })
                })
        })
        .collect();
    if !linked.is_empty() {
        blocks.push(o.heading("section.linked_needs"));
        blocks.push(needs_table(&linked, o));
    }
}
