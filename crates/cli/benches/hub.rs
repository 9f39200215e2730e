//! The team hub under load, on loopback, bounded and self-stopping:
//!
//! 1. **Load**: 50 laptops, each with 1,000 changes in 10 bundles and two
//!    photos, push and pull at once through one `fieldbook hub serve`
//!    process; then every laptop pulls the rest and all must be equal, with
//!    every change stored exactly once. Reports pushes/s, p50/p99 request
//!    latency and the hub process's peak memory (VmHWM).
//! 2. **Join**: a laptop enrols on a hub holding 100,000 changes from 50
//!    devices and syncs: the time until it has pulled and merged them all.
//!
//! On SQLite, and on PostgreSQL when `FIELDBOOK_TEST_POSTGRES` names a
//! server. Run: `cargo bench -p fieldbook-cli --bench hub`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use fieldbook_bundle::team::KdfParams;
use fieldbook_hub_client::HubClient;
use fieldbook_store::Store;
use fieldbook_sync::{self as sync, Target};
use serde_json::{json, Map, Value};

const LAPTOPS: usize = 50;
const BUNDLES_EACH: usize = 10;
/// A study is 5 changes (ops): 20 studies make a bundle of 100.
const STUDIES_PER_BUNDLE: usize = 20;
const PASS: &str = "bench team";

struct Hub {
    child: Child,
    url: String,
    admin_code: String,
}

