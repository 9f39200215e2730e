//! Laptops syncing through a real hub on a loopback port (SQLite store), on
//! real database files: enrolment, convergence in any order (a laptop
//! joining last, one half by hub and half by files), and every refusal,
//! with nothing stored and the hub still serving the others.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use fieldbook_bundle::team::KdfParams;
use fieldbook_hub::store::{HubStore, PostgresStore, SqliteStore};
use fieldbook_hub::{Hub, Limits};
use fieldbook_hub_client::{self as client, HubClient, HubError};
use fieldbook_hub_wire::RefusalCode;
use fieldbook_store::Store;
use fieldbook_sync::{self as sync, Target};
use serde_json::{json, Map, Value};

const PASS: &str = "correct horse battery";
/// The refusal test's hub caps: a request body, and a photo a header declares.
const MAX_BODY: usize = 256 << 10;
const MAX_BLOB: u64 = 1 << 10;

struct TestHub {
    url: String,
    admin_code: String,
    runtime: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

/// Where a test hub keeps its data: every test runs on both stores.
enum Backend {
    Sqlite,
    /// A fresh PostgreSQL database's URL.
    Postgres(String),
}

fn postgres() -> Option<Backend> {
    fieldbook_hub::fixtures::postgres_database().map(Backend::Postgres)
}

/// Runs each named test on a SQLite hub and on a PostgreSQL hub.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { if let Some(b) = super::postgres() { super::$name(&b) } } )*
        }
    };
}

on_both_stores!(
    laptops_enrolled_on_a_hub_converge_without_a_file,
    a_laptop_offline_the_whole_time_joins_last_and_catches_up_in_one_pull,
    a_laptop_that_syncs_half_by_hub_and_half_by_usb_converges,
    codes_are_single_use_and_refused_when_wrong,
    a_device_no_member_enrolled_cannot_enrol,
    every_refusal_has_its_code_stores_nothing_and_the_hub_serves_on,
    a_pull_cut_mid_stream_keeps_what_arrived_whole_and_resumes,
    a_push_cut_mid_upload_stores_nothing_and_the_retry_goes_through,
    a_hub_answering_503_or_hanging_loses_nothing,
    pushes_over_the_rate_or_declaring_too_many_changes_are_refused,
    photos_travel_sealed_apart_from_the_bundles,
    a_photo_upload_cut_midway_resumes_where_it_stopped,
    a_photo_download_cut_midway_resumes_where_it_stopped,
    photo_uploads_with_a_bad_name_offset_or_hash_are_refused_and_store_nothing,
);

impl TestHub {
    fn start(backend: &Backend) -> TestHub {
        TestHub::with_limits(backend, Limits::default())
    }

