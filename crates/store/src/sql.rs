//! Conversions between stored values and SQLite, and the column lists of the
//! typed tables (built from the kinds registry, whose names are plain identifiers).

use fieldbook_core::kinds::{FieldSpec, FieldType};
use fieldbook_core::validate::normalise;
use fieldbook_core::{KindSpec, Stored, ValidationError};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::ToSql;

pub struct Sql<'a>(pub &'a Stored);

impl ToSql for Sql<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Stored::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Stored::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Stored::Int(n) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
        })
    }
}

pub fn stored_from(v: ValueRef<'_>) -> Stored {
    match v {
        ValueRef::Null => Stored::Null,
        ValueRef::Integer(n) => Stored::Int(n),
        ValueRef::Real(f) => Stored::Text(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Stored::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

/// JSON text of a stored value, as kept in the change log.
pub fn stored_to_log(v: &Stored) -> Option<String> {
    match v {
        Stored::Null => None,
        Stored::Text(s) => Some(serde_json::Value::String(s.clone()).to_string()),
        Stored::Int(n) => Some(n.to_string()),
    }
}

pub fn stored_from_log(v: Option<&str>) -> Stored {
    match v.map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(serde_json::Value::String(s))) => Stored::Text(s),
        Some(Ok(serde_json::Value::Number(n))) => n.as_i64().map_or(Stored::Null, Stored::Int),
        _ => Stored::Null,
    }
}

/// Whether `value` (a `set`'s JSON text) is what this build's write path
/// stores for `spec`: valid for the field and in its normal form. Imported
/// ops are checked with it, so a value no local write could have made never
/// reaches a typed column.
pub fn logged_value_fits(spec: &FieldSpec, value: Option<&str>) -> bool {
    let stored = stored_from_log(value);
    stored_to_log(&stored).as_deref() == value && check_stored(spec, &stored).is_ok()
}

/// Checks an already-stored value against the field's rules as typed input
/// is checked (a required field left empty, a unit no longer known …), and
/// that it is in its normal form.
pub fn check_stored(spec: &FieldSpec, stored: &Stored) -> Result<(), ValidationError> {
    let input = match (stored, spec.ty) {
        (Stored::Text(list), FieldType::RefList { .. }) => {
            let ids = serde_json::from_str::<Vec<String>>(list).map_err(|_| {
                ValidationError::new(spec.name, "bad_reference", "not a list of record ids")
            })?;
            serde_json::Value::from(ids)
        }
        (Stored::Text(s), _) => serde_json::Value::String(s.clone()),
        (Stored::Int(n), _) => serde_json::Value::from(*n),
        (Stored::Null, _) => serde_json::Value::Null,
    };
    let normal = normalise(spec, &input)?;
    if &normal != stored {
        return Err(ValidationError::new(
            spec.name,
            "not_normal",
            "not in the form this field is stored in",
        ));
    }
    Ok(())
}

/// `id, f1, f2, …, created_at, updated_at, updated_by, deleted_at`
pub fn select_columns(kind: &KindSpec) -> String {
    let mut cols = vec!["id"];
    cols.extend(kind.fields.iter().map(|f| f.name));
    cols.extend(["created_at", "updated_at", "updated_by", "deleted_at"]);
    cols.join(", ")
}
