mod common;

use common::{fields, fresh};
use fieldbook_store::{Change, Store, StoreError, SCHEMA_VERSION};
use serde_json::json;

fn same_content(store: &mut Store, ids: &[String]) {
    let changes = vec![
        Change::Create {
            kind: "country".into(),
            id: Some(ids[0].clone()),
            fields: fields(json!({"code": "VN", "name": "Viet Nam", "jcm_partner": true})),
        },
        Change::Create {
            kind: "city".into(),
            id: Some(ids[1].clone()),
            fields: fields(json!({"name": "Da Nang", "country_id": ids[0]})),
        },
    ];
    store.apply("load", changes).unwrap();
}

#[test]
fn dumps_of_equal_content_are_byte_identical() {
    let ids: Vec<String> = (0..2)
        .map(|_| fieldbook_core::ids::new_record_id())
        .collect();
    let mut a = fresh();
    let mut b = fresh();
    same_content(&mut a.store, &ids);
    std::thread::sleep(std::time::Duration::from_millis(5));
    same_content(&mut b.store, &ids);
    assert_ne!(a.store.device_id(), b.store.device_id());
    let dump = a.store.dump().unwrap();
    assert_eq!(dump, b.store.dump().unwrap());
    assert!(!dump.contains("updated_at"));
    let parsed: serde_json::Value = serde_json::from_str(&dump).unwrap();
    assert_eq!(parsed["records"]["city"][0]["name"], "Da Nang");
    // An edit makes them differ.
    b.store
        .edit("city", &ids[1], fields(json!({"name_ja": "ダナン"})))
        .unwrap();
    assert_ne!(dump, b.store.dump().unwrap());
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let f = fresh();
    let path = f.store.path().to_path_buf();
    drop(f.store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::NewerDatabase { .. }), "{err}");
    assert!(err.to_string().contains("update Fieldbook"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn every_earlier_schema_version_migrates_forward() {
    // Version 0 is a file that exists but holds no schema (an interrupted first run).
    for version in 0..SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        fieldbook_store::testing_support::create_at_version(&path, version as usize);
        // A record written by that version (every version since 1 has studies).
        let old_study = fieldbook_core::ids::new_record_id();
        if version >= 1 {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute(
                "INSERT INTO study (id, title, fiscal_year, created_at, updated_at, updated_by)
                 VALUES (?1, 'Written by an old version', 2019, '2020-01-01T00:00:00Z',
                         '2020-01-01T00:00:00Z', 'old-device')",
                [&old_study],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            SCHEMA_VERSION,
            "from v{version}"
        );
        let study = if version >= 1 {
            assert_eq!(
                store.get("study", &old_study).unwrap().fields["title"],
                "Written by an old version"
            );
            old_study
        } else {
            store
                .create(
                    "study",
                    fields(json!({"title": "New", "fiscal_year": 2024})),
                )
                .unwrap()
        };
        // The newest kinds work on the migrated file.
        let org = store
            .create(
                "org",
                fields(json!({"name": "Hokusan", "kind": "japanese_company"})),
            )
            .unwrap();
        store
            .create(
                "member",
                fields(
                    json!({"study_id": study, "org_id": org, "consortium_role": "representative"}),
                ),
            )
            .unwrap();
    }
}

#[test]
fn sample_data_loads_once_as_one_undoable_action() {
    let mut f = fresh();
    let outcome = f.store.load_samples().unwrap();
    assert!(matches!(outcome, fieldbook_store::SampleOutcome::Loaded { records } if records > 150));
    let studies = f.store.list("study", &Default::default()).unwrap();
    let titles: Vec<&str> = studies.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(studies.len(), 3, "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("Semarang")), "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("Da Nang")), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.contains("Phnom Penh")),
        "{titles:?}"
    );
    // The Khmer study's findings are Khmer text, stored as typed.
    let khmer = f.store.search("ម៉ាស៊ីនត្រជាក់", 10).unwrap();
    assert!(!khmer.is_empty());
    let countries = f.store.list("country", &Default::default()).unwrap();
    let malaysia = countries.iter().find(|c| c.fields["code"] == "MY").unwrap();
    assert_eq!(malaysia.fields["jcm_partner"], false);
    assert!(countries.len() >= 18);
    assert!(!f.store.search("CNG", 10).unwrap().is_empty());

    // Every sample photo's file is in the attachment store, and is the
    // picture its record describes.
    let photos = f.store.list("attachment", &Default::default()).unwrap();
    assert_eq!(photos.len(), 5);
    for photo in &photos {
        let sha = photo.fields["sha256"].as_str().unwrap();
        let bytes = f.store.blobs().read(sha).unwrap();
        assert_eq!(photo.fields["size_bytes"], bytes.len() as i64);
        assert_eq!(photo.fields["mime"], "image/jpeg");
        assert!(photo.fields["caption"].as_str().is_some());
    }

    let dump = f.store.dump().unwrap();
    assert_eq!(
        f.store.load_samples().unwrap(),
        fieldbook_store::SampleOutcome::AlreadyLoaded
    );
    assert_eq!(f.store.dump().unwrap(), dump);
}

