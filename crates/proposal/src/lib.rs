//! Where records meet estimates: reads a study and what it links to from the
//! store, and hands the estimate engine (which never touches the database)
//! the plain facts it needs.

use fieldbook_core::catalogue::TechnologyCatalogue;
use fieldbook_core::units::UnitCatalogue;
use fieldbook_estimate::advisor::{MemberFacts, StudyFacts};
use fieldbook_estimate::credits::{self, Allocation, CreditError, Share, GOVERNMENT_OF_JAPAN};
use fieldbook_estimate::emissions::{Input, MonitoringOption, Provenance};
use fieldbook_estimate::rules::Rules;
use fieldbook_store::{ListQuery, Record, Result, Store};
use serde_json::Value;

fn text<'a>(r: &'a Record, field: &str) -> Option<&'a str> {
    r.fields.get(field).and_then(Value::as_str)
}

/// The record a reference field of `r` points at, if set and readable.
fn follow(store: &Store, r: &Record, field: &str, kind: &str) -> Result<Option<Record>> {
    match text(r, field) {
        Some(id) => store.get(kind, id).map(Some),
        None => Ok(None),
    }
}

fn country_code(store: &Store, r: &Record) -> Result<Option<String>> {
    Ok(follow(store, r, "country_id", "country")?
        .and_then(|c| text(&c, "code").map(str::to_string)))
}

fn children(store: &Store, kind: &str, study_id: &str) -> Result<Vec<Record>> {
    store.list(
        kind,
        &ListQuery {
            parent_id: Some(study_id.to_string()),
            ..ListQuery::default()
        },
    )
}

/// The facts of one study, as its records state them today.
pub fn study_facts(store: &Store, study_id: &str) -> Result<StudyFacts> {
    let study = store.get("study", study_id)?;
    let mut facts = StudyFacts {
        study_years: study.fields.get("years").and_then(Value::as_i64),
        ..StudyFacts::default()
    };
    let mut note_org = |org: &Record| match text(org, "kind") {
        Some("japanese_company") => facts.has_japanese_company = true,
        Some("japanese_municipality") => facts.has_japanese_local_government = true,
        Some("partner_city_government") => facts.has_partner_city = true,
        _ => {}
    };
    let mut orgs = Vec::new();
    if let Some(c) = follow(store, &study, "consignee_id", "org")? {
        orgs.push(c);
    }
    for id in study.fields["stakeholder_ids"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(id) = id.as_str() {
            orgs.push(store.get("org", id)?);
        }
    }
    let collaboration = follow(store, &study, "collaboration_id", "collaboration")?;
    if let Some(collab) = &collaboration {
        if let Some(org) = follow(store, collab, "japanese_org_id", "org")? {
            orgs.push(org);
        }
    }
    for org in &orgs {
        note_org(org);
    }
    if let Some(city) = collaboration
        .as_ref()
        .map(|c| follow(store, c, "partner_city_id", "city"))
        .transpose()?
        .flatten()
    {
        facts.has_partner_city = true;
        facts.host_country = country_code(store, &city)?;
    }
    for member in children(store, "member", study_id)? {
        let Some(org) = follow(store, &member, "org_id", "org")? else {
            continue;
        };
        facts.members.push(MemberFacts {
            name: org.title.clone(),
            role: text(&member, "consortium_role")
                .unwrap_or_default()
                .to_string(),
            org_kind: text(&org, "kind").unwrap_or_default().to_string(),
            country: country_code(store, &org)?,
        });
    }
    let catalogue = TechnologyCatalogue::shipped();
    for tech in children(store, "technology", study_id)? {
        if let Some(t) = text(&tech, "tech_type").and_then(|code| catalogue.get(code)) {
            if !facts.methodologies.contains(&t.methodology) {
                facts.methodologies.push(t.methodology.clone());
            }
        }
    }
    Ok(facts)
}

/// The study's planned credit shares split over `issued` tonnes. The party
/// "government_of_japan" is the Government of Japan of the split rules; other
/// parties are named by their organisation, else by their party code.
pub fn credit_split(
    store: &Store,
    study_id: &str,
    issued: u64,
) -> Result<Result<Vec<Allocation>, CreditError>> {
    let mut shares = Vec::new();
    for share in children(store, "credit_share", study_id)? {
        let party = match (
            text(&share, "party"),
            follow(store, &share, "org_id", "org")?,
        ) {
            (Some("government_of_japan"), _) => GOVERNMENT_OF_JAPAN.to_string(),
            (_, Some(org)) => org.title,
            (party, None) => party.unwrap_or("other").to_string(),
        };
        let percent = text(&share, "percent")
            .and_then(fieldbook_core::validate::parse_decimal)
            .unwrap_or_default();
        shares.push(Share { party, percent });
    }
    Ok(credits::split(issued, &shares))
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Store(#[from] fieldbook_store::StoreError),
    #[error(
        "{methodology} has no parameter '{name}': see `fieldbook methodology show {methodology}`"
    )]
    UnknownParam { methodology: String, name: String },
    /// A measurement whose unit does not convert to the parameter's.
    #[error("{0}")]
    Unit(String),
}

/// A measurement of a finding as the input `name` of `methodology`: its value
/// converted to the parameter's unit, traced to the finding and measurement.
pub fn measurement_input(
    store: &Store,
    rules: &Rules,
    methodology: &str,
    name: &str,
    measurement_id: &str,
) -> std::result::Result<Input, InputError> {
    let unknown = || InputError::UnknownParam {
        methodology: methodology.to_string(),
        name: name.to_string(),
    };
    let param = rules
        .methodology(methodology)
        .and_then(|m| m.params.iter().find(|p| p.name == name))
        .ok_or_else(unknown)?;
    let m = store.get("measurement", measurement_id)?;
    let value = text(&m, "value")
        .and_then(fieldbook_core::validate::parse_decimal)
        .unwrap_or_default();
    let unit = text(&m, "unit").unwrap_or_default();
    let value = UnitCatalogue::shipped()
        .convert(value, unit, &param.unit)
        .map_err(|e| {
            let quantity = text(&m, "quantity").unwrap_or_default();
            InputError::Unit(format!(
                "measurement {measurement_id} ({quantity}) cannot be {name}: {e}"
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
