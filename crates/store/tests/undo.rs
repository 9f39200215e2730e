//! Undo and redo when other laptops changed the same records: an undo takes
//! back only what still holds what the action wrote, never a teammate's
//! later edit; what no longer applies is skipped and said; both laptops end
//! the same; the undo stack never gets stuck.

mod common;

use common::{fields, fresh, Fixture};
use fieldbook_store::{SkipReason, Store};
use serde_json::json;

/// Sends `to` every op it lacks from `from` ("from→to").
fn send(from: &Store, to: &mut Store) {
    let ops = from.ops_after(&to.version_vector().unwrap()).unwrap();
    to.import_ops(&ops).unwrap();
}

fn title(s: &Store, kind: &str, id: &str) -> serde_json::Value {
    s.get(kind, id).unwrap().fields["title"].clone()
}

fn in_trash(s: &Store, kind: &str, id: &str) -> bool {
    s.get(kind, id).unwrap().deleted_at.is_some()
}

/// Both laptops, and a rebuild of each from its log, show the same.
fn assert_converged(a: &mut Fixture, b: &mut Fixture) {
    send(&a.store, &mut b.store);
    send(&b.store, &mut a.store);
    let dump = a.store.dump().unwrap();
    assert_eq!(b.store.dump().unwrap(), dump);
    assert_eq!(a.store.conflicts().unwrap(), b.store.conflicts().unwrap());
    for f in [a, b] {
        f.store.rebuild_from_log().unwrap();
        assert_eq!(
            f.store.dump().unwrap(),
            dump,
            "a rebuild from the log agrees"
        );
    }
}

fn study(s: &mut Store, title: &str) -> String {
    s.create(
        "study",
        fields(json!({"title": title, "fiscal_year": 2026})),
    )
    .unwrap()
}

#[test]
fn undo_never_overwrites_a_teammates_later_edit() {
    let (mut a, mut b) = (fresh(), fresh());
    let id = study(&mut a.store, "Original");
    a.store
        .edit("study", &id, fields(json!({"title": "A's edit"})))
        .unwrap();
    send(&a.store, &mut b.store);
    b.store
        .edit("study", &id, fields(json!({"title": "B's later edit"})))
        .unwrap();
    send(&b.store, &mut a.store);
    let undone = a.store.undo().unwrap().unwrap();
    assert_eq!(undone.label, "Edit study");
    assert!(undone.records.is_empty());
    assert_eq!(undone.skipped.len(), 1);
    assert_eq!(undone.skipped[0].reason, SkipReason::ChangedSince);
    assert_eq!(undone.skipped[0].field.as_deref(), Some("title"));
    assert_converged(&mut a, &mut b);
    assert_eq!(title(&b.store, "study", &id), "B's later edit");
    assert!(a.store.conflicts().unwrap().is_empty());
}

#[test]
fn undo_takes_back_an_edit_nobody_changed_since_and_names_the_record() {
    let (mut a, mut b) = (fresh(), fresh());
    let id = study(&mut a.store, "Original");
    send(&a.store, &mut b.store);
    a.store
        .edit("study", &id, fields(json!({"title": "A's edit"})))
        .unwrap();
    send(&a.store, &mut b.store);
    let undone = a.store.undo().unwrap().unwrap();
    assert_eq!(undone.title.as_deref(), Some("Original"));
    assert!(undone.skipped.is_empty());
    assert_converged(&mut a, &mut b);
    assert_eq!(title(&b.store, "study", &id), "Original");
}

#[test]
fn undo_of_an_edit_to_a_record_a_teammate_trashed_leaves_it_trashed_on_both() {
    let (mut a, mut b) = (fresh(), fresh());
    let id = study(&mut a.store, "Original");
    a.store
        .edit("study", &id, fields(json!({"title": "A's edit"})))
        .unwrap();
    send(&a.store, &mut b.store);
    b.store.delete("study", &id).unwrap();
    send(&b.store, &mut a.store);
    let undone = a.store.undo().unwrap().unwrap();
    assert_eq!(undone.skipped[0].reason, SkipReason::InTrash);
    assert_converged(&mut a, &mut b);
    assert!(in_trash(&a.store, "study", &id) && in_trash(&b.store, "study", &id));
}

#[test]
fn an_undo_that_no_longer_applies_is_passed_over_and_the_one_before_it_works() {
    let (mut a, mut b) = (fresh(), fresh());
    let s1 = study(&mut a.store, "S1");
    let s2 = study(&mut a.store, "S2");
    send(&a.store, &mut b.store);
    b.store.delete("study", &s2).unwrap();
    send(&b.store, &mut a.store);
    // S2's creation cannot be taken back (it is in the Trash already): said, and passed over.
    let first = a.store.undo().unwrap().unwrap();
    assert_eq!(first.label, "Create study");
    assert_eq!(first.skipped[0].reason, SkipReason::InTrash);
    assert_eq!(first.skipped[0].record_id, s2);
    // The next undo reaches S1.
    let second = a.store.undo().unwrap().unwrap();
    assert_eq!(second.records, vec![("study".to_string(), s1.clone())]);
    assert!(in_trash(&a.store, "study", &s1));
    assert!(a.store.undo().unwrap().is_none());
    assert_converged(&mut a, &mut b);
}

