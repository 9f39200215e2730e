//! Turns what a user typed (a CLI flag, a JSON file, a form field) into the
//! normalised value Fieldbook stores, or a clear error naming the field.
//! References are checked for form here and for existence by the store.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::catalogue::TechnologyCatalogue;
use crate::coordinate::{self, Axis};
use crate::error::ValidationError;
use crate::ids::is_record_id;
use crate::kinds::{FieldSpec, FieldType, KindSpec, UNIT_OF_QUANTITY};
use crate::quantities::QuantityCatalogue;
use crate::units::UnitCatalogue;

/// Longest text a single field takes: a pasted report chapter fits, a binary does not.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// A value as stored in its SQLite column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Null,
    Text(String),
    Int(i64),
}

impl Stored {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Stored::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Normalises `input` for `spec`. `Value::Null` (or an empty string) clears an
/// optional field.
pub fn normalise(spec: &FieldSpec, input: &Value) -> Result<Stored, ValidationError> {
    let err = |code: &'static str, msg: String| ValidationError::new(spec.name, code, msg);
    let empty = match input {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty() && !matches!(spec.ty, FieldType::RefList { .. }),
        _ => false,
    };
    if empty {
        return if spec.required {
            Err(err("required", "is required".into()))
        } else {
            Ok(Stored::Null)
        };
    }
    let text = || -> Result<String, ValidationError> {
        match input {
            Value::String(s) => Ok(s.trim().to_string()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(err("type", "must be text".into())),
        }
    };
    let stored = match spec.ty {
        FieldType::Text | FieldType::LongText => {
            let s = match input {
                Value::String(s) if spec.ty == FieldType::LongText => s.trim_end().to_string(),
                _ => text()?,
            };
            if s.chars().count() > MAX_TEXT_CHARS {
                return Err(err(
                    "too_long",
                    format!("is longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            if s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
            {
                return Err(err("control_chars", "contains control characters".into()));
            }
            Stored::Text(s)
        }
        FieldType::Enum { options } => {
            let s = text()?;
            if !options.contains(&s.as_str()) {
                return Err(err(
                    "not_an_option",
                    format!("'{s}' is not one of: {}", options.join(", ")),
                ));
            }
            Stored::Text(s)
        }
        FieldType::Bool => match input {
            Value::Bool(b) => Stored::Int(i64::from(*b)),
            _ => match text()?.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Stored::Int(1),
                "false" | "no" | "0" => Stored::Int(0),
                other => return Err(err("not_bool", format!("'{other}' is not yes or no"))),
            },
        },
        FieldType::Int { min, max } => {
            let s = text()?;
            let n = i64::from_str(&s)
                .map_err(|_| err("not_integer", format!("'{s}' is not a whole number")))?;
            if n < min || n > max {
                return Err(err("out_of_range", format!("{n} is outside {min}..={max}")));
            }
            Stored::Int(n)
        }
        FieldType::Decimal { non_negative } => {
            let s = text()?;
            let d = parse_decimal(&s)
                .ok_or_else(|| err("not_number", format!("'{s}' is not a number")))?;
            if non_negative && d.is_sign_negative() && !d.is_zero() {
                return Err(err("negative", format!("{s} is negative; enter 0 or more")));
            }
            Stored::Text(d.normalize().to_string())
        }
        FieldType::Date => {
            let s = text()?;
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| err("not_date", format!("'{s}' is not a date (use YYYY-MM-DD)")))?;
            Stored::Text(d.format("%Y-%m-%d").to_string())
        }
        FieldType::Latitude | FieldType::Longitude => {
            let axis = if spec.ty == FieldType::Latitude {
                Axis::Latitude
            } else {
                Axis::Longitude
            };
            let s = text()?;
            let d = coordinate::parse(&s, axis)
                .map_err(|why| err("bad_coordinate", format!("'{s}' {why}")))?;
            Stored::Text(d.to_string())
        }
        FieldType::Unit => {
            let s = text()?;
            if !UnitCatalogue::shipped().is_known(&s) {
                return Err(err(
                    "unknown_unit",
                    format!("unknown unit '{s}' (see `fieldbook units` for the catalogue)"),
                ));
            }
            Stored::Text(s)
        }
        FieldType::Currency => {
            let s = text()?.to_ascii_uppercase();
            if UnitCatalogue::shipped().currency(&s).is_none() {
                return Err(err(
                    "unknown_currency",
                    format!("unknown currency '{s}' (see `fieldbook units`)"),
                ));
            }
            Stored::Text(s)
        }
        FieldType::TechType => {
            let s = text()?;
            if TechnologyCatalogue::shipped().get(&s).is_none() {
                return Err(err(
                    "unknown_technology",
                    format!("unknown technology type '{s}' (see `fieldbook technologies`)"),
                ));
            }
            Stored::Text(s)
        }
        FieldType::Sha256 => {
            let s = text()?.to_ascii_lowercase();
            if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err("bad_hash", "is not a SHA-256 in hex".into()));
            }
            Stored::Text(s)
        }
        FieldType::Email => {
            let s = text()?;
            let ok = s.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty() && host.contains('.') && !s.contains(char::is_whitespace)
            });
            if !ok {
                return Err(err("bad_email", format!("'{s}' is not an e-mail address")));
            }
            Stored::Text(s)
        }
        FieldType::Ref { .. } => {
            let s = text()?;
            check_id(spec, &s)?;
            Stored::Text(s)
        }
        FieldType::RefList { .. } => {
            let mut ids: Vec<String> = match input {
                Value::Array(items) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.trim().to_string()),
                        _ => Err(err("type", "must be a list of ids".into())),
                    })
                    .collect::<Result<_, _>>()?,
                _ => text()?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            };
            for id in &ids {
                check_id(spec, id)?;
            }
            ids.sort();
            ids.dedup();
            if ids.is_empty() {
                return Ok(Stored::Null);
            }
            Stored::Text(serde_json::to_string(&ids).expect("strings serialise"))
        }
    };
    Ok(stored)
}

