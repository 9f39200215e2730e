//! A saved estimate evaluated: its emission reduction with the working, the
//! subsidy under each scheme side by side, cost-effectiveness, and finance with
//! and without the subsidy. Nothing is stored: the numbers follow from the
//! inputs and the rule editions the estimate is pinned to, so they are the
//! same on every laptop and never go stale.

use std::collections::BTreeMap;
use std::fmt::Display;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use fieldbook_estimate::emissions::{self, EmissionEstimate, Input, MonitoringOption, Provenance};
use fieldbook_estimate::finance::{self, FinanceInput, FinanceResult};
use fieldbook_estimate::rules::{Rules, Status};
use fieldbook_estimate::subsidy::{self, Scheme, SubsidyQuery, SubsidyResult};
use fieldbook_store::{Record, Result, Store};
use serde_json::Value;

use crate::inputs::{saved_inputs, InputError};
use crate::money::{convert, Conversion, MoneyError};
use crate::{children, decimal, host_country, text};

/// The setting that overrides the rule pack's cost-effectiveness threshold.
pub const THRESHOLD_SETTING: &str = "cost_effectiveness_threshold_jpy_per_t";

#[derive(Debug, Clone, Serialize)]
pub struct SubsidyLine {
    pub scheme: Scheme,
    pub edition: String,
    /// The cost converted into the scheme's currency, when it was needed.
    pub cost_conversion: Option<Conversion>,
    pub result: Option<SubsidyResult>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CostEffectiveness {
    pub jpy_per_t: Decimal,
    pub threshold_jpy_per_t: Decimal,
    /// "setting" when the user set the threshold, else "rule_pack".
    pub threshold_from: &'static str,
    pub threshold_status: Option<Status>,
    pub within_threshold: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EstimateReport {
    pub estimate_id: String,
    pub study_id: String,
    pub technology_id: Option<String>,
    pub title: String,
    pub methodology: String,
    pub updated_at: String,
    pub similar_projects: u32,
    pub emissions: Option<EmissionEstimate>,
    pub emissions_error: Option<String>,
    pub host_country: Option<String>,
    pub subsidies: Vec<SubsidyLine>,
    pub cost_effectiveness: Option<CostEffectiveness>,
    pub cost_effectiveness_error: Option<String>,
    pub finance_currency: Option<String>,
    /// The JCM Model Project subsidy converted into the estimate's currency.
    pub finance_subsidy: Option<Conversion>,
    pub finance: Option<FinanceResult>,
    pub finance_error: Option<String>,
}

fn outcome<T, E: Display>(r: std::result::Result<T, E>) -> (Option<T>, Option<String>) {
    match r {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// A money error is the user's to fix; a store error ends the evaluation.
fn money<T>(r: std::result::Result<T, MoneyError>) -> Result<std::result::Result<T, String>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(MoneyError::Store(e)) => Err(e),
        Err(e) => Ok(Err(e.to_string())),
    }
}

fn int(r: &Record, field: &str) -> Option<u32> {
    r.fields
        .get(field)
        .and_then(Value::as_i64)
        .and_then(|v| u32::try_from(v).ok())
}

/// Evaluates the estimate `estimate_id`; partner-country lists apply as of `today`.
pub fn evaluate(
    store: &Store,
    rules: &Rules,
    estimate_id: &str,
    today: NaiveDate,
) -> Result<EstimateReport> {
    let est = store.get("estimate", estimate_id)?;
    let methodology = text(&est, "methodology").unwrap_or_default().to_string();
    let study_id = text(&est, "study_id").unwrap_or_default().to_string();
    let host = host_country(store, &study_id)?;
    let (emissions, emissions_error) = match saved_inputs(store, rules, &methodology, estimate_id) {
        Ok(mut given) => outcome(emissions::estimate(
            rules,
            &methodology,
            {
                with_grid_default(rules, &methodology, &mut given, host.as_deref());
                &given
            },
            int(&est, "durable_years"),
        )),
        Err(InputError::Store(e)) => return Err(e),
        Err(e) => (None, Some(e.to_string())),
    };
    // The editions in force the day the estimate was made, unless pinned.
    let made_on = est
        .created_at
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let similar_projects = int(&est, "similar_projects").unwrap_or(0);
    let mut subsidies = Vec::new();
    for scheme in [
        Scheme::JcmModelProject,
        Scheme::JfjcmSovereign,
        Scheme::JfjcmNonSovereign,
    ] {
        let ctx = SubsidyContext {
            store,
            rules,
            est: &est,
            host: host.as_deref(),
            made_on,
            today,
            similar_projects,
        };
        subsidies.push(ctx.line(scheme)?);
    }
    let jcm = subsidies[0]
        .result
        .as_ref()
        .filter(|r| r.eligible)
        .map(|r| r.amount);
    let (cost_effectiveness, cost_effectiveness_error) =
        cost_effectiveness(store, rules, emissions.as_ref(), jcm)?;
    let (finance, finance_subsidy, finance_error) =
        finance_of(store, &est, emissions.as_ref(), jcm)?;
    Ok(EstimateReport {
        estimate_id: est.id.clone(),
        study_id,
        technology_id: text(&est, "technology_id").map(str::to_string),
        title: est.title.clone(),
        methodology,
        updated_at: est.updated_at.clone(),
        similar_projects,
        emissions,
        emissions_error,
        host_country: host,
        subsidies,
        cost_effectiveness,
        cost_effectiveness_error,
        finance_currency: text(&est, "currency").map(str::to_string),
        finance_subsidy,
        finance,
        finance_error,
    })
}

/// The grid factor the methodologies call `ef_t_per_mwh` has no single
/// default: when not given it is the host country's newest in the rule pack.
fn with_grid_default(
    rules: &Rules,
    methodology: &str,
    given: &mut BTreeMap<String, Input>,
    host: Option<&str>,
) {
    const GRID: &str = "ef_t_per_mwh";
    let uses_grid = rules.methodology(methodology).is_some_and(|m| {
        m.params
            .iter()
            .any(|p| p.name == GRID && p.default.is_none())
    });
    if !uses_grid || given.contains_key(GRID) {
        return;
    }
    if let Some(g) = host.and_then(|c| rules.grid_factor(c)) {
        given.insert(
            GRID.to_string(),
            Input {
                value: g.ef_t_per_mwh,
                provenance: Provenance::Reference {
                    source: format!(
                        "{} {} grid, {} ({}): {}",
                        g.country, g.grid, g.year, g.kind, g.source
                    ),
                    status: g.status,
                },
                monitoring: Some(MonitoringOption::A),
            },
        );
    }
}

/// Every live estimate of a study, evaluated.
pub fn study_estimates(
    store: &Store,
    rules: &Rules,
    study_id: &str,
    today: NaiveDate,
) -> Result<Vec<EstimateReport>> {
    children(store, "estimate", study_id)?
        .iter()
        .map(|e| evaluate(store, rules, &e.id, today))
        .collect()
}

struct SubsidyContext<'a> {
    store: &'a Store,
    rules: &'a Rules,
    est: &'a Record,
    host: Option<&'a str>,
    made_on: NaiveDate,
    today: NaiveDate,
    similar_projects: u32,
}

impl SubsidyContext<'_> {
    fn line(&self, scheme: Scheme) -> Result<SubsidyLine> {
        let (pinned, cost) = match scheme {
            Scheme::JcmModelProject => (
                "jcm_edition",
                decimal(self.est, "eligible_cost").or_else(|| decimal(self.est, "capex")),
            ),
            _ => ("jfjcm_edition", decimal(self.est, "capex")),
        };
        let pinned = text(self.est, pinned);
        let Some((edition, scheme_currency)) =
            subsidy::edition(self.rules, scheme, pinned, self.made_on)
        else {
            let unknown = pinned.unwrap_or_default().to_string();
            return Ok(self.failed(
                scheme,
                unknown.clone(),
                format!("unknown edition '{unknown}'"),
            ));
        };
        let (Some(cost), Some(currency)) = (cost, text(self.est, "currency")) else {
            return Ok(self.failed(scheme, edition, "missing: the capex and its currency"));
        };
        let Some(country) = self.host else {
            return Ok(self.failed(
                scheme,
                edition,
                "missing: the partner city's country (link the study to a collaboration)",
            ));
        };
        let conversion = match money(convert(self.store, cost, currency, &scheme_currency))? {
            Ok(c) => c,
            Err(e) => return Ok(self.failed(scheme, edition, e)),
        };
        let query = SubsidyQuery {
            scheme,
            country: country.to_string(),
            cost: conversion.as_ref().map_or(cost, |c| c.converted),
            currency: scheme_currency,
            similar_projects: self.similar_projects,
            edition: Some(edition.clone()),
            date: self.today,
        };
        let (result, error) = outcome(subsidy::estimate(self.rules, &query));
        Ok(SubsidyLine {
            scheme,
            edition,
            cost_conversion: conversion,
            result,
            error,
        })
    }

