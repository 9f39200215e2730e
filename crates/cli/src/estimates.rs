//! `fieldbook estimate …` and `fieldbook methodology …`: the estimate engine
//! from the shell, JSON in and out, decimals as strings.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use fieldbook_estimate::credits;
use fieldbook_estimate::emissions::{self, Input, Provenance};
use fieldbook_estimate::finance::{self, FinanceInput};
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::subsidy::{self, Scheme, SubsidyQuery};
use fieldbook_estimate::Decimal;
use serde_json::json;

use crate::output::Output;

fn decimal_arg(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("X")
        .allow_hyphen_values(true)
        .help(help)
}

/// The calculations under `fieldbook estimate`, beside the estimate records'
/// add/list/show/edit/rm/restore.
pub const CALCULATIONS: &[&str] = &[
    "emissions",
    "subsidy",
    "cost-effectiveness",
    "finance",
    "evaluate",
];

pub fn estimate_subcommands() -> [Command; 5] {
    [
        Command::new("emissions")
            .about("ER = RE − PE for a methodology (annual reduction rounded down)")
            .arg(
                Arg::new("methodology")
                    .long("methodology")
                    .required(true)
                    .value_name("ID"),
            )
            .arg(
                Arg::new("param")
                    .long("param")
                    .value_name("NAME=VALUE")
                    .action(ArgAction::Append)
                    .help("A parameter in its unit (see `fieldbook methodology show ID`)"),
            )
            .arg(
                Arg::new("measurement")
                    .long("measurement")
                    .value_name("NAME=MEASUREMENT_ID")
                    .action(ArgAction::Append)
                    .help("Take a parameter from a finding's measurement (converted to its unit)"),
            )
            .arg(
                Arg::new("durable-years")
                    .long("durable-years")
                    .value_parser(value_parser!(u32))
                    .help("Legal durable years (default: the rule pack's)"),
            ),
        Command::new("subsidy")
            .about("JCM Model Project or JFJCM amount under a rule edition")
            .arg(
                Arg::new("scheme")
                    .long("scheme")
                    .required(true)
                    .value_parser([
                        "jcm-model-project",
                        "jfjcm-sovereign",
                        "jfjcm-non-sovereign",
                    ]),
            )
            .arg(
                Arg::new("country")
                    .long("country")
                    .required(true)
                    .value_name("ISO2"),
            )
            .arg(decimal_arg(
                "eligible-cost",
                "Eligible cost (JCM Model Project)",
            ))
            .arg(decimal_arg("total-cost", "Total project cost (JFJCM)"))
            .arg(Arg::new("currency").long("currency").required(true))
            .arg(
                Arg::new("similar-projects")
                    .long("similar-projects")
                    .default_value("0")
                    .value_parser(value_parser!(u32)),
            )
            .arg(Arg::new("edition").long("edition"))
            .arg(date_flag(
                "Date of the partner-country list (default: today)",
            )),
        Command::new("cost-effectiveness")
            .about("Subsidy (JPY) per tonne over the durable years")
            .arg(decimal_arg("subsidy-jpy", "Subsidy in JPY").required(true))
            .arg(decimal_arg("reduction-t-per-year", "Annual reduction, t CO2").required(true))
            .arg(
                Arg::new("durable-years")
                    .long("durable-years")
                    .required(true)
                    .value_parser(value_parser!(u32)),
            ),
        Command::new("finance")
            .about("NPV, IRR and paybacks with and without the subsidy")
            .arg(decimal_arg("capex", "Up-front cost").required(true))
            .arg(decimal_arg("opex", "Operating cost per year").required(true))
            .arg(decimal_arg("savings", "Savings per year").required(true))
            .arg(
                Arg::new("years")
                    .long("years")
                    .required(true)
                    .value_parser(value_parser!(u32)),
            )
            .arg(decimal_arg("discount-rate", "A fraction: 0.05 for 5 %").required(true))
            .arg(decimal_arg("subsidy", "Subsidy received up front"))
            .arg(decimal_arg(
                "reduction-t-per-year",
                "For the cost per tonne abated",
            )),
        Command::new("evaluate")
            .about("A saved estimate worked out: emissions, subsidies, cost-effectiveness, finance")
            .arg(Arg::new("id").required(true).value_name("ESTIMATE_ID"))
            .arg(date_flag(
                "Date the partner lists apply at (default: today)",
            )),
    ]
}