/// Whether [`check_record`] looks at `field` of `kind` (a write of any other
/// field need not read the record).
pub fn checked_across(kind: &str, field: &str) -> bool {
    UNIT_OF_QUANTITY
        .iter()
        .any(|(k, q, u)| *k == kind && (*q == field || *u == field))
}

/// Checks what no field can check alone, over a record's normalised values: a
/// unit must fit the kind of quantity the record names ("Flow rate" in kWh is
/// refused). `value` gives a field's value as it will be stored.
pub fn check_record<'a>(
    kind: &KindSpec,
    value: impl Fn(&str) -> Option<&'a Stored>,
) -> Result<(), ValidationError> {
    for (_, quantity_field, unit_field) in UNIT_OF_QUANTITY.iter().filter(|(k, ..)| *k == kind.name)
    {
        let (Some(quantity), Some(unit)) = (
            value(quantity_field).and_then(Stored::as_text),
            value(unit_field).and_then(Stored::as_text),
        ) else {
            continue;
        };
        QuantityCatalogue::shipped()
            .check(quantity, unit)
            .map_err(|m| {
                ValidationError::new(unit_field, "unit_mismatch", m.to_string())
                    .with_param("quantity", quantity)
                    .with_param("unit", unit)
                    .with_param("allowed", m.allowed)
            })?;
    }
    Ok(())
}

fn check_id(spec: &FieldSpec, id: &str) -> Result<(), ValidationError> {
    if is_record_id(id) {
        Ok(())
    } else {
        Err(ValidationError::new(
            spec.name,
            "bad_reference",
            format!("'{id}' is not a record id"),
        ))
    }
}

/// Parses a decimal as people write it: `32.5`, `-4`, `6,000`, `1,234.5`.
/// A comma is accepted only as a thousands separator in groups of three.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    let plain = if s.contains(',') {
        let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
        let digits = int.trim_start_matches(['-', '+']);
        let mut groups = digits.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || groups.clone().any(|g| g.len() != 3) {
            return None;
        }
        let joined = int.replace(',', "");
        match frac {
            Some(f) => format!("{joined}.{f}"),
            None => joined,
        }
    } else {
        s.to_string()
    };
    if plain.is_empty() || plain.contains(['e', 'E']) {
        return None;
    }
    Decimal::from_str(&plain).ok()
}

