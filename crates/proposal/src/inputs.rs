//! The inputs of a saved estimate: each one a measurement of a finding
//! (converted to the parameter's unit), a value the user typed with the source
//! they name, or — when not given — the rule pack's default.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use fieldbook_core::quantities::QuantityCatalogue;
use fieldbook_core::units::UnitCatalogue;
use fieldbook_estimate::emissions::{Input, MonitoringOption, Provenance};
use fieldbook_estimate::rules::{Param, Rules};
use fieldbook_store::{Record, Store};

use crate::{children, decimal, text};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Store(#[from] fieldbook_store::StoreError),
    #[error(
        "{methodology} has no parameter '{name}': see `fieldbook methodology show {methodology}`"
    )]
    UnknownParam { methodology: String, name: String },
    #[error("unknown methodology '{0}': see `fieldbook methodology list`")]
    UnknownMethodology(String),
    /// A measurement whose unit does not convert to the parameter's.
    #[error("{0}")]
    Unit(String),
}

fn param<'a>(rules: &'a Rules, methodology: &str, name: &str) -> Result<&'a Param, InputError> {
    rules
        .methodology(methodology)
        .and_then(|m| m.params.iter().find(|p| p.name == name))
        .ok_or_else(|| InputError::UnknownParam {
            methodology: methodology.to_string(),
            name: name.to_string(),
        })
}

/// The measurement's value in the parameter's unit; a yearly rate counts as
/// the amount of one year.
fn converted(m: &Record, param: &Param) -> Result<Decimal, fieldbook_core::units::UnitError> {
    let value = decimal(m, "value").unwrap_or_default();
    UnitCatalogue::shipped().convert_yearly(value, text(m, "unit").unwrap_or_default(), &param.unit)
}

/// A measurement of a finding as the input `name` of `methodology`: its value
/// converted to the parameter's unit, traced to the finding and measurement.
pub fn measurement_input(
    store: &Store,
    rules: &Rules,
    methodology: &str,
    name: &str,
    measurement_id: &str,
) -> Result<Input, InputError> {
    let param = param(rules, methodology, name)?;
    let m = store.get("measurement", measurement_id)?;
    let value = converted(&m, param).map_err(|e| {
        let quantity = text(&m, "quantity").unwrap_or_default();
        InputError::Unit(format!(
            "the measurement “{quantity}” cannot be “{}”: {e}",
            param.label_en
        ))
    })?;
    Ok(Input {
        value,
        provenance: Provenance::Measurement {
            finding_id: text(&m, "finding_id").unwrap_or_default().to_string(),
            measurement_id: measurement_id.to_string(),
        },
        // A value measured by the participants is JCM monitoring option C.
        monitoring: Some(MonitoringOption::C),
    })
}

fn monitoring(r: &Record) -> Option<MonitoringOption> {
    match text(r, "monitoring")? {
        "A" => Some(MonitoringOption::A),
        "B" => Some(MonitoringOption::B),
        _ => Some(MonitoringOption::C),
    }
}

/// The inputs saved with an estimate, by parameter name; an input that is
/// neither linked nor typed is left to the rule pack's default.
pub(crate) fn saved_inputs(
    store: &Store,
    rules: &Rules,
    methodology: &str,
    estimate_id: &str,
) -> Result<BTreeMap<String, Input>, InputError> {
    let mut given = BTreeMap::new();
    for r in children(store, "estimate_input", estimate_id)? {
        let name = text(&r, "name").unwrap_or_default();
        param(rules, methodology, name)?;
        let input = match (text(&r, "measurement_id"), decimal(&r, "value")) {
            (Some(mid), _) => {
                let mut input = measurement_input(store, rules, methodology, name, mid)?;
                input.monitoring = monitoring(&r).or(input.monitoring);
                input
            }
            (None, Some(value)) => Input {
                value,
                provenance: Provenance::User {
                    source: text(&r, "source")
                        .unwrap_or("typed by the user, no source named")
                        .to_string(),
                },
                monitoring: monitoring(&r),
            },
            (None, None) => continue,
        };
        given.insert(name.to_string(), input);
    }
    Ok(given)
}

/// A measurement that could feed a parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub measurement_id: String,
    pub finding_id: String,
    pub finding_title: String,
    pub quantity: String,
    pub value: Decimal,
    pub unit: String,
    /// The value in the parameter's unit.
    pub converted: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamCandidates {
    pub param: String,
    pub unit: String,
    pub candidates: Vec<Candidate>,
}

/// For each parameter of `methodology`, the study's measurements whose unit
/// converts to the parameter's — what the estimate form offers to link. A
/// measurement whose unit does not fit its own quantity (written before that
/// was checked, or on a laptop that did not check it) is offered for nothing.
pub fn measurement_candidates(
    store: &Store,
    rules: &Rules,
    methodology: &str,
    study_id: &str,
) -> Result<Vec<ParamCandidates>, InputError> {
    let m = rules
        .methodology(methodology)
        .ok_or_else(|| InputError::UnknownMethodology(methodology.to_string()))?;
    let mut measured = Vec::new();
    let quantities = QuantityCatalogue::shipped();
    for finding in children(store, "finding", study_id)? {
        for measurement in children(store, "measurement", &finding.id)? {
            let quantity = text(&measurement, "quantity").unwrap_or_default();
            let unit = text(&measurement, "unit").unwrap_or_default();
            if quantities.check(quantity, unit).is_ok() {
                measured.push((finding.title.clone(), measurement));
            }
        }
    }
    Ok(m.params
        .iter()
        .map(|p| ParamCandidates {
            param: p.name.clone(),
            unit: p.unit.clone(),
            candidates: measured
                .iter()
                .filter_map(|(finding_title, m)| {
                    Some(Candidate {
                        converted: converted(m, p).ok()?,
                        measurement_id: m.id.clone(),
                        finding_id: text(m, "finding_id")?.to_string(),
                        finding_title: finding_title.clone(),
                        quantity: text(m, "quantity").unwrap_or_default().to_string(),
                        value: decimal(m, "value").unwrap_or_default(),
                        unit: text(m, "unit").unwrap_or_default().to_string(),
                    })
                })
                .collect(),
        })
        .collect())
}
