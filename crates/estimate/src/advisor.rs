//! The exit-strategy advisor: for a study, each financing scheme fits, does
//! not fit, or cannot be told yet — with every requirement checked against the
//! facts gathered from the records, and, for "cannot tell", what is missing.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use fieldbook_core::units::{group_thousands, UnitCatalogue};

use crate::rules::Rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fits,
    /// Cannot tell yet: something the requirement needs is missing from the records.
    Unknown,
    DoesNotFit,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// A stable code for translation: `jcm_partner`, `japanese_representative` …
    pub requirement: &'static str,
    pub verdict: Verdict,
    /// What the records say, in English.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeAdvice {
    pub scheme: String,
    pub name_en: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    pub date: NaiveDate,
    pub stakeholders: Vec<Check>,
    pub schemes: Vec<SchemeAdvice>,
}

#[derive(Debug, Clone, Default)]
pub struct MemberFacts {
    pub name: String,
    /// `representative`, `partner` or `collaborator`.
    pub role: String,
    /// The organisation kind (`japanese_company` …).
    pub org_kind: String,
    /// ISO2 of the organisation's country, when recorded.
    pub country: Option<String>,
}

/// What the advisor needs to know about a study; gathered from the records.
#[derive(Debug, Clone, Default)]
pub struct StudyFacts {
    /// ISO2 of the partner city's country.
    pub host_country: Option<String>,
    pub has_japanese_company: bool,
    pub has_japanese_local_government: bool,
    pub has_partner_city: bool,
    pub members: Vec<MemberFacts>,
    /// Methodology families of the candidate technologies.
    pub methodologies: Vec<String>,
    pub study_years: Option<i64>,
    /// The best quantified annual reduction, when an estimate exists.
    pub reduction_t_per_year: Option<Decimal>,
    /// The expected JCM Model Project subsidy, when estimated.
    pub subsidy_jpy: Option<Decimal>,
    /// The user's attestation that the equipment gets no other Japanese subsidy.
    pub no_other_japanese_subsidy: Option<bool>,
    /// Low-carbon Technology Innovation (GB Table 9), as the user attests:
    /// proven in Japan, new to the partner country, needing customisation.
    pub proven_in_japan: Option<bool>,
    pub new_to_partner_country: Option<bool>,
    pub needs_customisation: Option<bool>,
    /// Past adopted JCM projects with similar technology in the country.
    pub similar_projects: Option<u32>,
}

fn check(requirement: &'static str, verdict: Verdict, detail: impl Into<String>) -> Check {
    Check {
        requirement,
        verdict,
        detail: detail.into(),
    }
}

fn scheme(id: &str, name: &str, checks: Vec<Check>) -> SchemeAdvice {
    SchemeAdvice {
        scheme: id.into(),
        name_en: name.into(),
        verdict: checks
            .iter()
            .map(|c| c.verdict)
            .max()
            .unwrap_or(Verdict::Unknown),
        checks,
    }
}