    fn failed(&self, scheme: Scheme, edition: String, error: impl Into<String>) -> SubsidyLine {
        SubsidyLine {
            scheme,
            edition,
            cost_conversion: None,
            result: None,
            error: Some(error.into()),
        }
    }
}

fn cost_effectiveness(
    store: &Store,
    rules: &Rules,
    emissions: Option<&EmissionEstimate>,
    subsidy_jpy: Option<Decimal>,
) -> Result<(Option<CostEffectiveness>, Option<String>)> {
    let Some(subsidy_jpy) = subsidy_jpy else {
        return Ok((
            None,
            Some("missing: an eligible JCM Model Project subsidy".into()),
        ));
    };
    let Some((e, years)) = emissions.and_then(|e| Some((e, e.durable_years?))) else {
        return Ok((
            None,
            Some("missing: the reduction over the durable years".into()),
        ));
    };
    let pack = &rules.schemes.cost_effectiveness;
    let setting = store
        .setting(THRESHOLD_SETTING)?
        .and_then(|s| fieldbook_core::validate::parse_decimal(&s));
    let (threshold, from, status) = match setting {
        Some(t) => (t, "setting", None),
        None => (pack.threshold_jpy_per_t, "rule_pack", Some(pack.status)),
    };
    Ok(outcome(
        subsidy::cost_effectiveness(subsidy_jpy, e.reduction_t_per_year, years).map(|jpy_per_t| {
            CostEffectiveness {
                jpy_per_t,
                threshold_jpy_per_t: threshold,
                threshold_from: from,
                threshold_status: status,
                within_threshold: jpy_per_t <= threshold,
            }
        }),
    ))
}

