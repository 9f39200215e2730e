use super::*;
use crate::fixtures::{ops, sample, seeded, team, A, B, C, PROJECT_ID};
use crate::{checkpoint, inspect, write, Blob, Bundle, MemKeyRing, Range, DEFAULT_MAX_PART_BYTES};

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

fn err(r: Result<crate::Bundle, BundleError>) -> BundleError {
    match r {
        Ok(_) => panic!("a tampered bundle was accepted"),
        Err(e) => e,
    }
}

#[test]
fn truncation_at_every_byte_offset_is_an_error() {
    let t = team();
    let f = sample_file(&t);
    assert!(f.len() > 5000);
    for cut in 0..f.len() {
        let e = err(read(&f[..cut], &t));
        if cut >= 8 {
            // Whatever is missing, the file is reported cut short.
            assert_eq!(e, BundleError::Truncated, "cut at {cut}");
        }
        let _ = inspect(&f[..cut]);
    }
    // inspect needs only the preamble and header.
    let header_end = 16 + u32::from_le_bytes(f[12..16].try_into().unwrap()) as usize;
    assert!(inspect(&f[..header_end]).is_ok());
    assert_eq!(
        inspect(&f[..header_end - 1]).unwrap_err(),
        BundleError::Truncated
    );
    // Extra bytes after the end.
    let mut longer = f.clone();
    longer.extend_from_slice(b"\r\n");
    err(read(&longer, &t));
}

#[test]
fn random_single_bit_flips_are_errors() {
    let t = team();
    let f = sample_file(&t);
    let mut rng = seeded(2024);
    let mut pick = |n: usize| {
        let mut b = [0u8; 8];
        rng(&mut b);
        (u64::from_le_bytes(b) % n as u64) as usize
    };
    // As damage in transit: the trailer catches them.
    for _ in 0..4000 {
        let bit = pick(f.len() * 8);
        let mut g = f.clone();
        g[bit / 8] ^= 1 << (bit % 8);
        err(read(&g, &t));
    }
    // As an insider's edit, re-signed by the (enrolled) sender: the AEAD
    // and the checkpoints catch them.
    let body = f.len() - TRAILER;
    for _ in 0..600 {
        let bit = pick(body * 8);
        let mut g = f.clone();
        g[bit / 8] ^= 1 << (bit % 8);
        resign(&mut g, &t.a);
        err(read(&g, &t));
    }
}

#[test]
fn every_byte_of_the_header_and_checkpoints_is_protected_even_when_re_signed() {
    let t = team();
    let f = sample_file(&t);
    let (head, secs) = split_sections(&f);
    let cps_start = head.len() + 9 + secs[0].1.len();
    let cps_end = cps_start + 9 + secs[1].1.len();
    // Every bit of the preamble's version and length fields; one bit of
    // every byte of the header and the checkpoints section (rotating which
    // bit: Ed25519 in a debug build makes each case cost ~15 ms).
    let cases = (8..16)
        .flat_map(|byte| (0..8).map(move |bit| (byte, bit)))
        .chain(
            (16..head.len())
                .chain(cps_start..cps_end)
                .map(|byte| (byte, byte * 5 % 8)),
        );
    for (byte, bit) in cases {
        let mut g = f.clone();
        g[byte] ^= 1 << bit;
        resign(&mut g, &t.a);
        err(read(&g, &t));
    }
}