#[test]
fn the_schema_has_a_column_for_every_registry_field() {
    let f = fresh();
    let conn = rusqlite::Connection::open(f.store.path()).unwrap();
    for kind in fieldbook_core::KINDS {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{}')",
                kind.name
            ))
            .unwrap();
        // As a set: columns added by a later migration come last.
        let mut columns: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = vec!["id".to_string()];
        expected.extend(kind.fields.iter().map(|f| f.name.to_string()));
        expected.extend(["created_at", "updated_at", "updated_by", "deleted_at"].map(String::from));
        columns.sort();
        expected.sort();
        assert_eq!(columns, expected, "table {}", kind.name);
    }
}

#[test]
fn the_op_log_survives_the_rebuild_of_its_table_in_v7() {
    use fieldbook_core::op::{Op, OpKind, GENESIS_HASH, OP_SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    fieldbook_store::testing_support::create_at_version(&path, 6);
    let op = Op {
        actor: "old-device".into(),
        seq: 1,
        hlc: 7 << 16,
        at: "2026-01-01T00:00:00.000Z".into(),
        op: OpKind::Create,
        kind: "study".into(),
        record_id: fieldbook_core::ids::new_record_id(),
        field: None,
        value: None,
        supersedes: vec![],
        observed: vec![],
        cascade_of: None,
        schema_ver: OP_SCHEMA_VERSION,
        prev_hash: GENESIS_HASH.into(),
        op_hash: String::new(),
        extra: [("confidence".to_string(), json!("high"))].into(),
    }
    .seal();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO batch (id, device, at, label) VALUES (1, 'old-device', ?1, 'Old')",
            [&op.at],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO change (device, seq, hlc, at, batch, op, kind, record_id,
                                 schema_ver, prev_hash, op_hash, extra)
             VALUES (?1, 1, ?2, ?3, 1, 'create', 'study', ?4, 1, ?5, ?6, '{\"confidence\":\"high\"}')",
            rusqlite::params![op.actor, op.hlc as i64, op.at, op.record_id, op.prev_hash, op.op_hash],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.ops_after(&Default::default()).unwrap(), vec![op]);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let refused = conn.execute(
        "INSERT INTO change (device, seq, hlc, at, batch, op, kind, record_id)
         VALUES ('old-device', 2, 1, 'now', 1, 'rename', 'study', 'x')",
        [],
    );
    assert!(refused.is_err(), "the op kinds are still checked");
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let orphan = conn.execute(
        "INSERT INTO change (device, seq, hlc, at, batch, op, kind, record_id)
         VALUES ('old-device', 2, 1, 'now', 99, 'create', 'study', 'x')",
        [],
    );
    assert!(
        orphan.is_err(),
        "a change's batch is still checked, at commit"
    );
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'change' AND type = 'index' AND sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(indexes, ["change_batch", "change_record"]);
}
