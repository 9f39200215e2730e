//! Replicas exchanging ops: the merge guarantees of part 3 on real SQLite files
//! (convergence, idempotence, nothing lost, delete versus edit, refusal of a
//! forged op without damage, the v3 → v4 backfill).

mod common;

use common::{fields, fresh, study_with_finding, Fixture};
use fieldbook_core::op::{Op, OpKind};
use fieldbook_store::{Store, StoreError};
use serde_json::json;

/// Sends `to` every op it lacks from `from`.
fn sync(from: &Store, to: &mut Store) -> fieldbook_store::ImportSummary {
    let ops = from.ops_after(&to.version_vector().unwrap()).unwrap();
    to.import_ops(&ops).unwrap()
}

fn pair() -> (Fixture, Fixture, String) {
    let mut a = fresh();
    let mut b = fresh();
    let (_, _, finding) = study_with_finding(&mut a.store);
    sync(&a.store, &mut b.store);
    (a, b, finding)
}

#[test]
fn a_replica_receives_everything_once() {
    let (a, mut b, finding) = pair();
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    assert_eq!(
        b.store.get("finding", &finding).unwrap().fields["title"],
        "Diesel buses idle at the depot"
    );
    // Twice, or everything again: nothing changes.
    let again = b
        .store
        .import_ops(&a.store.ops_after(&Default::default()).unwrap())
        .unwrap();
    assert_eq!((again.ops_new, again.records_changed), (0, 0));
    assert!(again.ops_known > 0);
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    assert_eq!(
        a.store.version_vector().unwrap(),
        b.store.version_vector().unwrap()
    );
}

#[test]
fn concurrent_edits_keep_both_values_until_resolved() {
    let (mut a, mut b, finding) = pair();
    let title = |v: &str| fields(json!({ "title": v }));
    a.store
        .edit("finding", &finding, title("Buses idle 40 min"))
        .unwrap();
    b.store
        .edit("finding", &finding, title("Buses idle 25 min"))
        .unwrap();
    sync(&a.store, &mut b.store);
    let back = sync(&b.store, &mut a.store);
    assert_eq!(back.conflicts_new, 1);
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    for s in [&a.store, &b.store] {
        let c = s.conflicts().unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].record_id.as_str(), c[0].field.as_str()),
            (finding.as_str(), "title")
        );
        let values: Vec<_> = c[0]
            .candidates
            .iter()
            .map(|c| c.value.clone().unwrap())
            .collect();
        assert!(values.contains(&"\"Buses idle 40 min\"".to_string()));
        assert!(values.contains(&"\"Buses idle 25 min\"".to_string()));
        // Both authors edited the same earlier value.
        assert!(c[0]
            .candidates
            .iter()
            .all(|c| c.base.as_deref() == Some("\"Diesel buses idle at the depot\"")));
    }
    // Resolving is an ordinary edit that supersedes both.
    a.store
        .edit("finding", &finding, title("Buses idle 25–40 min"))
        .unwrap();
    assert!(a.store.conflicts().unwrap().is_empty());
    sync(&a.store, &mut b.store);
    assert!(b.store.conflicts().unwrap().is_empty());
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    let history = b.store.history(&finding).unwrap();
    assert!(
        history
            .iter()
            .filter(|h| h.field.as_deref() == Some("title"))
            .count()
            >= 4
    );
}

#[test]
fn keeping_the_value_shown_settles_the_conflict_too() {
    let (mut a, mut b, finding) = pair();
    a.store
        .edit("finding", &finding, fields(json!({"title": "A"})))
        .unwrap();
    b.store
        .edit("finding", &finding, fields(json!({"title": "B"})))
        .unwrap();
    sync(&a.store, &mut b.store);
    sync(&b.store, &mut a.store);
    let shown = a.store.get("finding", &finding).unwrap().fields["title"].clone();
    a.store
        .edit("finding", &finding, fields(json!({ "title": shown })))
        .unwrap();
    assert!(a.store.conflicts().unwrap().is_empty());
    sync(&a.store, &mut b.store);
    assert!(b.store.conflicts().unwrap().is_empty());
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
}

