//! Sync from the shell: `fieldbook team …` and `bundle …` (through the sync
//! crate), `conflicts …` (what sync left to decide) and `history` (every change
//! to a record, from the op log).

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
    let what = match (&c.deleted_parent, c.field.is_empty()) {
        (Some(p), _) => format!(
            "added on one laptop inside {} {}, deleted on another (--keep restores it)",
            p.kind, p.id
        ),
        (None, true) => "deleted on one laptop while edited on another".to_string(),
        (None, false) => format!("field {}", c.field),
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

// ------------------------------------------------------------------ teams and bundles

pub fn team_and_bundle_commands() -> [Command; 2] {
    let path = || value_parser!(std::path::PathBuf);
    let team = Command::new("team")
        .about("A team of laptops: each signs what it sends; the team shares a project key")
        .subcommand_required(true)
        .subcommand(
            Command::new("init")
                .about("Start a team with this laptop; writes the invite other laptops join with")
                .arg(Arg::new("name").long("name").required(true))
                .arg(out_arg())
                .arg(label_arg()),
        )
        .subcommand(
            Command::new("join")
                .about("Join the team of an invite; writes the request to send back")
                .arg(Arg::new("invite").required(true).value_parser(path()))
                .arg(out_arg())
                .arg(label_arg()),
        )
        .subcommand(
            Command::new("add-device")
                .about("Enrol the laptop of a join request")
                .arg(Arg::new("request").required(true).value_parser(path())),
        )
        .subcommand(
            Command::new("revoke")
                .about("Refuse a laptop's bundles from now on (lost or stolen)")
                .arg(Arg::new("device").required(true).value_name("DEVICE_ID")),
        )
        .subcommand(
            Command::new("show").about("The team, this laptop's key fingerprint, the devices"),
        );
    let bundle = Command::new("bundle")
        .about("Sync by file: export what another laptop lacks, import what it sent")
        .subcommand_required(true)
        .subcommand(
            Command::new("export")
                .about("Write a bundle (split into parts of at most 20 MiB when larger)")
                .arg(out_arg())
                .arg(
                    Arg::new("for")
                        .long("for")
                        .value_name("DEVICE_ID")
                        .conflicts_with("all")
                        .help("Only what that laptop has not seen yet"),
                )
                .arg(
                    Arg::new("all")
                        .long("all")
                        .action(ArgAction::SetTrue)
                        .help("Everything (the default)"),
                )
                .arg(
                    Arg::new("max-part-bytes")
                        .long("max-part-bytes")
                        .value_parser(value_parser!(usize))
                        .hide(true),
                ),
        )
        .subcommand(
            Command::new("import")
                .about("Import bundle files, in any order, any number of times")
                .arg(
                    Arg::new("files")
                        .required(true)
                        .num_args(1..)
                        .value_parser(path()),
                ),
        )
        .subcommand(
            Command::new("inspect")
                .about("Show a bundle's header (sender, ranges, photos) without importing it")
                .arg(Arg::new("file").required(true).value_parser(path())),
        );
    [team, bundle]
}

fn out_arg() -> Arg {
    Arg::new("out")
        .long("out")
        .required(true)
        .value_parser(value_parser!(std::path::PathBuf))
}

fn label_arg() -> Arg {
    Arg::new("label")
        .long("label")
        .default_value("laptop")
        .help("What people call this laptop (\"Aiko's laptop\")")
}

fn path_of<'a>(m: &'a ArgMatches, name: &str) -> &'a std::path::Path {
    m.get_one::<std::path::PathBuf>(name).expect("required")
}

fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `FIELDBOOK_PASSPHRASE` when set (scripts, tests), else asked for.
fn passphrase(confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var("FIELDBOOK_PASSPHRASE") {
        return Ok(p);
    }
    let p =
        rpassword::prompt_password("Team passphrase: ").context("cannot read the passphrase")?;
    if confirm && rpassword::prompt_password("Again: ").context("cannot read the passphrase")? != p
    {
        bail!("the two passphrases differ: nothing was changed");
    }
    if p.chars().count() < 8 {
        bail!("a team passphrase needs at least 8 characters");
    }
    Ok(p)
}

