//! Which columns of a survey export become which fields. A submission
//! becomes one visit, and (when a title column is mapped) one finding of
//! that visit with its measurements and photos. The user confirms the
//! mapping Fieldbook proposes, may change it, and saves it by name for the
//! next export of the same form.

use serde::{Deserialize, Serialize};

use super::submissions::Submissions;
use super::ImportError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub visit: VisitMapping,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingMapping>,
    /// Columns holding a photo's file name (in the media ZIP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
    /// Photos from repeat groups: one per row of the sheet that names a file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeat_photos: Vec<RepeatPhotos>,
    /// Measurements from a repeat group: one per row of its sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurements: Option<RepeatMeasurements>,
    /// Measurements from single columns of the submission, with a fixed
    /// quantity and unit ("electricity_kwh" → electricity, kWh).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurement_columns: Vec<ColumnMeasurement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitMapping {
    /// A date, or a date and time (its date is taken).
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<String>,
    /// Columns written into the visit's notes, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Location {
    /// One column "latitude longitude altitude accuracy", as ODK writes a geopoint.
    Geopoint(String),
    /// Latitude and longitude in columns of their own.
    Split { latitude: String, longitude: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingMapping {
    pub title: String,
    pub sector: Field,
    /// Columns written into the finding's text, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatMeasurements {
    /// The repeat group's sheet (XLSX) or file (ODK's CSV ZIP).
    pub sheet: String,
    pub quantity: Field,
    pub value: String,
    pub unit: Field,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatPhotos {
    /// The repeat group's sheet (XLSX) or file (ODK's CSV ZIP).
    pub sheet: String,
    /// The column holding the photo's file name.
    pub column: String,
    /// A column whose text becomes the photo's caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMeasurement {
    pub column: String,
    pub quantity: String,
    pub unit: String,
}

/// A field's value: from a column, or the same for every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Column(String),
    Value(String),
}

impl Mapping {
    /// Checks that every column the mapping names is in the export, and
    /// that measurements and photos have a finding to belong to.
    pub fn check(&self, subs: &Submissions) -> Result<(), ImportError> {
        let main = &subs.main;
        let mut missing: Vec<String> = self
            .main_columns()
            .filter(|c| main.column(c).is_none())
            .map(|c| format!("'{c}'"))
            .collect();
        let repeats = self
            .measurements
            .iter()
            .map(|m| (m.sheet.as_str(), m.columns().collect::<Vec<_>>()))
            .chain(self.repeat_photos.iter().map(|p| {
                let columns = std::iter::once(p.column.as_str()).chain(p.caption.as_deref());
                (p.sheet.as_str(), columns.collect())
            }));
        for (name, columns) in repeats {
            match subs.repeat(name) {
                None => missing.push(format!("the repeat sheet '{name}'")),
                Some(sheet) => missing.extend(
                    columns
                        .into_iter()
                        .filter(|c| sheet.column(c).is_none())
                        .map(|c| format!("'{c}' (in {name})")),
                ),
            }
        }
        if !missing.is_empty() {
            return Err(ImportError::Mapping(format!(
                "the export has no {}: is it an export of the form this mapping was made for?",
                missing.join(", ")
            )));
        }
        let needs_finding = !self.photos.is_empty()
            || !self.repeat_photos.is_empty()
            || self.measurements.is_some()
            || !self.measurement_columns.is_empty();
        if needs_finding && self.finding.is_none() {
            return Err(ImportError::Mapping(
                "photos and measurements belong to a finding: map a column to the finding's title"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The submission sheet's columns this mapping reads.
    fn main_columns(&self) -> impl Iterator<Item = &str> {
        let v = &self.visit;
        let location: Vec<&str> = match &v.location {
            Some(Location::Geopoint(c)) => vec![c],
            Some(Location::Split {
                latitude,
                longitude,
            }) => vec![latitude, longitude],
            None => vec![],
        };
        let finding: Vec<&str> = self
            .finding
            .iter()
            .flat_map(|f| {
                std::iter::once(f.title.as_str())
                    .chain(f.sector.column())
                    .chain(f.text.iter().map(String::as_str))
            })
            .collect();
        std::iter::once(v.date.as_str())
            .chain(v.place.as_deref())
            .chain(location)
            .chain(v.participants.as_deref())
            .chain(v.notes.iter().map(String::as_str))
            .chain(finding)
            .chain(self.photos.iter().map(String::as_str))
            .chain(self.measurement_columns.iter().map(|m| m.column.as_str()))
    }
}

impl RepeatMeasurements {
    fn columns(&self) -> impl Iterator<Item = &str> {
        self.quantity
            .column()
            .into_iter()
            .chain(Some(self.value.as_str()))
            .chain(self.unit.column())
            .chain(self.notes.as_deref())
    }
}

impl Field {
    pub fn column(&self) -> Option<&str> {
        match self {
            Field::Column(c) => Some(c),
            Field::Value(_) => None,
        }
    }
}