#[test]
fn sections_swapped_dropped_duplicated_or_moved_are_errors() {
    let t = team();
    let f = sample_file(&t);
    let (head, secs) = split_sections(&f);
    assert_eq!(secs.len(), 5);
    let rebuild = |s: Vec<(u8, Vec<u8>)>| join_sections(&head, &s, &t.a);
    assert!(read(&rebuild(secs.clone()), &t).is_ok());

    let mut s = secs.clone();
    s.swap(0, 1);
    assert!(matches!(
        err(read(&rebuild(s), &t)),
        BundleError::Corrupt(_)
    ));
    let mut s = secs.clone();
    s.swap(2, 3);
    assert!(matches!(
        err(read(&rebuild(s), &t)),
        BundleError::BlobMismatch { .. }
    ));
    for i in 0..5 {
        let mut s = secs.clone();
        s.remove(i);
        err(read(&rebuild(s), &t));
        let mut s = secs.clone();
        s.insert(i, secs[i].clone());
        err(read(&rebuild(s), &t));
    }
    // Two blob bodies swapped under their own hashes: the AD binds each to its hash.
    let mut s = secs.clone();
    let (b2, b3) = (s[2].1.clone(), s[3].1.clone());
    s[2].1 = [&b2[..32], &b3[32..]].concat();
    s[3].1 = [&b3[..32], &b2[32..]].concat();
    assert!(matches!(
        err(read(&rebuild(s), &t)),
        BundleError::Decrypt { .. } | BundleError::BlobMismatch { .. }
    ));
    // A section given another type.
    let mut s = secs.clone();
    s[4].0 = SEC_OPS;
    assert!(matches!(
        err(read(&rebuild(s), &t)),
        BundleError::Corrupt(_)
    ));
    // The ops section of another bundle of the same team.
    let mut other = sample(&t);
    other.header.bundle_id = "01960000-0000-7000-8000-000000000002".into();
    let g = write(&other, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES)
        .unwrap()
        .pop()
        .unwrap();
    let (_, other_secs) = split_sections(&g);
    let mut s = secs.clone();
    s[0] = other_secs[0].clone();
    assert_eq!(
        err(read(&rebuild(s), &t)),
        BundleError::Decrypt {
            section: "ops".into()
        }
    );
    // An unknown optional section is skipped; an unknown required one is not.
    let mut s = secs.clone();
    s.push((0x80, b"later".to_vec()));
    assert!(read(&rebuild(s), &t).is_ok());
    let mut s = secs.clone();
    s.push((0x07, b"later".to_vec()));
    assert!(matches!(
        err(read(&rebuild(s), &t)),
        BundleError::Corrupt(_)
    ));
}

#[test]
fn header_ranges_edited() {
    let t = team();
    let f = sample_file(&t);
    // Edited in place and re-signed: the header no longer matches the sections' AD.
    let at = find(&f, b"\"to_seq\":5") + "\"to_seq\":".len();
    let mut g = f.clone();
    g[at] = b'4';
    resign(&mut g, &t.a);
    assert_eq!(
        err(read(&g, &t)),
        BundleError::Decrypt {
            section: "ops".into()
        }
    );

    // Written that way by an insider holding the project key.
    let good = Craft::open(&f, &t);
    let mut c = good.clone();
    c.header.ranges[0].to_seq = 4;
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    let mut c = good.clone();
    c.header.ranges[1].from_seq = 2;
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // Swapped ranges: the ops are read as the other actor's, so an op id
    // stored relative to its op's seq comes out as seq 0 (and were it not
    // for that, no checkpoint would name the hashes they give).
    let mut c = good.clone();
    c.header.ranges.swap(0, 1);
    c.checkpoints.swap(0, 1);
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    let mut c = good.clone();
    c.header.ranges.push(c.header.ranges[0].clone());
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    let mut c = good.clone();
    c.header.ranges[0].from_seq = 0;
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // A range ending one short, with the checkpoint moved to match: the
    // extra op is refused as not covered.
    let mut c = good.clone();
    c.header.ranges[0].to_seq = 4;
    c.checkpoints[0] = checkpoint(&t.a, PROJECT_ID, A, 4, &c.ops[3].op_hash);
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // Edited base_vv: also bound to the AD.
    let mut c = good.clone();
    c.header.base_vv.insert(A.into(), 3);
    assert!(
        read(&c.encode(&t.project, &t.a), &t).is_ok(),
        "an insider may write any base_vv"
    );
    let at = find(&f, format!("\"{B}\":0").as_bytes()) + B.len() + 3;
    let mut g = f.clone();
    g[at] = b'1';
    resign(&mut g, &t.a);
    assert_eq!(
        err(read(&g, &t)),
        BundleError::Decrypt {
            section: "ops".into()
        }
    );
}

