//! The mapping Fieldbook proposes for an export it has not seen: columns
//! are matched by their name (the field name, or its label in a labelled
//! export, in the languages the teams use) and by what their first values
//! look like. Every question column the proposal does not place elsewhere
//! goes into the finding's text (or the visit's notes), so nothing asked in
//! the field is dropped unless the user drops it.

use fieldbook_core::kinds::SECTORS;

use super::form::Form;
use super::mapping::{
    Field, FindingMapping, Location, Mapping, RepeatMeasurements, RepeatPhotos, VisitMapping,
};
use super::sheet::Sheet;
use super::submissions::{Submissions, Tool};

const DATE: &[&str] = &[
    "visit_date",
    "survey_date",
    "date",
    "today",
    "日付",
    "訪問日",
    "調査日",
    "ngày",
    "ngay",
    "tanggal",
    "วันที่",
];
const DATE_FALLBACK: &[&str] = &["start", "end", "_submission_time", "SubmissionDate"];
const PLACE: &[&str] = &[
    "site_name",
    "facility_name",
    "place",
    "site",
    "facility",
    "location_name",
    "name",
    "場所",
    "施設名",
    "地点",
    "địa điểm",
    "tên cơ sở",
    "lokasi",
    "สถานที่",
];
const PARTICIPANTS: &[&str] = &[
    "participants",
    "enumerator",
    "surveyor",
    "interviewer",
    "参加者",
    "調査員",
    "người tham gia",
];
const TITLE: &[&str] = &[
    "title",
    "finding_title",
    "finding",
    "issue_title",
    "observation",
    "件名",
    "タイトル",
    "所見",
    "tiêu đề",
    "judul",
    "หัวข้อ",
];
const SECTOR: &[&str] = &["sector", "category", "分野", "lĩnh vực", "sektor"];
const QUANTITY: &[&str] = &[
    "quantity",
    "item",
    "parameter",
    "measure",
    "項目",
    "đại lượng",
];
const VALUE: &[&str] = &[
    "value",
    "amount",
    "reading",
    "値",
    "数値",
    "giá trị",
    "nilai",
];
const UNIT: &[&str] = &["unit", "units", "単位", "đơn vị", "satuan"];
const NOTES: &[&str] = &[
    "notes", "note", "remarks", "comment", "備考", "ghi chú", "catatan",
];
/// XLSForm's metadata questions: the phone's, not the respondent's answers.
const DEVICE_METADATA: &[&str] = &[
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "simserial",
    "subscriberid",
    "audit",
    "instanceID",
];
const CAPTION: &[&str] = &[
    "caption",
    "photo_caption",
    "description",
    "label",
    "説明",
    "chú thích",
    "keterangan",
    "คำอธิบาย",
];
const IMAGE_EXTENSIONS: &[&str] = &[".jpg", ".jpeg", ".png", ".webp", ".heic", ".gif"];

/// Proposes a mapping for `subs`, from its columns alone.
pub fn propose(subs: &Submissions) -> Mapping {
    propose_with(subs, &Form::default())
}

