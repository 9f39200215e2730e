//! The team hub from the shell: `fieldbook hub serve` runs one, `hub enrol`,
//! `hub invite` and `hub status` connect this laptop to one, and
//! `fieldbook sync` syncs with it once.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};
use fieldbook_hub::store::{HubStore, PostgresStore, SqliteStore};
use fieldbook_hub::{Hub, Limits};
use fieldbook_store::Store;

use crate::output::Output;

pub fn commands() -> [Command; 2] {
    let hub = Command::new("hub")
        .about("The team hub: laptops sync through it by themselves when they are online")
        .subcommand_required(true)
        .subcommand(
            Command::new("serve")
                .about("Run a hub; prints a one-time admin code that registers a team")
                .arg(
                    Arg::new("listen")
                        .long("listen")
                        .value_name("ADDR")
                        .default_value("127.0.0.1:8787")
                        .value_parser(value_parser!(SocketAddr)),
                )
                .arg(
                    Arg::new("store")
                        .long("store")
                        .required(true)
                        .value_name("sqlite:PATH | postgres://…"),
                )
                .arg(
                    Arg::new("admin-code-file")
                        .long("admin-code-file")
                        .value_name("FILE")
                        .value_parser(value_parser!(PathBuf))
                        .help("Also write the admin code to FILE (readable by its owner only)"),
                )
                .arg(
                    Arg::new("tls-cert")
                        .long("tls-cert")
                        .value_name("PEM")
                        .requires("tls-key")
                        .value_parser(value_parser!(PathBuf))
                        .help("Serve HTTPS with this certificate chain (PEM)"),
                )
                .arg(
                    Arg::new("tls-key")
                        .long("tls-key")
                        .value_name("PEM")
                        .requires("tls-cert")
                        .value_parser(value_parser!(PathBuf))
                        .help("The certificate's private key (PEM)"),
                )
                .arg(
                    Arg::new("insecure-http")
                        .long("insecure-http")
                        .action(ArgAction::SetTrue)
                        .help("Serve plain HTTP on an address other than loopback (a trusted network only)"),
                )
                .arg(
                    Arg::new("pushes-per-minute")
                        .long("pushes-per-minute")
                        .value_parser(value_parser!(u32))
                        .help("Pushes one laptop may make per minute (default 120)"),
                )
                .arg(
                    Arg::new("max-body-bytes")
                        .long("max-body-bytes")
                        .value_parser(value_parser!(usize))
                        .help("Largest request the hub reads (default 64 MiB)"),
                ),
        )
        .subcommand(
            Command::new("enrol")
                .about("Enrol this laptop with a hub, with its admin code or a member's device code")
                .arg(Arg::new("hub").long("hub").required(true).value_name("URL"))
                .arg(Arg::new("code").long("code").required(true))
                .arg(
                    Arg::new("ca")
                        .long("ca")
                        .value_name("PEM")
                        .value_parser(value_parser!(PathBuf))
                        .help("The team's own certificate authority, if the hub's certificate is not from a public one"),
                ),
        )
        .subcommand(
            Command::new("invite")
                .about("Ask the hub for a one-time code another device of the team enrols with")
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_name("FILE")
                        .value_parser(value_parser!(PathBuf))
                        .help("Write the code to FILE instead of printing it"),
                ),
        )
        .subcommand(
            Command::new("status").about("The hub this laptop syncs with, its last sync, what is waiting"),
        )
        .subcommand(Command::new("forget").about("Stop syncing with the hub (nothing is deleted)"));
    let sync = Command::new("sync")
        .about("Sync with the team hub now: push what it lacks, pull what this laptop lacks")
        .arg(
            Arg::new("hub")
                .long("hub")
                .value_name("URL")
                .help("A hub this laptop enrolled with (default: the last one)"),
        );
    [hub, sync]
}

