//! The fuzz corpus `fuzz/corpus/read/`: made here, deterministically, and
//! replayed here on every `cargo test`. Files named `valid-*` must read,
//! `bad-*` must be refused, and any other (crash inputs a fuzzer found and
//! someone committed) must simply not panic.
//!
//! Regenerate after a format change:
//! `FSB_WRITE_CORPUS=1 cargo test -p fieldbook-bundle corpus`.

use std::path::PathBuf;

use super::*;
use crate::fixtures::{ops, read_fixed, sample, team, write_seeded, A, B, C, PROJECT_ID};
use crate::{checkpoint, Bundle};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/read")
}

fn generate() -> Vec<(String, Vec<u8>)> {
    let t = team();
    let mut out = Vec::new();
    let sample_b = sample(&t);
    let single = write_seeded(&sample_b, A, &t.a, &t.project, 1 << 30, 1)
        .unwrap()
        .pop()
        .unwrap();
    out.push(("valid-single.fsb".to_string(), single.clone()));
    for (i, p) in write_seeded(&sample_b, A, &t.a, &t.project, 2500, 2)
        .unwrap()
        .into_iter()
        .enumerate()
    {
        out.push((format!("valid-part-{}.fsb", i + 1), p));
    }
    let mut header = sample_b.header.clone();
    header.base_vv.clear();
    let empty = Bundle::new(header.clone(), vec![], vec![], vec![]);
    out.push((
        "valid-empty.fsb".into(),
        write_seeded(&empty, A, &t.a, &t.project, 1 << 20, 3)
            .unwrap()
            .pop()
            .unwrap(),
    ));
    let bops = ops(B, 6);
    let cp = checkpoint(&t.b, PROJECT_ID, B, 6, &bops[5].op_hash);
    let relay = Bundle::new(header.clone(), bops.clone(), vec![cp.clone()], vec![]);
    out.push((
        "valid-relay.fsb".into(),
        write_seeded(&relay, A, &t.a, &t.project, 1 << 20, 4)
            .unwrap()
            .pop()
            .unwrap(),
    ));
    // A range that starts after seq 1 carries its starting hash.
    let tail = Bundle::new(header.clone(), bops[3..].to_vec(), vec![cp], vec![]);
    let tail = write_seeded(&tail, A, &t.a, &t.project, 1 << 20, 6)
        .unwrap()
        .pop()
        .unwrap();
    out.push(("valid-relay-tail.fsb".into(), tail.clone()));
    let mut c = Craft::open(&tail, &t);
    c.ops[0].prev_hash = bops[0].op_hash.clone();
    out.push(("bad-range-start.fsb".into(), c.encode(&t.project, &t.a)));

    for cut in [
        0,
        7,
        12,
        16,
        100,
        single.len() / 2,
        single.len() - TRAILER,
        single.len() - 1,
    ] {
        out.push((format!("bad-truncated-{cut}.fsb"), single[..cut].to_vec()));
    }
    let (head, secs) = split_sections(&single);
    let marks = [
        ("magic", 3),
        ("major", 8),
        ("header-len", 13),
        ("header", 40),
        ("ops", head.len() + 30),
        ("checkpoints", head.len() + 9 + secs[0].1.len() + 40),
        ("trailer", single.len() - 50),
    ];
    for (name, at) in marks {
        let mut g = single.clone();
        g[at] ^= 0x10;
        out.push((format!("bad-flip-{name}.fsb"), g.clone()));
        if name != "trailer" {
            resign(&mut g, &t.a);
            out.push((format!("bad-flip-{name}-resigned.fsb"), g));
        }
    }
    let mut s = secs.clone();
    s.swap(2, 3);
    out.push((
        "bad-swapped-blobs.fsb".into(),
        join_sections(&head, &s, &t.a),
    ));
    let mut s = secs.clone();
    s.remove(0);
    out.push(("bad-no-ops.fsb".into(), join_sections(&head, &s, &t.a)));
    let mut g = single.clone();
    resign(&mut g, &t.c);
    out.push(("bad-forged-sender.fsb".into(), g));
    let own = Bundle::new(header, ops(C, 2), vec![], vec![]);
    out.push((
        "bad-unknown-sender.fsb".into(),
        write_seeded(&own, C, &t.c, &t.project, 1 << 20, 5)
            .unwrap()
            .pop()
            .unwrap(),
    ));
    let mut c = Craft::open(&single, &t);
    c.ops[7].value = Some("\"forged\"".into());
    out.push(("bad-altered-op.fsb".into(), c.encode(&t.project, &t.a)));
    let mut c = Craft::open(&single, &t);
    c.header.ranges.clear();
    c.checkpoints.clear();
    c.ops_zstd = Some(zstd::encode_all(&vec![0u8; 5_000_000][..], 19).unwrap());
    out.push(("bad-bomb.fsb".into(), c.encode(&t.project, &t.a)));
    for major in [1, 3] {
        let mut g = single.clone();
        g[8] = major;
        resign(&mut g, &t.a);
        out.push((format!("bad-major-{major}.fsb"), g));
    }
    out
}