#[test]
fn an_op_changed_with_its_hash_recomputed_fails_the_authors_checkpoint() {
    let t = team();
    let good = Craft::open(&sample_file(&t), &t);
    let bad = |c: &Craft| err(read(&c.encode(&t.project, &t.a), &t));

    // B's last op (seq 4), value changed and resealed: B's checkpoint no longer matches.
    let mut c = good.clone();
    c.ops[8].value = Some("\"forged\"".into());
    c.ops[8] = c.ops[8].clone().seal();
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // …and with the checkpoint's op_hash updated, B's signature fails.
    c.checkpoints[1].op_hash = c.ops[8].op_hash.clone();
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // …and re-signed by the relaying sender A instead of B: still B's key that counts.
    c.checkpoints[1] = checkpoint(&t.a, PROJECT_ID, B, 4, &c.ops[8].op_hash);
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );

    // An op in the middle (B's seq 2): the rebuilt chain ends elsewhere.
    let mut c = good.clone();
    c.ops[6].value = Some("\"forged\"".into());
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // Two ops swapped (seqs are not on the wire: each takes the other's).
    let mut c = good.clone();
    c.ops.swap(6, 7);
    (c.ops[6].seq, c.ops[7].seq) = (2, 3);
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // The sender's own op, with the checkpoint the writer signed.
    let mut c = good.clone();
    c.ops[1].hlc += 1;
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: A.into(),
            seq: 5
        }
    );
    // A checkpoint for another project.
    let mut c = good.clone();
    c.checkpoints[1] = checkpoint(&t.b, "another-project", B, 4, &c.ops[8].op_hash);
    assert_eq!(
        bad(&c),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // Malformed ops, however well vouched for.
    let mut c = good.clone();
    c.ops[2].field = None;
    assert!(matches!(bad(&c), BundleError::Schema(_)));
    let mut c = good.clone();
    c.ops[2].extra.insert("record_id".into(), "another".into());
    assert!(matches!(bad(&c), BundleError::Schema(_)));
    // Ops that are not op columns at all.
    let mut c = good.clone();
    c.ops_zstd = Some(zstd::encode_all(&b"{\"not\":\"ops\"}"[..], 3).unwrap());
    assert!(matches!(bad(&c), BundleError::Schema(_)));
    let mut c = good.clone();
    c.ops_zstd = Some(b"not zstd".to_vec());
    assert!(matches!(bad(&c), BundleError::Corrupt(_)));
    // Untouched, the crafted file reads.
    assert!(read(&good.encode(&t.project, &t.a), &t).is_ok());
}

#[test]
fn a_wrong_starting_hash_fails_the_authors_checkpoint() {
    let t = team();
    let all = ops(B, 9);
    let cp = checkpoint(&t.b, PROJECT_ID, B, 9, &all[8].op_hash);
    let tail = Bundle::new(sample(&t).header, all[4..].to_vec(), vec![cp], vec![]);
    let f = write(&tail, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES)
        .unwrap()
        .pop()
        .unwrap();
    let good = Craft::open(&f, &t);
    assert!(read(&good.encode(&t.project, &t.a), &t).is_ok());
    // B's op 5 presented as following another op 4 than B's.
    let mut c = good.clone();
    c.ops[0].prev_hash = all[2].op_hash.clone();
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 9
        }
    );
    // The range relabelled as starting at seq 1 (so no starting hash).
    let mut c = good.clone();
    c.header.ranges[0].from_seq = 1;
    c.header.ranges[0].to_seq = 5;
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // …and its ops renumbered from 1 to match: they now chain from the
    // genesis hash, which B's checkpoint does not vouch for.
    let mut c = good.clone();
    for (seq, op) in (1..).zip(&mut c.ops) {
        op.seq = seq;
    }
    c.header.ranges[0].from_seq = 1;
    c.header.ranges[0].to_seq = 5;
    c.checkpoints[0].seq = 5;
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Checkpoint { .. }
    ));
}

