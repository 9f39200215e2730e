//! Saved estimates evaluated from a real database: money crosses currencies
//! only at recorded, dated rates; an estimate keeps the rule edition it was
//! made under; finance sees the subsidy in the estimate's currency.

use chrono::NaiveDate;
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::Decimal;
use fieldbook_proposal::{convert, evaluate, measurement_candidates, MoneyError};
use fieldbook_store::Store;
use serde_json::{json, Map, Value};

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

struct Case {
    _dir: tempfile::TempDir,
    store: Store,
    estimate: String,
}

/// A Vietnamese partner city, a study and a pump estimate with typed inputs.
fn case(estimate_fields: Value) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("fb.db")).unwrap();
    let vn = s
        .create("country", fields(json!({"code": "VN", "name": "Viet Nam"})))
        .unwrap();
    let city = s
        .create("city", fields(json!({"name": "Da Nang", "country_id": vn})))
        .unwrap();
    let yokohama = s
        .create(
            "org",
            fields(json!({"name": "Yokohama", "kind": "japanese_municipality"})),
        )
        .unwrap();
    let collab = s
        .create(
            "collaboration",
            fields(json!({"japanese_org_id": yokohama, "partner_city_id": city})),
        )
        .unwrap();
    let study = s
        .create(
            "study",
            fields(json!({"title": "Pumps", "fiscal_year": 2024, "collaboration_id": collab})),
        )
        .unwrap();
    let mut f = fields(
        json!({"study_id": study, "title": "Pumps", "methodology": "pump-efficiency",
                              "durable_years": 18}),
    );
    f.extend(fields(estimate_fields));
    let estimate = s.create("estimate", f).unwrap();
    for (name, value) in [
        ("volume_m3", "48000000"),
        ("sec_reference_kwh_per_m3", "0.28"),
        ("consumption_mwh", "10920"),
    ] {
        s.create(
            "estimate_input",
            fields(
                json!({"estimate_id": estimate, "name": name, "value": value, "source": "test"}),
            ),
        )
        .unwrap();
    }
    Case {
        _dir: dir,
        store: s,
        estimate,
    }
}

