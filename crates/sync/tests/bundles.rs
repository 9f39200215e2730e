//! Laptops exchanging bundle files through the sync crate, on real database
//! files: the team flow, convergence through direct and relayed bundles,
//! split parts in any order, photos, and refusals that change nothing.

use std::sync::atomic::AtomicBool;

use fieldbook_bundle::team::{JoinRequest, KdfParams};
use fieldbook_bundle::{BundleError, DeviceKey};
use fieldbook_store::{Store, SyncState};
use fieldbook_sync::{self as sync, Progress, SyncError, Target};
use serde_json::{json, Map, Value};

const PASS: &str = "correct horse battery";

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

    fn id(&self) -> String {
        self.store.device_id().to_string()
    }

    fn export(&self, target: &Target) -> Vec<Vec<u8>> {
        sync::export(&self.store, target, 0, &|_| {}, &AtomicBool::new(false))
            .unwrap()
            .parts
    }

    fn send_to(&self, other: &mut Laptop) -> sync::ImportReport {
        let parts = self.export(&Target::Peer(other.id()));
        let mut last = None;
        for p in parts {
            last = Some(sync::import(&mut other.store, &p).unwrap());
        }
        last.unwrap()
    }

    /// The database file's bytes after a checkpoint, and the canonical dump.
    fn fingerprint(&self) -> (Vec<u8>, String) {
        let conn = rusqlite::Connection::open(self.store.path()).unwrap();
        // Until it is not busy: the store may be checkpointing an import
        // on its background connection at the same moment.
        while conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap()
            != 0
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        (
            std::fs::read(self.store.path()).unwrap(),
            self.store.dump().unwrap(),
        )
    }
}

/// A starts a team, B and C join through A's invite and A enrols them.
fn team_of(n: usize) -> Vec<Laptop> {
    team_with_invite(n).0
}

fn team_with_invite(n: usize) -> (Vec<Laptop>, Vec<u8>) {
    let mut laptops: Vec<Laptop> = (0..n).map(|_| Laptop::new()).collect();
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
    let (first, rest) = laptops.split_at_mut(1);
    for l in rest {
        first[0].send_to(l);
    }
    (laptops, invite)
}

fn study(store: &mut Store, title: &str) -> String {
    store
        .create(
            "study",
            fields(json!({"title": title, "fiscal_year": 2026})),
        )
        .unwrap()
}

#[test]
fn a_team_converges_through_direct_and_relayed_bundles() {
    let mut l = team_of(3);
    let s = study(&mut l[0].store, "Da Nang pumps");
    let (a, rest) = l.split_at_mut(1);
    let (b, c) = rest.split_at_mut(1);
    let (a, b, c) = (&mut a[0], &mut b[0], &mut c[0]);
    a.send_to(b);
    // B edits; its bundle reaches C only through A (relayed, with B's checkpoint).
    b.store
        .edit(
            "study",
            &s,
            fields(json!({"notes": "pumps run 20 h a day"})),
        )
        .unwrap();
    b.send_to(a);
    let relayed = a.send_to(c);
    assert!(relayed.summary.ops_new > 0);
    assert_eq!(a.store.dump().unwrap(), c.store.dump().unwrap());
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    // C learned B from A's roster, so B can now send to C directly.
    c.store
        .edit("study", &s, fields(json!({"status": "ongoing"})))
        .unwrap();
    c.send_to(b);
    b.send_to(c);
    b.send_to(a);
    for x in [&a, &c] {
        assert_eq!(x.store.dump().unwrap(), b.store.dump().unwrap());
    }
    // Sending again brings nothing: "what the peer has not seen" is empty,
    // and everything again (a replay under a new bundle id) changes nothing.
    let before = c.fingerprint().1;
    let again = b.send_to(c);
    assert_eq!(again.summary.ops_new, 0);
    for p in b.export(&Target::All) {
        assert_eq!(sync::import(&mut c.store, &p).unwrap().summary.ops_new, 0);
    }
    assert_eq!(c.fingerprint().1, before);
}

