//! `fieldbook report …`: the printed PDFs. The file appears whole or not
//! at all: written to a temporary file beside it, then renamed.

use anyhow::{Context, Result};
use clap::{value_parser, Arg, ArgMatches, Command};
use fieldbook_report::{Lang, Options, PaperSize, Request};
use fieldbook_store::Store;
use serde_json::json;

use crate::output::Output;

pub fn commands() -> [Command; 1] {
    let common = |c: Command| {
        c.arg(Arg::new("lang").long("lang").default_value("en").help(
            "Document language(s), one or two: en, ja, vi, id, mn, th, km, lo, my (e.g. en,ja)",
        ))
        .arg(
            Arg::new("paper")
                .long("paper")
                .default_value("a4")
                .help("Paper size: a4 or letter"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .required(true)
                .value_parser(value_parser!(std::path::PathBuf))
                .help("The PDF to write"),
        )
    };
    [Command::new("report")
        .about("Print a study's reports as PDF")
        .subcommand_required(true)
        .subcommand(common(
            Command::new("brief")
                .about("The partner-meeting brief of a study")
                .arg(
                    Arg::new("study")
                        .long("study")
                        .required(true)
                        .help("Study id"),
                ),
        ))
        .subcommand(common(
            Command::new("visit")
                .about("The site survey record of one visit, or of every visit of a study")
                .arg(Arg::new("visit").long("visit").help("Visit id"))
                .arg(
                    Arg::new("study")
                        .long("study")
                        .help("Study id: every visit, each from a new page"),
                )
                .group(
                    clap::ArgGroup::new("which")
                        .args(["visit", "study"])
                        .required(true),
                ),
        ))
        .subcommand(common(
            Command::new("estimate")
                .about("The estimate sheet: one estimate with its whole working")
                .arg(
                    Arg::new("estimate")
                        .long("estimate")
                        .required(true)
                        .help("Estimate id"),
                ),
        ))]
}

fn options(m: &ArgMatches) -> Result<Options> {
    let langs: Vec<Lang> = m
        .get_one::<String>("lang")
        .expect("defaulted")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        (1..=2).contains(&langs.len()),
        "--lang takes one or two document languages, not {}",
        langs.len()
    );
    let paper: PaperSize = m
        .get_one::<String>("paper")
        .expect("defaulted")
        .parse()
        .map_err(anyhow::Error::msg)?;
    Ok(Options {
        langs,
        paper,
        printed_on: chrono::Local::now().date_naive(),
    })
}

pub fn run_report(store: &Store, m: &ArgMatches, out: &Output) -> Result<()> {
    let (name, sub) = m.subcommand().expect("clap requires a subcommand");
    let o = options(sub)?;
    let path = sub.get_one::<std::path::PathBuf>("out").expect("required");
    let id = |arg: &str| sub.get_one::<String>(arg).cloned();
    let request = match name {
        "brief" => Request::Brief {
            study_id: id("study").expect("required"),
        },
        "visit" => match (id("visit"), id("study")) {
            (Some(visit_id), _) => Request::Visit { visit_id },
            (None, Some(study_id)) => Request::Visits { study_id },
            (None, None) => unreachable!("clap requires one"),
        },
        "estimate" => Request::Estimate {
            estimate_id: id("estimate").expect("required"),
        },
        other => unreachable!("clap knows no report '{other}'"),
    };
    let printed = request.print(store, &o)?;
    printed
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let bytes = printed.bytes;
    out.value(
        &json!({"out": path.display().to_string(), "bytes": bytes.len()}),
        |_| {
            format!(
                "Wrote {} ({} KB)",
                path.display(),
                bytes.len().div_ceil(1024)
            )
        },
    )
}
