//! Emission reductions, ER = RE − PE, per methodology family, in exact
//! decimals. The annual reduction is rounded down to whole tonnes; the
//! lifetime reduction is floor(unrounded annual × legal durable years).
//! Every input records where it came from.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::rules::{Methodology, Rules, Status};

/// Where an input value came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Provenance {
    /// A measurement of a finding.
    Measurement {
        finding_id: String,
        measurement_id: String,
    },
    /// A reference default from a rule pack.
    Reference { source: String, status: Status },
    /// A value the user typed, with the source they name.
    User { source: String },
}

/// JCM monitoring options (ADB Handbook 2016): A public or specification data,
/// B invoices or meters, C measured by the participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MonitoringOption {
    A,
    B,
    C,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub value: Decimal,
    pub provenance: Provenance,
    pub monitoring: Option<MonitoringOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputShown {
    pub name: String,
    pub value: Decimal,
    pub unit: String,
    pub provenance: Provenance,
    pub monitoring: Option<MonitoringOption>,
    pub unverified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmissionEstimate {
    pub methodology: String,
    pub reference_formula: String,
    pub project_formula: String,
    pub reference_t_per_year: Decimal,
    pub project_t_per_year: Decimal,
    /// Whole tonnes, rounded down (JCM's conservative rounding).
    pub reduction_t_per_year: Decimal,
    pub reduction_t_per_year_unrounded: Decimal,
    pub durable_years: Option<u32>,
    pub durable_years_source: Option<String>,
    /// How far the rule pack's durable years can be trusted (`None` when the user gave them).
    pub durable_years_status: Option<Status>,
    pub lifetime_reduction_t: Option<Decimal>,
    pub inputs: Vec<InputShown>,
    /// Names of inputs that are unverified reference defaults.
    pub unverified_inputs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmissionError {
    #[error("unknown methodology '{0}': see `fieldbook methodology list`")]
    UnknownMethodology(String),
    #[error("{methodology} needs {name} ({unit}): give it with --param {name}=VALUE")]
    Missing {
        methodology: String,
        name: String,
        unit: String,
    },
    #[error(
        "{methodology} has no parameter '{name}': see `fieldbook methodology show {methodology}`"
    )]
    UnknownParam { methodology: String, name: String },
    #[error("{0} must not be negative")]
    Negative(String),
    #[error("{0} must be above zero")]
    Zero(String),
    #[error("the legal durable years of {0} are not set in the rule pack: give --durable-years N")]
    NoDurableYears(String),
}

const THOUSAND: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// The parameter values of one estimate, by name.
struct Values<'a> {
    methodology: &'a str,
    map: BTreeMap<&'a str, Decimal>,
}

impl Values<'_> {
    fn get(&self, name: &str) -> Decimal {
        *self
            .map
            .get(name)
            .expect("every parameter is resolved before the formula runs")
    }

    /// A value that must be above zero: a divisor, or a COP or efficacy.
    fn divisor(&self, name: &str) -> Result<Decimal, EmissionError> {
        let v = self.get(name);
        if v.is_zero() {
            return Err(EmissionError::Zero(format!("{}: {name}", self.methodology)));
        }
        Ok(v)
    }
}

/// (reference, project) emissions in t CO2 per year for each family.
fn formula(id: &str, v: &Values<'_>) -> Result<(Decimal, Decimal), EmissionError> {
    Ok(match id {
        "solar-pv" => (
            v.get("generation_mwh") * v.get("ef_t_per_mwh"),
            Decimal::ZERO,
        ),
        "chiller-cop" | "refrigeration-cop" => {
            let pe = v.get("consumption_mwh") * v.get("ef_t_per_mwh");
            (
                pe * v.divisor("cop_project")? / v.divisor("cop_reference")?,
                pe,
            )
        }
        "led" => {
            let pe = v.get("consumption_mwh") * v.get("ef_t_per_mwh");
            let ratio = v.divisor("efficacy_project_lm_per_w")?
                / v.divisor("efficacy_reference_lm_per_w")?;
            (pe * ratio, pe)
        }
        "pump-efficiency" => {
            let reference_mwh = v.get("volume_m3") * v.get("sec_reference_kwh_per_m3") / THOUSAND;
            (
                reference_mwh * v.get("ef_t_per_mwh"),
                v.get("consumption_mwh") * v.get("ef_t_per_mwh"),
            )
        }
        "fuel-switch-vehicle" => {
            let diesel = v.get("diesel_kgco2_per_l");
            (
                v.get("diesel_reference_l") * diesel / THOUSAND,
                (v.get("diesel_project_l") * diesel
                    + v.get("cng_project_nm3") * v.get("cng_kgco2_per_nm3"))
                    / THOUSAND,
            )
        }
        "absorption-chiller" => (
            v.get("cooling_output_mwh") / v.divisor("cop_reference")? * v.get("ef_t_per_mwh"),
            v.get("aux_consumption_mwh") * v.get("ef_t_per_mwh")
                + v.get("fuel_project_nm3") * v.get("fuel_kgco2_per_nm3") / THOUSAND,
        ),
        "boiler-efficiency" => {
            let efficiency = v.divisor("efficiency_reference_pct")? / Decimal::ONE_HUNDRED;
            (
                v.get("heat_output_mwh") / efficiency * v.get("ef_fuel_t_per_mwh"),
                v.get("fuel_project_mwh") * v.get("ef_fuel_t_per_mwh")
                    + v.get("aux_consumption_mwh") * v.get("ef_t_per_mwh"),
            )
        }
        "biomass-power" => (
            v.get("generation_mwh") * v.get("ef_t_per_mwh"),
            (v.get("fossil_diesel_project_l") + v.get("transport_diesel_l"))
                * v.get("diesel_kgco2_per_l")
                / THOUSAND,
        ),
        other => return Err(EmissionError::UnknownMethodology(other.to_string())),
    })
}