    fn with_limits(backend: &Backend, limits: Limits) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let store: Arc<dyn HubStore> = match backend {
            Backend::Sqlite => Arc::new(SqliteStore::open(&dir.path().join("hub.db")).unwrap()),
            Backend::Postgres(db) => Arc::new(runtime.block_on(PostgresStore::open(db)).unwrap()),
        };
        let hub = Hub::new(store, limits);
        let admin_code = runtime.block_on(hub.new_admin_code()).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(fieldbook_hub::serve(hub, listener, std::future::pending()));
        TestHub {
            url,
            admin_code,
            runtime: Some(runtime),
            _dir: dir,
        }
    }

    fn client(&self, token: Option<&str>) -> HubClient {
        HubClient::new(&self.url, token.map(str::to_string), None).unwrap()
    }

    fn metric(&self, name: &str) -> u64 {
        self.client(None).metric(name).unwrap()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

struct Laptop {
    store: Store,
    _dir: tempfile::TempDir,
}

impl Laptop {
    fn new() -> Laptop {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fb.db")).unwrap();
        Laptop { store, _dir: dir }
    }

    fn study(&mut self, title: &str) -> String {
        self.store
            .create(
                "study",
                fields(json!({"title": title, "fiscal_year": 2026})),
            )
            .unwrap()
    }

    fn sync(&mut self) -> client::SyncOutcome {
        client::sync(&mut self.store, None, &|_| {}).unwrap()
    }

    fn sync_err(&mut self) -> HubError {
        client::sync(&mut self.store, None, &|_| {}).unwrap_err()
    }

    fn token(&self) -> String {
        let tokens: BTreeMap<String, String> =
            serde_json::from_str(&self.store.setting("hub.tokens").unwrap().unwrap()).unwrap();
        tokens.into_values().next().unwrap()
    }

    fn project(&self) -> String {
        sync::membership(&self.store).unwrap().project_id
    }

    fn bundle(&self) -> Vec<u8> {
        sync::export(
            &self.store,
            &Target::All,
            0,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap()
        .parts
        .remove(0)
    }
}

/// A starts a team and B.. join it by invite file, enrolled by A: as part 3
/// leaves them, with no bundle exchanged yet.
fn team_of(n: usize) -> Vec<Laptop> {
    team_with_invite(n).0
}

fn team_with_invite(n: usize) -> (Vec<Laptop>, Vec<u8>) {
    let laptops: Vec<Laptop> = (0..n).map(|_| Laptop::new()).collect();
    let invite = sync::init(
        &laptops[0].store,
        "Mekong survey",
        "A",
        PASS,
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    for (i, l) in laptops.iter().enumerate().skip(1) {
        let request = sync::join(&l.store, &invite, PASS, &format!("laptop {i}")).unwrap();
        sync::add_device(&laptops[0].store, &request).unwrap();
    }
    (laptops, invite)
}

/// A registers the team with the admin code; every other laptop enrols with
/// a device code A asks for.
fn enrolled(hub: &TestHub, laptops: &[Laptop]) {
    let first = client::enrol(&laptops[0].store, &hub.url, &hub.admin_code, None).unwrap();
    assert!(first.new_team);
    for l in &laptops[1..] {
        let code = client::invite(&laptops[0].store).unwrap().code;
        assert!(
            !client::enrol(&l.store, &hub.url, &code, None)
                .unwrap()
                .new_team
        );
    }
}

fn refused(e: HubError) -> RefusalCode {
    e.code().unwrap_or_else(|| panic!("not a refusal: {e}"))
}

fn assert_same(laptops: &[Laptop]) {
    let first = laptops[0].store.dump().unwrap();
    for l in &laptops[1..] {
        assert_eq!(l.store.dump().unwrap(), first);
    }
}

fn laptops_enrolled_on_a_hub_converge_without_a_file(backend: &Backend) {
    let hub = TestHub::start(backend);
    let mut l = team_of(3);
    enrolled(&hub, &l);
    // Each edits offline, then they sync in an order no one planned.
    let s = l[0].study("Da Nang pumps");
    l[1].study("Semarang landfill");
    l[2].study("Phnom Penh market");
    for i in [2, 0, 1, 2, 0] {
        let o = l[i].sync();
        assert!(o.refused.is_empty(), "{i}: {:?}", o.refused);
    }
    assert_same(&l);
    // A change made on B after everyone has synced reaches A and C.
    l[1].store
        .edit(
            "study",
            &s,
            fields(json!({"notes": "pumps run 20 h a day"})),
        )
        .unwrap();
    assert_eq!(l[1].sync().pushed_ops, 1);
    assert!(l[0].sync().ops_new >= 1);
    l[2].sync();
    assert_same(&l);
    // With nothing new anywhere, a sync sends and receives nothing.
    let idle = l[0].sync();
    assert_eq!((idle.pushed_ops, idle.pulled_bundles), (0, 0));
    let stored = hub.metric("fieldbook_hub_bundles_stored");
    assert!(stored >= 4, "{stored}");
    let status = client::status(&l[2].store, true).unwrap();
    assert_eq!(
        (status.reachable, status.to_push, status.to_pull),
        (Some(true), Some(0), Some(0))
    );
    assert!(status.last_sync.is_some() && status.last_error.is_none());
}

fn a_laptop_offline_the_whole_time_joins_last_and_catches_up_in_one_pull(backend: &Backend) {
    let hub = TestHub::start(backend);
    let mut l = team_of(3);
    enrolled(&hub, &l[..2]);
    // A syncs after every few changes: 30 small pushes, B relays them too.
    for round in 0..30 {
        for k in 0..5 {
            l[0].study(&format!("Visit {round}.{k}"));
        }
        l[0].sync();
        if round % 10 == 9 {
            l[1].study(&format!("B's note {round}"));
            l[1].sync();
        }
    }
    let code = client::invite(&l[0].store).unwrap().code;
    client::enrol(&l[2].store, &hub.url, &code, None).unwrap();
    let late = l[2].sync();
    assert!(late.refused.is_empty(), "{:?}", late.refused);
    assert_eq!(late.pull_rounds, 1, "one request brings it all");
    assert!(late.pulled_bundles <= 33, "{} bundles", late.pulled_bundles);
    l[0].sync();
    l[1].sync();
    assert_same(&l);
}

fn a_laptop_that_syncs_half_by_hub_and_half_by_usb_converges(backend: &Backend) {
    let hub = TestHub::start(backend);
    let mut l = team_of(3);
    enrolled(&hub, &l[..2]);
    l[0].study("By hub from A");
    l[0].sync();
    // C never talks to the hub at first: B hands it a file.
    l[1].sync();
    l[2].study("By USB from C");
    for part in sync::export(
        &l[1].store,
        &Target::All,
        0,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap()
    .parts
    {
        sync::import(&mut l[2].store, &part).unwrap();
    }
    for part in sync::export(
        &l[2].store,
        &Target::All,
        0,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap()
    .parts
    {
        sync::import(&mut l[1].store, &part).unwrap();
    }
    // B relays C's changes to the hub; A gets them without knowing C's route.
    l[1].sync();
    l[0].sync();
    assert_same(&l);
    // Later C enrols too, and receives nothing twice.
    let code = client::invite(&l[0].store).unwrap().code;
    client::enrol(&l[2].store, &hub.url, &code, None).unwrap();
    let c = l[2].sync();
    assert_eq!(c.ops_new, 0);
    assert_same(&l);
}

fn codes_are_single_use_and_refused_when_wrong(backend: &Backend) {
    let hub = TestHub::start(backend);
    let l = team_of(3);
    let stranger = team_of(1);
    for bad in [
        "",
        "fbh1-000000000000-00000000000000000000000000000000",
        "not a code",
    ] {
        let e = client::enrol(&l[0].store, &hub.url, bad, None).unwrap_err();
        assert_eq!(refused(e), RefusalCode::BadCode, "{bad}");
    }
    client::enrol(&l[0].store, &hub.url, &hub.admin_code, None).unwrap();
    // The admin code registered A's team; it registers no other.
    let e = client::enrol(&stranger[0].store, &hub.url, &hub.admin_code, None).unwrap_err();
    assert_eq!(refused(e), RefusalCode::BadCode);
    // A device code is for one device of A's team, once.
    let code = client::invite(&l[0].store).unwrap().code;
    let e = client::enrol(&stranger[0].store, &hub.url, &code, None).unwrap_err();
    assert_eq!(refused(e), RefusalCode::WrongTeam);
    client::enrol(&l[1].store, &hub.url, &code, None).unwrap();
    let e = client::enrol(&l[2].store, &hub.url, &code, None).unwrap_err();
    assert_eq!(refused(e), RefusalCode::BadCode);
}

fn a_device_no_member_enrolled_cannot_enrol(backend: &Backend) {
    let hub = TestHub::start(backend);
    let (l, invite) = team_with_invite(3);
    enrolled(&hub, &l[..2]);
    // It opened the invite, but no member enrolled its join request.
    let outsider = Laptop::new();
    sync::join(&outsider.store, &invite, PASS, "outsider").unwrap();
    let code = client::invite(&l[0].store).unwrap().code;
    let e = client::enrol(&outsider.store, &hub.url, &code, None).unwrap_err();
    assert_eq!(refused(e), RefusalCode::NotAMember);
    // The refusal did not spend the code: a member device enrols with it.
    client::enrol(&l[2].store, &hub.url, &code, None).unwrap();
}

fn every_refusal_has_its_code_stores_nothing_and_the_hub_serves_on(backend: &Backend) {
    let hub = TestHub::with_limits(
        backend,
        Limits {
            max_body_bytes: MAX_BODY,
            max_blob_bytes: MAX_BLOB,
            ..Limits::default()
        },
    );
    let mut l = team_of(3);
    enrolled(&hub, &l);
    let project = l[0].project();
    l[0].study("Before the refusals");
    l[0].sync();
    let stored = hub.metric("fieldbook_hub_bundles_stored");
    let good = l[0].bundle();

    // No token, a wrong one.
    let e = hub.client(None).push(&project, &good).unwrap_err();
    assert_eq!(refused(e), RefusalCode::Unauthorized);
    let e = hub.client(Some("00ff")).vv(&project).unwrap_err();
    assert_eq!(refused(e), RefusalCode::Unauthorized);
    // A's bundle under B's token: a laptop pushes only its own bundles.
    let b = hub.client(Some(&l[1].token()));
    assert_eq!(
        refused(b.push(&project, &good).unwrap_err()),
        RefusalCode::WrongSender
    );
    // Another team's path, or its bundle under a member's token.
    assert_eq!(
        refused(b.vv("other-team").unwrap_err()),
        RefusalCode::WrongTeam
    );
    let mut other = team_of(1);
    other[0].study("Another team's study");
    let a = hub.client(Some(&l[0].token()));
    assert_eq!(
        refused(a.push(&project, &other[0].bundle()).unwrap_err()),
        RefusalCode::WrongTeam
    );
    // Not a bundle; a bundle with its signature or its header damaged.
    assert_eq!(
        refused(a.push(&project, b"hello").unwrap_err()),
        RefusalCode::BadBundle
    );
    l[0].study("After");
    let fresh = l[0].bundle();
    let mut bad_sig = fresh.clone();
    let at = bad_sig.len() - 8 - 8 - 10;
    bad_sig[at] ^= 1;
    assert_eq!(
        refused(a.push(&project, &bad_sig).unwrap_err()),
        RefusalCode::BadSignature
    );
    let mut bad_header = fresh.clone();
    bad_header[40] ^= 1;
    assert_eq!(
        refused(a.push(&project, &bad_header).unwrap_err()),
        RefusalCode::BadBundle
    );
    // A body over the limit; a photo over the declared cap.
    let big = vec![7u8; MAX_BODY + 1];
    assert_eq!(
        refused(a.push(&project, &big).unwrap_err()),
        RefusalCode::TooLarge
    );
    assert_eq!(
        hub.metric("fieldbook_hub_bundles_stored"),
        stored,
        "nothing stored"
    );
    assert!(hub.metric("fieldbook_hub_refusals_total{code=\"wrong_sender\"}") >= 1);

    // A push once, then replayed: stored once.
    assert!(!a.push(&project, &good).unwrap().duplicate);
    assert!(a.push(&project, &good).unwrap().duplicate);
    assert_eq!(hub.metric("fieldbook_hub_bundles_stored"), stored + 1);

    // Tokens revoked: by the device itself.
    let c_token = l[2].token();
    let c_id = l[2].store.device_id().to_string();
    assert_eq!(
        hub.client(Some(&c_token))
            .revoke(&project, &c_id)
            .unwrap()
            .tokens,
        1
    );
    assert_eq!(refused(l[2].sync_err()), RefusalCode::TokenRevoked);

    // B revoked in the team's roster: refused from the moment A's sync
    // brings the revocation to the hub.
    l[1].sync();
    let b_id = l[1].store.device_id().to_string();
    sync::revoke(&l[0].store, &b_id).unwrap();
    l[0].sync();
    assert_eq!(refused(l[1].sync_err()), RefusalCode::DeviceRevoked);

    // The hub still serves A; a photo over its cap is refused by the size
    // its upload declares (the changes naming it go through), and a bundle
    // file carrying it by what its header declares: neither is kept.
    let s = l[0].study("Photos");
    let finding = l[0]
        .store
        .create(
            "finding",
            fields(json!({"study_id": s, "sector": "water", "title": "Intake"})),
        )
        .unwrap();
    l[0].sync();
    let stored = hub.metric("fieldbook_hub_bundles_stored");
    let jpeg = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/photo.jpg"
    ))
    .unwrap();
    assert!(jpeg.len() as u64 > MAX_BLOB);
    l[0].store
        .attach(&finding, "photo", "intake.jpg", &jpeg)
        .unwrap();
    assert_eq!(refused(l[0].sync_err()), RefusalCode::DeclaredTooLarge);
    assert_eq!(hub.metric("fieldbook_hub_bundles_stored"), stored + 1);
    assert_eq!(hub.metric("fieldbook_hub_photos_stored"), 0);
    let with_photo = l[0].bundle();
    let e = hub
        .client(Some(&l[0].token()))
        .push(&project, &with_photo)
        .unwrap_err();
    assert_eq!(refused(e), RefusalCode::DeclaredTooLarge);
    assert_eq!(hub.metric("fieldbook_hub_bundles_stored"), stored + 1);
}

fn pushes_over_the_rate_or_declaring_too_many_changes_are_refused(backend: &Backend) {
    let hub = TestHub::with_limits(
        backend,
        Limits {
            pushes_per_minute: 3,
            max_ops: 50,
            ..Limits::default()
        },
    );
    let mut l = team_of(2);
    enrolled(&hub, &l);
    let project = l[0].project();
    let a = hub.client(Some(&l[0].token()));
    // 10 studies are 50 changes: at the cap, taken.
    for i in 0..10 {
        l[0].study(&format!("Within the cap {i}"));
    }
    assert!(!a.push(&project, &l[0].bundle()).unwrap().duplicate);
    // One more change and the header declares more than the hub takes.
    l[0].study("Over the cap");
    assert_eq!(
        refused(a.push(&project, &l[0].bundle()).unwrap_err()),
        RefusalCode::DeclaredTooLarge
    );
    // The third push this minute is the last one allowed; the fourth waits.
    assert_eq!(
        refused(a.push(&project, b"not even read").unwrap_err()),
        RefusalCode::BadBundle
    );
    let e = a.push(&project, b"not even read").unwrap_err();
    assert_eq!(refused(e), RefusalCode::RateLimited);
    // A second hub process on the same PostgreSQL database counts the
    // same pushes: going round the load balancer does not double the rate.
    if let Backend::Postgres(_) = backend {
        let other = TestHub::with_limits(
            backend,
            Limits {
                pushes_per_minute: 3,
                ..Limits::default()
            },
        );
        let e = other
            .client(Some(&l[0].token()))
            .push(&project, b"not even read")
            .unwrap_err();
        assert_eq!(refused(e), RefusalCode::RateLimited);
    }
    assert!(HubError::Refused(fieldbook_hub_wire::Refusal {
        code: RefusalCode::RateLimited,
        message: String::new()
    })
    .is_transient());
    // Another laptop is not held back by A's rate.
    l[1].study("B is not limited");
    let b = hub.client(Some(&l[1].token()));
    assert!(!b.push(&project, &l[1].bundle()).unwrap().duplicate);
}

// ------------------------------------------------------------------ faults

/// What the proxy between a laptop and the hub does to each connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Passes everything through.
    None,
    /// Passes the hub's answers up to this many bytes, then cuts the connection.
    CutAnswerAfter(usize),
    /// Passes the laptop's request up to this many bytes, then cuts it.
    CutRequestAfter(usize),
    /// Answers 503 itself.
    Unavailable,
    /// Reads the request, answers nothing, and drops it after a while.
    Hang,
}

/// A TCP proxy on a loopback port in front of the hub, with a fault that
/// can be changed between requests.
struct Proxy {
    url: String,
    fault: Arc<std::sync::Mutex<Fault>>,
}

impl Proxy {
    fn start(hub_url: &str) -> Proxy {
        use std::net::{TcpListener, TcpStream};
        let upstream = hub_url.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fault = Arc::new(std::sync::Mutex::new(Fault::None));
        let shared = Arc::clone(&fault);
        std::thread::spawn(move || {
            for laptop in listener.incoming() {
                let Ok(laptop) = laptop else { return };
                let fault = *shared.lock().unwrap();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let hub = TcpStream::connect(&upstream).unwrap();
                    relay(laptop, hub, fault);
                });
            }
        });
        Proxy { url, fault }
    }

    fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }
}