pub fn advise(rules: &Rules, facts: &StudyFacts, date: NaiveDate) -> Advice {
    // Applicants in words (the rule pack names every code the advisor uses).
    let name = |code: &str| rules.funds.applicant_name(code).unwrap_or(code).to_string();
    let jcm_partner = jcm_partner_check(rules, facts, date);
    let representative = representative_check(facts);
    let consortium = consortium_check(facts);
    let energy = energy_check(facts);
    let quantified = match facts.reduction_t_per_year {
        Some(t) if t > Decimal::ZERO => check(
            "quantified_reduction",
            Verdict::Fits,
            format!("{} t CO2 a year estimated", group_thousands(t)),
        ),
        Some(_) => check(
            "quantified_reduction",
            Verdict::DoesNotFit,
            "the estimate shows no reduction",
        ),
        None => check(
            "quantified_reduction",
            Verdict::Unknown,
            "missing: an emission-reduction estimate",
        ),
    };
    let no_other = attested(
        "no_other_japanese_subsidy",
        facts.no_other_japanese_subsidy,
        "attested: no other Japanese subsidy on this equipment",
        "the equipment receives another Japanese subsidy",
        "missing: attest that no other Japanese subsidy covers the equipment",
    );
    let mut schemes = Vec::new();

    let jcm_mp = rules
        .schemes
        .jcm_model_project
        .iter()
        .max_by_key(|e| e.valid_from);
    let subsidy_range = match (jcm_mp, facts.subsidy_jpy) {
        (Some(e), Some(s)) if s < e.floor => check(
            "subsidy_in_range",
            Verdict::DoesNotFit,
            format!(
                "{} is below the {} floor ({})",
                yen(s),
                yen(e.floor),
                e.edition
            ),
        ),
        (Some(e), Some(s)) if s > e.cap => check(
            "subsidy_in_range",
            Verdict::Fits,
            format!(
                "{} will be capped at {} ({})",
                yen(s),
                yen(e.cap),
                e.edition
            ),
        ),
        (Some(e), Some(s)) => check(
            "subsidy_in_range",
            Verdict::Fits,
            format!(
                "{} is within {}–{} ({})",
                yen(s),
                yen(e.floor),
                yen(e.cap),
                e.edition
            ),
        ),
        _ => check(
            "subsidy_in_range",
            Verdict::Unknown,
            "missing: a subsidy estimate",
        ),
    };
    schemes.push(scheme(
        "jcm-model-project",
        "JCM Model Project",
        vec![
            jcm_partner.clone(),
            representative.clone(),
            consortium.clone(),
            energy.clone(),
            quantified.clone(),
            subsidy_range,
            no_other,
        ],
    ));

    let within_three_years = match facts.study_years {
        Some(y) if y <= 3 => check(
            "within_three_years",
            Verdict::Fits,
            format!("planned over {y} year(s)"),
        ),
        Some(y) => check(
            "within_three_years",
            Verdict::DoesNotFit,
            format!("planned over {y} years; at most 3"),
        ),
        None => check(
            "within_three_years",
            Verdict::Unknown,
            "missing: the study's number of years",
        ),
    };
    // The programme also accepts countries that could become JCM partners.
    let lcti_country = match jcm_partner.verdict {
        Verdict::DoesNotFit => check(
            "jcm_partner",
            Verdict::Unknown,
            format!(
                "{}; could the country become a JCM partner?",
                jcm_partner.detail
            ),
        ),
        _ => jcm_partner.clone(),
    };
    schemes.push(scheme(
        "low-carbon-technology-innovation",
        "Low-carbon Technology Innovation Programme",
        vec![
            lcti_country,
            representative.clone(),
            consortium,
            energy.clone(),
            within_three_years,
            attested(
                "proven_in_japan",
                facts.proven_in_japan,
                "attested: proven in Japan, not at the research stage",
                "the technology is not yet proven in Japan",
                "missing: attest that the technology is proven in Japan",
            ),
            new_to_country_check(facts),
            attested(
                "needs_customisation",
                facts.needs_customisation,
                "attested: it must be re-engineered for the partner country's market",
                "it needs no customisation: the programme funds co-innovation",
                "missing: attest whether it needs customising for the partner country",
            ),
        ],
    ));

    let jfjcm_country = match (
        rules.schemes.jfjcm.iter().max_by_key(|e| e.valid_from),
        &facts.host_country,
    ) {
        (Some(e), Some(c)) => {
            let list = rules
                .country_edition(&e.eligible_countries_edition)
                .expect("validated at load");
            if list.countries.contains(c) {
                check(
                    "jfjcm_eligible",
                    Verdict::Fits,
                    format!(
                        "{} is JFJCM-eligible (list as of {})",
                        rules.country_name(c),
                        list.as_of
                    ),
                )
            } else {
                check(
                    "jfjcm_eligible",
                    Verdict::DoesNotFit,
                    format!(
                        "{} is not JFJCM-eligible (list as of {})",
                        rules.country_name(c),
                        list.as_of
                    ),
                )
            }
        }
        _ => check(
            "jfjcm_eligible",
            Verdict::Unknown,
            "missing: the partner city's country",
        ),
    };
    schemes.push(scheme(
        "jfjcm",
        "Japan Fund for the JCM (ADB)",
        vec![
            jfjcm_country,
            energy,
            check(
                "adb_project",
                Verdict::Unknown,
                "missing: is there an ADB-financed project to join?",
            ),
        ],
    ));

    let applicants = applicant_kinds(facts);
    for fund in &rules.funds.funds {
        let who = fund
            .who_may_apply
            .iter()
            .find(|w| applicants.contains(&w.as_str()));
        let applicant = match who {
            Some(w) => check(
                "eligible_applicant",
                Verdict::Fits,
                format!("{} may apply", name(w)),
            ),
            None => check(
                "eligible_applicant",
                Verdict::DoesNotFit,
                format!(
                    "only {} may apply",
                    or_list(fund.who_may_apply.iter().map(|w| name(w)).collect())
                ),
            ),
        };
        schemes.push(scheme(
            &format!("fund-{}", fund.number),
            &fund.name_en,
            vec![
                applicant,
                check(
                    "fund_requirements",
                    Verdict::Unknown,
                    format!(
                        "missing: the requirements of the fund's current call ({})",
                        fund.administered_by
                    ),
                ),
            ],
        ));
    }

    Advice {
        date,
        stakeholders: vec![
            stakeholder(
                "japanese_company",
                facts.has_japanese_company,
                &name("japanese_company"),
            ),
            stakeholder(
                "japanese_local_government",
                facts.has_japanese_local_government,
                &name("japanese_local_government"),
            ),
            stakeholder("partner_city", facts.has_partner_city, "a partner city"),
        ],
        schemes,
    }
}

/// A requirement the user attests to: yes fits, no does not, unanswered is unknown.
fn attested(
    requirement: &'static str,
    answer: Option<bool>,
    yes: &str,
    no: &str,
    missing: &str,
) -> Check {
    match answer {
        Some(true) => check(requirement, Verdict::Fits, yes),
        Some(false) => check(requirement, Verdict::DoesNotFit, no),
        None => check(requirement, Verdict::Unknown, missing),
    }
}

