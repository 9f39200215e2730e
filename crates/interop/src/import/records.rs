//! One submission → the changes that create its visit, finding,
//! measurements and photos, under ids derived from the submission's stable
//! id (so a second import of it, here or on another laptop, finds them and
//! adds nothing). Values are put in the form typed input has — a date out
//! of a date-time, a geopoint split — and the store's write path checks them
//! as it checks typed input; each field remembers its column for the report.

use std::collections::HashMap;

use chrono::NaiveDate;
use fieldbook_store::{Change, Part};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::mapping::{Field, Location, Mapping};
use super::sheet::{Row, Sheet};
use super::submissions::Submissions;
use super::{Reason, Rejection};

/// A submission's records, before its photos are read.
pub struct Planned {
    pub part: Part,
    /// Per change of `part`: where its fields came from.
    pub origins: Vec<Origin>,
    /// Photos to read from the media ZIP: (column, file name, attachment id).
    pub photos: Vec<PhotoRef>,
    pub finding_id: Option<String>,
}

pub struct PhotoRef {
    /// The sheet and row naming the photo, for a rejection.
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub file_name: String,
    pub caption: Option<String>,
    pub id: String,
}

/// The sheet row a change was made from, and each field's column and cell.
#[derive(Debug, Clone)]
pub struct Origin {
    pub sheet: String,
    pub row: usize,
    pub cells: HashMap<&'static str, Cell>,
}

#[derive(Debug, Clone)]
pub struct Cell {
    column: String,
    value: String,
}

impl Origin {
    fn new(sheet: &Sheet, row: &Row) -> Self {
        Origin {
            sheet: sheet.name.clone(),
            row: row.number,
            cells: HashMap::new(),
        }
    }

    fn note(&mut self, field: &'static str, column: &str, value: &str) {
        let cell = Cell {
            column: column.into(),
            value: value.into(),
        };
        self.cells.insert(field, cell);
    }

    /// A rejection of this row, at the cell `field` came from.
    pub fn reject(&self, field: Option<&str>, reason: Reason) -> Rejection {
        match field.and_then(|f| self.cells.get(f)) {
            Some(cell) => reason.at(&self.sheet, self.row, &cell.column, &cell.value),
            None => reason.at(&self.sheet, self.row, "", ""),
        }
    }

    fn reject_at(&self, column: &str, value: &str, reason: Reason) -> Rejection {
        reason.at(&self.sheet, self.row, column, value)
    }
}

/// The id of the record a submission makes in `role`, the same wherever
/// and however often the submission is imported into the study.
pub fn derived_id(study_id: &str, subs: &Submissions, stable_id: &str, role: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"fieldbook import\0")
        .chain_update(study_id)
        .chain_update(b"\0")
        .chain_update(subs.tool.name())
        .chain_update(b"\0")
        .chain_update(&subs.id_column)
        .chain_update(b"\0")
        .chain_update(stable_id)
        .chain_update(b"\0")
        .chain_update(role)
        .finalize();
    let bytes: [u8; 16] = digest[..16].try_into().expect("16 of 32 bytes");
    uuid::Uuid::new_v8(bytes).to_string()
}

/// Builds the records of one submission, or says which cells stop it.
pub struct Planner<'a> {
    pub subs: &'a Submissions,
    pub mapping: &'a Mapping,
    pub study_id: &'a str,
}