fn relay(laptop: std::net::TcpStream, hub: std::net::TcpStream, fault: Fault) {
    use std::io::{Read, Write};
    use std::net::Shutdown;
    let copy = |mut from: std::net::TcpStream, mut to: std::net::TcpStream, limit: usize| {
        let mut buf = [0u8; 8192];
        let mut sent = 0;
        while sent < limit {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n.min(limit - sent),
            };
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    };
    match fault {
        Fault::Unavailable | Fault::Hang => {
            let mut laptop = laptop;
            let mut buf = [0u8; 4096];
            let _ = laptop.read(&mut buf);
            if fault == Fault::Unavailable {
                let _ = laptop.write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            } else {
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
        }
        _ => {
            let (answer_limit, request_limit) = match fault {
                Fault::CutAnswerAfter(n) => (n, usize::MAX),
                Fault::CutRequestAfter(n) => (usize::MAX, n),
                _ => (usize::MAX, usize::MAX),
            };
            let (l2, h2) = (laptop.try_clone().unwrap(), hub.try_clone().unwrap());
            let up = std::thread::spawn(move || copy(l2, h2, request_limit));
            copy(hub, laptop, answer_limit);
            let _ = up.join();
        }
    }
}

/// A team of two on a hub, B reaching it through a proxy; A has pushed
/// `pushes` small bundles.
fn behind_a_proxy(backend: &Backend, pushes: usize) -> (TestHub, Proxy, Vec<Laptop>) {
    let hub = TestHub::start(backend);
    let proxy = Proxy::start(&hub.url);
    let mut l = team_of(2);
    client::enrol(&l[0].store, &hub.url, &hub.admin_code, None).unwrap();
    let code = client::invite(&l[0].store).unwrap().code;
    client::enrol(&l[1].store, &proxy.url, &code, None).unwrap();
    for round in 0..pushes {
        for k in 0..5 {
            l[0].study(&format!("Pump house {round}.{k}"));
        }
        l[0].sync();
    }
    (hub, proxy, l)
}

fn a_pull_cut_mid_stream_keeps_what_arrived_whole_and_resumes(backend: &Backend) {
    let (_hub, proxy, mut l) = behind_a_proxy(backend, 30);
    proxy.set(Fault::CutAnswerAfter(40 << 10));
    let e = l[1].sync_err();
    assert!(matches!(e, HubError::Unreachable(_)), "{e}");
    let got = l[1].store.version_vector().unwrap();
    let all = l[0].store.version_vector().unwrap();
    let a = l[0].store.device_id().to_string();
    let part = got.get(&a).copied().unwrap_or(0);
    assert!(
        part > 0 && part < all[&a],
        "some bundles arrived whole: {part} of {}",
        all[&a]
    );
    proxy.set(Fault::None);
    let rest = l[1].sync();
    assert!(rest.refused.is_empty());
    assert_same(&l);
}

fn a_push_cut_mid_upload_stores_nothing_and_the_retry_goes_through(backend: &Backend) {
    let (hub, proxy, mut l) = behind_a_proxy(backend, 1);
    l[1].sync();
    for i in 0..400 {
        l[1].study(&format!("A long survey day, item {i}"));
    }
    let stored = hub.metric("fieldbook_hub_bundles_stored");
    proxy.set(Fault::CutRequestAfter(8 << 10));
    let e = l[1].sync_err();
    assert!(matches!(e, HubError::Unreachable(_)), "{e}");
    assert_eq!(
        hub.metric("fieldbook_hub_bundles_stored"),
        stored,
        "half a bundle is not kept"
    );
    proxy.set(Fault::None);
    assert!(l[1].sync().pushed_ops >= 400, "every study goes through");
    l[0].sync();
    assert_same(&l);
}

fn a_hub_answering_503_or_hanging_loses_nothing(backend: &Backend) {
    let (_hub, proxy, mut l) = behind_a_proxy(backend, 2);
    l[1].study("Written while the hub is sick");
    let before = l[1].store.dump().unwrap();
    for fault in [Fault::Unavailable, Fault::Hang] {
        proxy.set(fault);
        let e = l[1].sync_err();
        assert!(e.is_transient(), "{e}");
        assert_eq!(l[1].store.dump().unwrap(), before);
        let status = client::status(&l[1].store, false).unwrap();
        assert!(status.last_error.is_some());
    }
    proxy.set(Fault::None);
    l[1].sync();
    l[0].sync();
    assert_same(&l);
    assert!(client::status(&l[1].store, false)
        .unwrap()
        .last_error
        .is_none());
}

/// A photo of `mib` MiB: a real JPEG's bytes, then noise (a phone photo's
/// size, and as incompressible).
fn photo(mib: usize, seed: u8) -> Vec<u8> {
    let mut bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/photo.jpg"
    ))
    .unwrap();
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    bytes.extend((0..mib << 20).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    }));
    bytes
}