impl Hub {
    fn start(store: &str, dir: &Path) -> Hub {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fieldbook"))
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--store", store])
            .args(["--pushes-per-minute", "100000", "--admin-code-file"])
            .arg(dir.join("CODE"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fieldbook binary");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_string();
        std::thread::spawn(move || for _ in lines {});
        let admin_code = std::fs::read_to_string(dir.join("CODE"))
            .unwrap()
            .trim()
            .to_string();
        Hub {
            child,
            url,
            admin_code,
        }
    }

    /// Forgets the peak so far (enrolment hashes 50 codes with Argon2id,
    /// 19 MiB each, which is not what serving costs).
    fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").unwrap();
    }

    /// The hub process's peak resident memory, in MiB.
    fn peak_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// `n` laptops in one team (the first enrolled them all), in `dir`.
fn team(dir: &Path, n: usize) -> Vec<Store> {
    let stores: Vec<Store> = (0..n)
        .map(|i| Store::open(&dir.join(format!("laptop-{i}.db"))).unwrap())
        .collect();
    let invite = sync::init(
        &stores[0],
        "Load",
        "L0",
        PASS,
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    for (i, s) in stores.iter().enumerate().skip(1) {
        let request = sync::join(s, &invite, PASS, &format!("L{i}")).unwrap();
        sync::add_device(&stores[0], &request).unwrap();
    }
    stores
}

fn enrol_all(hub: &Hub, stores: &[Store]) {
    fieldbook_hub_client::enrol(&stores[0], &hub.url, &hub.admin_code, None).unwrap();
    for s in &stores[1..] {
        let code = fieldbook_hub_client::invite(&stores[0]).unwrap().code;
        fieldbook_hub_client::enrol(s, &hub.url, &code, None).unwrap();
    }
}

/// Writes `bundles` bundles of `studies` new studies each on `store`, each
/// cut after its batch, the first with two photos when `photo` is given.
fn offline_work(
    store: &mut Store,
    who: usize,
    bundles: usize,
    studies: usize,
    photo: Option<&[u8]>,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for b in 0..bundles {
        let before = store.version_vector().unwrap();
        let mut last = String::new();
        for k in 0..studies {
            last = store
                .create(
                    "study",
                    fields(json!({"title": format!("L{who} study {b}.{k}"), "fiscal_year": 2026})),
                )
                .unwrap();
        }
        if let (0, Some(photo)) = (b, photo) {
            let f = store
                .create(
                    "finding",
                    fields(json!({"study_id": last, "sector": "water", "title": "Pumps"})),
                )
                .unwrap();
            for p in 0..2u8 {
                let mut bytes = photo.to_vec();
                bytes.extend_from_slice(&[who as u8, p]);
                store
                    .attach(&f, "photo", &format!("p{p}.jpg"), &bytes)
                    .unwrap();
            }
        }
        let parts = sync::export(
            store,
            &Target::Have(before),
            0,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap()
        .parts;
        out.extend(parts);
    }
    out
}

fn token(store: &Store) -> String {
    let tokens: BTreeMap<String, String> =
        serde_json::from_str(&store.setting("hub.tokens").unwrap().unwrap()).unwrap();
    tokens.into_values().next().unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn load(label: &str, store_spec: &str, dir: &Path, photo: &[u8]) {
    let hub = Hub::start(store_spec, dir);
    let mut stores = team(dir, LAPTOPS);
    enrol_all(&hub, &stores);
    let project = sync::membership(&stores[0]).unwrap().project_id;
    let work: Vec<Vec<Vec<u8>>> = stores
        .iter_mut()
        .enumerate()
        .map(|(i, s)| offline_work(s, i, BUNDLES_EACH, STUDIES_PER_BUNDLE, Some(photo)))
        .collect();
    let tokens: Vec<String> = stores.iter().map(token).collect();
    hub.reset_peak();
    let haves: Vec<BTreeMap<String, u64>> =
        stores.iter().map(|s| s.version_vector().unwrap()).collect();

    // All laptops at once: each pushes its bundles, pulling after each push.
    let started = Instant::now();
    let (pushes, pulls): (Vec<Duration>, Vec<Duration>) = std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .iter()
            .zip(&tokens)
            .zip(&haves)
            .map(|((bundles, token), have)| {
                let (url, project) = (&hub.url, &project);
                scope.spawn(move || {
                    let client = HubClient::new(url, Some(token.clone()), None).unwrap();
                    let (mut push, mut pull) = (Vec::new(), Vec::new());
                    // What this laptop would hold had it imported what it pulled.
                    let mut have = have.clone();
                    for b in bundles {
                        let t = Instant::now();
                        client.push(project, b).unwrap();
                        push.push(t.elapsed());
                        let t = Instant::now();
                        let mut got = Vec::new();
                        client
                            .pull(project, &have, 32 << 20, &mut |bytes, _| {
                                got.push(sync::inspect(&bytes).unwrap());
                                Ok(())
                            })
                            .unwrap();
                        pull.push(t.elapsed());
                        for header in got {
                            for r in header.ranges {
                                let top = have.entry(r.actor).or_insert(0);
                                if r.from_seq <= *top + 1 {
                                    *top = (*top).max(r.to_seq);
                                }
                            }
                        }
                    }
                    (push, pull)
                })
            })
            .collect();
        let mut all = (Vec::new(), Vec::new());
        for h in handles {
            let (a, b) = h.join().unwrap();
            all.0.extend(a);
            all.1.extend(b);
        }
        all
    });
    let elapsed = started.elapsed();
    let peak = hub.peak_mib();
    let mut requests: Vec<Duration> = pushes.iter().chain(&pulls).copied().collect();
    requests.sort();
    let (mut push_sorted, mut pull_sorted) = (pushes.clone(), pulls.clone());
    push_sorted.sort();
    pull_sorted.sort();

    // Then every laptop syncs until it has everything, and all are equal.
    let converge = Instant::now();
    for s in stores.iter_mut() {
        fieldbook_hub_client::sync(s, None, &|_| {}).unwrap();
    }
    let dump = stores[0].dump().unwrap();
    for s in &stores[1..] {
        assert_eq!(s.dump().unwrap(), dump, "every laptop converges");
    }
    let client = HubClient::new(&hub.url, Some(tokens[0].clone()), None).unwrap();
    let hub_vv = client.vv(&project).unwrap();
    let mine = stores[0].version_vector().unwrap();
    assert_eq!(hub_vv, mine, "the hub holds every change");
    let stored = client.metric("fieldbook_hub_bundles_stored").unwrap();
    assert_eq!(
        stored as usize,
        LAPTOPS * BUNDLES_EACH,
        "every bundle stored exactly once"
    );
    let changes: u64 = mine.values().sum();
    println!(
        "{label:<10} load: {LAPTOPS} laptops, {changes} changes, {} pushes in {:.1} s = {:.0} pushes/s; \
         request latency p50 {:.0} ms, p99 {:.0} ms (push p99 {:.0} ms, pull p99 {:.0} ms); hub peak {peak:.0} MiB while serving; \
         all {LAPTOPS} converged in {:.1} s more",
        pushes.len(),
        elapsed.as_secs_f64(),
        pushes.len() as f64 / elapsed.as_secs_f64(),
        percentile(&requests, 0.5),
        percentile(&requests, 0.99),
        percentile(&push_sorted, 0.99),
        percentile(&pull_sorted, 0.99),
        converge.elapsed().as_secs_f64(),
    );
}

fn join(label: &str, store_spec: &str, dir: &Path) {
    let hub = Hub::start(store_spec, dir);
    let mut stores = team(dir, LAPTOPS + 1);
    enrol_all(&hub, &stores[..LAPTOPS]);
    // 50 devices × 2,000 changes, each pushed as 4 bundles.
    let project = sync::membership(&stores[0]).unwrap().project_id;
    for (i, s) in stores.iter_mut().enumerate().take(LAPTOPS) {
        let client = HubClient::new(&hub.url, Some(token(s)), None).unwrap();
        for bundle in offline_work(s, i, 4, 100, None) {
            client.push(&project, &bundle).unwrap();
        }
    }
    let code = fieldbook_hub_client::invite(&stores[0]).unwrap().code;
    let newcomer = stores.last_mut().unwrap();
    fieldbook_hub_client::enrol(newcomer, &hub.url, &code, None).unwrap();
    let t = Instant::now();
    let outcome = fieldbook_hub_client::sync(newcomer, None, &|_| {}).unwrap();
    let took = t.elapsed();
    assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    let got: u64 = newcomer.version_vector().unwrap().values().sum();
    assert!(got >= 100_000, "{got}");
    println!(
        "{label:<10} join: {got} changes from {LAPTOPS} devices pulled and merged in {:.2} s \
         ({} bundles, {} requests, {:.0} changes/s)",
        took.as_secs_f64(),
        outcome.pulled_bundles,
        outcome.pull_rounds,
        got as f64 / took.as_secs_f64()
    );
}

/// A benchmark, given the store's label, its `--store` and a folder of its own.
type Scenario<'a> = &'a dyn Fn(&str, &str, &Path);

fn main() {
    // cargo bench passes --bench; a plain `cargo test` of benches passes nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/samples/photos/semarang-depot.jpg"
    ))
    .unwrap();
    // `cargo bench -p fieldbook-cli --bench hub -- load` runs the load only.
    let only: Vec<String> = std::env::args()
        .filter(|a| a == "load" || a == "join")
        .collect();
    let runs: [(&str, Scenario); 2] = [
        ("load", &|label, store, dir| load(label, store, dir, &photo)),
        ("join", &join),
    ];
    for (what, run) in runs {
        if !only.is_empty() && !only.iter().any(|o| o == what) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite:{}", dir.path().join("hub.db").display());
        run("sqlite", &sqlite, dir.path());
        match fieldbook_hub::fixtures::postgres_database() {
            Some(db) => run("postgres", &db, tempfile::tempdir().unwrap().path()),
            None => {
                println!("postgres   {what}: SKIPPED (set FIELDBOOK_TEST_POSTGRES to a server)")
            }
        }
    }
}