impl Planner<'_> {
    pub fn plan(&self, row: &Row, stable_id: &str) -> Result<Planned, Vec<Rejection>> {
        let subs = self.subs;
        let main = &subs.main;
        let id = |role: &str| derived_id(self.study_id, subs, stable_id, role);
        let source = format!(
            "{} submission {}",
            subs.tool.name(),
            main.cell(row, &subs.id_column)
        );
        let mut rejections = Vec::new();
        let mut planned = Planned {
            part: Part::default(),
            origins: Vec::new(),
            photos: Vec::new(),
            finding_id: None,
        };

        let v = &self.mapping.visit;
        let visit_id = id("visit");
        let mut visit = Record::new(main, row);
        visit.put("study_id", self.study_id.into());
        visit.put("source", source.clone());
        let date = main.cell(row, &v.date);
        match visit_date(date) {
            Ok(iso) => visit.put_from("date", &v.date, date, iso),
            Err(reason) => rejections.push(visit.origin.reject_at(&v.date, date, reason)),
        }
        visit.column("place", v.place.as_deref(), main);
        match &v.location {
            Some(Location::Geopoint(column)) => {
                let cell = main.cell(row, column);
                match geopoint(cell) {
                    Ok(Some((lat, lon))) => {
                        visit.put_from("latitude", column, cell, lat);
                        visit.put_from("longitude", column, cell, lon);
                    }
                    Ok(None) => {}
                    Err(reason) => rejections.push(visit.origin.reject_at(column, cell, reason)),
                }
            }
            Some(Location::Split {
                latitude,
                longitude,
            }) => {
                visit.column("latitude", Some(latitude), main);
                visit.column("longitude", Some(longitude), main);
            }
            None => {}
        }
        visit.column("participants", v.participants.as_deref(), main);
        visit.lines("notes", &v.notes, main);
        planned.push("visit", Some(visit_id.clone()), visit);

        if let Some(f) = &self.mapping.finding {
            let finding_id = id("finding");
            let mut finding = Record::new(main, row);
            finding.put("study_id", self.study_id.into());
            finding.put("visit_id", visit_id);
            finding.put("source", source);
            finding.column("title", Some(&f.title), main);
            finding.field("sector", &f.sector, main);
            finding.lines("text", &f.text, main);
            planned.push("finding", Some(finding_id.clone()), finding);

            for m in &self.mapping.measurement_columns {
                if main.cell(row, &m.column).is_empty() {
                    continue;
                }
                let mut measurement = Record::new(main, row);
                measurement.put("finding_id", finding_id.clone());
                measurement.put("quantity", m.quantity.clone());
                measurement.put("unit", m.unit.clone());
                measurement.column("value", Some(&m.column), main);
                planned.push(
                    "measurement",
                    Some(id(&format!("measurement column {}", m.column))),
                    measurement,
                );
            }
            if let Some(m) = &self.mapping.measurements {
                let sheet = subs.repeat(&m.sheet).expect("checked with the mapping");
                for (n, child) in subs.children(sheet, row).enumerate() {
                    let mut measurement = Record::new(sheet, child);
                    measurement.put("finding_id", finding_id.clone());
                    measurement.field("quantity", &m.quantity, sheet);
                    measurement.column("value", Some(&m.value), sheet);
                    measurement.field("unit", &m.unit, sheet);
                    measurement.column("notes", m.notes.as_deref(), sheet);
                    planned.push(
                        "measurement",
                        Some(id(&format!("measurement {} {}", m.sheet, n + 1))),
                        measurement,
                    );
                }
            }
            for column in &self.mapping.photos {
                let file_name = main.cell(row, column);
                if !file_name.is_empty() {
                    planned.photos.push(PhotoRef {
                        sheet: main.name.clone(),
                        row: row.number,
                        column: column.clone(),
                        file_name: file_name.to_string(),
                        caption: None,
                        id: id(&format!("photo {column}")),
                    });
                }
            }
            for p in &self.mapping.repeat_photos {
                let sheet = subs.repeat(&p.sheet).expect("checked with the mapping");
                for (n, child) in subs.children(sheet, row).enumerate() {
                    let file_name = sheet.cell(child, &p.column);
                    if file_name.is_empty() {
                        continue;
                    }
                    let caption = p.caption.as_deref().map(|c| sheet.cell(child, c));
                    planned.photos.push(PhotoRef {
                        sheet: sheet.name.clone(),
                        row: child.number,
                        column: p.column.clone(),
                        file_name: file_name.to_string(),
                        caption: caption.filter(|c| !c.is_empty()).map(str::to_string),
                        id: id(&format!("photo {} {} {}", p.sheet, n + 1, p.column)),
                    });
                }
            }
            planned.finding_id = Some(finding_id);
        }
        if rejections.is_empty() {
            Ok(planned)
        } else {
            Err(rejections)
        }
    }
}

impl Planned {
    fn push(&mut self, kind: &str, id: Option<String>, record: Record<'_>) {
        self.part.changes.push(Change::Create {
            kind: kind.into(),
            id,
            fields: record.fields,
        });
        self.origins.push(record.origin);
    }

    /// Adds a photo's attachment (its fields checked by the store) and content.
    pub fn attach(&mut self, photo: &PhotoRef, mut fields: Map<String, Value>, bytes: Vec<u8>) {
        let finding_id = self.finding_id.clone().expect("photos need a finding");
        fields.insert("finding_id".into(), Value::from(finding_id));
        if let Some(caption) = &photo.caption {
            fields.insert("caption".into(), Value::from(caption.as_str()));
        }
        let mut origin = Origin {
            sheet: photo.sheet.clone(),
            row: photo.row,
            cells: HashMap::new(),
        };
        origin.note("file_name", &photo.column, &photo.file_name);
        self.part.changes.push(Change::Create {
            kind: "attachment".into(),
            id: Some(photo.id.clone()),
            fields,
        });
        self.origins.push(origin);
        self.part.files.push(bytes);
    }
}