/// Resolves every parameter (given, else the pack's default) and applies the formula.
pub fn estimate(
    rules: &Rules,
    methodology_id: &str,
    given: &BTreeMap<String, Input>,
    durable_years: Option<u32>,
) -> Result<EmissionEstimate, EmissionError> {
    let m: &Methodology = rules
        .methodology(methodology_id)
        .ok_or_else(|| EmissionError::UnknownMethodology(methodology_id.to_string()))?;
    for name in given.keys() {
        if !m.params.iter().any(|p| &p.name == name) {
            return Err(EmissionError::UnknownParam {
                methodology: m.id.clone(),
                name: name.clone(),
            });
        }
    }
    let mut inputs = Vec::with_capacity(m.params.len());
    let mut map = BTreeMap::new();
    for p in &m.params {
        let input = match given.get(&p.name) {
            Some(i) => i.clone(),
            None => default_input(rules, m, p)?,
        };
        if input.value.is_sign_negative() && !input.value.is_zero() {
            return Err(EmissionError::Negative(format!("{}: {}", m.id, p.name)));
        }
        let unverified = matches!(
            &input.provenance,
            Provenance::Reference {
                status: Status::Unverified,
                ..
            }
        );
        map.insert(p.name.as_str(), input.value);
        inputs.push(InputShown {
            name: p.name.clone(),
            value: input.value,
            unit: p.unit.clone(),
            provenance: input.provenance,
            monitoring: input.monitoring,
            unverified,
        });
    }
    let (re, pe) = formula(
        &m.id,
        &Values {
            methodology: &m.id,
            map,
        },
    )?;
    let er = re - pe;
    let asset = rules.durable_asset(&m.durable_years);
    let years = durable_years.or_else(|| asset.and_then(|a| a.years));
    let (durable_years_source, durable_years_status) = match (durable_years, asset) {
        (Some(_), _) => (Some("given by the user".to_string()), None),
        (None, Some(a)) if a.years.is_some() => (
            Some(format!("{} ({})", a.name_en, a.source)),
            Some(a.status),
        ),
        _ => (None, None),
    };
    Ok(EmissionEstimate {
        methodology: m.id.clone(),
        reference_formula: m.reference_formula.clone(),
        project_formula: m.project_formula.clone(),
        reference_t_per_year: re.normalize(),
        project_t_per_year: pe.normalize(),
        reduction_t_per_year: er.floor(),
        reduction_t_per_year_unrounded: er.normalize(),
        durable_years: years,
        durable_years_source,
        durable_years_status,
        lifetime_reduction_t: years.map(|y| (er * Decimal::from(y)).floor()),
        unverified_inputs: inputs
            .iter()
            .filter(|i| i.unverified)
            .map(|i| i.name.clone())
            .collect(),
        inputs,
    })
}

fn default_input(
    rules: &Rules,
    m: &Methodology,
    p: &crate::rules::Param,
) -> Result<Input, EmissionError> {
    let missing = || EmissionError::Missing {
        methodology: m.id.clone(),
        name: p.name.clone(),
        unit: p.unit.clone(),
    };
    if let Some(fuel_id) = &p.default_from {
        let fuel = rules.fuel(fuel_id).ok_or_else(missing)?;
        let value = match p.unit.as_str() {
            "kgCO2/Nm3" => fuel.kgco2_per_nm3(),
            _ => fuel.kgco2_per_litre(),
        }
        .ok_or_else(missing)?;
        // Computed from sourced factors it is derived; any unverified part
        // (a gas density, say) makes the whole factor unverified.
        let density_status = if p.unit == "kgCO2/Nm3" {
            fuel.density_status
        } else {
            None
        };
        let status = match (fuel.status, density_status) {
            (Status::Unverified, _) | (_, Some(Status::Unverified)) => Status::Unverified,
            _ => Status::Derived,
        };
        return Ok(Input {
            value,
            provenance: Provenance::Reference {
                source: format!(
                    "{} ({}), IPCC 2006 factors × NCV × density",
                    fuel.name_en, fuel.source
                ),
                status,
            },
            monitoring: Some(MonitoringOption::A),
        });
    }
    let value = p.default.ok_or_else(missing)?;
    Ok(Input {
        value,
        provenance: Provenance::Reference {
            source: p.default_source.clone().unwrap_or_else(|| m.source.clone()),
            status: p.default_status.unwrap_or(Status::Unverified),
        },
        monitoring: Some(MonitoringOption::A),
    })
}
