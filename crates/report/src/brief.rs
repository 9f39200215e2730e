//! The partner-meeting brief: the study and the collaboration, the partner
//! city's needs, key findings with measurements and photos, candidate
//! technologies with reductions, subsidy, cost-effectiveness and finance
//! (with charts), the consortium and credit allocation, and the timeline.

use fieldbook_estimate::subsidy::Scheme;
use fieldbook_proposal::{Dossier, EstimateReport, FindingFacts, PhotoFacts};
use fieldbook_store::Record;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::chart::Chart;
use crate::flow::Block;
use crate::page::{SMALL, TITLE};
use crate::photo::Photo;
use crate::text::Span;
use crate::words::{
    body, cell, facts, field, int_field, money, paragraph, quantity, subheading, tonnes, Options,
};
use crate::{render_document, ReportError};

pub fn brief(d: &Dossier, o: &Options) -> Result<Vec<u8>, ReportError> {
    let mut blocks = vec![
        Block::Title(vec![Span::new(o.label("doc.brief", &[], " / "), SMALL)]),
        Block::Title(vec![Span::new(d.study.title.clone(), TITLE)]),
    ];
    study(d, o, &mut blocks);
    needs(d, o, &mut blocks);
    findings(d, o, &mut blocks);
    technologies(d, o, &mut blocks);
    consortium(d, o, &mut blocks);
    timeline(d, o, &mut blocks);
    let furniture = o.furniture(d, "doc.brief", &sources(&d.estimates));
    render_document(&d.study.title, o, &furniture, &blocks)
}

/// The rule editions the estimates were evaluated under.
pub fn sources(estimates: &[EstimateReport]) -> String {
    let mut editions: Vec<String> = Vec::new();
    for line in estimates.iter().flat_map(|e| &e.subsidies) {
        let scheme = match line.scheme {
            Scheme::JcmModelProject => "JCM Model Project",
            Scheme::JfjcmSovereign | Scheme::JfjcmNonSovereign => "JFJCM",
        };
        let s = format!("{scheme} {}", line.edition);
        if !editions.contains(&s) {
            editions.push(s);
        }
    }
    if editions.is_empty() {
        "assets/rules".into()
    } else {
        format!("assets/rules ({})", editions.join(", "))
    }
}

fn none(o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(paragraph(o.label("none", &[], " / "), SMALL));
}

fn study(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.study"));
    let l = |key: &str| o.label(key, &[], " / ");
    let mut rows = Vec::new();
    if let Some(c) = &d.collaboration {
        rows.push((l("field.japanese_org"), c.japanese_org.clone()));
        let city = match &c.country {
            Some(country) => format!("{}, {country}", c.partner_city),
            None => c.partner_city.clone(),
        };
        rows.push((l("field.partner_city"), city));
        rows.push((
            l("field.agreement"),
            o.value("agreement", field(&c.record, "kind")),
        ));
        rows.push((l("field.since"), field(&c.record, "since").to_string()));
    }
    rows.push((l("field.fiscal_year"), int_field(&d.study, "fiscal_year")));
    rows.push((l("field.years"), int_field(&d.study, "years")));
    rows.push((
        l("field.status"),
        o.value("study_status", field(&d.study, "status")),
    ));
    rows.push((
        l("field.consignee"),
        d.consignee.clone().unwrap_or_default(),
    ));
    blocks.push(facts(rows));
    let notes = field(&d.study, "notes");
    if !notes.is_empty() {
        blocks.push(body(notes));
    }
}

fn needs(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.needs"));
    if d.needs.is_empty() {
        return none(o, blocks);
    }
    blocks.push(needs_table(&d.needs.iter().collect::<Vec<_>>(), o));
}

/// Needs with their priority and who voiced them.
pub fn needs_table(needs: &[&Record], o: &Options) -> Block {
    let rows = needs
        .iter()
        .map(|n| {
            vec![
                cell(field(n, "statement")),
                cell(o.value("priority", field(n, "priority"))),
                cell(field(n, "voiced_by")),
            ]
        })
        .collect();
    o.table(
        &[
            ("col.need", 3.2),
            ("col.priority", 0.8),
            ("col.voiced_by", 1.4),
        ],
        rows,
    )
}

fn findings(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.findings"));
    if d.findings.is_empty() {
        return none(o, blocks);
    }
    for f in &d.findings {
        finding(d, f, o, blocks);
    }
}