fn date_flag(help: &'static str) -> Arg {
    Arg::new("date").long("date").help(help)
}

/// The top-level commands of the estimate engine.
pub fn commands() -> [Command; 4] {
    let credits = Command::new("credits")
        .about("Credit allocation")
        .subcommand_required(true)
        .subcommand(
            Command::new("split")
                .about("Split issued credits into whole tonnes by largest remainder")
                .arg(
                    Arg::new("total")
                        .long("total")
                        .required(true)
                        .value_parser(value_parser!(u64)),
                )
                .arg(
                    Arg::new("share")
                        .long("share")
                        .required(true)
                        .action(ArgAction::Append)
                        .value_name("PARTY=PERCENT")
                        .help("The Government of Japan is party gov-japan (at least 50 %)"),
                ),
        );
    let methodology = Command::new("methodology")
        .about("The emission methodologies, their parameters, units and defaults")
        .subcommand_required(true)
        .subcommand(Command::new("list").about("List the methodologies"))
        .subcommand(
            Command::new("show")
                .about("Show one methodology")
                .arg(Arg::new("id").required(true)),
        );
    let funds = Command::new("funds")
        .about("Other public funds (GB Table 10) as an exit-strategy catalogue")
        .subcommand_required(true)
        .subcommand(
            Command::new("list")
                .arg(Arg::new("applicant").long("applicant").help(
                    "Only funds this kind of applicant may use, e.g. japanese_local_government",
                ))
                .arg(Arg::new("group").long("group").value_parser(["A", "B"])),
        );
    let advise = Command::new("advise")
        .about("Exit-strategy advisor: which schemes fit a study, and what is missing")
        .arg(
            Arg::new("study")
                .long("study")
                .required(true)
                .value_name("STUDY_ID"),
        )
        .arg(
            Arg::new("technology")
                .long("technology")
                .value_name("TECHNOLOGY_ID")
                .help("Advise for one candidate technology of the study"),
        )
        .arg(date_flag(
            "Date the partner lists apply at (default: today)",
        ));
    [credits, methodology, funds, advise]
}

fn decimal(sub: &ArgMatches, name: &str) -> Result<Option<Decimal>> {
    sub.get_one::<String>(name)
        .map(|s| {
            fieldbook_core::validate::parse_decimal(s)
                .with_context(|| format!("--{name}: '{s}' is not a number"))
        })
        .transpose()
}

/// `--date`, else today.
fn date_arg(m: &ArgMatches) -> Result<chrono::NaiveDate> {
    match m.get_one::<String>("date") {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("--date: '{s}' is not a date (use YYYY-MM-DD)")),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}

fn required_decimal(sub: &ArgMatches, name: &str) -> Result<Decimal> {
    Ok(decimal(sub, name)?.expect("clap requires it"))
}

