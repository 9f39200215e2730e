//! The advisor on the sample studies, read from a real database.

use chrono::NaiveDate;
use fieldbook_estimate::advisor::{advise, Verdict};
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::Decimal;
use fieldbook_store::Store;
use serde_json::{json, Map, Value};

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

#[test]
fn semarang_study_from_records_to_advice() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("fb.db")).unwrap();
    store.load_samples().unwrap();
    let study = store
        .search("Semarang", 20)
        .unwrap()
        .into_iter()
        .find(|h| h.kind == "study")
        .unwrap()
        .id;
    let date = NaiveDate::from_ymd_opt(2020, 3, 1).unwrap();
    let rules = Rules::shipped();

    let facts = fieldbook_proposal::study_facts(&store, rules, &study, None, date).unwrap();
    assert_eq!(facts.host_country.as_deref(), Some("ID"));
    assert!(
        facts.has_japanese_company && facts.has_japanese_local_government && facts.has_partner_city
    );
    assert_eq!(facts.methodologies, vec!["fuel-switch-vehicle".to_string()]);
    let advice = advise(rules, &facts, date);
    assert!(advice
        .stakeholders
        .iter()
        .all(|c| c.verdict == Verdict::Fits));
    let jcm = &advice.schemes[0];
    assert_eq!(jcm.scheme, "jcm-model-project");
    let verdict = |scheme: &fieldbook_estimate::advisor::SchemeAdvice, requirement: &str| {
        scheme
            .checks
            .iter()
            .find(|c| c.requirement == requirement)
            .map(|c| c.verdict)
    };
    // The sample's saved estimate gives the reduction and the subsidy.
    assert_eq!(facts.reduction_t_per_year, Some(Decimal::from(1584)));
    assert_eq!(facts.subsidy_jpy, Some(Decimal::from(38_500_000)));
    assert_eq!(verdict(jcm, "quantified_reduction"), Some(Verdict::Fits));
    assert_eq!(
        verdict(jcm, "japanese_representative"),
        Some(Verdict::Unknown)
    );
    assert_eq!(
        verdict(jcm, "no_other_japanese_subsidy"),
        Some(Verdict::Unknown)
    );
    assert_eq!(verdict(jcm, "subsidy_in_range"), Some(Verdict::DoesNotFit));

    // Form the consortium: Hokusan (Japan) represents, Trans Semarang (Indonesia) partners.
    let orgs = store.list("org", &Default::default()).unwrap();
    let id_of = |needle: &str| {
        orgs.iter()
            .find(|o| o.title.contains(needle))
            .unwrap()
            .id
            .clone()
    };
    let indonesia = store
        .list("country", &Default::default())
        .unwrap()
        .into_iter()
        .find(|c| c.fields["code"] == "ID")
        .unwrap()
        .id;
    let partner = id_of("Trans Semarang");
    store
        .edit("org", &partner, fields(json!({"country_id": indonesia})))
        .unwrap();
    for (org, role) in [(id_of("Hokusan"), "representative"), (partner, "partner")] {
        store
            .create(
                "member",
                fields(json!({"study_id": study, "org_id": org, "consortium_role": role})),
            )
            .unwrap();
    }
    // The user attests for the candidate technology and enters the eligible
    // cost the JCM application will claim.
    let tech = store
        .list("technology", &Default::default())
        .unwrap()
        .into_iter()
        .find(|t| t.title.contains("Dual-fuel"))
        .unwrap()
        .id;
    store
        .edit(
            "technology",
            &tech,
            fields(
                json!({"no_other_japanese_subsidy": "yes", "proven_in_japan": "yes",
                          "new_to_partner_country": "yes", "needs_customisation": "no"}),
            ),
        )
        .unwrap();
    let estimate = store
        .list("estimate", &Default::default())
        .unwrap()
        .into_iter()
        .find(|e| e.fields["study_id"] == study.as_str())
        .unwrap()
        .id;
    store
        .edit(
            "estimate",
            &estimate,
            fields(json!({"eligible_cost": "20000000000"})),
        )
        .unwrap();
    let mut facts =
        fieldbook_proposal::study_facts(&store, rules, &study, Some(&tech), date).unwrap();
    assert_eq!(facts.subsidy_jpy, Some(Decimal::from(77_000_000)));
    let advice = advise(rules, &facts, date);
    let jcm = &advice.schemes[0];
    assert_eq!(jcm.verdict, Verdict::Fits, "{jcm:#?}");
    // Applicants are named in words, never by their codes.
    let details: Vec<&str> = advice
        .schemes
        .iter()
        .flat_map(|s| &s.checks)
        .chain(&advice.stakeholders)
        .map(|c| c.detail.as_str())
        .collect();
    assert!(
        details.contains(&"a private company in Japan may apply"),
        "{details:?}"
    );
    for d in &details {
        assert!(
            !d.contains("japanese_") && !d.contains("partner_government") && !d.contains("GB §"),
            "{d}"
        );
    }
    let lcti = &advice.schemes[1];
    assert_eq!(verdict(lcti, "proven_in_japan"), Some(Verdict::Fits));
    assert_eq!(
        verdict(lcti, "needs_customisation"),
        Some(Verdict::DoesNotFit)
    );
    assert_eq!(lcti.verdict, Verdict::DoesNotFit);

    // Malaysia is a programme country but not a JCM partner.
    facts.host_country = Some("MY".into());
    let advice = advise(rules, &facts, date);
    assert_eq!(advice.schemes[0].verdict, Verdict::DoesNotFit);
    assert_eq!(
        verdict(&advice.schemes[1], "jcm_partner"),
        Some(Verdict::Unknown),
        "LCTI: could become a partner"
    );
}