impl Laptop {
    /// A study with one finding and `photo` attached; the photo's hash.
    fn photographed(&mut self, photo: &[u8]) -> String {
        let study = self.study("Water works");
        let finding = self
            .store
            .create(
                "finding",
                fields(json!({"study_id": study, "sector": "water", "title": "Intake pumps"})),
            )
            .unwrap();
        let id = self
            .store
            .attach(&finding, "photo", "intake.jpg", photo)
            .unwrap();
        let sha = self.store.get("attachment", &id).unwrap().fields["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        sha
    }
}

fn photos_travel_sealed_apart_from_the_bundles(backend: &Backend) {
    let hub = TestHub::start(backend);
    let mut l = team_of(2);
    enrolled(&hub, &l);
    let bytes = photo(1, 1);
    let sha = l[0].photographed(&bytes);
    let sent = l[0].sync();
    assert_eq!(sent.photos_sent, 1);
    assert_eq!(hub.metric("fieldbook_hub_photos_stored"), 1);
    assert!(
        hub.metric("fieldbook_hub_bytes_stored") < bytes.len() as u64 / 10,
        "the bundles carry no photo"
    );
    let got = l[1].sync();
    assert_eq!(got.photos_new, 1);
    assert_eq!(l[1].store.blobs().read(&sha).unwrap(), bytes);
    assert_same(&l);
    // Nothing to send or fetch again.
    assert_eq!(l[0].sync().photos_sent, 0);
    assert_eq!(l[1].sync().photos_new, 0);
    assert_eq!(
        hub.metric("fieldbook_hub_photo_bytes_received_total"),
        hub.metric("fieldbook_hub_photo_bytes_stored")
    );
}

fn a_photo_upload_cut_midway_resumes_where_it_stopped(backend: &Backend) {
    let (hub, proxy, mut l) = behind_a_proxy(backend, 0);
    let bytes = photo(10, 2);
    let sha = l[1].photographed(&bytes);
    proxy.set(Fault::CutRequestAfter(6 << 20));
    let e = l[1].sync_err();
    assert!(matches!(e, HubError::Unreachable(_)), "{e}");
    let project = l[1].project();
    let token = l[1].token();
    let part = hub
        .client(Some(&token))
        .blob_states(&project, std::slice::from_ref(&sha))
        .unwrap()
        .blobs[&sha];
    assert!(!part.complete);
    assert!(part.received > 0 && part.received < part.length, "{part:?}");
    proxy.set(Fault::None);
    assert_eq!(l[1].sync().photos_sent, 1);
    // Each byte was stored once: the second sync sent only the rest.
    let whole = hub.metric("fieldbook_hub_photo_bytes_stored");
    assert_eq!(whole, part.length);
    assert_eq!(
        hub.metric("fieldbook_hub_photo_bytes_received_total"),
        whole
    );
    l[0].sync();
    assert_eq!(l[0].store.blobs().read(&sha).unwrap(), bytes);
    assert_same(&l);
}

fn a_photo_download_cut_midway_resumes_where_it_stopped(backend: &Backend) {
    let (hub, proxy, mut l) = behind_a_proxy(backend, 0);
    let bytes = photo(10, 3);
    let sha = l[0].photographed(&bytes);
    l[0].sync();
    proxy.set(Fault::CutAnswerAfter(6 << 20));
    let e = l[1].sync_err();
    assert!(matches!(e, HubError::Unreachable(_)), "{e}");
    assert!(!l[1].store.blobs().contains(&sha));
    let partial = l[1].store.blobs().partial_download(&sha).unwrap();
    let kept = std::fs::metadata(&partial).unwrap().len();
    let whole = hub.metric("fieldbook_hub_photo_bytes_stored");
    assert!(kept > 0 && kept < whole, "{kept} of {whole}");
    proxy.set(Fault::None);
    // The next sync appends what it receives to the partial file: had the
    // hub sent the photo from its start again, the sealed bytes would not
    // open, and the photo would be refused rather than kept.
    let resumed = l[1].sync();
    assert!(resumed.refused.is_empty(), "{:?}", resumed.refused);
    assert_eq!(resumed.photos_new, 1);
    assert_eq!(l[1].store.blobs().read(&sha).unwrap(), bytes);
    assert!(!partial.exists());
    assert_same(&l);
}

fn photo_uploads_with_a_bad_name_offset_or_hash_are_refused_and_store_nothing(backend: &Backend) {
    let hub = TestHub::start(backend);
    let l = team_of(1);
    enrolled(&hub, &l);
    let (project, token) = (l[0].project(), l[0].token());
    let c = hub.client(Some(&token));
    let sealed = b"sealed bytes of a photo".to_vec();
    let good = "ab".repeat(32);
    let sealed_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&sealed));
    let upload = |name: &str, declared: &str| {
        c.upload_blob_chunk(&project, name, sealed.len() as u64, declared, 0, &sealed)
            .map(|_| ())
            .map_err(refused)
    };
    for name in [
        "..%2F..%2Fetc%2Fpasswd",
        &"AB".repeat(32),
        &"ab".repeat(31),
        &format!("{}zz", "ab".repeat(31)),
    ] {
        assert_eq!(
            upload(name, &sealed_sha),
            Err(RefusalCode::BadBlobName),
            "{name}"
        );
    }
    let not_from_the_start = c
        .upload_blob_chunk(
            &project,
            &good,
            sealed.len() as u64,
            &sealed_sha,
            5,
            &sealed[5..10],
        )
        .map_err(refused);
    assert_eq!(not_from_the_start.unwrap_err(), RefusalCode::BlobOffset);
    assert_eq!(
        upload(&good, &"00".repeat(32)),
        Err(RefusalCode::BlobHashMismatch)
    );
    assert!(c
        .blob_states(&project, std::slice::from_ref(&good))
        .unwrap()
        .blobs
        .is_empty());
    assert_eq!(
        c.download_blob(&project, &good, 0, &mut Vec::new())
            .map_err(refused)
            .unwrap_err(),
        RefusalCode::BlobMissing
    );
    let e = hub
        .client(None)
        .blob_states(&project, std::slice::from_ref(&good))
        .unwrap_err();
    assert_eq!(refused(e), RefusalCode::Unauthorized);
    assert_eq!(hub.metric("fieldbook_hub_photos_stored"), 0);
    // The same upload, declared rightly, goes through.
    assert_eq!(upload(&good, &sealed_sha), Ok(()));
    assert_eq!(hub.metric("fieldbook_hub_photos_stored"), 1);
}