/// GB Table 9: innovative, with low adoption in the partner country and not
/// already used in similar projects there.
fn new_to_country_check(facts: &StudyFacts) -> Check {
    match facts.similar_projects {
        Some(n) if n > 0 => check(
            "new_to_partner_country",
            Verdict::DoesNotFit,
            format!("{n} similar JCM project(s) already adopted in the country"),
        ),
        _ => attested(
            "new_to_partner_country",
            facts.new_to_partner_country,
            "attested: innovative, with low adoption in the partner country",
            "the technology is already common in the partner country",
            "missing: attest that the technology is new to the partner country",
        ),
    }
}

fn stakeholder(code: &'static str, present: bool, what: &str) -> Check {
    if present {
        check(code, Verdict::Fits, format!("{what} takes part"))
    } else {
        check(
            code,
            Verdict::DoesNotFit,
            format!("missing: {what} (the City-to-City guidebook §1.4 requires one)"),
        )
    }
}

fn jcm_partner_check(rules: &Rules, facts: &StudyFacts, date: NaiveDate) -> Check {
    let Some(country) = &facts.host_country else {
        return check(
            "jcm_partner",
            Verdict::Unknown,
            "missing: the partner city's country",
        );
    };
    match rules.country_list_at("jcm_partners", date) {
        Some(list) if list.countries.contains(country) => check(
            "jcm_partner",
            Verdict::Fits,
            format!(
                "{} is a JCM partner (list as of {})",
                rules.country_name(country),
                list.as_of
            ),
        ),
        Some(list) => check(
            "jcm_partner",
            Verdict::DoesNotFit,
            format!(
                "{} is not a JCM partner (list as of {})",
                rules.country_name(country),
                list.as_of
            ),
        ),
        None => check(
            "jcm_partner",
            Verdict::Unknown,
            format!("no JCM partner list known for {date}"),
        ),
    }
}

fn representative_check(facts: &StudyFacts) -> Check {
    let reps: Vec<&MemberFacts> = facts
        .members
        .iter()
        .filter(|m| m.role == "representative")
        .collect();
    match reps.as_slice() {
        [] => check(
            "japanese_representative",
            Verdict::Unknown,
            "missing: the consortium's representative participant",
        ),
        [m] if m.org_kind == "japanese_company" => check(
            "japanese_representative",
            Verdict::Fits,
            format!(
                "{} (a Japanese corporation) represents the consortium",
                m.name
            ),
        ),
        [m] => check(
            "japanese_representative",
            Verdict::DoesNotFit,
            format!(
                "the representative {} is not a Japanese corporation",
                m.name
            ),
        ),
        _ => check(
            "japanese_representative",
            Verdict::DoesNotFit,
            "the consortium has more than one representative",
        ),
    }
}

fn consortium_check(facts: &StudyFacts) -> Check {
    let participants = facts.members.iter().filter(|m| m.role != "collaborator");
    if participants.clone().next().is_none() {
        return check(
            "international_consortium",
            Verdict::Unknown,
            "missing: the consortium's participants",
        );
    }
    let foreign = participants
        .clone()
        .filter(|m| m.country.as_deref().is_some_and(|c| c != "JP"))
        .count();
    let unknown = participants.filter(|m| m.country.is_none()).count();
    if foreign > 0 {
        check(
            "international_consortium",
            Verdict::Fits,
            format!("{foreign} foreign participant(s)"),
        )
    } else if unknown > 0 {
        check(
            "international_consortium",
            Verdict::Unknown,
            "missing: the country of some participants",
        )
    } else {
        check(
            "international_consortium",
            Verdict::DoesNotFit,
            "no foreign participant: an international consortium needs at least one",
        )
    }
}

/// Every methodology family Fieldbook knows reduces energy-derived CO2.
fn energy_check(facts: &StudyFacts) -> Check {
    if facts.methodologies.is_empty() {
        check(
            "energy_derived_co2",
            Verdict::Unknown,
            "missing: a candidate technology",
        )
    } else {
        check(
            "energy_derived_co2",
            Verdict::Fits,
            format!(
                "reduces energy-derived CO2 ({})",
                facts.methodologies.join(", ")
            ),
        )
    }
}

/// An amount of yen as people read it ("77,000,000 JPY").
fn yen(amount: Decimal) -> String {
    UnitCatalogue::shipped().format_money(amount, "JPY")
}

/// "a, b or c".
fn or_list(mut items: Vec<String>) -> String {
    match items.pop() {
        Some(last) if !items.is_empty() => format!("{} or {last}", items.join(", ")),
        last => last.unwrap_or_default(),
    }
}

fn applicant_kinds(facts: &StudyFacts) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    if facts.has_japanese_local_government {
        kinds.push("japanese_local_government");
    }
    if facts.has_japanese_company {
        kinds.push("japanese_company");
    }
    if facts.has_partner_city {
        kinds.push("partner_government");
    }
    kinds
}
