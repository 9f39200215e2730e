//! `fieldbook export xlsx|csv|geojson|kml`: a study in the formats Excel,
//! QGIS and Google Earth open. Files appear whole or not at all.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use fieldbook_interop::csv::{export_csv, CsvOptions};
use fieldbook_interop::geo::{export_geojson, export_kml, GeoSummary};
use fieldbook_interop::xlsx::{export_xlsx, XlsxOptions};
use fieldbook_interop::{Format, Lang};
use fieldbook_store::Store;
use serde_json::json;

use crate::output::Output;

pub fn commands() -> [Command; 1] {
    [Command::new("export")
        .about("Export a study: xlsx (workbook), csv (a folder), geojson or kml (site visits)")
        .arg(
            Arg::new("format")
                .required(true)
                .value_parser(["xlsx", "csv", "geojson", "kml"])
                .help("xlsx, csv, geojson or kml"),
        )
        .arg(
            Arg::new("study")
                .long("study")
                .required(true)
                .help("Study id"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The file to write (for csv: the folder)"),
        )
        .arg(
            Arg::new("lang")
                .long("lang")
                .default_value("en")
                .help("Language of the headers: en or ja"),
        )
        .arg(
            Arg::new("no-bom")
                .long("no-bom")
                .action(ArgAction::SetTrue)
                .help("CSV without the UTF-8 byte order mark (for tools that choke on it)"),
        )]
}

pub fn run_export(store: &Store, m: &ArgMatches, out: &Output) -> Result<()> {
    let arg = |name: &str| m.get_one::<String>(name).expect("required or defaulted");
    let format: Format = arg("format").parse().map_err(anyhow::Error::msg)?;
    let lang: Lang = arg("lang").parse().map_err(anyhow::Error::msg)?;
    let study = arg("study");
    let path = m.get_one::<PathBuf>("out").expect("required");
    let shown = path.display().to_string();
    let context = || format!("cannot export study {study} to {shown}");
    let geo = |s: GeoSummary| {
        out.value(
            &json!({"out": shown, "features": s.features,
                    "without_coordinates": s.without_coordinates}),
            |_| {
                format!(
                    "Wrote {shown}: {} visits ({} without coordinates left out)",
                    s.features, s.without_coordinates
                )
            },
        )
    };
    match format {
        Format::Xlsx => {
            let o = XlsxOptions {
                lang,
                today: chrono::Local::now().date_naive(),
            };
            let s = export_xlsx(store, study, path, &o).with_context(context)?;
            out.value(
                &json!({"out": shown, "sheets": s.sheets, "truncated_cells": s.truncated_cells}),
                |_| format!("Wrote {shown}: {} sheets", s.sheets.len()),
            )
        }
        Format::Csv => {
            let o = CsvOptions {
                lang,
                bom: !m.get_flag("no-bom"),
            };
            let s = export_csv(store, study, path, &o).with_context(context)?;
            out.value(&json!({"out": shown, "files": s.files}), |_| {
                format!("Wrote {} CSV files into {shown}", s.files.len())
            })
        }
        Format::GeoJson => geo(export_geojson(store, study, path).with_context(context)?),
        Format::Kml => geo(export_kml(store, study, path, lang).with_context(context)?),
    }
}