#[test]
fn equal_concurrent_values_are_no_conflict() {
    let (mut a, mut b, finding) = pair();
    for s in [&mut a.store, &mut b.store] {
        s.edit("finding", &finding, fields(json!({"status": "complete"})))
            .unwrap();
    }
    sync(&a.store, &mut b.store);
    sync(&b.store, &mut a.store);
    assert!(a.store.conflicts().unwrap().is_empty());
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
}

#[test]
fn a_delete_never_hides_an_edit_it_had_not_seen() {
    let (mut a, mut b, finding) = pair();
    a.store.delete("finding", &finding).unwrap();
    b.store
        .edit(
            "finding",
            &finding,
            fields(json!({"text": "72 buses confirmed"})),
        )
        .unwrap();
    sync(&a.store, &mut b.store);
    sync(&b.store, &mut a.store);
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    for s in [&a.store, &b.store] {
        let r = s.get("finding", &finding).unwrap();
        assert!(r.deleted_at.is_none(), "kept visible");
        assert_eq!(r.fields["text"], "72 buses confirmed");
        let c = s.conflicts().unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "");
    }
    // Deleting again, having seen the edit, settles it.
    a.store.delete("finding", &finding).unwrap();
    sync(&a.store, &mut b.store);
    for s in [&a.store, &b.store] {
        assert!(s.get("finding", &finding).unwrap().deleted_at.is_some());
        assert!(s.conflicts().unwrap().is_empty());
    }
    assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
}

#[test]
fn any_order_and_grouping_gives_the_same_replica() {
    let (mut a, mut b, finding) = pair();
    let mut c = fresh();
    a.store
        .edit("finding", &finding, fields(json!({"title": "A1"})))
        .unwrap();
    b.store
        .edit("finding", &finding, fields(json!({"text": "B1"})))
        .unwrap();
    a.store
        .edit("finding", &finding, fields(json!({"status": "reviewed"})))
        .unwrap();
    b.store.delete("finding", &finding).unwrap();
    let all: Vec<_> = [&a.store, &b.store]
        .iter()
        .flat_map(|s| s.ops_after(&Default::default()).unwrap())
        .collect();
    // C gets them one at a time, newest first, each twice.
    for op in all.iter().rev() {
        c.store.import_ops(std::slice::from_ref(op)).unwrap();
        c.store.import_ops(std::slice::from_ref(op)).unwrap();
    }
    sync(&a.store, &mut b.store);
    sync(&b.store, &mut a.store);
    assert_eq!(a.store.dump().unwrap(), c.store.dump().unwrap());
    assert_eq!(b.store.dump().unwrap(), c.store.dump().unwrap());
    // The incremental result equals a rebuild from the log.
    let before = c.store.dump().unwrap();
    c.store.rebuild_from_log().unwrap();
    assert_eq!(c.store.dump().unwrap(), before);
}

#[test]
fn a_forged_op_is_refused_and_changes_nothing() {
    let (a, mut b, _) = pair();
    let before = b.store.dump().unwrap();
    let mut ops = a.store.ops_after(&Default::default()).unwrap();
    let last = ops.last_mut().unwrap();
    last.value = Some("\"forged\"".into());
    // Without fixing the hash: damaged.
    assert!(matches!(
        b.store.import_ops(std::slice::from_ref(last)),
        Err(StoreError::Corrupt(_))
    ));
    // With the hash recomputed: a second op under a known (actor, seq).
    let forged = last.clone().seal();
    assert!(matches!(
        b.store.import_ops(&[forged]),
        Err(StoreError::Equivocation { .. })
    ));
    assert_eq!(b.store.dump().unwrap(), before);
}

