use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use fieldbook_estimate::emissions::{self, EmissionError, Input, Provenance};
use fieldbook_estimate::rules::{Rules, Status};
use fieldbook_estimate::subsidy::{self, Scheme, SubsidyError, SubsidyQuery};
use fieldbook_estimate::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn user(pairs: &[(&str, &str)]) -> BTreeMap<String, Input> {
    pairs
        .iter()
        .map(|(k, v)| {
            let input = Input {
                value: d(v),
                provenance: Provenance::User {
                    source: "test".into(),
                },
                monitoring: None,
            };
            (k.to_string(), input)
        })
        .collect()
}

#[test]
fn solar_pv_rounds_down_and_counts_the_durable_years() {
    let r = Rules::shipped();
    let e = emissions::estimate(
        r,
        "solar-pv",
        &user(&[("generation_mwh", "1500.5"), ("ef_t_per_mwh", "0.6592")]),
        Some(17),
    )
    .unwrap();
    // 1500.5 × 0.6592 = 989.1296
    assert_eq!(e.reference_t_per_year, d("989.1296"));
    assert_eq!(e.project_t_per_year, d("0"));
    assert_eq!(e.reduction_t_per_year, d("989"));
    // floor(989.1296 × 17) = floor(16815.2032)
    assert_eq!(e.lifetime_reduction_t, Some(d("16815")));
    assert!(e.unverified_inputs.is_empty());
}

#[test]
fn pump_efficiency_uses_the_specific_energy_of_the_reference() {
    let r = Rules::shipped();
    let e = emissions::estimate(
        r,
        "pump-efficiency",
        &user(&[
            ("volume_m3", "10000000"),
            ("sec_reference_kwh_per_m3", "0.3"),
            ("consumption_mwh", "2000"),
            ("ef_t_per_mwh", "0.6592"),
        ]),
        Some(15),
    )
    .unwrap();
    // RE = 3000 MWh × 0.6592; PE = 2000 × 0.6592; ER = 659.2
    assert_eq!(e.reduction_t_per_year, d("659"));
    assert_eq!(e.lifetime_reduction_t, Some(d("9888")));
}

#[test]
fn fuel_switch_takes_fuel_factors_from_the_rule_pack() {
    let r = Rules::shipped();
    let e = emissions::estimate(
        r,
        "fuel-switch-vehicle",
        &user(&[
            ("diesel_reference_l", "1000000"),
            ("diesel_project_l", "250000"),
            ("cng_project_nm3", "700000"),
        ]),
        None,
    )
    .unwrap();
    let diesel = e
        .inputs
        .iter()
        .find(|i| i.name == "diesel_kgco2_per_l")
        .unwrap();
    assert!(matches!(diesel.provenance, Provenance::Reference { .. }));
    assert_eq!(diesel.value.round_dp(2), d("2.69"));
    assert!(e.reduction_t_per_year > Decimal::ZERO);
    // Buses in transport business: 5 legal durable years (methodologies.md §5).
    assert_eq!(e.durable_years, Some(5));
    assert_eq!(
        e.lifetime_reduction_t,
        Some((e.reduction_t_per_year_unrounded * Decimal::from(5)).floor())
    );
}

#[test]
fn every_methodology_in_the_pack_has_a_formula() {
    let r = Rules::shipped();
    for m in &r.methodologies {
        let given: BTreeMap<String, Input> = m
            .params
            .iter()
            .map(|p| {
                let input = Input {
                    value: Decimal::ONE,
                    provenance: Provenance::User {
                        source: "test".into(),
                    },
                    monitoring: None,
                };
                (p.name.clone(), input)
            })
            .collect();
        emissions::estimate(r, &m.id, &given, Some(10)).unwrap_or_else(|e| panic!("{}: {e}", m.id));
    }
}

#[test]
fn missing_unknown_and_negative_inputs_are_refused() {
    let r = Rules::shipped();
    let err =
        emissions::estimate(r, "solar-pv", &user(&[("ef_t_per_mwh", "0.5")]), None).unwrap_err();
    assert!(
        matches!(err, EmissionError::Missing { ref name, .. } if name == "generation_mwh"),
        "{err}"
    );
    let err = emissions::estimate(
        r,
        "solar-pv",
        &user(&[
            ("generation_mwh", "1"),
            ("ef_t_per_mwh", "1"),
            ("colour", "1"),
        ]),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, EmissionError::UnknownParam { .. }));
    let err = emissions::estimate(
        r,
        "solar-pv",
        &user(&[("generation_mwh", "-1"), ("ef_t_per_mwh", "1")]),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, EmissionError::Negative(_)));
    let err = emissions::estimate(
        r,
        "chiller-cop",
        &user(&[
            ("consumption_mwh", "1"),
            ("cop_project", "6"),
            ("cop_reference", "0"),
            ("ef_t_per_mwh", "1"),
        ]),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, EmissionError::Zero(_)));
    assert!(matches!(
        emissions::estimate(r, "warp-drive", &BTreeMap::new(), None),
        Err(EmissionError::UnknownMethodology(_))
    ));
}