pub fn run_estimate(
    sub: &ArgMatches,
    out: &Output,
    open_store: impl FnOnce() -> Result<fieldbook_store::Store>,
) -> Result<()> {
    let rules = Rules::shipped();
    let (what, m) = sub.subcommand().expect("clap requires one");
    let value = match what {
        "emissions" => {
            let mut given = BTreeMap::new();
            for p in m.get_many::<String>("param").into_iter().flatten() {
                let (name, value) = p
                    .split_once('=')
                    .with_context(|| format!("--param {p}: write it as NAME=VALUE"))?;
                let value = fieldbook_core::validate::parse_decimal(value)
                    .with_context(|| format!("--param {name}: '{value}' is not a number"))?;
                let input = Input {
                    value,
                    provenance: Provenance::User {
                        source: "entered on the command line".into(),
                    },
                    monitoring: None,
                };
                if given.insert(name.to_string(), input).is_some() {
                    bail!("--param {name} is given twice");
                }
            }
            let methodology = m.get_one::<String>("methodology").expect("required");
            let from_measurements: Vec<&String> = m
                .get_many::<String>("measurement")
                .into_iter()
                .flatten()
                .collect();
            if !from_measurements.is_empty() {
                let store = open_store()?;
                for p in from_measurements {
                    let (name, id) = p.split_once('=').with_context(|| {
                        format!("--measurement {p}: write it as NAME=MEASUREMENT_ID")
                    })?;
                    let input = fieldbook_proposal::measurement_input(
                        &store,
                        rules,
                        methodology,
                        name,
                        id,
                    )?;
                    if given.insert(name.to_string(), input).is_some() {
                        bail!("parameter {name} is given twice");
                    }
                }
            }
            let years = m.get_one::<u32>("durable-years").copied();
            serde_json::to_value(emissions::estimate(rules, methodology, &given, years)?)?
        }
        "subsidy" => {
            let scheme = Scheme::from_str(m.get_one::<String>("scheme").expect("required"))?;
            let cost_flag = match scheme {
                Scheme::JcmModelProject => "eligible-cost",
                _ => "total-cost",
            };
            let cost = decimal(m, cost_flag)?
                .with_context(|| format!("this scheme needs --{cost_flag}"))?;
            let date = date_arg(m)?;
            let query = SubsidyQuery {
                scheme,
                country: m
                    .get_one::<String>("country")
                    .expect("required")
                    .to_ascii_uppercase(),
                cost,
                currency: m
                    .get_one::<String>("currency")
                    .expect("required")
                    .to_ascii_uppercase(),
                similar_projects: *m.get_one::<u32>("similar-projects").expect("defaulted"),
                edition: m.get_one::<String>("edition").cloned(),
                date,
            };
            serde_json::to_value(subsidy::estimate(rules, &query)?)?
        }
        "cost-effectiveness" => {
            let jpy_per_t = subsidy::cost_effectiveness(
                required_decimal(m, "subsidy-jpy")?,
                required_decimal(m, "reduction-t-per-year")?,
                *m.get_one::<u32>("durable-years").expect("required"),
            )?;
            let threshold = &rules.schemes.cost_effectiveness;
            json!({
                "jpy_per_t": jpy_per_t,
                "threshold_jpy_per_t": threshold.threshold_jpy_per_t,
                "threshold_source": threshold.source,
                "threshold_status": threshold.status,
            })
        }
        "finance" => {
            let input = FinanceInput {
                capex: required_decimal(m, "capex")?,
                opex_per_year: required_decimal(m, "opex")?,
                savings_per_year: required_decimal(m, "savings")?,
                years: *m.get_one::<u32>("years").expect("required"),
                discount_rate: required_decimal(m, "discount-rate")?,
                subsidy: decimal(m, "subsidy")?.unwrap_or(Decimal::ZERO),
                reduction_t_per_year: decimal(m, "reduction-t-per-year")?,
            };
            serde_json::to_value(finance::evaluate(&input)?)?
        }
        "evaluate" => {
            let id = m.get_one::<String>("id").expect("required");
            serde_json::to_value(fieldbook_proposal::evaluate(
                &open_store()?,
                rules,
                id,
                date_arg(m)?,
            )?)?
        }
        other => unreachable!("clap offers no estimate {other}"),
    };
    // Estimates are JSON either way: pretty JSON is what a person reads here too.
    out.value(&value, |v| {
        serde_json::to_string_pretty(v).unwrap_or_default()
    })
}

pub fn run_credits(sub: &ArgMatches, out: &Output) -> Result<()> {
    let (_, m) = sub.subcommand().expect("clap requires one");
    let mut shares = Vec::new();
    for s in m.get_many::<String>("share").into_iter().flatten() {
        let (party, percent) = s
            .split_once('=')
            .with_context(|| format!("--share {s}: write it as PARTY=PERCENT"))?;
        let percent = fieldbook_core::validate::parse_decimal(percent)
            .with_context(|| format!("--share {party}: '{percent}' is not a number"))?;
        shares.push(credits::Share {
            party: party.to_string(),
            percent,
        });
    }
    let total = *m.get_one::<u64>("total").expect("required");
    let allocations = credits::split(total, &shares)?;
    out.value(
        &json!({ "total": total, "allocations": allocations }),
        |_| {
            allocations
                .iter()
                .map(|a| format!("{:<24} {:>12} t", a.party, a.tonnes))
                .collect::<Vec<_>>()
                .join("\n")
        },
    )
}