/// One record's fields as they are gathered from a row.
struct Record<'r> {
    row: &'r Row,
    fields: Map<String, Value>,
    origin: Origin,
}

impl<'r> Record<'r> {
    fn new(sheet: &Sheet, row: &'r Row) -> Self {
        Record {
            row,
            fields: Map::new(),
            origin: Origin::new(sheet, row),
        }
    }

    fn put(&mut self, field: &'static str, value: String) {
        self.fields.insert(field.into(), Value::from(value));
    }

    /// `field` set to `value`, made from `column`'s `cell`.
    fn put_from(&mut self, field: &'static str, column: &str, cell: &str, value: String) {
        self.put(field, value);
        self.origin.note(field, column, cell);
    }

    /// The field from `column`'s cell, when mapped and not empty.
    fn column(&mut self, field: &'static str, column: Option<&str>, sheet: &Sheet) {
        let Some(column) = column else { return };
        let cell = sheet.cell(self.row, column);
        self.origin.note(field, column, cell);
        if !cell.is_empty() {
            self.put(field, cell.to_string());
        }
    }

    fn field(&mut self, name: &'static str, field: &Field, sheet: &Sheet) {
        match field {
            Field::Column(c) => self.column(name, Some(c), sheet),
            Field::Value(v) => self.put(name, v.clone()),
        }
    }

    /// Several columns as lines of one text field: "column: value" when
    /// there are several, so none is mistaken for another.
    fn lines(&mut self, field: &'static str, columns: &[String], sheet: &Sheet) {
        let filled: Vec<(&str, &str)> = columns
            .iter()
            .map(|c| (c.as_str(), sheet.cell(self.row, c)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let text = match filled.as_slice() {
            [] => return,
            [(_, only)] if columns.len() == 1 => only.to_string(),
            _ => filled
                .iter()
                .map(|(c, v)| format!("{c}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if let Some((first, value)) = filled.first() {
            self.origin.note(field, first, value);
        }
        self.put(field, text);
    }
}

/// A visit's date from a date or a date-time cell (its date as the phone
/// recorded it, before any offset); "" is left to the store to refuse.
fn visit_date(cell: &str) -> Result<String, Reason> {
    if cell.is_empty() {
        return Ok(String::new());
    }
    let date = cell
        .get(..10)
        .filter(|_| cell.len() == 10 || matches!(cell.as_bytes().get(10), Some(b'T' | b' ')));
    match date.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
        Some(Ok(d)) => Ok(d.to_string()),
        _ => Err(Reason::new(
            "not_date",
            format!("'{cell}' is not a date: the export writes dates as YYYY-MM-DD"),
        )),
    }
}

/// Latitude and longitude of an ODK geopoint "lat lon [altitude accuracy]".
fn geopoint(cell: &str) -> Result<Option<(String, String)>, Reason> {
    let parts: Vec<&str> = cell.split_whitespace().collect();
    match parts.as_slice() {
        [] => Ok(None),
        [lat, lon] | [lat, lon, _] | [lat, lon, _, _] => {
            Ok(Some((lat.to_string(), lon.to_string())))
        }
        _ => Err(Reason::new(
            "bad_geopoint",
            format!(
                "'{cell}' is not a geopoint: expected \"latitude longitude altitude accuracy\""
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_of_dates_and_date_times() {
        assert_eq!(visit_date("2024-03-05").unwrap(), "2024-03-05");
        assert_eq!(
            visit_date("2024-03-05T23:30:00.000+07:00").unwrap(),
            "2024-03-05"
        );
        assert_eq!(visit_date("2024-03-05 08:12:44").unwrap(), "2024-03-05");
        assert!(visit_date("05/03/2024").is_err());
        assert!(visit_date("2024-02-30").is_err());
        assert!(visit_date("2024-03-0512").is_err());
    }

    #[test]
    fn geopoints_give_latitude_then_longitude() {
        assert_eq!(
            geopoint("21.028511 105.804817 12.3 4.5").unwrap(),
            Some(("21.028511".into(), "105.804817".into()))
        );
        assert_eq!(geopoint("").unwrap(), None);
        assert!(geopoint("21.0").is_err());
    }
}