/// One finding: its title, sector and visit, its text, measurements and photos.
pub fn finding(d: &Dossier, f: &FindingFacts, o: &Options, blocks: &mut Vec<Block>) {
    let mut title = format!(
        "{} — {}",
        field(&f.finding, "title"),
        o.value("sector", field(&f.finding, "sector"))
    );
    if let Some(v) = d.visit_of(&f.finding) {
        title.push_str(&format!(" · {}", v.title));
    }
    blocks.push(subheading(title));
    let text = field(&f.finding, "text");
    if !text.is_empty() {
        blocks.push(body(text));
    }
    if !f.measurements.is_empty() {
        let rows = f
            .measurements
            .iter()
            .map(|m| {
                vec![
                    cell(field(m, "quantity")),
                    cell(quantity(field(m, "value"), field(m, "unit"))),
                ]
            })
            .collect();
        blocks.push(o.table(&[("col.quantity", 2.0), ("col.value", 1.0)], rows));
    }
    if !f.photos.is_empty() {
        blocks.push(Block::Photos(photos(f, o)));
    }
}

/// The finding's photos, prepared for print; one not received or not
/// readable becomes a labelled box.
pub fn photos(f: &FindingFacts, o: &Options) -> Vec<Photo> {
    // Decoding and resizing a phone photo is the slowest part of a report:
    // as many at once as there are cores (each holds its full-size pixels).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = Vec::with_capacity(f.photos.len());
    for batch in f.photos.chunks(cores) {
        std::thread::scope(|scope| {
            let running: Vec<_> = batch
                .iter()
                .map(|p| scope.spawn(move || photo(p, o)))
                .collect();
            out.extend(
                running
                    .into_iter()
                    .map(|h| h.join().expect("preparing a photo does not panic")),
            );
        });
    }
    out
}

fn photo(p: &PhotoFacts, o: &Options) -> Photo {
    let caption = p.caption.clone().unwrap_or_else(|| p.file_name.clone());
    let file = [("file", p.file_name.as_str())];
    match p.path.as_ref().and_then(|path| std::fs::read(path).ok()) {
        Some(bytes) => {
            Photo::from_bytes(&bytes, caption, o.label("photo.unreadable", &file, " / "))
        }
        None => Photo::placeholder(caption, o.label("photo.missing", &file, " / ")),
    }
}