#[test]
fn forged_by_an_unknown_key() {
    let t = team();
    let bundle = sample(&t);
    // Written by a device this laptop has never enrolled.
    let own = Bundle::new(bundle.header.clone(), ops(C, 3), vec![], vec![]);
    let f = write(&own, C, &t.c, &t.project, DEFAULT_MAX_PART_BYTES)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        err(read(&f, &t)),
        BundleError::UnknownDevice { actor: C.into() }
    );
    // Claiming to be A, signed with C's key.
    let mut g = sample_file(&t);
    resign(&mut g, &t.c);
    assert_eq!(err(read(&g, &t)), BundleError::BadSignature);
    // Claiming to be A with A's key fingerprint edited to C's (the header is
    // bound to the AD, so an insider must craft it).
    let mut c = Craft::open(&sample_file(&t), &t);
    c.header.sender_key_fingerprint = t.c.fingerprint();
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::BadSignature
    );
    // A relayed range whose author (C) is not enrolled, with C's own checkpoint.
    let cops = ops(C, 3);
    let cp = checkpoint(&t.c, PROJECT_ID, C, 3, &cops[2].op_hash);
    let relayed = Bundle::new(bundle.header.clone(), cops, vec![cp], vec![]);
    let f = write(&relayed, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        err(read(&f, &t)),
        BundleError::UnknownDevice { actor: C.into() }
    );
    // B's range with a checkpoint signed by C's key in B's name.
    let bops = ops(B, 3);
    let cp = checkpoint(&t.c, PROJECT_ID, B, 3, &bops[2].op_hash);
    let forged = Bundle::new(bundle.header.clone(), bops, vec![cp], vec![]);
    let f = write(&forged, A, &t.a, &t.project, DEFAULT_MAX_PART_BYTES)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(
        err(read(&f, &t)),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 3
        }
    );
}

#[test]
fn revoked_sender_and_revoked_author_of_a_relayed_range() {
    let t = team();
    let f = sample_file(&t);
    let mut keys = t.keys.clone();
    keys.revoke(A);
    let e = err(read_with(&f, &t, &keys));
    assert_eq!(e, BundleError::RevokedDevice { actor: A.into() });
    assert!(e.to_string().contains("revoked"));

    let mut keys = t.keys.clone();
    keys.revoke(B);
    assert_eq!(
        err(read_with(&f, &t, &keys)),
        BundleError::RevokedDevice { actor: B.into() }
    );

    // B re-enrolled under a new key: B's old checkpoints no longer verify.
    let mut keys = t.keys.clone();
    keys.add(B, DeviceKey::generate().public());
    assert_eq!(
        err(read_with(&f, &t, &keys)),
        BundleError::Checkpoint {
            actor: B.into(),
            seq: 4
        }
    );
    // An empty key ring knows nobody.
    assert_eq!(
        err(read_with(&f, &t, &MemKeyRing::new())),
        BundleError::UnknownDevice { actor: A.into() }
    );
}

#[test]
fn wrong_project_key_names_both_keys() {
    let t = team();
    let f = sample_file(&t);
    let ours = ProjectKey::from_bytes([0x77; 32]);
    let e = crate::read(&f, &ours, &t.keys, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        BundleError::WrongProjectKey {
            bundle_key_id: t.project.key_id(),
            our_key_id: ours.key_id()
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&t.project.key_id()) && msg.contains(&ours.key_id()),
        "{msg}"
    );
    assert!(msg.contains("join that team or ask for a bundle for this one"));
    // Even when the other team's sender is unknown here.
    let e = crate::read(&f, &ours, &MemKeyRing::new(), &Limits::default()).unwrap_err();
    assert!(matches!(e, BundleError::WrongProjectKey { .. }));
    // A header that lies about the key id: the sections do not decrypt.
    let mut c = Craft::open(&f, &t);
    c.header.project_key_id = ours.key_id();
    let g = c.encode(&t.project, &t.a);
    assert_eq!(
        crate::read(&g, &ours, &t.keys, &Limits::default()).unwrap_err(),
        BundleError::Decrypt {
            section: "ops".into()
        }
    );
}

#[test]
fn future_format_major_asks_for_an_update() {
    let t = team();
    let mut f = sample_file(&t);
    f[8..10].copy_from_slice(&3u16.to_le_bytes());
    let e = err(read(&f, &t));
    assert_eq!(e, BundleError::UnsupportedVersion { major: 3 });
    assert!(e.to_string().contains("update Fieldbook"));
    assert_eq!(
        inspect(&f).unwrap_err(),
        BundleError::UnsupportedVersion { major: 3 }
    );
    // Even re-signed, and even cut short after the version.
    resign(&mut f, &t.a);
    assert_eq!(
        err(read(&f, &t)),
        BundleError::UnsupportedVersion { major: 3 }
    );
    assert_eq!(
        err(read(&f[..10], &t)),
        BundleError::UnsupportedVersion { major: 3 }
    );
    // A newer minor version with the same major still reads.
    let mut c = Craft::open(&sample_file(&t), &t);
    c.header.format_minor = 3;
    assert!(read(&c.encode(&t.project, &t.a), &t).is_ok());
    // Not a bundle at all.
    assert_eq!(
        err(read(b"PK\x03\x04 a zip file", &t)),
        BundleError::BadMagic
    );
    assert_eq!(err(read(b"FSB", &t)), BundleError::Truncated);
    let mut crlf = sample_file(&t);
    crlf.remove(7); // "\r\n" -> "\r" as a text-mode copy might
    assert_eq!(err(read(&crlf, &t)), BundleError::BadMagic);
}

