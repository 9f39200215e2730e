//! The team hub from the shell, on real processes: the scripted flow exactly
//! as the issue writes it, a hub killed with SIGKILL and restarted, and one
//! restored from an older backup. Laptops lose nothing and converge.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::Cli;
use fieldbook_hub_client::HubClient;

type Laptop = Cli;

/// A `fieldbook hub serve` process on a loopback port.
struct HubProcess {
    child: Child,
    addr: String,
    dir: PathBuf,
}

impl HubProcess {
    /// Starts a hub on `listen` over the SQLite store in `dir`.
    fn start(dir: &Path, listen: &str) -> HubProcess {
        HubProcess::start_on(
            dir,
            listen,
            &format!("sqlite:{}", dir.join("hub.db").display()),
        )
    }

    /// Starts a hub on `listen` over `store`, writing its admin code in
    /// `dir`; returns once it has said where it listens (it binds before it
    /// says so).
    fn start_on(dir: &Path, listen: &str, store: &str) -> HubProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
            .args(["hub", "serve", "--listen", listen, "--store", store])
            .arg("--admin-code-file")
            .arg(dir.join("CODE"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("the hub exited before it listened")
            .unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        HubProcess {
            child,
            addr,
            dir: dir.to_path_buf(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn admin_code(&self) -> String {
        std::fs::read_to_string(self.dir.join("CODE"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// SIGKILL: no shutdown, no flush beyond what SQLite committed.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Laptop A starts the team; the others join with its invite and A enrols
/// them (part 3), exchanging no bundle.
fn team(n: usize) -> Vec<Laptop> {
    let laptops: Vec<Laptop> = (0..n).map(|_| Laptop::new()).collect();
    let invite = laptops[0].file("invite.fbteam");
    laptops[0].ok(&[
        "team",
        "init",
        "--name",
        "Mekong survey",
        "--out",
        &invite,
        "--label",
        "A",
    ]);
    for (i, l) in laptops.iter().enumerate().skip(1) {
        let request = l.file("request.fbreq");
        let label = format!("laptop {i}");
        l.ok(&[
            "team", "join", &invite, "--out", &request, "--label", &label,
        ]);
        laptops[0].ok(&["team", "add-device", &request]);
    }
    laptops
}

fn studies(l: &Laptop, n: usize, prefix: &str) {
    for i in 0..n {
        l.ok(&[
            "study",
            "add",
            "--title",
            &format!("{prefix} {i}"),
            "--fiscal-year",
            "2026",
        ]);
    }
}

fn dump(l: &Laptop) -> String {
    l.ok(&["dump"])
}

#[test]
fn the_scripted_hub_flow_works_exactly_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path(), "127.0.0.1:0");
    let l = team(2);
    let (a, b) = (&l[0], &l[1]);
    studies(a, 2, "A's study");
    studies(b, 1, "B's study");
    let code = hub.admin_code();
    assert!(a
        .ok(&["hub", "enrol", "--hub", &hub.url(), "--code", &code])
        .contains("registered this team"));
    let code2 = a.file("CODE2");
    a.ok(&["hub", "invite", "--out", &code2]);
    let code2 = std::fs::read_to_string(&code2).unwrap();
    b.ok(&["hub", "enrol", "--hub", &hub.url(), "--code", code2.trim()]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(dump(a), dump(b));
    assert!(dump(a).contains("B's study 0"));
    // The admin code is spent; the device code too.
    let err = b.fails(&["hub", "enrol", "--hub", &hub.url(), "--code", code2.trim()]);
    assert!(err.contains("bad_code"), "{err}");
    let status = a.json(&["hub", "status"]);
    assert_eq!(status["reachable"], true);
    assert_eq!(status["to_push"], 0);
    assert_eq!(status["to_pull"], 0);
}

#[test]
fn a_hub_killed_and_restarted_or_restored_from_an_older_backup_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path(), "127.0.0.1:0");
    let addr = hub.addr.clone();
    let l = team(3);
    a_enrols_all(&hub, &l);
    studies(&l[0], 3, "Before the backup");
    l[0].ok(&["sync"]);
    // SIGKILL; keep the database as it is now: that is the backup.
    hub.kill();
    let backup = tempfile::tempdir().unwrap();
    copy_db(dir.path(), backup.path());
    // While the hub is down the laptops work on and fail to sync, keeping all.
    studies(&l[1], 2, "While the hub was down");
    let err = l[1].fails(&["sync"]);
    assert!(err.contains("cannot be reached"), "{err}");
    assert!(dump(&l[1]).contains("While the hub was down 1"));
    // Restarted on the same address; B's changes go through.
    let hub = HubProcess::start(dir.path(), &addr);
    l[1].ok(&["sync"]);
    l[0].ok(&["sync"]);
    assert_eq!(dump(&l[0]), dump(&l[1]));
    // The hub is then restored from the older backup: it has lost B's
    // changes. Laptops re-push what it lacks; nothing is wiped anywhere.
    hub.kill();
    copy_db(backup.path(), dir.path());
    let _hub = HubProcess::start(dir.path(), &addr);
    let before = dump(&l[0]);
    l[0].ok(&["sync"]);
    assert_eq!(dump(&l[0]), before, "nothing wiped on A");
    // C, which saw nothing yet, gets everything, B's changes included.
    l[2].ok(&["sync"]);
    assert_eq!(dump(&l[2]), before);
    l[1].ok(&["sync"]);
    assert_eq!(dump(&l[1]), before);
}

fn a_enrols_all(hub: &HubProcess, l: &[Laptop]) {
    l[0].ok(&[
        "hub",
        "enrol",
        "--hub",
        &hub.url(),
        "--code",
        &hub.admin_code(),
    ]);
    for other in &l[1..] {
        let code = l[0].json(&["hub", "invite"])["code"]
            .as_str()
            .unwrap()
            .to_string();
        other.ok(&["hub", "enrol", "--hub", &hub.url(), "--code", &code]);
    }
}

/// Copies the hub database (and its WAL, if any) from one folder to another.
fn copy_db(from: &Path, to: &Path) {
    for name in ["hub.db", "hub.db-wal", "hub.db-shm"] {
        let (src, dst) = (from.join(name), to.join(name));
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn two_hub_processes_on_one_postgresql_behave_as_one_hub() {
    let Some(db) = fieldbook_hub::fixtures::postgres_database() else {
        return;
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = HubProcess::start_on(d1.path(), "127.0.0.1:0", &db);
    let two = HubProcess::start_on(d2.path(), "127.0.0.1:0", &db);
    let l = team(2);
    let (a, b) = (&l[0], &l[1]);
    // A registers the team through one; codes asked of one work on two.
    a.ok(&[
        "hub",
        "enrol",
        "--hub",
        &one.url(),
        "--code",
        &one.admin_code(),
    ]);
    for (laptop, hub) in [(a, &two), (b, &one), (b, &two)] {
        let code = a.json(&["hub", "invite"])["code"]
            .as_str()
            .unwrap()
            .to_string();
        laptop.ok(&["hub", "enrol", "--hub", &hub.url(), "--code", &code]);
    }
    // Each laptop alternates between the two while both edit.
    for round in 0..3 {
        studies(a, 2, &format!("A round {round}"));
        studies(b, 1, &format!("B round {round}"));
        let (first, second) = if round % 2 == 0 {
            (&one, &two)
        } else {
            (&two, &one)
        };
        a.ok(&["sync", "--hub", &first.url()]);
        b.ok(&["sync", "--hub", &second.url()]);
    }
    a.ok(&["sync", "--hub", &two.url()]);
    assert_eq!(dump(a), dump(b));
    assert!(dump(a).contains("B round 2 0") && dump(b).contains("A round 2 1"));
    // The bundles were stored once: both processes count the same.
    let metric = |hub: &HubProcess| {
        HubClient::new(&hub.url(), None, None)
            .unwrap()
            .metric("fieldbook_hub_bundles_stored")
            .unwrap()
    };
    assert_eq!(metric(&one), metric(&two));
    assert_eq!(metric(&one), 6);
}

#[test]
fn a_hub_serves_https_with_its_certificate_and_laptops_trust_only_the_teams_ca() {
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert_pem, key_pem) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
        .args(["hub", "serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite:{}", dir.path().join("hub.db").display()))
        .arg("--admin-code-file")
        .arg(dir.path().join("CODE"))
        .arg("--tls-cert")
        .arg(&cert_pem)
        .arg("--tls-key")
        .arg(&key_pem)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    let hub = HubProcess {
        child,
        addr: url.trim_start_matches("https://").to_string(),
        dir: dir.path().to_path_buf(),
    };
    let l = team(2);
    let ca = cert_pem.display().to_string();
    // Without the team's CA the certificate is not trusted; over plain HTTP
    // the TLS port does not answer as a hub.
    let err = l[0].fails(&["hub", "enrol", "--hub", &url, "--code", &hub.admin_code()]);
    assert!(err.contains("cannot be reached"), "{err}");
    let plain = url.replace("https://", "http://");
    l[0].fails(&["hub", "enrol", "--hub", &plain, "--code", &hub.admin_code()]);
    l[0].ok(&[
        "hub",
        "enrol",
        "--hub",
        &url,
        "--code",
        &hub.admin_code(),
        "--ca",
        &ca,
    ]);
    let code = l[0].json(&["hub", "invite"])["code"]
        .as_str()
        .unwrap()
        .to_string();
    l[1].ok(&["hub", "enrol", "--hub", &url, "--code", &code, "--ca", &ca]);
    studies(&l[0], 2, "Over TLS");
    l[0].ok(&["sync"]);
    l[1].ok(&["sync"]);
    assert_eq!(dump(&l[0]), dump(&l[1]));
}

#[test]
fn a_hub_refuses_plain_http_off_loopback_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
        .args(["hub", "serve", "--listen", "0.0.0.0:0", "--store"])
        .arg(format!("sqlite:{}", dir.path().join("hub.db").display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--tls-cert") && err.contains("--insecure-http"),
        "{err}"
    );
    assert!(!dir.path().join("hub.db").exists(), "nothing was created");
}
