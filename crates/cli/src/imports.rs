//! `fieldbook import kobo|odk FILE`: a KoboToolbox or ODK Central
//! submission export (and its media ZIP) into a study, through a column
//! mapping: a saved one, one from a file, or the one proposed from the
//! headers, printed so an unattended script shows what it did.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use fieldbook_interop::import::{
    import, open_media, propose, propose_with, read_mapping_file, save_mapping, saved_mapping,
    Form, ImportReport, Mapping, Submissions, Tool,
};
use fieldbook_store::{Commit, Store};
use serde_json::json;

use crate::output::Output;

pub fn commands() -> [Command; 1] {
    [Command::new("import")
        .about("Import a KoboToolbox or ODK Central submission export into a study")
        .arg(
            Arg::new("tool")
                .required(true)
                .value_parser(["kobo", "odk"])
                .help("kobo (CSV or XLSX export) or odk (Central's CSV or ZIP)"),
        )
        .arg(
            Arg::new("file")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("The export file: .csv, .xlsx or (ODK Central) .zip"),
        )
        .arg(
            Arg::new("media")
                .long("media")
                .value_parser(value_parser!(PathBuf))
                .help("The media ZIP holding the submissions' photos"),
        )
        .arg(
            Arg::new("study")
                .long("study")
                .required(true)
                .help("Study id"),
        )
        .arg(
            Arg::new("form")
                .long("form")
                .value_parser(value_parser!(PathBuf))
                .help("The form's XLSForm: the proposed mapping follows its question types and labels"),
        )
        .arg(Arg::new("mapping").long("mapping").help(
            "A saved mapping's name, or a JSON mapping file; without it the mapping proposed \
             from the headers is used and printed",
        ))
        .arg(
            Arg::new("save-mapping")
                .long("save-mapping")
                .help("Save the mapping used under this name, for the next export of the form"),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Check every row and report, but keep nothing"),
        )
        .arg(
            Arg::new("rejections")
                .long("rejections")
                .value_parser(value_parser!(PathBuf))
                .help("Write the rejected rows (row, column, reason) to this CSV file"),
        )]
}

pub fn run_import(store: &mut Store, m: &ArgMatches, out: &Output) -> Result<()> {
    let tool: Tool = m
        .get_one::<String>("tool")
        .expect("required")
        .parse()
        .map_err(anyhow::Error::msg)?;
    let file = m.get_one::<PathBuf>("file").expect("required");
    let study = m.get_one::<String>("study").expect("required");
    let mut subs = Submissions::read(tool, file)?;
    let media = m
        .get_one::<PathBuf>("media")
        .map(|p| open_media(p))
        .transpose()?;
    let (mapping, proposed) = match m.get_one::<String>("mapping") {
        Some(given) => (named_mapping(store, given)?, false),
        None => match m.get_one::<PathBuf>("form") {
            Some(form) => (propose_with(&subs, &Form::read(form)?), true),
            None => (propose(&subs), true),
        },
    };
    if proposed && !out.json {
        println!(
            "Mapping proposed from the headers (keep it with --save-mapping NAME, or edit it \
             in a file and pass --mapping FILE):\n{}",
            serde_json::to_string_pretty(&mapping)?
        );
    }
    let commit = if m.get_flag("dry-run") {
        Commit::DryRun
    } else {
        Commit::Keep
    };
    let mut shown = 0;
    let report = import(
        store,
        &mut subs,
        media,
        &mapping,
        study,
        commit,
        |done, total| {
            // A line per tenth, for the person watching a long import.
            let tenth = done * 10 / total.max(1);
            if !out.json && tenth > shown && total >= 1000 {
                shown = tenth;
                let _ = writeln!(std::io::stderr(), "{done} of {total} submissions");
            }
        },
    )
    .with_context(|| format!("cannot import {} into study {study}", file.display()))?;
    if let Some(name) = m.get_one::<String>("save-mapping") {
        save_mapping(store, name, &mapping)?;
    }
    if let Some(path) = m.get_one::<PathBuf>("rejections") {
        let csv = report.rejections_csv()?;
        fieldbook_interop::write_all_whole(&[(path.as_path(), &csv)])
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut value = serde_json::to_value(&report)?;
    value["mapping"] = serde_json::to_value(&mapping)?;
    value["file"] = json!(subs.file_name);
    out.value(&value, |_| summary(&subs.file_name, &report))
}

/// A saved mapping by name, else a mapping file.
fn named_mapping(store: &Store, given: &str) -> Result<Mapping> {
    if let Some(mapping) = saved_mapping(store, given)? {
        return Ok(mapping);
    }
    let path = Path::new(given);
    if !path.is_file() {
        bail!("no saved mapping '{given}' and no such file: save one with --save-mapping, or give a JSON file");
    }
    Ok(read_mapping_file(path)?)
}

fn summary(file: &str, r: &ImportReport) -> String {
    let verb = if r.dry_run {
        "Would import"
    } else {
        "Imported"
    };
    let mut lines = vec![format!(
        "{verb} from {file}: {} visits, {} findings, {} measurements, {} photos; \
         {} of {} submissions already imported, {} rejected",
        r.visits,
        r.findings,
        r.measurements,
        r.photos,
        r.already_imported,
        r.submissions,
        r.rejected.len()
    )];
    lines.extend(r.rejected.iter().map(|x| {
        format!(
            "  {} row {}, column {}: {}",
            x.sheet, x.row, x.column, x.reason
        )
    }));
    lines.join("\n")
}