#[test]
fn a_pre_release_format_asks_for_a_re_export() {
    let t = team();
    let mut f = sample_file(&t);
    f[8..10].copy_from_slice(&1u16.to_le_bytes());
    resign(&mut f, &t.a);
    for e in [err(read(&f, &t)), inspect(&f).unwrap_err()] {
        assert_eq!(e, BundleError::PreRelease { major: 1 });
        assert!(e.to_string().contains("re-export it"), "{e}");
    }
    f[8..10].copy_from_slice(&0u16.to_le_bytes());
    assert!(matches!(err(read(&f, &t)), BundleError::Corrupt(_)));
}

#[test]
fn a_decompression_bomb_is_refused() {
    let t = team();
    let good = Craft::open(&sample_file(&t), &t);
    // 20 MB of zeros.
    let zeros = vec![0u8; 20_000_000];
    let bomb = zstd::encode_all(&zeros[..], 19).unwrap();
    let limit = (bomb.len() as u64 * Limits::default().max_ratio).max(64 << 10);
    assert!(limit < zeros.len() as u64 / 10);
    let mut c = good.clone();
    c.header.ranges.clear();
    c.checkpoints.clear();
    c.ops_zstd = Some(bomb);
    let e = err(read(&c.encode(&t.project, &t.a), &t));
    assert!(
        matches!(e, BundleError::DecompressLimit { limit: l } if l == limit),
        "{e:?}"
    );
    // A genuine bundle over a small absolute cap.
    let limits = Limits {
        max_ops_bytes: 100,
        ..Limits::default()
    };
    let f = sample_file(&t);
    assert_eq!(
        crate::read(&f, &t.project, &t.keys, &limits).unwrap_err(),
        BundleError::DecompressLimit { limit: 100 }
    );
    // A zstd frame that declares a 2 GiB window.
    let mut c = good.clone();
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8]; // magic, no size, window log 41
    frame.extend_from_slice(&[0u8; 8]);
    c.ops_zstd = Some(frame);
    err(read(&c.encode(&t.project, &t.a), &t));
}

/// A million minimal ops: 11 MB of columns that zstd packs into a few
/// hundred bytes (the reviewer's bomb: ~543 MB once decoded).
fn minimal_ops_columns(n: u32) -> Vec<u8> {
    let c = crate::columns::Columns {
        kinds: vec!["k".into()],
        records: vec![crate::columns::RecordId::Text("r".into())],
        at: vec![("t".into(), n)],
        hlc: vec![0; n as usize],
        op: vec![0; n as usize],
        kind: vec![0; n as usize],
        record: vec![0; n as usize],
        field: vec![0; n as usize],
        value: vec![None; n as usize],
        cascade_of: vec![None; n as usize],
        schema_ver: vec![1; n as usize],
        extra: vec![String::new(); n as usize],
        supersedes: vec![0; n as usize],
        observed: vec![0; n as usize],
        ..Default::default()
    };
    zstd::encode_all(&postcard::to_stdvec(&c).unwrap()[..], 19).unwrap()
}

