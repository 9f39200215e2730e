mod common;

use common::{fields, fresh, study_with_finding};
use fieldbook_store::{ListQuery, StoreError};
use serde_json::json;

#[test]
fn create_read_list_and_edit_round_trip() {
    let mut f = fresh();
    let (study, _visit, finding) = study_with_finding(&mut f.store);
    let rec = f.store.get("finding", &finding).unwrap();
    assert_eq!(rec.fields["sector"], "transport");
    assert_eq!(rec.fields["status"], "draft", "default applied");
    assert_eq!(rec.title, "Diesel buses idle at the depot");
    assert_eq!(rec.updated_by, f.store.device_id());
    let listed = f
        .store
        .list(
            "finding",
            &ListQuery {
                parent_id: Some(study.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(listed.len(), 1);

    f.store
        .edit(
            "finding",
            &finding,
            fields(json!({"status": "complete", "text": "edited"})),
        )
        .unwrap();
    let rec = f.store.get("finding", &finding).unwrap();
    assert_eq!(rec.fields["status"], "complete");
    assert_eq!(rec.fields["text"], "edited");
}

#[test]
fn ids_are_uuid_v7() {
    let mut f = fresh();
    let (study, _, _) = study_with_finding(&mut f.store);
    assert_eq!(&study[14..15], "7", "version nibble of {study}");
}

#[test]
fn bad_input_names_the_field_and_changes_nothing() {
    let mut f = fresh();
    let (study, visit, finding) = study_with_finding(&mut f.store);
    let before = f.store.dump().unwrap();

    let err = f
        .store
        .edit("visit", &visit, fields(json!({"latitude": "95 N"})))
        .unwrap_err();
    assert!(err.to_string().starts_with("latitude:"), "{err}");

    let err = f
        .store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "rated power", "value": "-75", "unit": "kW"})),
        )
        .unwrap_err();
    assert!(err.to_string().contains("value:"), "{err}");

    let err = f
        .store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "rated power", "value": "75", "unit": "horsepower"})),
        )
        .unwrap_err();
    assert!(err.to_string().contains("unit: unknown unit"), "{err}");

    // One bad change in a batch: the good ones before it are not kept either.
    let err = f
        .store
        .apply(
            "two edits",
            vec![
                fieldbook_store::Change::Set {
                    kind: "study".into(),
                    id: study.clone(),
                    field: "title".into(),
                    value: json!("New title"),
                },
                fieldbook_store::Change::Set {
                    kind: "study".into(),
                    id: study.clone(),
                    field: "years".into(),
                    value: json!(5),
                },
            ],
        )
        .unwrap_err();
    assert!(err.to_string().contains("years"), "{err}");

    let err = f
        .store
        .create(
            "visit",
            fields(json!({"study_id": study, "date": "2019-13-01"})),
        )
        .unwrap_err();
    assert!(err.to_string().contains("date:"), "{err}");

    let err = f
        .store
        .create(
            "finding",
            fields(json!({"study_id": study, "sector": "energy", "title": "x", "colour": "red"})),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownField { .. }), "{err}");

    assert_eq!(f.store.dump().unwrap(), before);
}

#[test]
fn a_unit_that_does_not_fit_the_quantity_is_refused() {
    let mut f = fresh();
    let (_, _, finding) = study_with_finding(&mut f.store);
    let before = f.store.dump().unwrap();
    let err = f
        .store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "Flow rate", "value": "850", "unit": "kWh"})),
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("unit"));
    assert!(
        err.to_string().contains(
            "a flow rate is measured in L/yr, kL/yr, m3/yr, m3/day, m3/h or Nm3/yr, not kWh"
        ),
        "{err}"
    );
    assert_eq!(f.store.dump().unwrap(), before);

    // Edits are checked against the rest of the record, either field first.
    let flow = f
        .store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "Flow rate", "value": "850", "unit": "m3/h"})),
        )
        .unwrap();
    let err = f
        .store
        .edit("measurement", &flow, fields(json!({"unit": "kWh"})))
        .unwrap_err();
    assert!(err.to_string().contains("not kWh"), "{err}");
    let energy = f
        .store
        .create(
            "measurement",
            fields(json!({"finding_id": finding, "quantity": "Electricity used", "value": "850", "unit": "kWh"})),
        )
        .unwrap();
    let err = f
        .store
        .edit(
            "measurement",
            &energy,
            fields(json!({"quantity": "Flow rate at the intake"})),
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("unit"));
    // A quantity of no known kind takes any unit.
    f.store
        .edit(
            "measurement",
            &energy,
            fields(json!({"quantity": "Meter reading, pump 3"})),
        )
        .unwrap();
}