#[test]
fn a_log_written_before_v4_is_backfilled_chained_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    fieldbook_store::testing_support::create_at_version(&path, 3);
    // A study as a v3 build wrote it: created, then its title edited twice.
    let study = "01a21ea6-d9a1-7483-8c64-17ab28490ff9";
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO meta (key, value) VALUES ('device_id', 'olddevice');
             INSERT INTO batch (id, device, at, label) VALUES (1, 'olddevice', 't', 'Create study');
             INSERT INTO study (id, title, fiscal_year, status, years, created_at, updated_at, updated_by)
               VALUES ('{study}', 'Third', 2019, 'planned', 1, 't', 't', 'olddevice');
             INSERT INTO change (device, seq, hlc, at, batch, op, kind, record_id, field, value, prev)
               VALUES ('olddevice', 1, 10, 't', 1, 'create', 'study', '{study}', NULL, NULL, NULL),
                      ('olddevice', 2, 11, 't', 1, 'set', 'study', '{study}', 'title', '\"First\"', NULL),
                      ('olddevice', 3, 12, 't', 1, 'set', 'study', '{study}', 'fiscal_year', '2019', NULL),
                      ('olddevice', 4, 13, 't', 1, 'set', 'study', '{study}', 'status', '\"planned\"', NULL),
                      ('olddevice', 5, 14, 't', 1, 'set', 'study', '{study}', 'years', '1', NULL),
                      ('olddevice', 6, 15, 't', 1, 'set', 'study', '{study}', 'title', '\"Second\"', '\"First\"'),
                      ('olddevice', 7, 16, 't', 1, 'set', 'study', '{study}', 'title', '\"Third\"', '\"Second\"');"
        ))
        .unwrap();
    }
    let mut old = Store::open(&path).unwrap();
    let ops = old.ops_after(&Default::default()).unwrap();
    assert_eq!(ops.len(), 7);
    let mut prev = fieldbook_core::op::GENESIS_HASH.to_string();
    for op in &ops {
        assert_eq!(op.compute_hash(), op.op_hash);
        assert_eq!(op.prev_hash, prev);
        prev = op.op_hash.clone();
    }
    let seq_of = |id: &fieldbook_core::op::OpId| id.seq;
    assert_eq!(
        ops[5].supersedes.iter().map(seq_of).collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(
        ops[6].supersedes.iter().map(seq_of).collect::<Vec<_>>(),
        [6]
    );
    // Another replica rebuilds the same study from the backfilled ops.
    let mut other = fresh();
    other.store.import_ops(&ops).unwrap();
    assert_eq!(other.store.dump().unwrap(), old.dump().unwrap());
    assert_eq!(
        other.store.get("study", study).unwrap().fields["title"],
        "Third"
    );
    // And the old replica keeps writing on its chain.
    old.edit("study", study, fields(json!({"title": "Fourth"})))
        .unwrap();
    sync(&old, &mut other.store);
    assert_eq!(
        other.store.get("study", study).unwrap().fields["title"],
        "Fourth"
    );
    assert!(other.store.conflicts().unwrap().is_empty());
}

/// The ops of one laptop as its clock would have stamped them, `years` off:
/// the same ops, re-chained and re-hashed with shifted clocks.
fn skewed(ops: &[fieldbook_core::op::Op], years: i64) -> Vec<fieldbook_core::op::Op> {
    let shift_ms = years * 365 * 24 * 3600 * 1000;
    let mut prev = fieldbook_core::op::GENESIS_HASH.to_string();
    ops.iter()
        .map(|op| {
            let mut op = op.clone();
            let ms = ((op.hlc >> 16) as i64 + shift_ms).max(0) as u64;
            op.hlc = (ms << 16) | (op.hlc & 0xffff);
            op.at = format!("{} (clock {years:+} years)", op.at);
            op.prev_hash = std::mem::take(&mut prev);
            let op = op.seal();
            prev = op.op_hash.clone();
            op
        })
        .collect()
}