#[test]
fn concurrent_edits_arrive_as_a_conflict_on_both_laptops() {
    let mut l = team_of(2);
    let s = study(&mut l[0].store, "Semarang buses");
    let (a, b) = l.split_at_mut(1);
    let (a, b) = (&mut a[0], &mut b[0]);
    let state = |x: &Laptop| x.store.sync_states(std::slice::from_ref(&s)).unwrap()[0];
    assert_eq!(state(a), SyncState::LocalOnly);
    a.send_to(b);
    // A learns that B holds it only when B's next bundle says so.
    assert_eq!(state(a), SyncState::LocalOnly);
    b.send_to(a);
    assert_eq!((state(a), state(b)), (SyncState::Synced, SyncState::Synced));
    a.store
        .edit("study", &s, fields(json!({"title": "Semarang BRT"})))
        .unwrap();
    b.store
        .edit(
            "study",
            &s,
            fields(json!({"title": "Semarang buses (CNG)"})),
        )
        .unwrap();
    let got = a.send_to(b);
    assert_eq!(got.summary.conflicts_new, 1);
    b.send_to(a);
    for x in [&a, &b] {
        let c = x.store.conflicts().unwrap();
        assert_eq!((c.len(), c[0].field.as_str()), (1, "title"));
        assert_eq!(state(x), SyncState::Conflict);
    }
    b.store
        .edit("study", &s, fields(json!({"title": "Semarang BRT (CNG)"})))
        .unwrap();
    b.send_to(a);
    assert!(a.store.conflicts().unwrap().is_empty());
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
}