#[test]
fn the_corpus_is_made_deterministically() {
    let a = generate();
    let b = generate();
    assert_eq!(a, b);
    if std::env::var_os("FSB_WRITE_CORPUS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, bytes) in &a {
            std::fs::write(dir().join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in &a {
        let r = read_fixed(bytes);
        assert_eq!(
            r.is_ok(),
            name.starts_with("valid-"),
            "{name}: {:?}",
            r.err()
        );
    }
}

#[test]
fn every_committed_corpus_file_reads_or_is_refused_without_panicking() {
    if std::env::var_os("FSB_WRITE_CORPUS").is_some() {
        return; // being rewritten by the test above, maybe at this moment
    }
    let mut n = 0;
    let mut valid = 0;
    for entry in std::fs::read_dir(dir()).expect("fuzz/corpus/read exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let r = read_fixed(&bytes);
        let _ = crate::inspect(&bytes);
        if name.starts_with("valid-") {
            assert!(r.is_ok(), "{name}: {:?}", r.err());
            valid += 1;
        } else if name.starts_with("bad-") {
            assert!(r.is_err(), "{name} was accepted");
        }
        n += 1;
    }
    assert!(
        n >= 20 && valid >= 4,
        "the corpus has {n} files, {valid} valid"
    );
}

/// A stand-in for a fuzzing run on stable Rust: splices, deletions,
/// insertions and overwrites of the valid corpus files, some re-signed so
/// they reach past the trailer. None may panic or be accepted.
#[test]
fn random_mutations_of_valid_bundles_are_refused_without_panicking() {
    let t = team();
    let valid: Vec<Vec<u8>> = generate()
        .into_iter()
        .filter(|(n, _)| n.starts_with("valid-"))
        .map(|(_, b)| b)
        .collect();
    let mut rng = crate::fixtures::seeded(77);
    let mut next = |n: usize| {
        let mut b = [0u8; 8];
        rng(&mut b);
        (u64::from_le_bytes(b) % n.max(1) as u64) as usize
    };
    for round in 0..3000 {
        let f = &valid[round % valid.len()];
        let body = f.len() - TRAILER;
        let mut g = f[..body].to_vec();
        let at = next(body);
        let len = 1 + next(64);
        match next(4) {
            0 => {
                let end = (at + len).min(g.len());
                g.drain(at..end);
            }
            1 => {
                let junk = crate::fixtures::bytes(round as u64, len);
                g.splice(at..at, junk);
            }
            2 => {
                let end = (at + len).min(g.len());
                let junk = crate::fixtures::bytes(round as u64, end - at);
                g[at..end].copy_from_slice(&junk);
            }
            _ => {
                let from = next(body);
                let end = (from + len).min(f.len());
                g.splice(at..at, f[from..end].to_vec());
            }
        }
        if g == f[..body] {
            continue;
        }
        g.extend_from_slice(&f[body..]);
        if round % 20 == 0 {
            resign(&mut g, &t.a);
        }
        assert!(read_fixed(&g).is_err(), "mutation {round} was accepted");
        let _ = crate::inspect(&g);
    }
}
