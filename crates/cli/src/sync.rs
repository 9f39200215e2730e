//! `fieldbook conflicts …` and `fieldbook history`: what sync left to decide,
//! and every change to a record, from the op log.

use anyhow::{bail, Context, Result};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use fieldbook_store::{Conflict, Store};
use serde_json::{json, Map, Value};

use crate::output::Output;

pub fn commands() -> [Command; 2] {
    let conflicts = Command::new("conflicts")
        .about("Fields edited on two laptops at once, and records deleted on one while edited on another")
        .subcommand_required(true)
        .subcommand(Command::new("list").about("List the open conflicts with every candidate"))
        .subcommand(
            Command::new("resolve")
                .about("Settle one: keep a candidate, type a new value, or keep/delete the record")
                .arg(Arg::new("record").required(true).value_name("RECORD_ID"))
                .arg(
                    Arg::new("field")
                        .long("field")
                        .help("The conflicted field (omit for a delete-versus-edit)"),
                )
                .arg(
                    Arg::new("pick")
                        .long("pick")
                        .value_parser(value_parser!(usize))
                        .help("Keep candidate N (1 = the one shown, as listed)"),
                )
                .arg(
                    Arg::new("value")
                        .long("value")
                        .allow_hyphen_values(true)
                        .help("Type a new value instead"),
                )
                .arg(
                    Arg::new("keep")
                        .long("keep")
                        .action(ArgAction::SetTrue)
                        .help("Delete versus edit: keep the record"),
                )
                .arg(
                    Arg::new("delete")
                        .long("delete")
                        .action(ArgAction::SetTrue)
                        .conflicts_with("keep")
                        .help("Delete versus edit: delete it, edits included"),
                ),
        );
    let history = Command::new("history")
        .about("Every change to a record: who, on which laptop, when, and the value before")
        .arg(Arg::new("record").required(true).value_name("RECORD_ID"));
    [conflicts, history]
}

fn describe(c: &Conflict) -> String {
    let what = if c.field.is_empty() {
        "deleted on one laptop while edited on another".to_string()
    } else {
        format!("field {}", c.field)
    };
    let mut lines = vec![format!("{} {}: {what}", c.kind, c.record_id)];
    for (i, cand) in c.candidates.iter().enumerate() {
        let value = cand.value.as_deref().unwrap_or("(empty)");
        let base = cand.base.as_deref().unwrap_or("(none)");
        lines.push(format!(
            "  {}. {:<8} {value}  by {} at {} (was {base})",
            i + 1,
            cand.op.as_str(),
            cand.actor,
            cand.at
        ));
    }
    lines.join("\n")
}

pub fn run_conflicts(store: &mut Store, sub: &ArgMatches, out: &Output) -> Result<()> {
    let (what, m) = sub.subcommand().expect("clap requires one");
    let open = store.conflicts()?;
    if what == "list" {
        return out.value(&serde_json::to_value(&open)?, |_| {
            if open.is_empty() {
                "No conflicts".into()
            } else {
                open.iter().map(describe).collect::<Vec<_>>().join("\n")
            }
        });
    }
    let record = m.get_one::<String>("record").expect("required");
    let field = m.get_one::<String>("field").cloned().unwrap_or_default();
    let conflict = open
        .iter()
        .find(|c| &c.record_id == record && c.field == field)
        .with_context(|| {
            format!("no open conflict on {record} {field}: see `fieldbook conflicts list`")
        })?;
    if field.is_empty() {
        match (m.get_flag("keep"), m.get_flag("delete")) {
            (true, _) => store.keep_record(&conflict.kind, record)?,
            (_, true) => store.delete(&conflict.kind, record)?,
            _ => bail!("a delete-versus-edit is settled with --keep or --delete"),
        }
    } else {
        let value: Value = match (m.get_one::<usize>("pick"), m.get_one::<String>("value")) {
            (Some(n), None) => {
                let cand = conflict
                    .candidates
                    .get(n.wrapping_sub(1))
                    .with_context(|| {
                        format!(
                            "--pick {n}: there are {} candidates",
                            conflict.candidates.len()
                        )
                    })?;
                match &cand.value {
                    Some(text) => serde_json::from_str(text).context("the candidate's value")?,
                    None => Value::Null,
                }
            }
            (None, Some(v)) => Value::String(v.clone()),
            _ => bail!("give one of --pick N or --value V"),
        };
        let mut fields = Map::new();
        fields.insert(field.clone(), value);
        store.edit(&conflict.kind, record, fields)?;
    }
    let settled = if field.is_empty() {
        "delete versus edit"
    } else {
        field.as_str()
    };
    out.done(&format!("Resolved {} {record}: {settled}", conflict.kind))
}

pub fn run_history(store: &Store, sub: &ArgMatches, out: &Output) -> Result<()> {
    let record = sub.get_one::<String>("record").expect("required");
    let history = store.history(record)?;
    if history.is_empty() {
        bail!("no changes recorded for {record}: check the id");
    }
    out.value(&json!(history), |_| {
        history
            .iter()
            .map(|h| {
                let change = match (&h.field, &h.value) {
                    (Some(f), v) => {
                        let before: Vec<&str> = h
                            .before
                            .iter()
                            .map(|b| b.as_deref().unwrap_or("(empty)"))
                            .collect();
                        let was = if before.is_empty() {
                            String::new()
                        } else {
                            format!(" (was {})", before.join(" | "))
                        };
                        format!("{f} = {}{was}", v.as_deref().unwrap_or("(empty)"))
                    }
                    (None, _) => h.op.as_str().to_string(),
                };
                format!("{}  {}#{}  {change}", h.at, h.actor, h.seq)
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