fn rate(s: &mut Store, from: &str, to: &str, rate: &str, date: &str) -> String {
    s.create(
        "exchange_rate",
        fields(json!({"from_currency": from, "to_currency": to, "rate": rate, "date": date})),
    )
    .unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

#[test]
fn the_grid_factor_defaults_to_the_host_countrys_newest() {
    let c = case(json!({}));
    let r = evaluate(&c.store, Rules::shipped(), &c.estimate, today()).unwrap();
    let e = r.emissions.expect("computes");
    let grid = e.inputs.iter().find(|i| i.name == "ef_t_per_mwh").unwrap();
    assert_eq!(grid.value, d("0.6592"));
    // (13,440 − 10,920) MWh × 0.6592 = 1,661.18 t → 1,661; × 18 years = 29,901.
    assert_eq!(e.reduction_t_per_year, d("1661"));
    assert_eq!(e.lifetime_reduction_t, Some(d("29901")));
}

#[test]
fn empty_durable_years_mean_the_rule_packs() {
    let mut c = case(json!({"capex": "150000000", "currency": "JPY", "similar_projects": 1}));
    c.store
        .edit(
            "estimate",
            &c.estimate,
            fields(json!({"durable_years": ""})),
        )
        .unwrap();
    let r = evaluate(&c.store, Rules::shipped(), &c.estimate, today()).unwrap();
    let e = r.emissions.expect("computes");
    // Water-supply business equipment: 18 years in the pack, flagged unverified.
    assert_eq!(e.durable_years, Some(18));
    assert_eq!(
        e.durable_years_status,
        Some(fieldbook_estimate::rules::Status::Unverified)
    );
    assert!(e.durable_years_source.unwrap().contains("Annex Table 2"));
    assert_eq!(e.lifetime_reduction_t, Some(d("29901")));
    assert!(
        r.cost_effectiveness.is_some(),
        "{:?}",
        r.cost_effectiveness_error
    );
}

#[test]
fn an_input_is_offered_only_measurements_that_convert_to_its_unit() {
    let mut c = case(json!({}));
    let est = c.store.get("estimate", &c.estimate).unwrap();
    let study = est.fields["study_id"].as_str().unwrap().to_string();
    let finding = c
        .store
        .create(
            "finding",
            fields(json!({"study_id": study, "sector": "water", "title": "Intake"})),
        )
        .unwrap();
    let mut measure = |quantity: &str, value: &str, unit: &str| {
        c.store
            .create(
                "measurement",
                fields(json!({"finding_id": finding, "quantity": quantity, "value": value, "unit": unit})),
            )
            .map(|_| ())
    };
    measure("Electricity used, per year", "1200000", "kWh").unwrap();
    measure("Flow rate", "850", "m3/h").unwrap();
    assert!(measure("Flow rate", "850", "kWh").is_err());
    // Linked anyway (the CLI takes any id), it is refused in words, by name.
    let electricity = measurement_candidates(&c.store, Rules::shipped(), "pump-efficiency", &study)
        .unwrap()
        .into_iter()
        .find(|p| p.param == "consumption_mwh")
        .unwrap()
        .candidates[0]
        .measurement_id
        .clone();
    let volume = c
        .store
        .list("estimate_input", &Default::default())
        .unwrap()
        .into_iter()
        .find(|r| r.fields["name"] == "volume_m3")
        .unwrap();
    c.store
        .edit(
            "estimate_input",
            &volume.id,
            fields(json!({"measurement_id": electricity})),
        )
        .unwrap();
    let err = evaluate(&c.store, Rules::shipped(), &c.estimate, today())
        .unwrap()
        .emissions_error
        .unwrap();
    assert!(
        err.starts_with(
            "the measurement “Electricity used, per year” cannot be “Water pumped per year”"
        ),
        "{err}"
    );
    assert!(!err.contains(&electricity), "{err}");
    c.store
        .edit(
            "estimate_input",
            &volume.id,
            fields(json!({"measurement_id": null})),
        )
        .unwrap();
    let found =
        measurement_candidates(&c.store, Rules::shipped(), "pump-efficiency", &study).unwrap();
    let offered = |param: &str| -> Vec<(String, Decimal)> {
        found
            .iter()
            .find(|p| p.param == param)
            .unwrap()
            .candidates
            .iter()
            .map(|m| (m.quantity.clone(), m.converted))
            .collect()
    };
    assert_eq!(
        offered("consumption_mwh"),
        [("Electricity used, per year".to_string(), d("1200"))]
    );
    // A rate counts as the amount of one year: 850 m3/h × 8,760 h.
    assert_eq!(
        offered("volume_m3"),
        [("Flow rate".to_string(), d("7446000"))]
    );
    assert!(offered("ef_t_per_mwh").is_empty());
}

#[test]
fn money_converts_only_at_a_recorded_rate_the_newest_first() {
    let mut c = case(json!({}));
    let s = &mut c.store;
    let err = convert(s, d("100"), "VND", "JPY").unwrap_err();
    assert!(matches!(err, MoneyError::NoRate { .. }));
    assert!(err.to_string().contains("VND and JPY"), "{err}");
    assert_eq!(convert(s, d("100"), "JPY", "JPY").unwrap(), None);

    rate(s, "USD", "JPY", "110", "2019-01-31");
    let newer = rate(s, "USD", "JPY", "150", "2024-06-30");
    let c1 = convert(s, d("2"), "USD", "JPY").unwrap().unwrap();
    assert_eq!(
        (c1.converted, c1.exchange_rate_id.as_str()),
        (d("300"), newer.as_str())
    );
    // The other direction uses the inverse of the same record.
    let c2 = convert(s, d("300"), "JPY", "USD").unwrap().unwrap();
    assert_eq!(c2.converted, d("2"));
    assert_eq!(c2.date, "2024-06-30");

    let zero = rate(s, "VND", "JPY", "0", "2024-01-01");
    assert!(matches!(
        convert(s, d("1"), "VND", "JPY"),
        Err(MoneyError::ZeroRate { .. })
    ));
    s.delete("exchange_rate", &zero).unwrap();
}

#[test]
fn subsidies_side_by_side_with_conversions_and_finance_with_the_subsidy() {
    let mut c = case(
        json!({"capex": "150000000", "currency": "JPY", "opex_per_year": "1000000",
                             "savings_per_year": "21000000", "discount_rate": "0.06",
                             "similar_projects": 1}),
    );
    let rules = Rules::shipped();
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    let jcm = r.subsidies[0].result.as_ref().unwrap();
    // 1 similar project: 40 % of JPY 150 M.
    assert_eq!((jcm.eligible, jcm.amount), (true, d("60000000")));
    let jfjcm = &r.subsidies[1];
    assert!(jfjcm.error.as_deref().unwrap().contains("JPY and USD"));

    rate(&mut c.store, "USD", "JPY", "150", "2024-06-30");
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    let jfjcm = &r.subsidies[1];
    assert_eq!(
        jfjcm.cost_conversion.as_ref().unwrap().converted,
        d("1000000")
    );
    assert_eq!(jfjcm.result.as_ref().unwrap().amount, d("100000"));
    // JPY 60 M over 1,661 t × 18 years.
    let ce = r.cost_effectiveness.unwrap();
    assert_eq!(ce.jpy_per_t, d("2007"));
    let f = r.finance.unwrap();
    assert_eq!(f.with_subsidy.upfront_cost, d("90000000"));
    assert_eq!(f.with_subsidy.npv - f.without_subsidy.npv, d("60000000"));
    assert_eq!(f.without_subsidy.cumulative_cash_flow.len(), 19);

    // A capex in another currency reaches the JPY scheme and the finance
    // through the recorded rates, and the working says which.
    c.store
        .edit(
            "estimate",
            &c.estimate,
            fields(json!({"capex": "1000000", "currency": "USD"})),
        )
        .unwrap();
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    let line = &r.subsidies[0];
    assert_eq!(
        line.cost_conversion.as_ref().unwrap().converted,
        d("150000000")
    );
    assert_eq!(r.finance_subsidy.as_ref().unwrap().converted, d("400000"));
    assert_eq!(r.finance.unwrap().with_subsidy.upfront_cost, d("600000"));
}

#[test]
fn an_estimate_keeps_the_edition_it_was_made_under() {
    let c = case(json!({"capex": "100000000", "currency": "USD"}));
    let rules = Rules::shipped();
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    // Made today: the JFJCM edition in force now.
    assert_eq!(r.subsidies[1].edition, "2023-05");
    let mut c = c;
    c.store
        .edit(
            "estimate",
            &c.estimate,
            fields(json!({"jfjcm_edition": "2019-11"})),
        )
        .unwrap();
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    assert_eq!(r.subsidies[1].edition, "2019-11");
    assert_eq!(r.subsidies[1].result.as_ref().unwrap().edition, "2019-11");
    // The editions in force on a past day are the ones of that day.
    let at = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    use fieldbook_estimate::subsidy::{edition, Scheme};
    assert_eq!(
        edition(rules, Scheme::JfjcmSovereign, None, at(2020, 1, 1))
            .unwrap()
            .0,
        "2019-11"
    );
    assert_eq!(
        edition(rules, Scheme::JfjcmSovereign, None, at(2024, 1, 1))
            .unwrap()
            .0,
        "2023-05"
    );
    assert!(edition(
        rules,
        Scheme::JcmModelProject,
        Some("FY2099"),
        at(2024, 1, 1)
    )
    .is_none());
    c.store
        .edit(
            "estimate",
            &c.estimate,
            fields(json!({"jcm_edition": "FY2099"})),
        )
        .unwrap();
    let r = evaluate(&c.store, rules, &c.estimate, today()).unwrap();
    assert!(r.subsidies[0].error.as_deref().unwrap().contains("FY2099"));
}
