use super::*;
use crate::fixtures::{sample, team, A, B, BUNDLE_ID, PROJECT_ID};
use crate::{inspect, ranges_of, write, Blob, Bundle, Range, DEFAULT_MAX_PART_BYTES};

#[test]
fn round_trip_two_actors_a_relayed_range_and_three_blobs() {
    let t = team();
    let bundle = sample(&t);
    let files = write(&bundle, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    assert_eq!(files.len(), 1);
    let got = read(&files[0], &t).unwrap();
    assert_eq!(got.ops, bundle.ops);
    assert_eq!(got.blobs, bundle.blobs);
    assert_eq!(
        got.header.ranges,
        vec![
            Range {
                actor: A.into(),
                from_seq: 1,
                to_seq: 5
            },
            Range {
                actor: B.into(),
                from_seq: 1,
                to_seq: 4
            },
        ]
    );
    assert_eq!(got.header.blobs, bundle.header.blobs);
    assert_eq!(got.header.bundle_id, BUNDLE_ID);
    assert_eq!(got.header.project_id, PROJECT_ID);
    assert_eq!(got.header.sender_actor, A);
    assert_eq!(got.header.sender_key_fingerprint, t.a.fingerprint());
    assert_eq!(got.header.project_key_id, t.project.key_id());
    assert_eq!(got.header.part, None);
    assert_eq!(got.header.base_vv, bundle.header.base_vv);
    // A's checkpoint was signed by the writer; B's is the one B signed.
    assert_eq!(got.checkpoints.len(), 2);
    assert_eq!(
        (got.checkpoints[0].actor.as_str(), got.checkpoints[0].seq),
        (A, 5)
    );
    assert_eq!(got.checkpoints[1], bundle.checkpoints[1]);
    assert_eq!(inspect(&files[0]).unwrap(), got.header);
    // Nonces are random: the same bundle written twice differs, and both read.
    let again = write(&bundle, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    assert_ne!(again[0], files[0]);
    assert_eq!(read(&again[0], &t).unwrap().ops, bundle.ops);
}

#[test]
fn an_empty_bundle_and_a_blob_only_bundle_round_trip() {
    let t = team();
    let mut header = sample(&t).header;
    header.base_vv.clear();
    let empty = Bundle::new(header.clone(), vec![], vec![], vec![]);
    let f = write(&empty, A, &t.a, &t.project, 1024).unwrap();
    assert_eq!(f.len(), 1);
    let got = read(&f[0], &t).unwrap();
    assert!(got.ops.is_empty() && got.blobs.is_empty() && got.checkpoints.is_empty());

    let photos = Bundle::new(
        header,
        vec![],
        vec![],
        vec![
            Blob::new("image/jpeg", vec![]),
            Blob::new("image/jpeg", vec![1; 70_000]),
        ],
    );
    let f = write(&photos, A, &t.a, &t.project, 1 << 20).unwrap();
    assert_eq!(read(&f[0], &t).unwrap().blobs, photos.blobs);
}

#[test]
fn a_range_that_does_not_start_at_seq_one_round_trips() {
    let t = team();
    let all = fixtures::ops(B, 9);
    let tail = all[4..].to_vec();
    let cp = crate::checkpoint(&t.b, PROJECT_ID, B, 9, &all[8].op_hash);
    let b = Bundle::new(sample(&t).header, tail.clone(), vec![cp], vec![]);
    assert_eq!(
        b.header.ranges,
        vec![Range {
            actor: B.into(),
            from_seq: 5,
            to_seq: 9
        }]
    );
    let f = write(&b, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    assert_eq!(read(&f[0], &t).unwrap().ops, tail);
}

#[test]
fn ops_of_a_newer_schema_with_unknown_kinds_and_fields_pass_through() {
    let t = team();
    let ops = super::columns::rich_ops();
    let last = |actor: &str| ops.iter().rfind(|o| o.actor == actor).unwrap();
    let cps = vec![
        crate::checkpoint(&t.b, PROJECT_ID, "a", 4, &last("a").op_hash),
        crate::checkpoint(&t.b, PROJECT_ID, "b", 9, &last("b").op_hash),
    ];
    let b = Bundle::new(sample(&t).header, ops.clone(), cps, vec![]);
    let f = write(&b, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    let mut keys = t.keys.clone();
    keys.add("a", t.b.public()).add("b", t.b.public());
    assert_eq!(read_with(&f[0], &t, &keys).unwrap().ops, ops);
}

/// 10,000 findings as the store exports them (60,000 ops): the ops
/// section was 3.4 MB as JSON; as columns it is about 150 kB.
#[test]
fn a_realistic_export_is_small() {
    let t = team();
    let ops = fixtures::findings(10_000);
    let b = Bundle::new(sample(&t).header, ops, vec![], vec![]);
    let f = write(&b, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES).unwrap();
    let size = fixtures::ops_section_len(&f[0]);
    assert!(size < 200_000, "{size} bytes");
    assert_eq!(read(&f[0], &t).unwrap().ops, b.ops);
}

#[test]
fn ranges_of_groups_contiguous_runs() {
    let a = fixtures::ops(A, 4);
    let ops = vec![a[0].clone(), a[1].clone(), a[3].clone()];
    assert_eq!(
        ranges_of(&ops),
        vec![
            Range {
                actor: A.into(),
                from_seq: 1,
                to_seq: 2
            },
            Range {
                actor: A.into(),
                from_seq: 4,
                to_seq: 4
            }
        ]
    );
}

#[test]
fn the_writer_refuses_what_a_reader_would_refuse() {
    let t = team();
    let good = sample(&t);
    let invalid = |b: &Bundle| match write(b, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES) {
        Err(BundleError::Invalid(msg)) => msg,
        other => panic!("expected Invalid, got {other:?}"),
    };

    let mut b = good.clone();
    b.ops[2].value = Some("\"edited\"".into());
    assert!(invalid(&b).contains("op_hash"));

    let mut b = good.clone();
    b.ops[2] = b.ops[2].clone().seal();
    b.ops[2].value = Some("\"edited\"".into());
    b.ops[2] = b.ops[2].clone().seal();
    assert!(invalid(&b).contains("prev_hash"));

    let mut b = good.clone();
    b.checkpoints.pop(); // B's checkpoint at 4: B's range has no end.
    assert!(invalid(&b).contains("checkpoint"));

    let mut b = good.clone();
    b.checkpoints[1].op_hash = b.ops[0].op_hash.clone();
    assert!(invalid(&b).contains("checkpoint"));

    let mut b = good.clone();
    b.blobs[1].bytes.push(0);
    assert!(invalid(&b).contains("attachment"));

    let mut b = good.clone();
    b.header.ranges[0].to_seq = 4;
    invalid(&b);

    let mut b = good.clone();
    b.header.bundle_id = "not-a-uuid".into();
    assert!(invalid(&b).contains("UUIDv7"));

    assert!(matches!(
        write(&good, A, &t.a, &t.project, 0),
        Err(BundleError::Invalid(_))
    ));
}

#[test]
fn error_messages_say_what_to_do() {
    let e = BundleError::WrongProjectKey {
        bundle_key_id: "aaaa".into(),
        our_key_id: "bbbb".into(),
    };
    assert_eq!(
        e.to_string(),
        "this bundle is for project key aaaa; this laptop holds bbbb: join that team or ask for a bundle for this one"
    );
    assert!(BundleError::UnsupportedVersion { major: 2 }
        .to_string()
        .contains("update Fieldbook"));
    assert!(BundleError::Truncated
        .to_string()
        .contains("copy or download it again"));
    assert!(!BundleError::UnknownDevice { actor: "x".into() }.is_permanent());
    assert!(!e.is_permanent());
    assert!(BundleError::HashMismatch.is_permanent());
}

#[test]
fn a_reader_without_the_project_key_checks_who_signed_a_bundle() {
    // What the team hub can do: it knows the team's key id and the
    // members' public keys, never the project key.
    let t = team();
    let file = sample_file(&t);
    let key_id = t.project.key_id();
    let limits = crate::Limits::default();
    let header = crate::read_header(&file, &key_id, &t.keys, &limits).unwrap();
    assert_eq!(header.sender_actor, A);
    assert_eq!(header.ranges.len(), 2);

    // Another team's key id, a sender the ring does not know or has
    // revoked, a forged signature: each refused by name.
    assert!(matches!(
        crate::read_header(&file, "0011223344556677", &t.keys, &limits),
        Err(BundleError::WrongProjectKey { .. })
    ));
    let mut stranger = crate::MemKeyRing::new();
    stranger.add(B, t.b.public());
    assert!(matches!(
        crate::read_header(&file, &key_id, &stranger, &limits),
        Err(BundleError::UnknownDevice { .. })
    ));
    let mut revoked = crate::MemKeyRing::new();
    revoked.revoke(A);
    assert!(matches!(
        crate::read_header(&file, &key_id, &revoked, &limits),
        Err(BundleError::RevokedDevice { .. })
    ));
    let mut forged = file.clone();
    resign(&mut forged, &t.c);
    assert!(matches!(
        crate::read_header(&forged, &key_id, &t.keys, &limits),
        Err(BundleError::BadSignature)
    ));
}