#[test]
fn a_header_that_declares_more_ops_than_a_file_may_hold_is_refused_before_decoding() {
    let t = team();
    let good = Craft::open(&sample_file(&t), &t);
    let mut c = good.clone();
    let bomb = minimal_ops_columns(1_000_000);
    assert!(bomb.len() < 2_000, "{}", bomb.len());
    c.header.ranges = vec![Range {
        actor: A.into(),
        from_seq: 1,
        to_seq: 1_000_000,
    }];
    c.checkpoints.truncate(1);
    c.ops_zstd = Some(bomb);
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::TooManyOps {
            ops: 1_000_000,
            limit: crate::MAX_OPS_PER_FILE
        }
    );
    // Under the op cap, the decoded size is still capped: the same columns
    // for 200,000 ops (let past the ratio cap), under a budget they do not
    // fit.
    let mut c = good.clone();
    c.header.ranges = vec![Range {
        actor: A.into(),
        from_seq: 1,
        to_seq: 200_000,
    }];
    c.checkpoints.truncate(1);
    c.ops_zstd = Some(minimal_ops_columns(200_000));
    let limits = Limits {
        max_decoded_bytes: 64 << 20,
        max_ratio: 1 << 20,
        ..Limits::default()
    };
    assert_eq!(
        crate::read(&c.encode(&t.project, &t.a), &t.project, &t.keys, &limits).unwrap_err(),
        BundleError::DecodeLimit { limit: 64 << 20 }
    );
}

#[test]
fn blob_hash_and_size_mismatches_are_refused() {
    let t = team();
    let f = sample_file(&t);
    let good = Craft::open(&f, &t);
    let sha = good.header.blobs[1].sha256.clone();
    // Other bytes under the listed hash (same size).
    let mut c = good.clone();
    c.blobs[1].1[0] ^= 1;
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::BlobMismatch {
            sha256: sha.clone()
        }
    );
    // A different size than listed.
    let mut c = good.clone();
    c.blobs[1].1.push(0);
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::BlobMismatch {
            sha256: sha.clone()
        }
    );
    // The header lists another hash than the section carries.
    let mut c = good.clone();
    c.header.blobs[1].sha256 = hex::encode([0u8; 32]);
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::BlobMismatch {
            sha256: hex::encode([0u8; 32])
        }
    );
    // An uppercase hash in the header.
    let mut c = good.clone();
    c.header.blobs[1].sha256 = sha.to_uppercase();
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // The same blob listed twice.
    let mut c = good.clone();
    c.header.blobs[2] = c.header.blobs[1].clone();
    c.blobs[2] = c.blobs[1].clone();
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    // Over the size limit.
    let limits = Limits {
        max_blob_bytes: 2000,
        ..Limits::default()
    };
    assert!(matches!(
        crate::read(&f, &t.project, &t.keys, &limits).unwrap_err(),
        BundleError::BlobTooLarge {
            size: 3000,
            limit: 2000,
            ..
        }
    ));
    // A listed blob's size that is not what its ciphertext can hold.
    let mut c = good.clone();
    c.header.blobs[1].size += 1;
    assert_eq!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::BlobMismatch { sha256: sha }
    );
}

#[test]
fn a_part_header_that_is_not_a_part_number_is_refused() {
    let t = team();
    let good = Craft::open(&sample_file(&t), &t);
    for (index, count) in [(0, 1), (2, 1), (1, 0)] {
        let mut c = good.clone();
        c.header.part = Some(crate::Part { index, count });
        assert!(matches!(
            err(read(&c.encode(&t.project, &t.a), &t)),
            BundleError::Schema(_)
        ));
    }
    let mut c = good.clone();
    c.header.bundle_id = "01960000-0000-4000-8000-000000000001".into(); // v4
    assert!(matches!(
        err(read(&c.encode(&t.project, &t.a), &t)),
        BundleError::Schema(_)
    ));
    let bundle = Bundle::new(
        sample(&t).header,
        vec![],
        vec![],
        vec![Blob::new("x/y", vec![1])],
    );
    assert!(write(&bundle, A, &t.a, &t.project, 100).is_ok());
}

#[test]
fn a_roster_longer_than_any_team_is_refused_before_it_is_walked() {
    let t = team();
    let mut c = Craft::open(&sample_file(&t), &t);
    let entry = c.header.roster.first().cloned().unwrap_or_else(|| {
        crate::roster::RosterEntry::sign(
            PROJECT_ID,
            &crate::team::Member::new(B, &t.b, "b"),
            false,
            A,
            &t.a,
        )
    });
    c.header.roster = vec![entry; 4097];
    let bytes = c.encode(&t.project, &t.a);
    let e = err(read(&bytes, &t));
    assert!(
        matches!(&e, BundleError::Schema(m) if m.contains("4097")),
        "{e:?}"
    );
    // Even unverified, before anyone merges it into a roster.
    assert!(matches!(
        crate::inspect(&bytes),
        Err(BundleError::Schema(_))
    ));
}