/// The JSON form of a stored value, typed by its field.
pub fn to_json(spec: &FieldSpec, stored: &Stored) -> Value {
    match (stored, spec.ty) {
        (Stored::Null, FieldType::RefList { .. }) => Value::Array(vec![]),
        (Stored::Null, _) => Value::Null,
        (Stored::Int(n), FieldType::Bool) => Value::Bool(*n != 0),
        (Stored::Int(n), _) => Value::from(*n),
        (Stored::Text(s), FieldType::RefList { .. }) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        (Stored::Text(s), _) => Value::String(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::kind;
    use serde_json::json;

    fn spec(k: &str, f: &str) -> &'static FieldSpec {
        kind(k).unwrap().field(f).unwrap()
    }

    fn ok(k: &str, f: &str, v: Value) -> Stored {
        normalise(spec(k, f), &v).unwrap()
    }

    fn code(k: &str, f: &str, v: Value) -> &'static str {
        normalise(spec(k, f), &v).unwrap_err().code
    }

    #[test]
    fn decimals_are_exact_and_accept_thousands_separators() {
        assert_eq!(
            ok("measurement", "value", json!("6,000")),
            Stored::Text("6000".into())
        );
        assert_eq!(
            ok("measurement", "value", json!("32.50")),
            Stored::Text("32.5".into())
        );
        assert_eq!(
            ok("measurement", "value", json!(75)),
            Stored::Text("75".into())
        );
        assert_eq!(
            ok("parameter", "value", json!("-4")),
            Stored::Text("-4".into())
        );
        assert_eq!(code("measurement", "value", json!("-1")), "negative");
        assert_eq!(code("measurement", "value", json!("12a")), "not_number");
        assert_eq!(code("measurement", "value", json!("1,23")), "not_number");
        assert_eq!(code("measurement", "value", json!("1e9")), "not_number");
        assert_eq!(code("measurement", "value", json!("")), "required");
    }

    #[test]
    fn units_dates_enums_and_ints() {
        assert_eq!(
            ok("measurement", "unit", json!("kW")),
            Stored::Text("kW".into())
        );
        assert_eq!(code("measurement", "unit", json!("kw")), "unknown_unit");
        assert_eq!(code("visit", "date", json!("2019-02-30")), "not_date");
        assert_eq!(
            ok("visit", "date", json!("2019-02-28")),
            Stored::Text("2019-02-28".into())
        );
        assert_eq!(code("finding", "sector", json!("space")), "not_an_option");
        assert_eq!(code("study", "years", json!(4)), "out_of_range");
        assert_eq!(ok("study", "years", json!("3")), Stored::Int(3));
        assert_eq!(ok("country", "jcm_partner", json!("yes")), Stored::Int(1));
        assert_eq!(
            ok("technology", "currency", json!("jpy")),
            Stored::Text("JPY".into())
        );
        assert_eq!(
            code("technology", "tech_type", json!("warp_drive")),
            "unknown_technology"
        );
        assert_eq!(code("contact", "email", json!("a@b")), "bad_email");
    }

    #[test]
    fn a_records_unit_must_fit_its_quantity() {
        let measurement = kind("measurement").unwrap();
        let check = |q: &str, u: &str| {
            let (q, u) = (Stored::Text(q.into()), Stored::Text(u.into()));
            check_record(measurement, |f| match f {
                "quantity" => Some(&q),
                "unit" => Some(&u),
                _ => None,
            })
        };
        let err = check("Flow rate", "kWh").unwrap_err();
        assert_eq!((err.field.as_str(), err.code), ("unit", "unit_mismatch"));
        assert_eq!(err.params["quantity"], "Flow rate");
        assert!(err.params["allowed"].contains("m3/h"));
        assert!(check("Flow rate", "m3/h").is_ok());
        assert!(check("Pump number 3 reading", "kWh").is_ok());
        // Other kinds and fields have no such pair.
        assert!(check_record(kind("visit").unwrap(), |_| None).is_ok());
        assert!(checked_across("measurement", "unit"));
        assert!(!checked_across("measurement", "notes"));
    }

    #[test]
    fn coordinates_and_references() {
        assert_eq!(
            ok("visit", "latitude", json!("6°59'35.5\"S")),
            Stored::Text("-6.993194".into())
        );
        assert_eq!(code("visit", "latitude", json!("95")), "bad_coordinate");
        assert_eq!(ok("visit", "latitude", json!("")), Stored::Null);
        assert_eq!(code("visit", "study_id", json!("x")), "bad_reference");
        let a = crate::ids::new_record_id();
        let b = crate::ids::new_record_id();
        let list = ok("need", "finding_ids", json!(format!("{b}, {a}, {b}")));
        assert_eq!(list, Stored::Text(format!("[\"{a}\",\"{b}\"]")));
        assert_eq!(to_json(spec("need", "finding_ids"), &list), json!([a, b]));
        assert_eq!(ok("need", "finding_ids", json!([])), Stored::Null);
    }
}
