//! Everything the printed reports say about a study, read from the store in
//! one go: the study, its collaboration, visits, findings with their
//! measurements and photos, needs, technologies, consortium, credit shares,
//! activities and evaluated estimates. Plain data: the report crate lays it
//! out and never touches the store.

use std::path::PathBuf;

use chrono::NaiveDate;
use fieldbook_estimate::rules::Rules;
use fieldbook_store::{Record, Result, Store};

use crate::estimate::{study_estimates, EstimateReport};
use crate::{children, follow, text};

pub struct Dossier {
    pub study: Record,
    pub collaboration: Option<Collaboration>,
    pub consignee: Option<String>,
    pub visits: Vec<Record>,
    pub findings: Vec<FindingFacts>,
    pub needs: Vec<Record>,
    pub technologies: Vec<Record>,
    /// Each consortium member with its organisation's name.
    pub members: Vec<(Record, String)>,
    /// Each credit share with its organisation's name, if it names one.
    pub credit_shares: Vec<(Record, Option<String>)>,
    pub activities: Vec<Record>,
    pub estimates: Vec<EstimateReport>,
}

pub struct Collaboration {
    pub record: Record,
    pub japanese_org: String,
    pub partner_city: String,
    pub country: Option<String>,
}

pub struct FindingFacts {
    pub finding: Record,
    pub measurements: Vec<Record>,
    pub photos: Vec<PhotoFacts>,
}

pub struct PhotoFacts {
    pub file_name: String,
    pub caption: Option<String>,
    /// Where its bytes are; `None` while they have not arrived (the record
    /// came with a bundle, the file did not).
    pub path: Option<PathBuf>,
}

impl Dossier {
    /// Whether every finding of the study is reviewed (and it has one):
    /// until then its reports carry the draft watermark.
    pub fn reviewed(&self) -> bool {
        !self.findings.is_empty()
            && self
                .findings
                .iter()
                .all(|f| text(&f.finding, "status") == Some("reviewed"))
    }

    /// The visit a finding belongs to, if any.
    pub fn visit_of(&self, finding: &Record) -> Option<&Record> {
        let id = text(finding, "visit_id")?;
        self.visits.iter().find(|v| v.id == id)
    }
}

fn name_of(store: &Store, r: &Record, field: &str, kind: &str) -> Result<Option<String>> {
    Ok(follow(store, r, field, kind)?.map(|o| o.title))
}

fn by<F: Fn(&Record) -> String>(mut records: Vec<Record>, key: F) -> Vec<Record> {
    records.sort_by_key(|r| key(r));
    records
}

/// Reads the dossier of `study_id`; estimates are evaluated as of `today`.
pub fn dossier(store: &Store, rules: &Rules, study_id: &str, today: NaiveDate) -> Result<Dossier> {
    let study = store.get("study", study_id)?;
    let collaboration = match follow(store, &study, "collaboration_id", "collaboration")? {
        Some(c) => {
            let city = follow(store, &c, "partner_city_id", "city")?;
            let country = match &city {
                Some(city) => name_of(store, city, "country_id", "country")?,
                None => None,
            };
            Some(Collaboration {
                japanese_org: name_of(store, &c, "japanese_org_id", "org")?.unwrap_or_default(),
                partner_city: city.map(|c| c.title).unwrap_or_default(),
                country,
                record: c,
            })
        }
        None => None,
    };
    let field = |f: &'static str| move |r: &Record| text(r, f).unwrap_or_default().to_string();
    let visits = by(children(store, "visit", study_id)?, field("date"));
    let mut findings = Vec::new();
    for finding in by(children(store, "finding", study_id)?, |r| {
        r.created_at.clone()
    }) {
        let measurements = children(store, "measurement", &finding.id)?;
        let photos = children(store, "attachment", &finding.id)?
            .into_iter()
            .filter(|a| text(a, "role") == Some("photo"))
            .map(|a| {
                let sha = text(&a, "sha256").unwrap_or_default();
                PhotoFacts {
                    file_name: text(&a, "file_name").unwrap_or_default().to_string(),
                    caption: text(&a, "caption").map(str::to_string),
                    path: store.blobs().contains(sha).then(|| store.blobs().path(sha)),
                }
            })
            .collect();
        findings.push(FindingFacts {
            finding,
            measurements,
            photos,
        });
    }
    let rank = |r: &Record| match text(r, "priority") {
        Some("high") => 0,
        Some("medium") => 1,
        _ => 2,
    };
    let mut needs = children(store, "need", study_id)?;
    needs.sort_by_key(|n| (rank(n), n.created_at.clone()));
    let mut members = Vec::new();
    for m in children(store, "member", study_id)? {
        let org = name_of(store, &m, "org_id", "org")?.unwrap_or_default();
        members.push((m, org));
    }
    let mut credit_shares = Vec::new();
    for c in children(store, "credit_share", study_id)? {
        let org = name_of(store, &c, "org_id", "org")?;
        credit_shares.push((c, org));
    }
    let activities = by(children(store, "activity", study_id)?, |a| {
        format!(
            "{}{}",
            a.fields
                .get("year")
                .map(|y| y.to_string())
                .unwrap_or_default(),
            text(a, "date").unwrap_or("9999")
        )
    });
    Ok(Dossier {
        consignee: name_of(store, &study, "consignee_id", "org")?,
        technologies: by(children(store, "technology", study_id)?, |r| {
            r.created_at.clone()
        }),
        estimates: study_estimates(store, rules, study_id, today)?,
        study,
        collaboration,
        visits,
        findings,
        needs,
        members,
        credit_shares,
        activities,
    })
}