fn query(scheme: Scheme, country: &str, cost: &str, currency: &str, similar: u32) -> SubsidyQuery {
    SubsidyQuery {
        scheme,
        country: country.into(),
        cost: d(cost),
        currency: currency.into(),
        similar_projects: similar,
        edition: Some(
            if scheme == Scheme::JcmModelProject {
                "FY2019"
            } else {
                "2019-11"
            }
            .into(),
        ),
        date: NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(),
    }
}

#[test]
fn jcm_model_project_rates_floor_and_cap() {
    let r = Rules::shipped();
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "ID", "1000000000", "JPY", 0),
    )
    .unwrap();
    assert!(s.eligible);
    assert_eq!(
        (s.rate, s.amount, s.cap_applied),
        (d("0.50"), d("500000000"), false)
    );
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "ID", "1000000000", "JPY", 3),
    )
    .unwrap();
    assert_eq!(s.rate, d("0.40"));
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "ID", "1000000000", "JPY", 4),
    )
    .unwrap();
    assert_eq!(s.rate, d("0.30"));
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "VN", "5000000000", "JPY", 0),
    )
    .unwrap();
    assert_eq!(
        (s.amount, s.cap_applied, s.eligible),
        (d("2000000000"), true, true)
    );
    // Rule text groups thousands and shows yen without decimals.
    assert!(
        s.reasons.iter().any(|r| r == "capped at 2,000,000,000 JPY"),
        "{:?}",
        s.reasons
    );
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "VN", "80000000", "JPY", 0),
    )
    .unwrap();
    assert!(!s.eligible);
    assert!(
        s.reasons
            .iter()
            .any(|r| r == "40,000,000 JPY is below the floor of 50,000,000 JPY: not eligible"),
        "{:?}",
        s.reasons
    );
    let s = subsidy::estimate(
        r,
        &query(Scheme::JcmModelProject, "MY", "1000000000", "JPY", 0),
    )
    .unwrap();
    assert!(!s.eligible, "Malaysia is not a JCM partner");
    // Countries by name, not by code.
    assert!(
        s.reasons
            .iter()
            .any(|r| r.starts_with("Malaysia is not a JCM partner")),
        "{:?}",
        s.reasons
    );
    assert!(matches!(
        subsidy::estimate(r, &query(Scheme::JcmModelProject, "ID", "1000", "USD", 0)),
        Err(SubsidyError::Currency { .. })
    ));
    assert_eq!(s.status, Status::Sourced);
}

#[test]
fn jfjcm_caps() {
    let r = Rules::shipped();
    let s = subsidy::estimate(
        r,
        &query(Scheme::JfjcmSovereign, "MN", "40000000", "USD", 0),
    )
    .unwrap();
    assert_eq!(
        (s.amount, s.cap_applied, s.eligible),
        (d("4000000"), false, true)
    );
    let s = subsidy::estimate(
        r,
        &query(Scheme::JfjcmSovereign, "MN", "200000000", "USD", 0),
    )
    .unwrap();
    assert_eq!((s.amount, s.cap_applied), (d("10000000"), true));
    let s = subsidy::estimate(
        r,
        &query(Scheme::JfjcmNonSovereign, "VN", "150000000", "USD", 0),
    )
    .unwrap();
    assert_eq!((s.amount, s.cap_applied), (d("10000000"), true));
    let s = subsidy::estimate(
        r,
        &query(Scheme::JfjcmSovereign, "MY", "40000000", "USD", 0),
    )
    .unwrap();
    assert!(!s.eligible);
}

#[test]
fn cost_effectiveness_rounds_to_the_yen() {
    // methodologies.md §6: JPY 300 M, 5,000 t/yr, 17 yr → JPY 3,529/t.
    assert_eq!(
        subsidy::cost_effectiveness(d("300000000"), d("5000"), 17).unwrap(),
        d("3529")
    );
    assert!(subsidy::cost_effectiveness(d("1"), d("0"), 17).is_err());
}

