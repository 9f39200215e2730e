//! The command line, built from the kinds registry: every record kind gets
//! add/list/show/edit/rm/restore, with one `--field` flag per field.

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgAction, Command};
use fieldbook_core::kinds::{FieldSpec, FieldType, KindSpec, KINDS};

pub fn command() -> Command {
    let mut cmd = Command::new("fieldbook")
        .about("Fieldbook: offline field records for city-to-city zero-carbon studies")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("db")
                .long("db")
                .global(true)
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help("Database file (default: $FIELDBOOK_DB, else the app's data directory)"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print JSON instead of text"),
        )
        .subcommand(Command::new("init").about("Create (or migrate) the database"))
        .subcommand(
            Command::new("sample")
                .about("Sample data from the programme guidebook")
                .subcommand_required(true)
                .subcommand(Command::new("load").about("Load the sample studies and directory")),
        )
        .subcommand(
            Command::new("search")
                .about("Search findings, needs, notes and names")
                .arg(Arg::new("text").required(true))
                .arg(
                    Arg::new("limit")
                        .long("limit")
                        .default_value("20")
                        .value_parser(value_parser!(usize)),
                ),
        )
        .subcommand(Command::new("dump").about("The whole content as canonical JSON"))
        .subcommand(Command::new("trash").about("List what is in the Trash"))
        .subcommand(Command::new("undo").about("Undo the last action made on this device"))
        .subcommand(Command::new("redo").about("Redo the last undo made on this device"))
        .subcommand(Command::new("units").about("List the unit catalogue"))
        .subcommand(
            Command::new("convert")
                .about("Convert a value between units of one dimension: convert 75 kW MW")
                .arg(Arg::new("value").required(true).allow_hyphen_values(true))
                .arg(Arg::new("from").required(true))
                .arg(Arg::new("to").required(true)),
        )
        .subcommand(Command::new("technologies").about("List the technology catalogue"));
    for kind in KINDS {
        cmd = cmd.subcommand(kind_command(kind));
    }
    cmd.subcommands(crate::estimates::commands())
        .subcommands(crate::sync::commands())
        .subcommands(crate::sync::team_and_bundle_commands())
        .subcommands(crate::reports::commands())
        .subcommands(crate::exports::commands())
        .subcommands(crate::imports::commands())
        .subcommands(crate::hub::commands())
}

fn id_arg() -> Arg {
    Arg::new("id")
        .required(true)
        .help("Record id (see the list command)")
}

fn from_arg() -> Arg {
    Arg::new("from")
        .long("from")
        .value_name("FILE.json")
        .value_parser(value_parser!(PathBuf))
        .help("Read fields from a JSON object (flags override it)")
}

fn kind_command(kind: &'static KindSpec) -> Command {
    let mut add = Command::new("add")
        .about(format!("Add a {}", kind.name))
        .arg(from_arg());
    let mut edit = Command::new("edit")
        .about(format!("Change fields of a {}", kind.name))
        .arg(id_arg())
        .arg(from_arg());
    for field in kind.fields {
        add = add.arg(field_arg(field));
        edit = edit.arg(field_arg(field));
    }
    let mut list = Command::new("list")
        .about(format!("List {} records", kind.name))
        .arg(
            Arg::new("trash")
                .long("trash")
                .action(ArgAction::SetTrue)
                .help("List the ones in the Trash"),
        );
    if let Some(parent) = kind.parent {
        list = list.arg(
            Arg::new("parent")
                .long(flag_name(parent))
                .value_name("ID")
                .help(format!(
                    "Only those of this {}",
                    parent.trim_end_matches("_id")
                )),
        );
    }
    let mut cmd = Command::new(kind.name)
        .about(format!("Manage {} records", kind.name))
        .subcommand_required(true)
        .subcommand(add)
        .subcommand(list)
        .subcommand(Command::new("show").about("Show one record").arg(id_arg()))
        .subcommand(edit)
        .subcommand(Command::new("rm").about("Move to the Trash").arg(id_arg()))
        .subcommand(
            Command::new("restore")
                .about("Bring back from the Trash")
                .arg(id_arg()),
        );
    if kind.name == "estimate" {
        cmd = cmd
            .about("Estimate records, and the calculations behind them")
            .subcommands(crate::estimates::estimate_subcommands());
    }
    if kind.name == "attachment" {
        cmd = cmd.subcommand(
            Command::new("file")
                .about("Attach a photo or document to a finding")
                .arg(
                    Arg::new("finding")
                        .long("finding")
                        .required(true)
                        .value_name("ID"),
                )
                .arg(
                    Arg::new("path")
                        .required(true)
                        .value_parser(value_parser!(PathBuf)),
                )
                .arg(
                    Arg::new("role")
                        .long("role")
                        .default_value("photo")
                        .value_parser(["photo", "document"]),
                ),
        );
    }
    cmd
}

/// `fiscal_year` → `--fiscal-year`.
pub fn flag_name(field: &str) -> String {
    field.replace('_', "-")
}

fn field_arg(field: &'static FieldSpec) -> Arg {
    let help = match field.ty {
        FieldType::Enum { options } => format!("one of: {}", options.join(", ")),
        FieldType::Date => "date, YYYY-MM-DD".into(),
        FieldType::Latitude | FieldType::Longitude => {
            "decimal degrees or DMS, e.g. 6°59'35\"S".into()
        }
        FieldType::Int { min, max } => format!("whole number {min}..={max}"),
        FieldType::Decimal { .. } => "number".into(),
        FieldType::Bool => "yes or no".into(),
        FieldType::Unit => "unit code (fieldbook units)".into(),
        FieldType::Currency => "currency code, e.g. JPY".into(),
        FieldType::TechType => "technology type (fieldbook technologies)".into(),
        FieldType::Ref { kind } => format!("{kind} id"),
        FieldType::RefList { kind } => format!("{kind} ids, comma-separated"),
        _ => "text".into(),
    };
    let required = if field.required {
        " [required on add]"
    } else {
        ""
    };
    let arg = Arg::new(field.name)
        .long(flag_name(field.name))
        .value_name("VALUE")
        .allow_hyphen_values(true)
        .help(format!("{help}{required}"));
    if field.name.contains('_') {
        arg.alias(field.name)
    } else {
        arg
    }
}