/// Proposes a mapping for `subs`, trusting what `form` (the XLSForm the
/// answers were collected with) says each question is.
pub fn propose_with(subs: &Submissions, form: &Form) -> Mapping {
    let main = &subs.main;
    let questions: Vec<&str> = main
        .headers
        .iter()
        .map(String::as_str)
        .filter(|h| !subs.tool.is_metadata(h) && !h.is_empty())
        .collect();
    let location = questions
        .iter()
        .find(|c| form.is(c, "geopoint") && subs.tool == Tool::Kobo)
        .map(|c| Location::Geopoint(c.to_string()))
        .or_else(|| take_location(form, subs, &questions));
    let photos: Vec<String> = questions
        .iter()
        .filter(|c| form.is(c, "image") || looks_like_photos(main, c))
        .map(|c| c.to_string())
        .collect();
    let mut used: Vec<String> = photos.clone();
    match &location {
        Some(Location::Geopoint(c)) => used.push(c.clone()),
        Some(Location::Split {
            latitude,
            longitude,
        }) => used.extend([latitude.clone(), longitude.clone()]),
        None => {}
    }
    let mut take = |column: Option<&str>| -> Option<String> {
        let column = column?.to_string();
        used.push(column.clone());
        Some(column)
    };
    // A date question's name is trusted when most of its values are dates
    // (the others are then reported); any column is, when all are.
    let date = named(form, &questions, DATE)
        .filter(|c| share_of_dates(main, c) >= 0.5 || form.is(c, "date"))
        .or_else(|| questions.iter().copied().find(|c| form.is(c, "date")))
        .or_else(|| {
            questions
                .iter()
                .copied()
                .find(|c| share_of_dates(main, c) == 1.0)
        })
        .or_else(|| {
            DATE_FALLBACK
                .iter()
                .copied()
                .find(|c| main.column(c).is_some())
        })
        .unwrap_or("");
    let date = take(Some(date)).unwrap_or_default();
    let place = take(named(form, &questions, PLACE));
    let participants = take(named(form, &questions, PARTICIPANTS));
    let title = take(named(form, &questions, TITLE));
    let sector = named(form, &questions, SECTOR)
        .filter(|c| holds_sectors(main, c))
        .or_else(|| {
            questions.iter().copied().find(|c| {
                let choices = form.choices(c);
                !choices.is_empty() && choices.iter().all(|o| SECTORS.contains(&o.as_str()))
            })
        });
    let sector = match take(sector) {
        Some(c) => Field::Column(c),
        None => Field::Value("other".into()),
    };
    let measurements = subs
        .repeats
        .iter()
        .find_map(|s| repeat_measurements(form, s));
    let repeat_photos: Vec<RepeatPhotos> = subs
        .repeats
        .iter()
        .flat_map(|sheet| repeat_photos(form, sheet))
        .collect();

    // The rest of the questions, minus the parts other columns already hold.
    let rest: Vec<String> = questions
        .iter()
        .filter(|c| !used.iter().any(|u| u == *c))
        .filter(|c| !is_part_of_another(subs.tool, &main.headers, c))
        .filter(|c| !DATE_FALLBACK.contains(c) && !DEVICE_METADATA.contains(&leaf(c)))
        .map(|c| c.to_string())
        .collect();
    let (finding, notes) = match title {
        Some(title) => (
            Some(FindingMapping {
                title,
                sector,
                text: rest,
            }),
            Vec::new(),
        ),
        None => (None, rest),
    };
    let has_finding = finding.is_some();
    Mapping {
        visit: VisitMapping {
            date,
            place,
            location,
            participants,
            notes,
        },
        finding,
        photos: if has_finding { photos } else { Vec::new() },
        repeat_photos: if has_finding {
            repeat_photos
        } else {
            Vec::new()
        },
        measurements: measurements.filter(|_| has_finding),
        measurement_columns: Vec::new(),
    }
}

/// The last part of a column's group path (`site/site_name` → `site_name`).
fn leaf(column: &str) -> &str {
    column.rsplit(['/', '-']).next().unwrap_or(column)
}

/// The first column whose name (or its last path part, or the name of the
/// question it is the label of) is one of `names`, trying the names in order.
fn named<'c>(form: &Form, columns: &[&'c str], names: &[&str]) -> Option<&'c str> {
    names.iter().find_map(|n| {
        columns.iter().copied().find(|c| {
            leaf(c).eq_ignore_ascii_case(n)
                || c.eq_ignore_ascii_case(n)
                || form.name_of(c).is_some_and(|q| q.eq_ignore_ascii_case(n))
        })
    })
}