#[test]
fn undo_of_a_delete_a_teammate_already_restored_is_skipped() {
    let (mut a, mut b) = (fresh(), fresh());
    let id = study(&mut a.store, "S");
    a.store.delete("study", &id).unwrap();
    send(&a.store, &mut b.store);
    b.store.restore("study", &id).unwrap();
    send(&b.store, &mut a.store);
    let undone = a.store.undo().unwrap().unwrap();
    assert_eq!(undone.skipped[0].reason, SkipReason::NotInTrash);
    assert_converged(&mut a, &mut b);
    assert!(!in_trash(&a.store, "study", &id));
}

#[test]
fn a_restore_that_would_bring_back_a_duplicate_is_refused() {
    let mut a = fresh();
    let org = |s: &mut Store| {
        s.create(
            "org",
            fields(json!({"name": "Acme", "kind": "local_company"})),
        )
    };
    let first = org(&mut a.store).unwrap();
    a.store.delete("org", &first).unwrap();
    let second = org(&mut a.store).unwrap();
    let before = a.store.dump().unwrap();
    let err = a.store.restore("org", &first).unwrap_err();
    assert_eq!(err.code(), "duplicate");
    assert!(err.to_string().contains("Acme"), "{err}");
    assert_eq!(a.store.dump().unwrap(), before, "nothing changed");
    // Undo of the first delete is refused the same way, said, and passed over.
    a.store.delete("org", &second).unwrap();
    a.store.restore("org", &first).unwrap();
    assert!(
        org(&mut a.store).is_err(),
        "create refuses the duplicate too"
    );
    a.store
        .edit("org", &first, fields(json!({"name": "Acme Ltd"})))
        .unwrap();
    a.store.undo().unwrap(); // the rename
    a.store.undo().unwrap(); // the restore: Acme (first) back to the Trash
    let undone = a.store.undo().unwrap().unwrap(); // the delete of the second
    assert_eq!(undone.label, "Delete org");
    assert!(undone.skipped.is_empty());
    let undone = a.store.undo().unwrap().unwrap(); // create of the second
    assert_eq!(undone.label, "Create org");
    // Restoring the first is now fine: no other live Acme.
    let undone = a.store.undo().unwrap().unwrap(); // the first delete
    assert!(undone.skipped.is_empty());
    assert!(!in_trash(&a.store, "org", &first));
    let undone = a.store.undo().unwrap().unwrap();
    assert_eq!(undone.label, "Create org");
}

#[test]
fn an_undo_whose_old_value_is_now_a_duplicate_is_skipped_with_the_reason() {
    let (mut a, mut b) = (fresh(), fresh());
    let acme = json!({"name": "Acme", "kind": "local_company"});
    let x = a.store.create("org", fields(acme.clone())).unwrap();
    a.store
        .edit("org", &x, fields(json!({"name": "Acme Ltd"})))
        .unwrap();
    send(&a.store, &mut b.store);
    b.store.create("org", fields(acme)).unwrap();
    send(&b.store, &mut a.store);
    let before = a.store.dump().unwrap();
    let undone = a.store.undo().unwrap().unwrap();
    match &undone.skipped[..] {
        [s] => match &s.reason {
            SkipReason::Refused { message } => assert!(message.contains("Acme"), "{message}"),
            other => panic!("refused expected, got {other:?}"),
        },
        other => panic!("one skipped change expected, got {other:?}"),
    }
    assert_eq!(a.store.dump().unwrap(), before, "nothing written");
    assert!(a.store.undo().unwrap().is_some(), "the stack moved on");
}

#[test]
fn redo_takes_back_undos_in_order_until_a_new_action() {
    let mut a = fresh();
    let id = study(&mut a.store, "One");
    a.store
        .edit("study", &id, fields(json!({"title": "Two"})))
        .unwrap();
    a.store
        .edit("study", &id, fields(json!({"title": "Three"})))
        .unwrap();
    assert!(a.store.redo().unwrap().is_none(), "nothing undone yet");
    a.store.undo().unwrap();
    a.store.undo().unwrap();
    assert_eq!(title(&a.store, "study", &id), "One");
    let redone = a.store.redo().unwrap().unwrap();
    assert_eq!(redone.label, "Edit study");
    assert_eq!(title(&a.store, "study", &id), "Two");
    a.store.redo().unwrap();
    assert_eq!(title(&a.store, "study", &id), "Three");
    assert!(a.store.redo().unwrap().is_none());
    // Undo after redo takes back the redone action again.
    a.store.undo().unwrap();
    assert_eq!(title(&a.store, "study", &id), "Two");
    // A new action ends what can be redone.
    a.store
        .edit("study", &id, fields(json!({"notes": "new"})))
        .unwrap();
    assert!(a.store.redo().unwrap().is_none());
    // Undo of a create, redone, brings the record back whole.
    a.store.undo().unwrap();
    a.store.undo().unwrap();
    a.store.undo().unwrap();
    assert!(in_trash(&a.store, "study", &id));
    a.store.redo().unwrap();
    assert!(!in_trash(&a.store, "study", &id));
    assert_eq!(title(&a.store, "study", &id), "One");
}
