//! The estimate sheet: one estimate with its whole working — the
//! methodology and its formulas, every input with value, unit, provenance
//! and monitoring option, the reduction, the subsidy under each scheme with
//! the rule edition it is pinned to — and a numbered footnote for each
//! unverified default, so a reviewer can defend or challenge every number.

use fieldbook_core::units::group_thousands;
use fieldbook_estimate::emissions::{MonitoringOption, Provenance};
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::subsidy::Scheme;
use fieldbook_proposal::{Dossier, EstimateReport};

use crate::brief::sources;
use crate::catalogue::Lang;
use crate::flow::Block;
use crate::page::{BODY_BOLD, SMALL, TITLE};
use crate::text::Span;
use crate::words::{body, cell, facts, money, paragraph, tonnes, Options};
use crate::{render_document, ReportError};

#[derive(Debug, thiserror::Error)]
#[error("study {study} has no estimate '{estimate}'")]
pub struct UnknownEstimate {
    pub study: String,
    pub estimate: String,
}

pub fn estimate_sheet(
    d: &Dossier,
    estimate_id: &str,
    rules: &Rules,
    o: &Options,
) -> Result<Vec<u8>, ReportError> {
    let e = d
        .estimates
        .iter()
        .find(|e| e.estimate_id == estimate_id)
        .ok_or_else(|| UnknownEstimate {
            study: d.study.id.clone(),
            estimate: estimate_id.to_string(),
        })?;
    let l = |key: &str| o.label(key, &[], " / ");
    let mut blocks = vec![
        Block::Title(vec![Span::new(l("doc.estimate"), SMALL)]),
        Block::Title(vec![Span::new(e.title.clone(), TITLE)]),
    ];
    let methodology = rules.methodology(&e.methodology);
    let lead = o.langs[0];
    let name = methodology.map_or(e.methodology.clone(), |m| match lead {
        Lang::Ja => m.name_ja.clone(),
        _ => m.name_en.clone(),
    });
    blocks.push(o.heading("section.working"));
    let mut notes: Vec<String> = Vec::new();
    let Some(em) = &e.emissions else {
        blocks.push(body(e.emissions_error.clone().unwrap_or_default()));
        return finish(d, e, o, blocks);
    };
    let mut rows = vec![
        (
            l("field.methodology"),
            format!("{name} ({})", e.methodology),
        ),
        (l("field.reference_formula"), em.reference_formula.clone()),
        (l("field.project_formula"), em.project_formula.clone()),
        (l("field.reduction"), tonnes(em.reduction_t_per_year)),
    ];
    if let Some(years) = em.durable_years {
        let mut shown = years.to_string();
        if let Some(src) = &em.durable_years_source {
            shown.push_str(&format!(" ({src})"));
        }
        rows.push((l("field.durable_years"), shown));
    }
    if let Some(t) = em.lifetime_reduction_t {
        rows.push((l("field.lifetime"), tonnes(t)));
    }
    if let Some(c) = &e.cost_effectiveness {
        rows.push((l("field.cost_effectiveness"), tonnes(c.jpy_per_t)));
    }
    blocks.push(facts(rows));

    blocks.push(o.heading("section.inputs"));
    let input_rows = em
        .inputs
        .iter()
        .map(|i| {
            let param = methodology.and_then(|m| m.params.iter().find(|p| p.name == i.name));
            let label = param.map_or(i.name.clone(), |p| match lead {
                Lang::Ja => p.label_ja.clone(),
                _ => p.label_en.clone(),
            });
            let mut provenance = provenance_text(d, o, &i.provenance);
            if i.unverified {
                if let Provenance::Reference { source, .. } = &i.provenance {
                    notes.push(o.langs[0].label("footnote.unverified", &[("source", source)]));
                    provenance.push_str(&format!(" [{}]", notes.len()));
                }
            }
            vec![
                cell(label),
                cell(group_thousands(i.value.normalize())),
                cell(i.unit.clone()),
                cell(provenance),
                cell(i.monitoring.map(monitoring).unwrap_or_default()),
            ]
        })
        .collect();
    blocks.push(o.table(
        &[
            ("col.input", 1.6),
            ("col.value", 0.9),
            ("col.unit", 0.7),
            ("col.provenance", 2.4),
            ("col.monitoring", 0.8),
        ],
        input_rows,
    ));
    subsidies(e, o, &mut blocks);
    if !notes.is_empty() {
        blocks.push(o.heading("section.footnotes"));
        for (i, n) in notes.iter().enumerate() {
            blocks.push(paragraph(format!("[{}] {n}", i + 1), SMALL));
        }
    }
    finish(d, e, o, blocks)
}

fn finish(
    d: &Dossier,
    e: &EstimateReport,
    o: &Options,
    blocks: Vec<Block>,
) -> Result<Vec<u8>, ReportError> {
    let furniture = o.furniture(d, "doc.estimate", &sources(std::slice::from_ref(e)));
    render_document(&e.title, o, &furniture, &blocks)
}

fn monitoring(m: MonitoringOption) -> String {
    match m {
        MonitoringOption::A => "A",
        MonitoringOption::B => "B",
        MonitoringOption::C => "C",
    }
    .to_string()
}

/// Where an input's value comes from, naming a linked measurement and its finding.
fn provenance_text(d: &Dossier, o: &Options, p: &Provenance) -> String {
    let lead = o.langs[0];
    match p {
        Provenance::Measurement {
            finding_id,
            measurement_id,
        } => {
            let finding = d.findings.iter().find(|f| &f.finding.id == finding_id);
            let measurement = finding
                .and_then(|f| f.measurements.iter().find(|m| &m.id == measurement_id))
                .map_or(measurement_id.clone(), |m| m.title.clone());
            let finding = finding.map_or(finding_id.clone(), |f| f.finding.title.clone());
            lead.label(
                "prov.measurement",
                &[("quantity", &measurement), ("finding", &finding)],
            )
        }
        Provenance::User { source } => lead.label("prov.user", &[("source", source)]),
        Provenance::Reference { source, .. } => lead.label("prov.reference", &[("source", source)]),
    }
}

fn subsidies(e: &EstimateReport, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.subsidies"));
    let rows = e
        .subsidies
        .iter()
        .map(|s| {
            let scheme = match s.scheme {
                Scheme::JcmModelProject => "JCM Model Project",
                Scheme::JfjcmSovereign => "JFJCM (sovereign)",
                Scheme::JfjcmNonSovereign => "JFJCM (non-sovereign)",
            };
            let amount = match (&s.result, &s.error) {
                (Some(r), _) if r.eligible => money(r.amount, &r.currency),
                (Some(r), _) => format!(
                    "{} — {}",
                    o.label("estimate.not_eligible", &[], " / "),
                    r.reasons.join("; ")
                ),
                (None, Some(err)) => err.clone(),
                (None, None) => String::new(),
            };
            vec![cell(scheme), cell(s.edition.clone()), cell(amount)]
        })
        .collect();
    blocks.push(o.table(
        &[
            ("col.scheme", 1.2),
            ("col.edition", 1.0),
            ("col.amount", 2.6),
        ],
        rows,
    ));
    if let Some(f) = &e.finance {
        let cur = e.finance_currency.as_deref().unwrap_or("JPY");
        blocks.push(paragraph(
            format!(
                "{}: {} · {}: {}",
                o.label("col.npv_without", &[], " / "),
                money(f.without_subsidy.npv, cur),
                o.label("col.npv_with", &[], " / "),
                money(f.with_subsidy.npv, cur)
            ),
            BODY_BOLD,
        ));
    }
}
