mod common;

use common::{fields, fresh, study_with_finding};
use fieldbook_store::{StoreError, MAX_ATTACHMENT_BYTES};
use serde_json::json;

#[test]
fn search_finds_findings_needs_and_notes_with_their_study() {
    let mut f = fresh();
    let (study, _, finding) = study_with_finding(&mut f.store);
    let need = f
        .store
        .create(
            "need",
            fields(
                json!({"study_id": study, "statement": "給水ポンプの電力を削減したい",
                          "voiced_by": "DAWACO", "finding_ids": [finding]}),
            ),
        )
        .unwrap();

    let hits = f.store.search("dual-fuel retrofit", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, finding);
    assert_eq!(hits[0].study_id.as_deref(), Some(study.as_str()));
    assert!(
        hits[0].snippet.contains('\u{E000}'),
        "highlighted: {}",
        hits[0].snippet
    );

    let hits = f.store.search("ポンプ", 10).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        vec![need.as_str()]
    );
    // Words shorter than a trigram still match.
    let hits = f.store.search("電力", 10).unwrap();
    assert_eq!(hits.len(), 1);
    // Case-insensitive, every word must match.
    assert_eq!(f.store.search("DIESEL buses", 10).unwrap().len(), 1);
    assert!(f.store.search("diesel pumps", 10).unwrap().is_empty());
    // FTS syntax in user text is taken literally.
    assert!(f.store.search("\"NEAR(", 10).unwrap().is_empty());
    assert!(f.store.search("   ", 10).unwrap().is_empty());

    f.store
        .edit("finding", &finding, fields(json!({"text": "replaced"})))
        .unwrap();
    assert!(f.store.search("retrofit", 10).unwrap().is_empty());
}

const PHOTO: &[u8] = include_bytes!("../../../tests/fixtures/photo.jpg");

#[test]
fn photos_are_stored_by_content_hash() {
    let mut f = fresh();
    let (_, _, finding) = study_with_finding(&mut f.store);
    let id = f
        .store
        .attach(&finding, "photo", "pump.jpg", PHOTO)
        .unwrap();
    let rec = f.store.get("attachment", &id).unwrap();
    let sha = rec.fields["sha256"].as_str().unwrap().to_string();
    assert_eq!(rec.fields["mime"], "image/jpeg");
    assert_eq!(rec.fields["file_name"], "pump.jpg");
    assert_eq!(rec.fields["size_bytes"], PHOTO.len() as i64);
    assert_eq!(f.store.blobs().read(&sha).unwrap(), PHOTO);
    assert!(f.store.blobs().path(&sha).starts_with(f.dir.path()));
    // The same photo twice is one file.
    let again = f
        .store
        .attach(&finding, "photo", "copy.jpg", PHOTO)
        .unwrap();
    assert_ne!(again, id);
    let files = walk(f.store.blobs().path(&sha).parent().unwrap());
    assert_eq!(files, 1);
}

#[test]
fn non_image_photos_and_oversized_files_are_refused_without_a_trace() {
    let mut f = fresh();
    let (_, _, finding) = study_with_finding(&mut f.store);
    let before = f.store.dump().unwrap();
    let err = f
        .store
        .attach(&finding, "photo", "notes.txt", b"just some text")
        .unwrap_err();
    assert!(matches!(err, StoreError::Attachment(_)));
    assert!(err.to_string().contains("not an image"), "{err}");
    let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
    let err = f
        .store
        .attach(&finding, "document", "big.bin", &big)
        .unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
    assert_eq!(f.store.dump().unwrap(), before);
    // A plain document is fine.
    f.store
        .attach(&finding, "document", "notes.txt", b"just some text")
        .unwrap();
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn a_writer_killed_before_its_rename_leaves_nothing_behind() {
    let f = fresh();
    let tmp = f
        .store
        .blobs()
        .path("ab")
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // A process id that cannot be running (above the kernel's maximum).
    let orphan = tmp.join("0123abcd.4294967295");
    std::fs::write(&orphan, b"half a photo").unwrap();
    let mine = tmp.join(format!("4567ef.{}", std::process::id()));
    std::fs::write(&mine, b"being written").unwrap();
    assert_eq!(f.store.blobs().remove_orphans().unwrap(), 1);
    assert!(!orphan.exists());
    assert!(mine.exists(), "a live writer's file stays");
}