#[test]
fn references_must_point_at_live_records() {
    let mut f = fresh();
    let (study, _, _) = study_with_finding(&mut f.store);
    let ghost = fieldbook_core::ids::new_record_id();
    let err = f
        .store
        .create(
            "visit",
            fields(json!({"study_id": ghost, "date": "2020-01-01"})),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference { .. }), "{err}");
    let err = f
        .store
        .create(
            "need",
            fields(json!({"study_id": study, "statement": "x", "finding_ids": [ghost]})),
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("finding_ids:"), "{err}");
}

#[test]
fn unique_names_are_enforced_case_insensitively() {
    let mut f = fresh();
    f.store
        .create(
            "country",
            fields(json!({"code": "ID", "name": "Indonesia"})),
        )
        .unwrap();
    let err = f
        .store
        .create(
            "country",
            fields(json!({"code": "id", "name": "Indonesia 2"})),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
    assert!(err.to_string().contains("code"), "{err}");
}

#[test]
fn delete_goes_to_trash_with_children_and_restore_brings_them_back() {
    let mut f = fresh();
    let (study, visit, finding) = study_with_finding(&mut f.store);
    // A finding deleted on its own before the study stays in the Trash after restore.
    let other = f
        .store
        .create(
            "finding",
            fields(json!({"study_id": study, "sector": "energy", "title": "Old note"})),
        )
        .unwrap();
    f.store.delete("finding", &other).unwrap();
    f.store.delete("study", &study).unwrap();

    assert!(f.store.get("visit", &visit).unwrap().deleted_at.is_some());
    let trash: Vec<String> = f.store.trash().unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(
        trash,
        vec![study.clone(), other.clone()],
        "cascaded records are not listed"
    );
    assert!(f.store.search("Diesel", 10).unwrap().is_empty());

    let err = f.store.restore("finding", &finding).unwrap_err();
    assert!(matches!(err, StoreError::ParentInTrash { .. }), "{err}");
    let err = f
        .store
        .edit("study", &study, fields(json!({"title": "x"})))
        .unwrap_err();
    assert!(matches!(err, StoreError::InTrash { .. }), "{err}");

    f.store.restore("study", &study).unwrap();
    assert!(f.store.get("visit", &visit).unwrap().deleted_at.is_none());
    assert!(f
        .store
        .get("finding", &finding)
        .unwrap()
        .deleted_at
        .is_none());
    assert!(f.store.get("finding", &other).unwrap().deleted_at.is_some());
    assert_eq!(f.store.search("Diesel", 10).unwrap().len(), 1);
}

#[test]
fn undo_reverts_the_last_actions_in_order() {
    let mut f = fresh();
    let (study, _, finding) = study_with_finding(&mut f.store);
    f.store
        .edit("finding", &finding, fields(json!({"title": "First"})))
        .unwrap();
    f.store
        .edit("finding", &finding, fields(json!({"title": "Second"})))
        .unwrap();
    f.store.delete("finding", &finding).unwrap();

    let undone = f.store.undo().unwrap().unwrap();
    assert_eq!(undone.label, "Delete finding");
    assert!(f
        .store
        .get("finding", &finding)
        .unwrap()
        .deleted_at
        .is_none());

    f.store.undo().unwrap();
    assert_eq!(
        f.store.get("finding", &finding).unwrap().fields["title"],
        "First"
    );
    f.store.undo().unwrap();
    assert_eq!(
        f.store.get("finding", &finding).unwrap().fields["title"],
        "Diesel buses idle at the depot"
    );
    // Undoing the create sends the finding to the Trash.
    f.store.undo().unwrap();
    assert!(f
        .store
        .get("finding", &finding)
        .unwrap()
        .deleted_at
        .is_some());
    let live = f
        .store
        .list(
            "finding",
            &ListQuery {
                parent_id: Some(study),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(live.is_empty());
}

#[test]
fn undo_on_an_empty_database_does_nothing() {
    let mut f = fresh();
    assert!(f.store.undo().unwrap().is_none());
}

#[test]
fn saved_edits_survive_reopening() {
    let mut f = fresh();
    let (_, _, finding) = study_with_finding(&mut f.store);
    let path = f.store.path().to_path_buf();
    let before = f.store.dump().unwrap();
    drop(f.store);
    let reopened = fieldbook_store::Store::open(&path).unwrap();
    assert_eq!(reopened.dump().unwrap(), before);
    assert!(reopened.get("finding", &finding).is_ok());
    assert_eq!(reopened.integrity_check().unwrap(), "ok");
}