/// A worked example per family, computed by hand from the formulas of
/// methodologies.md §2 (inputs given, so no default is involved).
#[test]
fn worked_examples_for_every_other_family() {
    let r = Rules::shipped();
    let run = |id: &str, pairs: &[(&str, &str)]| {
        emissions::estimate(r, id, &user(pairs), Some(10)).unwrap_or_else(|e| panic!("{id}: {e}"))
    };
    // Chiller: 1,000 MWh at COP 6 replaces COP 4: RE = 1000 × 0.5 × 6 / 4 = 750, PE = 500.
    let e = run(
        "chiller-cop",
        &[
            ("consumption_mwh", "1000"),
            ("cop_project", "6"),
            ("cop_reference", "4"),
            ("ef_t_per_mwh", "0.5"),
        ],
    );
    assert_eq!(
        (
            e.reference_t_per_year,
            e.project_t_per_year,
            e.reduction_t_per_year
        ),
        (d("750"), d("500"), d("250"))
    );
    assert_eq!(e.lifetime_reduction_t, Some(d("2500")));
    // Refrigeration, same family: 333 MWh, COP 3 vs 2.2, EF 0.7:
    // PE = 233.1, RE = 233.1 × 3 / 2.2 = 317.86…, ER = 84.77… → 84; × 10 = 847.
    let e = run(
        "refrigeration-cop",
        &[
            ("consumption_mwh", "333"),
            ("cop_project", "3"),
            ("cop_reference", "2.2"),
            ("ef_t_per_mwh", "0.7"),
        ],
    );
    assert_eq!(e.reduction_t_per_year, d("84"));
    assert_eq!(e.lifetime_reduction_t, Some(d("847")));
    // LED: 200 MWh at 150 lm/W replaces 60 lm/W, EF 0.8: PE = 160, RE = 400, ER = 240.
    let e = run(
        "led",
        &[
            ("consumption_mwh", "200"),
            ("efficacy_project_lm_per_w", "150"),
            ("efficacy_reference_lm_per_w", "60"),
            ("ef_t_per_mwh", "0.8"),
        ],
    );
    assert_eq!(
        (e.reference_t_per_year, e.project_t_per_year),
        (d("400"), d("160"))
    );
    assert_eq!(e.reduction_t_per_year, d("240"));
    // Absorption chiller: 5,000 MWh of cooling at reference COP 5 → 1,000 MWh × 0.6 = 600;
    // project 50 MWh × 0.6 + 120,000 Nm3 × 2.0 kg / 1000 = 30 + 240 = 270; ER 330.
    let e = run(
        "absorption-chiller",
        &[
            ("cooling_output_mwh", "5000"),
            ("cop_reference", "5"),
            ("aux_consumption_mwh", "50"),
            ("ef_t_per_mwh", "0.6"),
            ("fuel_project_nm3", "120000"),
            ("fuel_kgco2_per_nm3", "2"),
        ],
    );
    assert_eq!(
        (
            e.reference_t_per_year,
            e.project_t_per_year,
            e.reduction_t_per_year
        ),
        (d("600"), d("270"), d("330"))
    );
    // Boiler: 900 MWh of heat at 75 % → 1,200 MWh fuel × 0.25 = 300; project 1,000 MWh
    // fuel × 0.25 + 10 MWh × 0.5 = 255; ER 45.
    let e = run(
        "boiler-efficiency",
        &[
            ("heat_output_mwh", "900"),
            ("efficiency_reference_pct", "75"),
            ("fuel_project_mwh", "1000"),
            ("ef_fuel_t_per_mwh", "0.25"),
            ("aux_consumption_mwh", "10"),
            ("ef_t_per_mwh", "0.5"),
        ],
    );
    assert_eq!(
        (
            e.reference_t_per_year,
            e.project_t_per_year,
            e.reduction_t_per_year
        ),
        (d("300"), d("255"), d("45"))
    );
    // Biomass power: 2,000 MWh × 0.55 = 1,100; project (10,000 + 5,000) L × 2.7 kg / 1000 = 40.5;
    // ER 1,059.5 → 1,059; × 10 = 10,595.
    let e = run(
        "biomass-power",
        &[
            ("generation_mwh", "2000"),
            ("ef_t_per_mwh", "0.55"),
            ("fossil_diesel_project_l", "10000"),
            ("transport_diesel_l", "5000"),
            ("diesel_kgco2_per_l", "2.7"),
        ],
    );
    assert_eq!(e.reduction_t_per_year, d("1059"));
    assert_eq!(e.lifetime_reduction_t, Some(d("10595")));
    // A COP or efficacy of zero is refused, naming it.
    let err = emissions::estimate(
        r,
        "led",
        &user(&[
            ("consumption_mwh", "1"),
            ("efficacy_project_lm_per_w", "0"),
            ("efficacy_reference_lm_per_w", "60"),
            ("ef_t_per_mwh", "1"),
        ]),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("efficacy_project_lm_per_w"),
        "{err}"
    );
}