pub fn run_methodology(sub: &ArgMatches, out: &Output) -> Result<()> {
    let rules = Rules::shipped();
    match sub.subcommand().expect("clap requires one") {
        ("list", _) => out.value(&serde_json::to_value(&rules.methodologies)?, |_| {
            rules
                .methodologies
                .iter()
                .map(|m| format!("{:<22} {} [{}]", m.id, m.name_en, m.status.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        ("show", m) => {
            let id = m.get_one::<String>("id").expect("required");
            let Some(meth) = rules.methodology(id) else {
                bail!("unknown methodology '{id}': see `fieldbook methodology list`");
            };
            out.value(&serde_json::to_value(meth)?, |_| {
                let mut lines = vec![
                    format!("{} — {}", meth.id, meth.name_en),
                    format!("  RE = {}", meth.reference_formula),
                    format!("  PE = {}", meth.project_formula),
                    format!("  source: {} ({})", meth.source, meth.status.as_str()),
                    "  parameters:".into(),
                ];
                for p in &meth.params {
                    let default = match (&p.default, &p.default_from) {
                        (Some(d), _) => format!(" default {d}"),
                        (None, Some(f)) => format!(" default from fuel factor {f}"),
                        _ => String::new(),
                    };
                    lines.push(format!(
                        "    {:<30} {:<10} {}{}",
                        p.name, p.unit, p.description_en, default
                    ));
                }
                lines.join("\n")
            })
        }
        (other, _) => unreachable!("clap offers no methodology {other}"),
    }
}

pub fn run_funds(sub: &ArgMatches, out: &Output) -> Result<()> {
    let (_, m) = sub.subcommand().expect("clap requires one");
    let applicant = m.get_one::<String>("applicant");
    let group = m.get_one::<String>("group");
    let funds: Vec<_> = Rules::shipped()
        .funds
        .funds
        .iter()
        .filter(|f| applicant.is_none_or(|a| f.who_may_apply.contains(a)))
        .filter(|f| group.is_none_or(|g| &f.group == g))
        .collect();
    out.value(&serde_json::to_value(&funds)?, |_| {
        funds
            .iter()
            .map(|f| {
                format!(
                    "{:>2} {} {} — {} [{}]",
                    f.number,
                    f.group,
                    f.name_en,
                    f.administered_by,
                    f.status.as_str()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

pub fn run_advise(store: &fieldbook_store::Store, m: &ArgMatches, out: &Output) -> Result<()> {
    let study = m.get_one::<String>("study").expect("required");
    let technology = m.get_one::<String>("technology").map(String::as_str);
    let date = date_arg(m)?;
    let facts = fieldbook_proposal::study_facts(store, Rules::shipped(), study, technology, date)?;
    let advice = fieldbook_estimate::advisor::advise(Rules::shipped(), &facts, date);
    out.value(&serde_json::to_value(&advice)?, |_| {
        let mut lines = Vec::new();
        for s in advice.schemes.iter().take(3) {
            lines.push(format!("{} — {:?}", s.name_en, s.verdict));
            for c in &s.checks {
                lines.push(format!(
                    "    {:<12} {}",
                    format!("{:?}", c.verdict),
                    c.detail
                ));
            }
        }
        let funds = advice.schemes.iter().skip(3);
        let open: Vec<&str> = funds
            .filter(|s| s.verdict != fieldbook_estimate::advisor::Verdict::DoesNotFit)
            .map(|s| s.name_en.as_str())
            .collect();
        lines.push(format!(
            "Other funds this study's stakeholders may apply to: {}",
            open.join("; ")
        ));
        lines.join("\n")
    })
}