#[test]
fn credit_shares_of_a_study_split_into_whole_tonnes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("fb.db")).unwrap();
    let study = store
        .create(
            "study",
            fields(json!({"title": "Darkhan 10 MW solar", "fiscal_year": 2016})),
        )
        .unwrap();
    let org = store
        .create(
            "org",
            fields(json!({"name": "Sharp Energy Solutions", "kind": "japanese_company"})),
        )
        .unwrap();
    for (party, org_id, percent) in [
        ("government_of_japan", None, "70"),
        ("japanese_participant", Some(org.clone()), "10"),
        ("partner_government", None, "20"),
    ] {
        store
            .create(
                "credit_share",
                fields(json!({"study_id": study, "party": party, "org_id": org_id, "percent": percent})),
            )
            .unwrap();
    }
    let split = fieldbook_proposal::credit_split(&store, &study, 8947)
        .unwrap()
        .unwrap();
    let got: Vec<(String, u64)> = split.into_iter().map(|a| (a.party, a.tonnes)).collect();
    assert!(got.contains(&("gov-japan".to_string(), 6263)), "{got:?}");
    assert!(
        got.contains(&("Sharp Energy Solutions".to_string(), 895)),
        "{got:?}"
    );
    assert!(
        got.contains(&("partner_government".to_string(), 1789)),
        "{got:?}"
    );
}

#[test]
fn a_measurement_becomes_an_input_in_the_parameters_unit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("fb.db")).unwrap();
    let study = store
        .create(
            "study",
            fields(json!({"title": "Mall PV", "fiscal_year": 2024})),
        )
        .unwrap();
    let finding = store
        .create(
            "finding",
            fields(json!({"study_id": study, "sector": "energy", "title": "Meter"})),
        )
        .unwrap();
    let measurement = store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "PV output", "value": "1.5", "unit": "GWh"})),
        )
        .unwrap();
    let rules = Rules::shipped();
    let input = fieldbook_proposal::measurement_input(
        &store,
        rules,
        "solar-pv",
        "generation_mwh",
        &measurement,
    )
    .unwrap();
    assert_eq!(input.value, Decimal::from(1500));
    assert!(
        matches!(input.provenance, fieldbook_estimate::emissions::Provenance::Measurement { ref finding_id, .. } if *finding_id == finding)
    );
    let err = fieldbook_proposal::measurement_input(
        &store,
        rules,
        "solar-pv",
        "ef_t_per_mwh",
        &measurement,
    )
    .unwrap_err();
    assert!(err.to_string().contains("different things"), "{err}");
}