pub fn run_team(store: &Store, sub: &ArgMatches, out: &Output) -> Result<()> {
    let (what, m) = sub.subcommand().expect("clap requires one");
    match what {
        "init" => {
            let name = m.get_one::<String>("name").expect("required");
            let label = m.get_one::<String>("label").expect("defaulted");
            let invite = fieldbook_sync::init(
                store,
                name,
                label,
                &passphrase(true)?,
                fieldbook_bundle::team::KdfParams::DEFAULT,
            )?;
            write(path_of(m, "out"), &invite)?;
            out.done(&format!(
                "Team {name} started. Send {} to the laptops that join, and tell them the passphrase by another way.",
                path_of(m, "out").display()
            ))
        }
        "join" => {
            let invite = read(path_of(m, "invite"))?;
            let label = m.get_one::<String>("label").expect("defaulted");
            let request = fieldbook_sync::join(store, &invite, &passphrase(false)?, label)?;
            write(path_of(m, "out"), &request)?;
            let team = fieldbook_sync::show(store)?;
            out.done(&format!(
                "Joined team {}. Send {} to a member who enrols it with `fieldbook team add-device`; this laptop's key is {}.",
                team.name,
                path_of(m, "out").display(),
                team.fingerprint
            ))
        }
        "add-device" => {
            let d = fieldbook_sync::add_device(store, &read(path_of(m, "request"))?)?;
            out.value(&serde_json::to_value(&d)?, |_| {
                format!(
                    "Enrolled {} ({}), key {}: compare it with the one that laptop shows.",
                    d.label, d.actor, d.fingerprint
                )
            })
        }
        "revoke" => {
            let actor = m.get_one::<String>("device").expect("required");
            let d = fieldbook_sync::revoke(store, actor)?;
            out.done(&format!(
                "Revoked {} ({}): its bundles are refused here, and by every laptop that gets a bundle from this one.",
                d.label, d.actor
            ))
        }
        _ => {
            let team = fieldbook_sync::show(store)?;
            out.value(&serde_json::to_value(&team)?, |_| {
                let mut lines = vec![
                    format!("Team {} (project key {})", team.name, team.project_key_id),
                    format!("This laptop: {} key {}", team.device, team.fingerprint),
                ];
                for d in &team.devices {
                    let state = match &d.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".into(),
                    };
                    lines.push(format!(
                        "  {:<34} {:<20} {}  {state}",
                        d.actor, d.label, d.fingerprint
                    ));
                }
                lines.join("\n")
            })
        }
    }
}

/// `out.fsb` → `out-part-2-of-3.fsb`.
fn part_path(out: &std::path::Path, index: usize, count: usize) -> std::path::PathBuf {
    if count == 1 {
        return out.to_path_buf();
    }
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let ext = out
        .extension()
        .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
    out.with_file_name(format!("{stem}-part-{index}-of-{count}{ext}"))
}

pub fn run_bundle(store: &mut Store, sub: &ArgMatches, out: &Output) -> Result<()> {
    let (what, m) = sub.subcommand().expect("clap requires one");
    match what {
        "export" => {
            let target = match m.get_one::<String>("for") {
                Some(peer) => fieldbook_sync::Target::Peer(peer.clone()),
                None => fieldbook_sync::Target::All,
            };
            let max = m.get_one::<usize>("max-part-bytes").copied().unwrap_or(0);
            let never = std::sync::atomic::AtomicBool::new(false);
            let report = fieldbook_sync::export(store, &target, max, &|_| {}, &never)?;
            let out_path = path_of(m, "out");
            let mut files = Vec::new();
            for (i, part) in report.parts.iter().enumerate() {
                let path = part_path(out_path, i + 1, report.parts.len());
                write(&path, part)?;
                files.push(path.display().to_string());
            }
            out.value(&json!({"report": report, "files": files}), |_| {
                format!(
                    "Wrote {} ({} changes, {} photos)",
                    files.join(", "),
                    report.ops,
                    report.photos
                )
            })
        }
        "import" => {
            let mut reports = Vec::new();
            for path in m.get_many::<std::path::PathBuf>("files").expect("required") {
                let bytes = read(path)?;
                let report = fieldbook_sync::import(store, &bytes)
                    .with_context(|| format!("{} was refused, nothing changed", path.display()))?;
                reports.push(report);
            }
            out.value(&serde_json::to_value(&reports)?, |_| {
                reports
                    .iter()
                    .map(|r| {
                        let s = &r.summary;
                        format!(
                            "From {}: {} new changes ({} already here), {} new records, {} changed, {} photos, {} new conflicts",
                            r.sender, s.ops_new, s.ops_known, s.records_new, s.records_changed, r.photos_new, s.conflicts_new
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        _ => {
            let header = fieldbook_sync::inspect(&read(path_of(m, "file"))?)?;
            out.value(&serde_json::to_value(&header)?, |_| {
                let mut lines = vec![
                    format!(
                        "Bundle {} of project {}",
                        header.bundle_id, header.project_id
                    ),
                    format!(
                        "From {} (key {})",
                        header.sender_actor, header.sender_key_fingerprint
                    ),
                ];
                if let Some(p) = header.part {
                    lines.push(format!("Part {} of {}", p.index, p.count));
                }
                for r in &header.ranges {
                    lines.push(format!(
                        "  ops {}..={} of {}",
                        r.from_seq, r.to_seq, r.actor
                    ));
                }
                lines.push(format!("  {} photos or documents", header.blobs.len()));
                lines.join("\n")
            })
        }
    }
}