pub fn run_hub(sub: &ArgMatches, out: &Output, open: impl Fn() -> Result<Store>) -> Result<()> {
    let (what, m) = sub.subcommand().expect("clap requires one");
    match what {
        "serve" => serve(m),
        "enrol" => {
            let store = open()?;
            let url = m.get_one::<String>("hub").expect("required");
            let code = m.get_one::<String>("code").expect("required");
            let ca = m
                .get_one::<PathBuf>("ca")
                .map(|p| {
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))
                })
                .transpose()?;
            let done = fieldbook_hub_client::enrol(&store, url, code, ca.as_deref())?;
            out.value(&serde_json::to_value(&done)?, |_| {
                let what = if done.new_team {
                    "registered this team and enrolled this laptop"
                } else {
                    "enrolled this laptop"
                };
                format!("{}: {what}; `fieldbook sync` syncs now", done.hub)
            })
        }
        "invite" => {
            let invite = fieldbook_hub_client::invite(&open()?)?;
            if let Some(path) = m.get_one::<PathBuf>("out") {
                write_secret(path, &invite.code)?;
                return out.done(&format!(
                    "Wrote a one-time device code to {} (valid until {}): on the other laptop, `fieldbook hub enrol --hub URL --code \"$(cat FILE)\"`",
                    path.display(),
                    invite.expires_at
                ));
            }
            out.value(&serde_json::to_value(&invite)?, |_| {
                format!(
                    "{}\n(one use, valid until {})",
                    invite.code, invite.expires_at
                )
            })
        }
        "status" => {
            let s = fieldbook_hub_client::status(&open()?, true)?;
            out.value(&serde_json::to_value(&s)?, |_| {
                let Some(hub) = &s.hub else {
                    return "Not enrolled with a hub: `fieldbook hub enrol --hub URL --code CODE`"
                        .into();
                };
                let mut lines = vec![format!("Hub: {hub}")];
                lines.push(match s.reachable {
                    Some(true) => format!(
                        "Reachable: {} changes to send, {} to receive",
                        s.to_push.unwrap_or(0),
                        s.to_pull.unwrap_or(0)
                    ),
                    _ => "Not reachable now (offline?)".into(),
                });
                lines.push(format!(
                    "Last sync: {}",
                    s.last_sync.as_deref().unwrap_or("never")
                ));
                if let Some(e) = &s.last_error {
                    lines.push(format!("Last error: {e}"));
                }
                lines.join("\n")
            })
        }
        "forget" => {
            fieldbook_hub_client::forget(&open()?)?;
            out.done("This laptop no longer syncs with a hub")
        }
        _ => unreachable!("clap knows the subcommands"),
    }
}

pub fn run_sync(store: &mut Store, sub: &ArgMatches, out: &Output) -> Result<()> {
    let url = sub.get_one::<String>("hub").map(String::as_str);
    let done = fieldbook_hub_client::sync(store, url, &|_| {})?;
    out.value(&serde_json::to_value(&done)?, |_| {
        let mut text = format!(
            "Synced with {}: sent {} changes and {} photos, received {} bundles ({} new changes, {} new photos)",
            done.hub,
            done.pushed_ops,
            done.photos_sent,
            done.pulled_bundles,
            done.ops_new,
            done.photos_new
        );
        for r in &done.refused {
            text.push_str(&format!("\n  refused: {r}"));
        }
        text
    })
}

/// Writes a secret to `path`, readable by its owner only.
fn write_secret(path: &Path, secret: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(file, "{secret}").with_context(|| format!("cannot write {}", path.display()))
}

async fn open_store(spec: &str) -> Result<Arc<dyn HubStore>> {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        let store = SqliteStore::open(Path::new(path))
            .with_context(|| format!("cannot open the hub database {path}"))?;
        return Ok(Arc::new(store));
    }
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let store = PostgresStore::open(spec)
            .await
            .with_context(|| format!("cannot open the hub database {spec}"))?;
        return Ok(Arc::new(store));
    }
    bail!("--store {spec}: give sqlite:PATH or postgres://USER@HOST/DB")
}

fn serve(m: &ArgMatches) -> Result<()> {
    let listen = *m.get_one::<SocketAddr>("listen").expect("defaulted");
    let tls = m
        .get_one::<PathBuf>("tls-cert")
        .zip(m.get_one::<PathBuf>("tls-key"));
    if tls.is_none() && !listen.ip().is_loopback() && !m.get_flag("insecure-http") {
        bail!(
            "{listen} is not a loopback address: laptops would send their tokens in the clear. \
             Give --tls-cert and --tls-key, or pass --insecure-http on a network you trust"
        );
    }
    let mut limits = Limits::default();
    if let Some(n) = m.get_one::<u32>("pushes-per-minute") {
        limits.pushes_per_minute = *n;
    }
    if let Some(n) = m.get_one::<usize>("max-body-bytes") {
        limits.max_body_bytes = *n;
    }
    let spec = m.get_one::<String>("store").expect("required");
    // The SQLite store has 5 connections: more blocking threads than a few
    // times that would only wait on them, each holding its own memory.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
        .context("cannot start the hub's runtime")?;
    runtime.block_on(async {
        let store = open_store(spec).await?;
        let kind = store.kind();
        let hub = Hub::new(store, limits);
        let code = hub.new_admin_code().await?;
        if let Some(path) = m.get_one::<PathBuf>("admin-code-file") {
            write_secret(path, &code)?;
        }
        let tls = match tls {
            Some((cert, key)) => Some(fieldbook_hub::tls_config(cert, key).await.with_context(
                || {
                    format!(
                        "cannot use {} and {} for TLS",
                        cert.display(),
                        key.display()
                    )
                },
            )?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(listen)
            .with_context(|| format!("cannot listen on {listen}"))?;
        let bound = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("Fieldbook hub listening on {scheme}://{bound} (store: {kind})");
        println!("Admin code (registers one team; use once): {code}");
        std::io::stdout().flush()?;
        match tls {
            Some(config) => fieldbook_hub::serve_tls(hub, listener, config, shutdown()).await?,
            None => {
                listener.set_nonblocking(true)?;
                let listener = tokio::net::TcpListener::from_std(listener)?;
                fieldbook_hub::serve(hub, listener, shutdown()).await?
            }
        }
        Ok(())
    })
}

/// Resolves on Ctrl+C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
