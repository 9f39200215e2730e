//! Subsidy amounts under the schemes' rule editions: JCM Model Project (rate
//! by past similar projects, floor and cap), JFJCM sovereign grants and
//! non-sovereign interest subsidies, and cost-effectiveness per tonne.

use chrono::NaiveDate;
use rust_decimal::prelude::*;
use serde::Serialize;

use fieldbook_core::units::UnitCatalogue;

use crate::rules::{JcmModelProjectRules, JfjcmRules, Rules, Status};

/// An amount as people read it: grouped, in the currency's minor units.
fn money(amount: Decimal, currency: &str) -> String {
    UnitCatalogue::shipped().format_money(amount, currency)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    JcmModelProject,
    JfjcmSovereign,
    JfjcmNonSovereign,
}

impl std::str::FromStr for Scheme {
    type Err = SubsidyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jcm-model-project" => Ok(Scheme::JcmModelProject),
            "jfjcm-sovereign" => Ok(Scheme::JfjcmSovereign),
            "jfjcm-non-sovereign" => Ok(Scheme::JfjcmNonSovereign),
            other => Err(SubsidyError::UnknownScheme(other.to_string())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SubsidyQuery {
    pub scheme: Scheme,
    /// ISO 3166-1 alpha-2 of the host country.
    pub country: String,
    /// JCM Model Project: the eligible cost. JFJCM: the total project cost.
    pub cost: Decimal,
    pub currency: String,
    pub similar_projects: u32,
    /// A rule edition; the newest when absent.
    pub edition: Option<String>,
    /// The date whose partner-country list applies (a proposal's date).
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubsidyResult {
    pub scheme: Scheme,
    pub edition: String,
    pub eligible: bool,
    pub rate: Decimal,
    pub amount: Decimal,
    pub currency: String,
    pub cap_applied: bool,
    pub reasons: Vec<String>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubsidyError {
    #[error("unknown scheme '{0}': use jcm-model-project, jfjcm-sovereign or jfjcm-non-sovereign")]
    UnknownScheme(String),
    #[error("no {scheme} rules of edition '{edition}': editions are {known}")]
    UnknownEdition {
        scheme: &'static str,
        edition: String,
        known: String,
    },
    #[error("{scheme} amounts are in {expected}, not {given}: convert the cost with a dated exchange rate first")]
    Currency {
        scheme: &'static str,
        expected: String,
        given: String,
    },
    #[error("the cost must not be negative")]
    Negative,
    #[error("the reduction over the durable years is zero: cost-effectiveness needs a reduction")]
    NoReduction,
}

/// What every scheme's rule edition has: a name, a start date, a currency.
trait Edition {
    fn name(&self) -> &str;
    fn valid_from(&self) -> NaiveDate;
    fn currency(&self) -> &str;
}

/// Both schemes' editions name these fields alike.
macro_rules! impl_edition {
    ($($rules:ty),+) => {$(
        impl Edition for $rules {
            fn name(&self) -> &str {
                &self.edition
            }
            fn valid_from(&self) -> NaiveDate {
                self.valid_from
            }
            fn currency(&self) -> &str {
                &self.currency
            }
        }
    )+};
}

impl_edition!(JcmModelProjectRules, JfjcmRules);

/// The edition the query names (else the newest), checked against the query's currency.
fn pick<'a, T: Edition>(
    scheme: &'static str,
    editions: &'a [T],
    q: &SubsidyQuery,
) -> Result<&'a T, SubsidyError> {
    let found = match q.edition.as_deref() {
        Some(w) => editions.iter().find(|e| e.name() == w),
        None => editions.iter().max_by_key(|e| e.valid_from()),
    };
    let e = found.ok_or_else(|| SubsidyError::UnknownEdition {
        scheme,
        edition: q.edition.clone().unwrap_or_else(|| "(newest)".into()),
        known: editions
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    if q.currency != e.currency() {
        return Err(SubsidyError::Currency {
            scheme,
            expected: e.currency().to_string(),
            given: q.currency.clone(),
        });
    }
    Ok(e)
}

/// The edition of `scheme` called `name`, else the one in force on `date`
/// (the earliest when none was yet), with the currency its amounts are in;
/// `None` for an unknown name.
pub fn edition(
    rules: &Rules,
    scheme: Scheme,
    name: Option<&str>,
    date: NaiveDate,
) -> Option<(String, String)> {
    fn find<'a, T: Edition>(
        editions: &'a [T],
        name: Option<&str>,
        date: NaiveDate,
    ) -> Option<&'a T> {
        match name {
            Some(n) => editions.iter().find(|e| e.name() == n),
            None => editions
                .iter()
                .filter(|e| e.valid_from() <= date)
                .max_by_key(|e| e.valid_from())
                .or_else(|| editions.iter().min_by_key(|e| e.valid_from())),
        }
    }
    let pair = |e: &dyn Edition| (e.name().to_string(), e.currency().to_string());
    match scheme {
        Scheme::JcmModelProject => {
            find(&rules.schemes.jcm_model_project, name, date).map(|e| pair(e))
        }
        Scheme::JfjcmSovereign | Scheme::JfjcmNonSovereign => {
            find(&rules.schemes.jfjcm, name, date).map(|e| pair(e))
        }
    }
}

pub fn estimate(rules: &Rules, q: &SubsidyQuery) -> Result<SubsidyResult, SubsidyError> {
    if q.cost.is_sign_negative() && !q.cost.is_zero() {
        return Err(SubsidyError::Negative);
    }
    match q.scheme {
        Scheme::JcmModelProject => jcm_model_project(rules, q),
        Scheme::JfjcmSovereign | Scheme::JfjcmNonSovereign => jfjcm(rules, q),
    }
}

fn jcm_model_project(rules: &Rules, q: &SubsidyQuery) -> Result<SubsidyResult, SubsidyError> {
    let e = pick("JCM Model Project", &rules.schemes.jcm_model_project, q)?;
    let tier = e
        .rate_tiers
        .iter()
        .rev()
        .find(|t| q.similar_projects >= t.min_similar_projects)
        .expect("validated: the first tier starts at 0");
    let mut reasons = vec![format!(
        "maximum rate {} % for {} past similar project(s) in the country ({})",
        (tier.rate * Decimal::ONE_HUNDRED).normalize(),
        q.similar_projects,
        e.source
    )];
    let mut amount = (q.cost * tier.rate).floor();
    let cap_applied = amount > e.cap;
    if cap_applied {
        amount = e.cap;
        reasons.push(format!("capped at {}", money(e.cap, &e.currency)));
    }
    let mut eligible = true;
    if amount < e.floor {
        eligible = false;
        reasons.push(format!(
            "{} is below the floor of {}: not eligible",
            money(amount, &e.currency),
            money(e.floor, &e.currency)
        ));
    }
    match rules.country_list_at("jcm_partners", q.date) {
        Some(list) if list.countries.contains(&q.country) => {}
        Some(list) => {
            eligible = false;
            reasons.push(format!(
                "{} is not a JCM partner country in the list as of {} ({})",
                rules.country_name(&q.country),
                list.as_of,
                list.source
            ));
        }
        None => {
            eligible = false;
            reasons.push(format!("no JCM partner list is known for {}", q.date));
        }
    }
    Ok(SubsidyResult {
        scheme: q.scheme,
        edition: e.edition.clone(),
        eligible,
        rate: tier.rate,
        amount,
        currency: e.currency.clone(),
        cap_applied,
        reasons,
        source: e.source.clone(),
        status: e.status,
    })
}

fn jfjcm(rules: &Rules, q: &SubsidyQuery) -> Result<SubsidyResult, SubsidyError> {
    let e = pick("JFJCM", &rules.schemes.jfjcm, q)?;
    let (rate, cap, what) = match q.scheme {
        Scheme::JfjcmSovereign if q.cost < e.sovereign_small_project_threshold => (
            e.sovereign_rate,
            e.sovereign_small_project_cap,
            format!(
                "sovereign grant; total cost under {} {} so the cap is {}",
                e.sovereign_small_project_threshold, e.currency, e.sovereign_small_project_cap
            ),
        ),
        Scheme::JfjcmSovereign => (
            e.sovereign_rate,
            e.sovereign_cap,
            "sovereign grant".to_string(),
        ),
        _ => (
            e.non_sovereign_rate,
            e.non_sovereign_cap,
            "non-sovereign interest subsidy".to_string(),
        ),
    };
    let mut reasons = vec![format!(
        "{what}: {} % of the total project cost ({})",
        (rate * Decimal::ONE_HUNDRED).normalize(),
        e.source
    )];
    let mut amount = (q.cost * rate).round_dp_with_strategy(2, RoundingStrategy::ToZero);
    let cap_applied = amount > cap;
    if cap_applied {
        amount = cap;
        reasons.push(format!("capped at {}", money(cap, &e.currency)));
    }
    let list = rules
        .country_edition(&e.eligible_countries_edition)
        .expect("validated at load");
    let eligible = list.countries.contains(&q.country);
    if !eligible {
        reasons.push(format!(
            "{} is not JFJCM-eligible in the list as of {} ({})",
            rules.country_name(&q.country),
            list.as_of,
            list.source
        ));
    }
    Ok(SubsidyResult {
        scheme: q.scheme,
        edition: e.edition.clone(),
        eligible,
        rate,
        amount,
        currency: e.currency.clone(),
        cap_applied,
        reasons,
        source: e.source.clone(),
        status: e.status,
    })
}

/// Subsidy (JPY) per tonne reduced over the durable years, rounded to the yen.
pub fn cost_effectiveness(
    subsidy_jpy: Decimal,
    reduction_t_per_year: Decimal,
    durable_years: u32,
) -> Result<Decimal, SubsidyError> {
    let tonnes = reduction_t_per_year * Decimal::from(durable_years);
    if tonnes <= Decimal::ZERO {
        return Err(SubsidyError::NoReduction);
    }
    Ok((subsidy_jpy / tonnes).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
}