fn take_location(form: &Form, subs: &Submissions, questions: &[&str]) -> Option<Location> {
    let headers = &subs.main.headers;
    match subs.tool {
        // Kobo: the geopoint column, followed by `_<name>_latitude`.
        Tool::Kobo => questions
            .iter()
            .find(|c| {
                let (prefix, name) = split_leaf(c);
                headers
                    .iter()
                    .any(|h| *h == format!("{prefix}_{name}_latitude"))
            })
            .map(|c| Location::Geopoint(c.to_string())),
        // Central: four columns `<path>-Latitude`, `-Longitude`, …
        Tool::Odk => headers
            .iter()
            .find_map(|h| h.strip_suffix("-Latitude"))
            .map(|path| Location::Split {
                latitude: format!("{path}-Latitude"),
                longitude: format!("{path}-Longitude"),
            }),
    }
    .or_else(|| {
        let lat = named(form, questions, &["latitude", "lat"])?;
        let lon = named(form, questions, &["longitude", "lon", "lng"])?;
        Some(Location::Split {
            latitude: lat.into(),
            longitude: lon.into(),
        })
    })
}

/// `site/geo` → (`site/`, `geo`).
fn split_leaf(column: &str) -> (&str, &str) {
    let name = leaf(column);
    (&column[..column.len() - name.len()], name)
}

/// Columns that repeat another's content: a select-multiple's one column
/// per choice (`issues/leak`), a geopoint's parts.
fn is_part_of_another(tool: Tool, headers: &[String], column: &str) -> bool {
    let parent_is_column = column
        .rsplit_once('/')
        .is_some_and(|(parent, _)| headers.iter().any(|h| h == parent));
    let geopoint_part = match tool {
        Tool::Kobo => {
            let name = leaf(column);
            name.starts_with('_')
                && ["_latitude", "_longitude", "_altitude", "_precision"]
                    .iter()
                    .any(|s| name.ends_with(s))
        }
        Tool::Odk => ["-Latitude", "-Longitude", "-Altitude", "-Accuracy"]
            .iter()
            .any(|s| column.ends_with(s)),
    };
    parent_is_column || geopoint_part
}

fn samples<'s>(sheet: &'s Sheet, column: &str) -> Vec<&'s str> {
    sheet
        .column(column)
        .map(|c| sheet.samples(c, 20))
        .unwrap_or_default()
}

/// The share of a column's first values that are dates (0 when it has none).
fn share_of_dates(sheet: &Sheet, column: &str) -> f64 {
    let values = samples(sheet, column);
    let dates = values
        .iter()
        .filter(|v| v.len() == 10 && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok())
        .count();
    dates as f64 / values.len().max(1) as f64
}

fn holds_sectors(sheet: &Sheet, column: &str) -> bool {
    let values = samples(sheet, column);
    !values.is_empty() && values.iter().all(|v| SECTORS.contains(v))
}

fn looks_like_photos(sheet: &Sheet, column: &str) -> bool {
    let values = samples(sheet, column);
    !values.is_empty()
        && values.iter().all(|v| {
            let v = v.to_ascii_lowercase();
            !v.contains('/') && IMAGE_EXTENSIONS.iter().any(|e| v.ends_with(e))
        })
}

fn repeat_measurements(form: &Form, sheet: &Sheet) -> Option<RepeatMeasurements> {
    let columns: Vec<&str> = sheet.headers.iter().map(String::as_str).collect();
    Some(RepeatMeasurements {
        sheet: sheet.name.clone(),
        quantity: Field::Column(named(form, &columns, QUANTITY)?.into()),
        value: named(form, &columns, VALUE)?.into(),
        unit: Field::Column(named(form, &columns, UNIT)?.into()),
        notes: named(form, &columns, NOTES).map(str::to_string),
    })
}

/// A repeat group's photo columns, each with a caption column when one is
/// named like one.
fn repeat_photos(form: &Form, sheet: &Sheet) -> Vec<RepeatPhotos> {
    let columns: Vec<&str> = sheet.headers.iter().map(String::as_str).collect();
    let caption = named(form, &columns, CAPTION).map(str::to_string);
    columns
        .iter()
        .filter(|c| form.is(c, "image") || looks_like_photos(sheet, c))
        .map(|c| RepeatPhotos {
            sheet: sheet.name.clone(),
            column: c.to_string(),
            caption: caption.clone(),
        })
        .collect()
}