#[test]
fn laptops_whose_clocks_are_years_off_still_converge_and_show_conflicts() {
    let (mut b, _, finding) = pair();
    let base = b.store.ops_after(&Default::default()).unwrap();
    let (mut ahead, mut behind, mut d) = (fresh(), fresh(), fresh());
    for r in [&mut ahead, &mut behind, &mut d] {
        r.store.import_ops(&base).unwrap();
    }
    ahead
        .store
        .edit(
            "finding",
            &finding,
            fields(json!({"title": "From the future"})),
        )
        .unwrap();
    behind
        .store
        .edit(
            "finding",
            &finding,
            fields(json!({"title": "From the past"})),
        )
        .unwrap();
    let own = |s: &Store| {
        let me = s.device_id().to_string();
        s.ops_after(&Default::default())
            .unwrap()
            .into_iter()
            .filter(|o| o.actor == me)
            .collect::<Vec<_>>()
    };
    let future = skewed(&own(&ahead.store), 5);
    let past = skewed(&own(&behind.store), -5);
    b.store.import_ops(&future).unwrap();
    b.store.import_ops(&past).unwrap();
    d.store.import_ops(&past).unwrap();
    d.store.import_ops(&future).unwrap();
    assert_eq!(b.store.dump().unwrap(), d.store.dump().unwrap());
    for s in [&b.store, &d.store] {
        let c = s.conflicts().unwrap();
        assert_eq!((c.len(), c[0].field.as_str()), (1, "title"));
    }
    // B's clock did not jump five years ahead, yet its resolution wins
    // everywhere: it supersedes both values it saw, whatever their clocks.
    assert!(b.store.clock().unwrap() >> 16 < (future[0].hlc >> 16));
    b.store
        .edit("finding", &finding, fields(json!({"title": "Settled"})))
        .unwrap();
    sync(&b.store, &mut d.store);
    for s in [&b.store, &d.store] {
        assert!(s.conflicts().unwrap().is_empty());
        assert_eq!(
            s.get("finding", &finding).unwrap().fields["title"],
            "Settled"
        );
    }
    assert_eq!(b.store.dump().unwrap(), d.store.dump().unwrap());
}

#[test]
fn ops_of_a_newer_version_are_kept_and_relayed_never_lost() {
    let (a, mut b, finding) = pair();
    // A newer Fieldbook on A wrote a field this build does not know, in an op
    // with a field of its own, and a record of a kind this build lacks.
    let mut ops = a.store.ops_after(&Default::default()).unwrap();
    let last = ops.last().unwrap().clone();
    let newer = |seq: u64, prev: &str, kind: &str, record: &str, field: &str| {
        let mut op = last.clone();
        op.seq = seq;
        op.hlc += seq;
        op.kind = kind.into();
        op.record_id = record.into();
        op.field = Some(field.into());
        op.value = Some("\"high\"".into());
        op.supersedes = vec![];
        op.schema_ver = 2;
        op.prev_hash = prev.into();
        op.extra
            .insert("confidence_basis".into(), json!({"method": "meter"}));
        op.seal()
    };
    let one = newer(
        last.seq + 1,
        &last.op_hash,
        "finding",
        &finding,
        "confidence",
    );
    let two = newer(
        last.seq + 2,
        &one.op_hash,
        "survey_route",
        "01a21ea6-0000-7000-8000-000000000001",
        "name",
    );
    ops.extend([one.clone(), two.clone()]);
    let before = b.store.dump().unwrap();
    let got = b.store.import_ops(&ops).unwrap();
    assert_eq!((got.ops_new, got.ops_not_applied), (2, 2));
    assert_eq!(
        b.store.dump().unwrap(),
        before,
        "nothing it cannot show is shown"
    );
    // C gets them from B exactly as A wrote them, hashes and chain intact.
    let mut c = fresh();
    let relayed = b.store.ops_after(&Default::default()).unwrap();
    assert!(relayed.contains(&one) && relayed.contains(&two));
    c.store.import_ops(&relayed).unwrap();
    assert_eq!(
        c.store.version_vector().unwrap(),
        b.store.version_vector().unwrap()
    );
    assert_eq!(c.store.dump().unwrap(), before);
    // And they survive a rebuild from the log.
    c.store.rebuild_from_log().unwrap();
    assert!(c
        .store
        .ops_after(&Default::default())
        .unwrap()
        .contains(&two));
}

