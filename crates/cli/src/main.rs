//! `fieldbook`: every non-interactive thing Fieldbook does, from the shell.
//! Errors print one line on stderr and exit non-zero.

mod args;
mod estimates;
mod exports;
mod hub;
mod imports;
mod output;
mod records;
mod reports;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::ArgMatches;
use fieldbook_core::catalogue::TechnologyCatalogue;
use fieldbook_core::units::UnitCatalogue;
use fieldbook_store::{SampleOutcome, Store};
use serde_json::json;

use output::Output;

fn main() -> ExitCode {
    let matches = args::command().get_matches();
    let out = Output {
        json: matches.get_flag("json"),
    };
    match run(&matches, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line: "cannot read x.json: No such file".
/// A cause already spelled out by the message before it is not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|prev| prev.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn open(matches: &ArgMatches) -> Result<Store> {
    let path = matches
        .get_one::<PathBuf>("db")
        .cloned()
        .unwrap_or_else(fieldbook_store::default_db_path);
    Store::open(&path).with_context(|| format!("cannot open {}", path.display()))
}

fn run(matches: &ArgMatches, out: &Output) -> Result<()> {
    let (name, sub) = matches.subcommand().expect("clap requires a subcommand");
    match name {
        "init" => {
            let store = open(matches)?;
            out.value(
                &json!({"db": store.path().display().to_string(), "device_id": store.device_id(),
                        "schema_version": store.schema_version()?}),
                |v| {
                    format!(
                        "Fieldbook database ready at {}",
                        v["db"].as_str().unwrap_or_default()
                    )
                },
            )
        }
        "sample" => {
            let mut store = open(matches)?;
            let outcome = store.load_samples()?;
            out.value(&serde_json::to_value(&outcome)?, |_| match outcome {
                SampleOutcome::Loaded { records } => format!("Loaded {records} sample records"),
                SampleOutcome::AlreadyLoaded => "Sample data is already loaded".into(),
            })
        }
        "search" => {
            let store = open(matches)?;
            let text = sub.get_one::<String>("text").expect("required");
            let limit = *sub.get_one::<usize>("limit").expect("defaulted");
            out.hits(&store.search(text, limit)?)
        }
        "dump" => {
            // Always JSON: it is what replicas are compared by.
            print!("{}", open(matches)?.dump()?);
            Ok(())
        }
        "trash" => out.records(&open(matches)?.trash()?),
        "undo" | "redo" => {
            let mut store = open(matches)?;
            let (done, verb, none) = match name {
                "undo" => (store.undo()?, "Undid", "Nothing to undo"),
                _ => (store.redo()?, "Redid", "Nothing to redo"),
            };
            out.value(&serde_json::to_value(&done)?, |_| match &done {
                Some(u) => output::undo_outcome(verb, u),
                None => none.into(),
            })
        }
        "units" => out.value(&serde_json::to_value(UnitCatalogue::shipped())?, |_| {
            output::units_table(UnitCatalogue::shipped())
        }),
        "convert" => {
            let arg = |name: &str| sub.get_one::<String>(name).expect("required").as_str();
            let value = fieldbook_core::validate::parse_decimal(arg("value"))
                .with_context(|| format!("'{}' is not a number", arg("value")))?;
            let result = UnitCatalogue::shipped().convert(value, arg("from"), arg("to"))?;
            out.value(
                &json!({"value": value.to_string(), "from": arg("from"), "to": arg("to"),
                        "result": result.to_string()}),
                |_| format!("{value} {} = {result} {}", arg("from"), arg("to")),
            )
        }
        "technologies" => {
            let cat = TechnologyCatalogue::shipped();
            out.value(&serde_json::to_value(&cat.technologies)?, |_| {
                cat.technologies
                    .iter()
                    .map(|t| format!("{:<20} {} ({})", t.code, t.name_en, t.methodology))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        "estimate"
            if sub
                .subcommand_name()
                .is_some_and(|c| estimates::CALCULATIONS.contains(&c)) =>
        {
            estimates::run_estimate(sub, out, || open(matches))
        }
        "credits" => estimates::run_credits(sub, out),
        "conflicts" => sync::run_conflicts(&mut open(matches)?, sub, out),
        "history" => sync::run_history(&open(matches)?, sub, out),
        "team" => sync::run_team(&open(matches)?, sub, out),
        "hub" => hub::run_hub(sub, out, || open(matches)),
        "sync" => hub::run_sync(&mut open(matches)?, sub, out),
        "bundle" => sync::run_bundle(&mut open(matches)?, sub, out),
        "methodology" => estimates::run_methodology(sub, out),
        "funds" => estimates::run_funds(sub, out),
        "advise" => estimates::run_advise(&open(matches)?, sub, out),
        "report" => reports::run_report(&open(matches)?, sub, out),
        "export" => exports::run_export(&open(matches)?, sub, out),
        "import" => imports::run_import(&mut open(matches)?, sub, out),
        kind => records::run(&mut open(matches)?, kind, sub, out),
    }
}
