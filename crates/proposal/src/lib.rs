//! Where records meet estimates: reads a study and what it links to from the
//! store, and hands the estimate engine (which never touches the database)
//! the plain facts it needs.

mod consortium;
mod dossier;
mod estimate;
mod facts;
mod inputs;
mod money;

pub use consortium::credit_split;
pub use dossier::{dossier, Collaboration, Dossier, FindingFacts, PhotoFacts};
pub use estimate::{
    evaluate, study_estimates, CostEffectiveness, EstimateReport, SubsidyLine, THRESHOLD_SETTING,
};
pub use facts::{host_country, study_facts};
pub use inputs::{
    measurement_candidates, measurement_input, Candidate, InputError, ParamCandidates,
};
pub use money::{convert, Conversion, MoneyError};

use fieldbook_store::{ListQuery, Record, Result, Store};
use serde_json::Value;

fn text<'a>(r: &'a Record, field: &str) -> Option<&'a str> {
    r.fields.get(field).and_then(Value::as_str)
}

fn decimal(r: &Record, field: &str) -> Option<rust_decimal::Decimal> {
    text(r, field).and_then(fieldbook_core::validate::parse_decimal)
}

/// The record a reference field of `r` points at, if set and readable.
fn follow(store: &Store, r: &Record, field: &str, kind: &str) -> Result<Option<Record>> {
    match text(r, field) {
        Some(id) => store.get(kind, id).map(Some),
        None => Ok(None),
    }
}

/// The live records of `kind` whose parent is `parent_id`.
fn children(store: &Store, kind: &str, parent_id: &str) -> Result<Vec<Record>> {
    store.list(
        kind,
        &ListQuery {
            parent_id: Some(parent_id.to_string()),
            ..ListQuery::default()
        },
    )
}