#[test]
fn an_import_and_its_bookkeeping_commit_together_or_not_at_all() {
    let mut a = fresh();
    let mut b = fresh();
    study_with_finding(&mut a.store);
    let ops = a.store.ops_after(&Default::default()).unwrap();
    let before = b.store.dump().unwrap();
    // A failure after the ops went in takes them back out.
    let failed: Result<(), StoreError> = b.store.atomically(|s| {
        s.import_ops(&ops)?;
        s.set_setting("sync.test", "imported")?;
        Err(StoreError::Corrupt("a later step failed".into()))
    });
    assert!(failed.is_err());
    assert_eq!(b.store.dump().unwrap(), before);
    assert_eq!(b.store.setting("sync.test").unwrap(), None);
    assert!(b.store.version_vector().unwrap().is_empty());
    // Success keeps both, and the store takes writes again at once.
    b.store
        .atomically(|s| {
            s.import_ops(&ops)?;
            s.set_setting("sync.test", "imported")
        })
        .unwrap();
    assert_eq!(b.store.dump().unwrap(), a.store.dump().unwrap());
    assert_eq!(
        b.store.setting("sync.test").unwrap().as_deref(),
        Some("imported")
    );
    study_with_finding(&mut b.store);
    assert_eq!(b.store.integrity_check().unwrap(), "ok");
}

/// An op A's log could hold after its last one: a `set` of `field` on
/// `record`, superseding what A's last op on it superseded, chained to `prev`.
fn crafted_set(after: &Op, prev: &Op, record: (&str, &str), field: &str, value: &str) -> Op {
    let mut op = after.clone();
    op.seq = prev.seq + 1;
    op.hlc = prev.hlc + 1;
    op.op = OpKind::Set;
    op.kind = record.0.into();
    op.record_id = record.1.into();
    op.field = Some(field.into());
    op.value = Some(value.into());
    op.supersedes = vec![];
    op.observed = vec![];
    op.cascade_of = None;
    op.prev_hash = prev.op_hash.clone();
    op.seal()
}

#[test]
fn an_ill_typed_op_is_kept_and_relayed_but_never_shown_or_fatal() {
    let mut a = fresh();
    let (study, _, finding) = study_with_finding(&mut a.store);
    let mut ops = a.store.ops_after(&Default::default()).unwrap();
    let last = ops.last().unwrap().clone();
    // A well-hashed, well-chained op setting an integer field to text, then
    // an ordinary edit by the same sender.
    let bad = crafted_set(&last, &last, ("study", &study), "fiscal_year", "\"twenty\"");
    let good = crafted_set(
        &last,
        &bad,
        ("finding", &finding),
        "title",
        "\"Buses idle 40 min\"",
    );
    ops.extend([bad.clone(), good]);
    let mut b = fresh();
    let got = b.store.import_ops(&ops).unwrap();
    assert_eq!(got.ops_not_applied, 1);
    assert_eq!(
        b.store.get("study", &study).unwrap().fields["fiscal_year"],
        2019
    );
    assert_eq!(
        b.store.get("finding", &finding).unwrap().fields["title"],
        "Buses idle 40 min"
    );
    // Relayed intact, and the same on a replica that had the record first
    // (the incremental path) and after a rebuild from the log.
    let mut c = fresh();
    c.store
        .import_ops(&a.store.ops_after(&Default::default()).unwrap())
        .unwrap();
    let relayed = b.store.ops_after(&Default::default()).unwrap();
    assert!(relayed.contains(&bad));
    c.store.import_ops(&relayed).unwrap();
    assert_eq!(c.store.dump().unwrap(), b.store.dump().unwrap());
    c.store.rebuild_from_log().unwrap();
    assert_eq!(c.store.dump().unwrap(), b.store.dump().unwrap());
    // Other values no local write could make are kept out the same way.
    for (field, value) in [
        ("status", "\"abandoned\""),
        ("fiscal_year", "1e3"),
        ("fiscal_year", "\"2019\""),
        ("title", "null"),
    ] {
        let mut d = fresh();
        let odd = crafted_set(&last, &last, ("study", &study), field, value);
        let mut ops = a.store.ops_after(&Default::default()).unwrap();
        ops.push(odd);
        assert_eq!(
            d.store.import_ops(&ops).unwrap().ops_not_applied,
            1,
            "{field} = {value}"
        );
        assert_eq!(
            d.store.dump().unwrap(),
            a.store.dump().unwrap(),
            "{field} = {value}"
        );
    }
}