#[test]
fn split_parts_import_in_any_order_with_their_photos() {
    let mut l = team_of(2);
    let (a, b) = l.split_at_mut(1);
    let (a, b) = (&mut a[0], &mut b[0]);
    let s = study(&mut a.store, "Photos");
    let f = a
        .store
        .create(
            "finding",
            fields(json!({"study_id": s, "sector": "water", "title": "Pump room"})),
        )
        .unwrap();
    let jpeg = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/photo.jpg"
    ))
    .unwrap();
    let att = a.store.attach(&f, "photo", "pump.jpg", &jpeg).unwrap();
    for i in 0..300 {
        a.store
            .create(
                "finding",
                fields(json!({"study_id": s, "sector": "water", "title": format!("Finding {i}")})),
            )
            .unwrap();
    }
    let parts = sync::export(
        &a.store,
        &Target::All,
        4_000,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap()
    .parts;
    assert!(parts.len() >= 3, "{} parts", parts.len());
    // Each part reports its stages: checked, merged as it is read, photos stored.
    let mut photos_reported = 0;
    for p in parts.iter().rev() {
        let stages = std::cell::RefCell::new(Vec::new());
        sync::import_reporting(&mut b.store, p, &|s| stages.borrow_mut().push(s)).unwrap();
        let stages = stages.into_inner();
        assert_eq!(stages.first(), Some(&Progress::Checking), "{stages:?}");
        assert!(
            matches!(stages.get(1), Some(Progress::Merging { .. })),
            "{stages:?}"
        );
        photos_reported += stages
            .iter()
            .filter(|s| matches!(s, Progress::Photos { done, total } if done == total))
            .count();
    }
    assert_eq!(photos_reported, 1);
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    let sha = b.store.get("attachment", &att).unwrap().fields["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(b.store.blobs().read(&sha).unwrap(), jpeg);
}

#[test]
fn refused_bundles_change_nothing() {
    let (mut l, invite) = team_with_invite(2);
    study(&mut l[0].store, "Kept");
    let (a, b) = l.split_at_mut(1);
    let (a, b) = (&mut a[0], &mut b[0]);
    a.send_to(b);
    let good = a.export(&Target::All).remove(0);
    let before = b.fingerprint();

    // Truncated at many offsets and bit-flipped: refused, database unchanged.
    for cut in (0..good.len()).step_by(97) {
        assert!(sync::import(&mut b.store, &good[..cut]).is_err());
    }
    for i in (0..good.len()).step_by(53) {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        assert!(sync::import(&mut b.store, &bad).is_err());
    }
    assert_eq!(b.fingerprint(), before);

    // Another team's laptop: its bundle is for another project key.
    let mut other = Laptop::new();
    sync::init(
        &other.store,
        "Other",
        "X",
        PASS,
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    study(&mut other.store, "Intruder");
    let foreign = other.export(&Target::All).remove(0);
    let err = sync::import(&mut b.store, &foreign).unwrap_err();
    assert!(
        matches!(err, SyncError::Bundle(BundleError::WrongProjectKey { .. })),
        "{err}"
    );

    // A laptop that opened the invite but was never enrolled: unknown here.
    let mut stranger = Laptop::new();
    sync::join(&stranger.store, &invite, PASS, "stranger").unwrap();
    study(&mut stranger.store, "Unvouched");
    let unvouched = stranger.export(&Target::All).remove(0);
    let err = sync::import(&mut b.store, &unvouched).unwrap_err();
    assert!(
        matches!(err, SyncError::Bundle(BundleError::UnknownDevice { .. })),
        "{err}"
    );
    assert_eq!(b.fingerprint(), before);

    // A revoked laptop: A revokes B; A then refuses B's bundles.
    study(&mut b.store, "After revocation");
    let from_b = b.export(&Target::All).remove(0);
    sync::revoke(&a.store, &b.id()).unwrap();
    let a_before = a.fingerprint();
    let err = sync::import(&mut a.store, &from_b).unwrap_err();
    assert!(
        matches!(err, SyncError::Bundle(BundleError::RevokedDevice { .. })),
        "{err}"
    );
    assert_eq!(a.fingerprint(), a_before);
    assert_eq!(b.fingerprint().1, b.store.dump().unwrap());
}

fn revoked(l: &Laptop) -> Vec<String> {
    let mut out: Vec<String> = sync::show(&l.store)
        .unwrap()
        .devices
        .into_iter()
        .filter(|d| d.revoked_at.is_some())
        .map(|d| d.actor)
        .collect();
    out.sort();
    out
}

/// A join request made again by `l`'s own key (the file it sent once).
fn join_request(l: &Laptop) -> Vec<u8> {
    let team = sync::show(&l.store).unwrap();
    let secret = l.store.setting("sync.device_key").unwrap().unwrap();
    let key: [u8; 32] = hex::decode(secret).unwrap().try_into().unwrap();
    let me = team.devices.iter().find(|d| d.this_laptop).unwrap();
    JoinRequest::create(
        &DeviceKey::from_bytes(&key),
        &me.actor,
        &me.label,
        &team.project_id,
    )
}

#[test]
fn a_join_request_reusing_an_enrolled_id_with_another_key_is_refused() {
    let mut l = team_of(2);
    let project_id = sync::show(&l[0].store).unwrap().project_id;
    // Mallory's request names B's device id, under Mallory's key.
    let forged = JoinRequest::create(&DeviceKey::generate(), &l[1].id(), "laptop 1", &project_id);
    let err = sync::add_device(&l[0].store, &forged).unwrap_err();
    assert!(
        matches!(err, SyncError::DeviceKeyConflict(ref d) if *d == l[1].id()),
        "{err}"
    );
    assert!(err.to_string().contains("another key"), "{err}");
    // B's own request again is fine, and B still signs as itself.
    sync::add_device(&l[0].store, &join_request(&l[1])).unwrap();
    study(&mut l[1].store, "Still B's");
    let (a, b) = l.split_at_mut(1);
    assert!(b[0].send_to(&mut a[0]).summary.ops_new > 0);
}

#[test]
fn revoking_is_for_the_enroller_or_the_first_device_and_never_of_the_first_device() {
    let l = team_of(3);
    let (a, b, c) = (&l[0], &l[1], &l[2]);
    let err = sync::revoke(&b.store, &c.id()).unwrap_err();
    assert!(matches!(err, SyncError::RevokeNotAllowed { .. }), "{err}");
    assert!(err.to_string().contains("enrolled it"), "{err}");
    let err = sync::revoke(&b.store, &a.id()).unwrap_err();
    assert!(err.to_string().contains("first device"), "{err}");
    assert!(revoked(b).is_empty());
    sync::revoke(&a.store, &c.id()).unwrap();
    assert_eq!(revoked(a), vec![c.id()]);
}

/// B and C enrolled each other too, then revoke each other at the same
/// time on their own laptops. A hears B first, D hears C first: both end
/// with B and C revoked (revocations are decided over the whole set), the
/// second bundle refused on each but its roster heard.
#[test]
fn mutual_revocations_give_the_same_team_in_any_order() {
    let mut l = team_of(4);
    let (b_id, c_id) = (l[1].id(), l[2].id());
    for (enroller, enrolled) in [(1, 2), (2, 1)] {
        sync::add_device(&l[enroller].store, &join_request(&l[enrolled])).unwrap();
    }
    sync::revoke(&l[1].store, &c_id).unwrap();
    sync::revoke(&l[2].store, &b_id).unwrap();
    let from_b = l[1].export(&Target::All).remove(0);
    let from_c = l[2].export(&Target::All).remove(0);
    let refused = |r: Result<sync::ImportReport, SyncError>| match r {
        Err(SyncError::Bundle(BundleError::RevokedDevice { .. })) => {}
        other => panic!("expected a refusal, got {other:?}"),
    };
    sync::import(&mut l[0].store, &from_b).unwrap();
    refused(sync::import(&mut l[0].store, &from_c));
    sync::import(&mut l[3].store, &from_c).unwrap();
    refused(sync::import(&mut l[3].store, &from_b));
    let mut both = vec![b_id, c_id];
    both.sort();
    assert_eq!(revoked(&l[0]), both);
    assert_eq!(revoked(&l[3]), both);
}

#[test]
fn a_relayed_op_forged_after_it_was_merged_rolls_the_whole_import_back() {
    // B's changes reach C through A, whose database was tampered with: one
    // of B's ops says something else. C merges the ops as they are decoded,
    // and only B's signed checkpoint at the end shows the forgery: the
    // import must then leave C's database exactly as it was.
    let mut l = team_of(3);
    let s = study(&mut l[1].store, "Cau Do intake");
    for i in 0..5_000 {
        l[1].store
            .create(
                "finding",
                fields(json!({"study_id": s, "sector": "water", "title": format!("Pump {i}")})),
            )
            .unwrap();
    }
    let (a, rest) = l.split_at_mut(1);
    rest[0].send_to(&mut a[0]);
    let b = rest[0].id();
    // B's last op, its value changed and its hash and B's checkpoint made
    // to match: A's writer takes it, and only B's signature can tell.
    let mut op = a[0]
        .store
        .ops_after(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|o| o.actor == b)
        .max_by_key(|o| o.seq)
        .unwrap();
    assert_eq!(op.field.as_deref(), Some("status"), "{op:?}");
    op.value = Some("\"complete\"".into());
    op.op_hash = op.compute_hash();
    let a_db = rusqlite::Connection::open(a[0].store.path()).unwrap();
    let forged = a_db
        .execute(
            "UPDATE change SET value = ?3, op_hash = ?4 WHERE device = ?1 AND seq = ?2",
            rusqlite::params![b, op.seq as i64, op.value, op.op_hash],
        )
        .unwrap();
    assert_eq!(forged, 1);
    a_db.execute(
        "UPDATE checkpoint SET op_hash = ?3 WHERE actor = ?1 AND seq = ?2",
        rusqlite::params![b, op.seq as i64, op.op_hash],
    )
    .unwrap();
    let before = rest[1].fingerprint();
    let file = a[0].export(&Target::Peer(rest[1].id()));
    assert_eq!(file.len(), 1);
    let e = sync::import(&mut rest[1].store, &file[0]).unwrap_err();
    assert!(
        matches!(e, SyncError::Bundle(BundleError::Checkpoint { ref actor, .. }) if *actor == b),
        "{e}"
    );
    assert_eq!(rest[1].fingerprint(), before, "nothing of it was kept");
}
