//! `fieldbook <kind> add|list|show|edit|rm|restore` for every record kind.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::ArgMatches;
use fieldbook_core::kinds;
use fieldbook_store::{ListQuery, Store};
use serde_json::{Map, Value};

use crate::output::Output;

pub fn run(store: &mut Store, kind: &str, matches: &ArgMatches, out: &Output) -> Result<()> {
    let spec = kinds::kind(kind).expect("clap only offers known kinds");
    let (action, sub) = matches.subcommand().expect("clap requires an action");
    match action {
        "add" => {
            let fields = fields_from(spec, sub)?;
            let id = store.create(kind, fields)?;
            out.record(&store.get(kind, &id)?)
        }
        "list" => {
            let query = ListQuery {
                parent_id: sub.try_get_one::<String>("parent").ok().flatten().cloned(),
                deleted: sub.get_flag("trash"),
                limit: None,
            };
            out.records(&store.list(kind, &query)?)
        }
        "show" => out.record(&store.get(kind, id(sub))?),
        "edit" => {
            let fields = fields_from(spec, sub)?;
            if fields.is_empty() {
                bail!("nothing to change: give at least one field flag or --from FILE.json");
            }
            store.edit(kind, id(sub), fields)?;
            out.record(&store.get(kind, id(sub))?)
        }
        "rm" => {
            store.delete(kind, id(sub))?;
            out.done(&format!("Moved {kind} {} to the Trash", id(sub)))
        }
        "restore" => {
            store.restore(kind, id(sub))?;
            out.done(&format!("Restored {kind} {}", id(sub)))
        }
        "file" => {
            let path = sub.get_one::<PathBuf>("path").expect("required");
            let finding = sub.get_one::<String>("finding").expect("required");
            let role = sub.get_one::<String>("role").expect("defaulted");
            let id = store.attach_file(finding, role, path)?;
            out.record(&store.get(kind, &id)?)
        }
        other => unreachable!("clap offers no action {other}"),
    }
}

fn id(sub: &ArgMatches) -> &str {
    sub.get_one::<String>("id").expect("required")
}

/// Fields from `--from FILE.json`, then the flags on top.
fn fields_from(spec: &kinds::KindSpec, sub: &ArgMatches) -> Result<Map<String, Value>> {
    let mut fields = match sub.get_one::<PathBuf>("from") {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match serde_json::from_str::<Value>(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?
            {
                Value::Object(map) => map,
                _ => bail!("{} must hold a JSON object of fields", path.display()),
            }
        }
        None => Map::new(),
    };
    for field in spec.fields {
        if let Some(v) = sub.get_one::<String>(field.name) {
            fields.insert(field.name.to_string(), Value::String(v.clone()));
        }
    }
    Ok(fields)
}
