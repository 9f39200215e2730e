//! A study's site visits as map layers: GeoJSON (RFC 7946: WGS 84, longitude
//! first) for QGIS, KML for Google Earth. Each visit is a point with its key
//! fields and the titles of its findings; visits without both coordinates
//! are left out and counted.

use std::path::Path;

use fieldbook_store::{ListQuery, Record, Store};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use serde_json::{json, Map, Value};

use crate::{file, live_study, Lang, Result};

/// The visit fields each feature carries, besides its id and findings.
const KEY_FIELDS: &[&str] = &["date", "place", "participants", "notes"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GeoSummary {
    pub features: usize,
    /// Visits left out because they lack a latitude or a longitude.
    pub without_coordinates: usize,
}

struct Site {
    visit: Record,
    lon: f64,
    lat: f64,
    findings: Vec<String>,
}

struct Sites {
    study: Record,
    sites: Vec<Site>,
    without_coordinates: usize,
}

impl Sites {
    fn summary(&self) -> GeoSummary {
        GeoSummary {
            features: self.sites.len(),
            without_coordinates: self.without_coordinates,
        }
    }
}

fn coordinate(r: &Record, field: &str) -> Option<f64> {
    r.fields.get(field)?.as_str()?.parse().ok()
}

fn text<'a>(r: &'a Record, field: &str) -> Option<&'a str> {
    r.fields.get(field).and_then(Value::as_str)
}

fn sites(store: &Store, study_id: &str) -> Result<Sites> {
    let study = live_study(store, study_id)?;
    let in_study = ListQuery {
        parent_id: Some(study.id.clone()),
        ..ListQuery::default()
    };
    let findings = store.list("finding", &in_study)?;
    let mut sites = Vec::new();
    let mut without_coordinates = 0;
    for visit in store.list("visit", &in_study)? {
        let (Some(lat), Some(lon)) = (
            coordinate(&visit, "latitude"),
            coordinate(&visit, "longitude"),
        ) else {
            without_coordinates += 1;
            continue;
        };
        let findings = findings
            .iter()
            .filter(|f| text(f, "visit_id") == Some(visit.id.as_str()))
            .map(|f| f.title.clone())
            .collect();
        sites.push(Site {
            visit,
            lon,
            lat,
            findings,
        });
    }
    Ok(Sites {
        study,
        sites,
        without_coordinates,
    })
}

/// The visits of `study_id` as a GeoJSON FeatureCollection.
pub fn geojson(store: &Store, study_id: &str) -> Result<(Vec<u8>, GeoSummary)> {
    let s = sites(store, study_id)?;
    let features: Vec<Value> = s
        .sites
        .iter()
        .map(|site| {
            let mut props = Map::new();
            props.insert("id".into(), site.visit.id.clone().into());
            props.insert("title".into(), site.visit.title.clone().into());
            for f in KEY_FIELDS {
                props.insert(
                    (*f).into(),
                    site.visit.fields.get(*f).cloned().unwrap_or(Value::Null),
                );
            }
            props.insert("findings".into(), json!(site.findings));
            json!({
                "type": "Feature",
                "id": site.visit.id,
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": props,
            })
        })
        .collect();
    let collection = json!({
        "type": "FeatureCollection",
        "name": s.study.title,
        "features": features,
    });
    let bytes = serde_json::to_vec_pretty(&collection).expect("JSON values serialise");
    Ok((bytes, s.summary()))
}

/// The visits of `study_id` as a KML document; field names in `lang`.
pub fn kml(store: &Store, study_id: &str, lang: Lang) -> Result<(Vec<u8>, GeoSummary)> {
    let s = sites(store, study_id)?;
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("kml")
        .with_attribute(("xmlns", "http://www.opengis.net/kml/2.2"))
        .write_inner_content(|w| {
            w.create_element("Document").write_inner_content(|w| {
                w.create_element("name")
                    .write_text_content(BytesText::new(&s.study.title))?;
                for site in &s.sites {
                    placemark(w, site, lang)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok((w.into_inner(), s.summary()))
}

fn placemark(w: &mut Writer<Vec<u8>>, site: &Site, lang: Lang) -> std::io::Result<()> {
    w.create_element("Placemark")
        .with_attribute(("id", site.visit.id.as_str()))
        .write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(&site.visit.title))?;
            let findings = site.findings.join("\n");
            let values = KEY_FIELDS
                .iter()
                .map(|f| {
                    (
                        *f,
                        lang.field("visit", f),
                        text(&site.visit, f).unwrap_or_default(),
                    )
                })
                .chain([("findings", lang.label("findings", &[]), findings.as_str())]);
            w.create_element("ExtendedData").write_inner_content(|w| {
                data(w, "id", &lang.label("id", &[]), &site.visit.id)?;
                for (name, label, value) in values {
                    data(w, name, &label, value)?;
                }
                Ok(())
            })?;
            w.create_element("Point").write_inner_content(|w| {
                // KML is longitude,latitude[,altitude] like GeoJSON.
                w.create_element("coordinates")
                    .write_text_content(BytesText::new(&format!("{},{}", site.lon, site.lat)))?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn data(w: &mut Writer<Vec<u8>>, name: &str, label: &str, value: &str) -> std::io::Result<()> {
    w.create_element("Data")
        .with_attribute(("name", name))
        .write_inner_content(|w| {
            w.create_element("displayName")
                .write_text_content(BytesText::new(label))?;
            w.create_element("value")
                .write_text_content(BytesText::new(value))?;
            Ok(())
        })?;
    Ok(())
}

/// Writes the GeoJSON of `study_id` to `path`, whole or not at all.
pub fn export_geojson(store: &Store, study_id: &str, path: &Path) -> Result<GeoSummary> {
    let (bytes, summary) = geojson(store, study_id)?;
    file::write_all_whole(&[(path, &bytes)])?;
    Ok(summary)
}

/// Writes the KML of `study_id` to `path`, whole or not at all.
pub fn export_kml(store: &Store, study_id: &str, path: &Path, lang: Lang) -> Result<GeoSummary> {
    let (bytes, summary) = kml(store, study_id, lang)?;
    file::write_all_whole(&[(path, &bytes)])?;
    Ok(summary)
}