#[test]
fn a_newer_schemas_op_on_a_known_field_is_relayed_not_shown() {
    let (a, mut b, finding) = pair();
    let mut ops = a.store.ops_after(&Default::default()).unwrap();
    let last = ops.last().unwrap().clone();
    let mut newer = crafted_set(&last, &last, ("finding", &finding), "title", "\"v2 title\"");
    newer.schema_ver = 2;
    let newer = newer.seal();
    ops.push(newer.clone());
    let before = b.store.dump().unwrap();
    assert_eq!(b.store.import_ops(&ops).unwrap().ops_not_applied, 1);
    assert_eq!(b.store.dump().unwrap(), before);
    // A replica that meets the record for the first time in the same ops.
    let mut c = fresh();
    c.store.import_ops(&ops).unwrap();
    assert_eq!(c.store.dump().unwrap(), before);
    assert!(c
        .store
        .ops_after(&Default::default())
        .unwrap()
        .contains(&newer));
    c.store.rebuild_from_log().unwrap();
    assert_eq!(c.store.dump().unwrap(), before);
}

#[test]
fn every_value_the_write_path_stores_is_understood_on_import() {
    // The samples hold every kind and field type: a replica importing them
    // shows exactly what the author shows.
    let mut a = fresh();
    a.store.load_samples().unwrap();
    let mut b = fresh();
    let got = b
        .store
        .import_ops(&a.store.ops_after(&Default::default()).unwrap())
        .unwrap();
    assert_eq!(got.ops_not_applied, 0);
    assert_eq!(b.store.dump().unwrap(), a.store.dump().unwrap());
}

#[test]
fn a_child_added_while_its_parent_was_deleted_elsewhere_is_a_conflict_until_settled() {
    for keep in [true, false] {
        let mut a = fresh();
        let mut b = fresh();
        let (study, _, old_finding) = study_with_finding(&mut a.store);
        sync(&a.store, &mut b.store);
        // A deletes the study (its finding goes with it) while B adds a finding to it.
        a.store.delete("study", &study).unwrap();
        let added = b
            .store
            .create(
                "finding",
                fields(json!({"study_id": study, "sector": "energy", "title": "Chiller plant"})),
            )
            .unwrap();
        sync(&a.store, &mut b.store);
        sync(&b.store, &mut a.store);
        assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
        for s in [&a.store, &b.store] {
            let open = s.conflicts().unwrap();
            assert_eq!(open.len(), 1, "{open:?}");
            let c = &open[0];
            assert_eq!(
                (c.kind.as_str(), c.record_id.as_str(), c.field.as_str()),
                ("finding", added.as_str(), "")
            );
            let parent = c.deleted_parent.as_ref().unwrap();
            assert_eq!(
                (parent.kind.as_str(), parent.id.as_str()),
                ("study", study.as_str())
            );
            assert!(c.candidates.iter().any(|c| c.op == OpKind::Delete));
            assert_eq!(s.record_conflicts(&added).unwrap(), vec![String::new()]);
        }
        if keep {
            // Keeping the new finding brings back the study and what went with it.
            a.store.keep_record("finding", &added).unwrap();
        } else {
            a.store.delete("finding", &added).unwrap();
        }
        sync(&a.store, &mut b.store);
        for s in [&mut a.store, &mut b.store] {
            assert!(s.conflicts().unwrap().is_empty());
            let trashed =
                |s: &Store, kind: &str, id: &str| s.get(kind, id).unwrap().deleted_at.is_some();
            assert_eq!(trashed(s, "study", &study), !keep);
            assert_eq!(trashed(s, "finding", &old_finding), !keep);
            assert_eq!(trashed(s, "finding", &added), !keep);
            let dump = s.dump().unwrap();
            s.rebuild_from_log().unwrap();
            assert_eq!(s.dump().unwrap(), dump);
        }
        assert_eq!(a.store.dump().unwrap(), b.store.dump().unwrap());
    }
}