type FinanceOutcome = (Option<FinanceResult>, Option<Conversion>, Option<String>);

fn finance_of(
    store: &Store,
    est: &Record,
    emissions: Option<&EmissionEstimate>,
    subsidy_jpy: Option<Decimal>,
) -> Result<FinanceOutcome> {
    let missing = |what: &str| Ok((None, None, Some(format!("missing: {what}"))));
    let (Some(capex), Some(currency), Some(rate)) = (
        decimal(est, "capex"),
        text(est, "currency"),
        decimal(est, "discount_rate"),
    ) else {
        return missing("the capex, its currency and the discount rate");
    };
    let Some(years) = int(est, "finance_years").or_else(|| emissions?.durable_years) else {
        return missing("the finance lifetime in years");
    };
    let conversion = match subsidy_jpy {
        Some(jpy) => match money(convert(store, jpy, "JPY", currency))? {
            Ok(c) => c,
            Err(e) => return Ok((None, None, Some(e))),
        },
        None => None,
    };
    let subsidy = match (&conversion, subsidy_jpy) {
        (Some(c), _) => c.converted,
        (None, Some(jpy)) => jpy,
        (None, None) => Decimal::ZERO,
    };
    let input = FinanceInput {
        capex,
        opex_per_year: decimal(est, "opex_per_year").unwrap_or_default(),
        savings_per_year: decimal(est, "savings_per_year").unwrap_or_default(),
        years,
        discount_rate: rate,
        subsidy,
        reduction_t_per_year: emissions.map(|e| e.reduction_t_per_year),
    };
    let (result, error) = outcome(finance::evaluate(&input));
    Ok((result, conversion, error))
}
