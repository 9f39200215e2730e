//! The facts of a study for the exit-strategy advisor, as its records state
//! them today: stakeholders, consortium, candidate technologies with what the
//! user attests about them, and the study's saved estimates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use fieldbook_core::catalogue::TechnologyCatalogue;
use fieldbook_estimate::advisor::{MemberFacts, StudyFacts};
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::subsidy::Scheme;
use fieldbook_store::{Record, Result, Store};
use serde_json::Value;

use crate::{children, follow, study_estimates, text};

fn country_code(store: &Store, r: &Record) -> Result<Option<String>> {
    Ok(follow(store, r, "country_id", "country")?
        .and_then(|c| text(&c, "code").map(str::to_string)))
}

/// ISO2 of the country of the study's partner city (through its collaboration).
pub fn host_country(store: &Store, study_id: &str) -> Result<Option<String>> {
    let study = store.get("study", study_id)?;
    let Some(collab) = follow(store, &study, "collaboration_id", "collaboration")? else {
        return Ok(None);
    };
    match follow(store, &collab, "partner_city_id", "city")? {
        Some(city) => country_code(store, &city),
        None => Ok(None),
    }
}

/// Several attestations as one: any "no" is no, all "yes" is yes, else unanswered.
fn combined<'a>(answers: impl Iterator<Item = Option<&'a str>>) -> Option<bool> {
    let mut all_yes = None;
    for answer in answers {
        match answer {
            Some("no") => return Some(false),
            Some("yes") => all_yes = all_yes.or(Some(true)),
            _ => all_yes = Some(false),
        }
    }
    all_yes.filter(|yes| *yes)
}

/// The facts of one study — or of one candidate technology in it.
pub fn study_facts(
    store: &Store,
    rules: &Rules,
    study_id: &str,
    technology_id: Option<&str>,
    today: NaiveDate,
) -> Result<StudyFacts> {
    let study = store.get("study", study_id)?;
    let mut facts = StudyFacts {
        study_years: study.fields.get("years").and_then(Value::as_i64),
        host_country: host_country(store, study_id)?,
        ..StudyFacts::default()
    };
    let mut orgs = Vec::new();
    if let Some(c) = follow(store, &study, "consignee_id", "org")? {
        orgs.push(c);
    }
    for id in study.fields["stakeholder_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        orgs.push(store.get("org", id)?);
    }
    if let Some(collab) = follow(store, &study, "collaboration_id", "collaboration")? {
        orgs.extend(follow(store, &collab, "japanese_org_id", "org")?);
        facts.has_partner_city |= text(&collab, "partner_city_id").is_some();
    }
    for org in &orgs {
        match text(org, "kind") {
            Some("japanese_company") => facts.has_japanese_company = true,
            Some("japanese_municipality") => facts.has_japanese_local_government = true,
            Some("partner_city_government") => facts.has_partner_city = true,
            _ => {}
        }
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

    let technologies: Vec<Record> = children(store, "technology", study_id)?
        .into_iter()
        .filter(|t| technology_id.is_none_or(|id| t.id == id))
        .collect();
    let catalogue = TechnologyCatalogue::shipped();
    for tech in &technologies {
        if let Some(t) = text(tech, "tech_type").and_then(|code| catalogue.get(code)) {
            if !facts.methodologies.contains(&t.methodology) {
                facts.methodologies.push(t.methodology.clone());
            }
        }
    }
    let attested = |field: &str| combined(technologies.iter().map(|t| text(t, field)));
    facts.no_other_japanese_subsidy = attested("no_other_japanese_subsidy");
    facts.proven_in_japan = attested("proven_in_japan");
    facts.new_to_partner_country = attested("new_to_partner_country");
    facts.needs_customisation = attested("needs_customisation");

    // One estimate per technology counts: the one edited last.
    let mut latest = BTreeMap::new();
    for report in study_estimates(store, rules, study_id, today)? {
        if technology_id.is_some_and(|id| report.technology_id.as_deref() != Some(id)) {
            continue;
        }
        let key = report.technology_id.clone().unwrap_or_default();
        let newer = latest
            .get(&key)
            .is_none_or(|r: &crate::EstimateReport| r.updated_at < report.updated_at);
        if newer {
            latest.insert(key, report);
        }
    }
    for report in latest.values() {
        if let Some(e) = &report.emissions {
            *facts.reduction_t_per_year.get_or_insert(Decimal::ZERO) += e.reduction_t_per_year;
        }
        let jcm = report
            .subsidies
            .iter()
            .find(|s| s.scheme == Scheme::JcmModelProject)
            .and_then(|s| s.result.as_ref());
        if let Some(r) = jcm {
            *facts.subsidy_jpy.get_or_insert(Decimal::ZERO) += r.amount;
        }
        facts.similar_projects = facts.similar_projects.max(Some(report.similar_projects));
    }
    Ok(facts)
}