fn f64_of(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

fn technologies(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.technologies"));
    if d.technologies.is_empty() {
        none(o, blocks);
    }
    for t in &d.technologies {
        let mut line = format!("{} ({})", t.title, field(t, "tech_type"));
        if let (Some(capex), Some(cur)) = (
            t.fields.get("capex").and_then(|v| v.as_str()),
            t.fields.get("currency").and_then(|v| v.as_str()),
        ) {
            if let Ok(capex) = capex.parse::<Decimal>() {
                line.push_str(&format!(" — {}", money(capex, cur)));
            }
        }
        blocks.push(subheading(line));
        let notes = field(t, "notes");
        if !notes.is_empty() {
            blocks.push(body(notes));
        }
    }
    if d.estimates.is_empty() {
        return;
    }
    blocks.push(o.heading("section.reductions"));
    let name = |e: &EstimateReport| {
        e.technology_id
            .as_ref()
            .and_then(|id| d.technologies.iter().find(|t| &t.id == id))
            .map_or(e.title.clone(), |t| t.title.clone())
    };
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for e in &d.estimates {
        let Some(em) = &e.emissions else {
            let reason = e.emissions_error.clone().unwrap_or_default();
            blocks.push(paragraph(
                o.langs[0].label(
                    "estimate.not_evaluated",
                    &[("estimate", &name(e)), ("reason", &reason)],
                ),
                SMALL,
            ));
            continue;
        };
        bars.push((name(e), f64_of(em.reduction_t_per_year)));
        let jcm = e.subsidies.first().and_then(|s| s.result.as_ref());
        let subsidy = match jcm {
            Some(r) if r.eligible => money(r.amount, &r.currency),
            _ => o.label("estimate.not_eligible", &[], " / "),
        };
        let fin = e.finance.as_ref();
        let cur = e.finance_currency.as_deref().unwrap_or("JPY");
        let payback = |c: &fieldbook_estimate::finance::FinanceCase| {
            c.simple_payback_years
                .map_or(o.label("estimate.never", &[], " / "), |y| {
                    y.round_dp(1).to_string()
                })
        };
        rows.push(vec![
            cell(name(e)),
            cell(tonnes(em.reduction_t_per_year)),
            cell(em.lifetime_reduction_t.map(tonnes).unwrap_or_default()),
            cell(subsidy),
            cell(
                e.cost_effectiveness
                    .as_ref()
                    .map(|c| tonnes(c.jpy_per_t))
                    .unwrap_or_default(),
            ),
            cell(
                fin.map(|f| money(f.without_subsidy.npv, cur))
                    .unwrap_or_default(),
            ),
            cell(
                fin.map(|f| money(f.with_subsidy.npv, cur))
                    .unwrap_or_default(),
            ),
            cell(
                fin.map(|f| {
                    format!(
                        "{} / {}",
                        payback(&f.without_subsidy),
                        payback(&f.with_subsidy)
                    )
                })
                .unwrap_or_default(),
            ),
        ]);
    }
    if !rows.is_empty() {
        blocks.push(o.table(
            &[
                ("col.technology", 1.6),
                ("col.annual", 1.0),
                ("col.lifetime", 1.0),
                ("col.subsidy", 1.3),
                ("col.cost_effectiveness", 1.1),
                ("col.npv_without", 1.3),
                ("col.npv_with", 1.3),
                ("col.payback", 1.1),
            ],
            rows,
        ));
    }
    if !bars.is_empty() {
        blocks.push(Block::Chart(Chart::Bars {
            axis: o.label("chart.reductions", &[], " / "),
            bars,
        }));
    }
    for e in d.estimates.iter().filter(|e| e.finance.is_some()).take(2) {
        let f = e.finance.as_ref().expect("filtered");
        let points = |flows: &[Decimal]| -> Vec<(f64, f64)> {
            flows
                .iter()
                .enumerate()
                .map(|(y, v)| (y as f64, f64_of(*v)))
                .collect()
        };
        let currency = e.finance_currency.clone().unwrap_or_default();
        blocks.push(Block::Chart(Chart::Lines {
            x_axis: o.label("chart.years", &[], " / "),
            y_axis: o.label(
                "chart.cash_flow",
                &[("estimate", &name(e)), ("currency", &currency)],
                " / ",
            ),
            series: vec![
                (
                    o.label("chart.with_subsidy", &[], " / "),
                    points(&f.with_subsidy.cumulative_cash_flow),
                ),
                (
                    o.label("chart.without_subsidy", &[], " / "),
                    points(&f.without_subsidy.cumulative_cash_flow),
                ),
            ],
        }));
    }
}

fn consortium(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.consortium"));
    if d.members.is_empty() && d.credit_shares.is_empty() {
        return none(o, blocks);
    }
    if !d.members.is_empty() {
        blocks.push(
            o.table(
                &[("col.organisation", 2.0), ("col.role", 1.0)],
                d.members
                    .iter()
                    .map(|(m, org)| {
                        vec![
                            cell(org.clone()),
                            cell(o.value("role", field(m, "consortium_role"))),
                        ]
                    })
                    .collect(),
            ),
        );
    }
    if !d.credit_shares.is_empty() {
        blocks.push(
            o.table(
                &[
                    ("col.party", 1.4),
                    ("col.organisation", 1.6),
                    ("col.share", 0.8),
                ],
                d.credit_shares
                    .iter()
                    .map(|(c, org)| {
                        vec![
                            cell(o.value("party", field(c, "party"))),
                            cell(org.clone().unwrap_or_default()),
                            cell(field(c, "percent")),
                        ]
                    })
                    .collect(),
            ),
        );
    }
}

fn timeline(d: &Dossier, o: &Options, blocks: &mut Vec<Block>) {
    blocks.push(o.heading("section.timeline"));
    if d.activities.is_empty() {
        return none(o, blocks);
    }
    blocks.push(
        o.table(
            &[
                ("col.year", 0.5),
                ("col.date", 0.9),
                ("col.kind", 1.0),
                ("col.activity", 3.0),
            ],
            d.activities
                .iter()
                .map(|a| {
                    vec![
                        cell(int_field(a, "year")),
                        cell(field(a, "date")),
                        cell(o.value("activity", field(a, "activity_kind"))),
                        cell(field(a, "title")),
                    ]
                })
                .collect(),
        ),
    );
}
