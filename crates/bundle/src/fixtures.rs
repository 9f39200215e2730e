//! Deterministic keys, ops and bundles for this crate's tests, its bench and
//! its fuzz target (which must agree on the keys for the committed corpus to
//! reach past the signature checks). Not part of the API.

use fieldbook_core::op::{Op, OpId, OpKind, GENESIS_HASH, OP_SCHEMA_VERSION};

use crate::{
    checkpoint, Blob, Bundle, BundleError, DeviceKey, Header, Limits, MemKeyRing, ProjectKey,
};

pub const PROJECT_ID: &str = "01960000-0000-7000-8000-00000000f00d";
pub const BUNDLE_ID: &str = "01960000-0000-7000-8000-000000000001";
/// The sender.
pub const A: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
/// Another enrolled author, whose ops `A` relays.
pub const B: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
/// A device no key ring knows.
pub const C: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

/// A splitmix64 byte source.
pub fn seeded(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut state = seed;
    move |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *b = (z ^ (z >> 31)) as u8;
        }
    }
}

pub struct Team {
    pub project: ProjectKey,
    pub a: DeviceKey,
    pub b: DeviceKey,
    pub c: DeviceKey,
    /// `A` and `B` active; `C` unknown.
    pub keys: MemKeyRing,
}

pub fn team() -> Team {
    let a = DeviceKey::from_bytes(&[0xa1; 32]);
    let b = DeviceKey::from_bytes(&[0xb2; 32]);
    let c = DeviceKey::from_bytes(&[0xc3; 32]);
    let mut keys = MemKeyRing::new();
    keys.add(A, a.public()).add(B, b.public());
    Team {
        project: ProjectKey::from_bytes([0x5e; 32]),
        a,
        b,
        c,
        keys,
    }
}

impl Team {
    pub fn key_of(&self, actor: &str) -> &DeviceKey {
        match actor {
            A => &self.a,
            B => &self.b,
            _ => &self.c,
        }
    }
}

/// `n` chained ops of `actor`, seq `1..=n`: a create, then sets.
pub fn ops(actor: &str, n: u64) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::with_capacity(n as usize);
    for seq in 1..=n {
        let prev = out
            .last()
            .map_or(GENESIS_HASH.to_string(), |o| o.op_hash.clone());
        out.push(op(actor, seq, prev));
    }
    out
}

fn op(actor: &str, seq: u64, prev_hash: String) -> Op {
    let record = seq / 16;
    let create = seq % 16 == 1;
    Op {
        actor: actor.to_string(),
        seq,
        hlc: (1_780_000_000_000u64 + seq * 1000) << 16,
        at: format!("2026-06-01T10:{:02}:{:02}.000Z", (seq / 60) % 60, seq % 60),
        op: if create { OpKind::Create } else { OpKind::Set },
        kind: "finding".to_string(),
        record_id: format!("01960000-0000-7000-8000-{:04x}{:08x}", &actor.len(), record),
        field: (!create)
            .then(|| ["title", "text", "sector", "status"][(seq % 4) as usize].to_string()),
        value: (!create).then(|| format!("\"Observation {seq} at site {}\"", seq % 97)),
        supersedes: if create || seq < 3 {
            vec![]
        } else {
            vec![OpId {
                actor: actor.to_string(),
                seq: seq - 1,
            }]
        },
        observed: vec![],
        cascade_of: None,
        schema_ver: OP_SCHEMA_VERSION,
        prev_hash,
        op_hash: String::new(),
        extra: Default::default(),
    }
    .seal()
}

/// `n` findings as the store exports them: per finding a `create` then five
/// `set`s (`study_id`, `sector`, `title`, `text`, `status`), all by `A`,
/// written in batches of 1,000 findings. Record ids are UUIDv7 with random
/// bits from [`seeded`]; in a batch the ops share their time and their
/// hlc steps by 1; the next batch is 4.3 s later.
pub fn findings(n: u64) -> Vec<Op> {
    const STUDY: &str = "\"01960000-0000-7000-8000-0000000057d7\"";
    let mut random = seeded(11);
    let mut out: Vec<Op> = Vec::with_capacity(n as usize * 6);
    let mut hlc = 0;
    for i in 0..n {
        let batch = i / 1000;
        let ms = 1_780_000_000_000 + batch * 4_321;
        if i % 1000 == 0 {
            hlc = ms << 16;
        }
        let mut bits = [0u8; 10];
        random(&mut bits);
        let record_id = uuid::Builder::from_unix_timestamp_millis(ms, &bits)
            .into_uuid()
            .to_string();
        let at = format!(
            "2026-05-28T20:{:02}:{:02}.{:03}Z",
            (batch * 4_321 / 60_000) % 60,
            (batch * 4_321 / 1000) % 60,
            ms % 1000
        );
        let values = [
            ("study_id", STUDY.to_string()),
            ("sector", "\"energy\"".to_string()),
            ("title", format!("\"Finding {i}: pump at site {}\"", i % 97)),
            (
                "text",
                format!("\"Observed pump {i} running {} h/yr\"", 4000 + i % 3000),
            ),
            ("status", "\"draft\"".to_string()),
        ];
        let sets = values
            .into_iter()
            .map(|(f, v)| (OpKind::Set, Some(f), Some(v)));
        for (op, field, value) in std::iter::once((OpKind::Create, None, None)).chain(sets) {
            let seq = out.len() as u64 + 1;
            let prev_hash = out
                .last()
                .map_or(GENESIS_HASH.to_string(), |o| o.op_hash.clone());
            out.push(
                Op {
                    actor: A.to_string(),
                    seq,
                    hlc,
                    at: at.clone(),
                    op,
                    kind: "finding".to_string(),
                    record_id: record_id.clone(),
                    field: field.map(str::to_string),
                    value,
                    supersedes: vec![],
                    observed: vec![],
                    cascade_of: None,
                    schema_ver: OP_SCHEMA_VERSION,
                    prev_hash,
                    op_hash: String::new(),
                    extra: Default::default(),
                }
                .seal(),
            );
            hlc += 1;
        }
    }
    out
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    seeded(seed)(&mut v);
    v
}

/// `A`'s ops 1..=5, then `B`'s 1..=4 relayed (with `B`'s checkpoints at 2
/// and 4), and three attachments.
pub fn sample(team: &Team) -> Bundle {
    let a = ops(A, 5);
    let b = ops(B, 4);
    let checkpoints = vec![
        checkpoint(&team.b, PROJECT_ID, B, 2, &b[1].op_hash),
        checkpoint(&team.b, PROJECT_ID, B, 4, &b[3].op_hash),
    ];
    let blobs = vec![
        Blob::new("image/jpeg", bytes(1, 3000)),
        Blob::new("image/png", bytes(2, 700)),
        Blob::new("application/pdf", bytes(3, 1500)),
    ];
    let mut header = Header::new(
        PROJECT_ID,
        42 << 16,
        "0.1.0-test",
        OP_SCHEMA_VERSION,
        Default::default(),
    );
    header.bundle_id = BUNDLE_ID.to_string();
    header.base_vv.insert(B.to_string(), 0);
    Bundle::new(header, a.into_iter().chain(b).collect(), checkpoints, blobs)
}

/// [`crate::write`] with nonces from [`seeded`]`(seed)`.
pub fn write_seeded(
    bundle: &Bundle,
    sender_actor: &str,
    sender: &DeviceKey,
    project: &ProjectKey,
    max: usize,
    seed: u64,
) -> Result<Vec<Vec<u8>>, BundleError> {
    crate::write::write_with(
        bundle,
        sender_actor,
        sender,
        project,
        max,
        crate::MAX_OPS_PER_FILE as usize,
        &mut seeded(seed),
    )
}

/// The size of a bundle file's OPS section: nonce prefix, compressed op
/// columns and AEAD tags.
pub fn ops_section_len(file: &[u8]) -> usize {
    let frame = crate::format::frame(file, u64::MAX).expect("a bundle file");
    let sections = crate::format::sections(frame.sections).expect("its sections");
    sections[0].1.len()
}

/// [`crate::read`] with the [`team`] keys and default limits (the fuzz target).
pub fn read_fixed(bytes: &[u8]) -> Result<Bundle, BundleError> {
    static TEAM: std::sync::OnceLock<Team> = std::sync::OnceLock::new();
    let t = TEAM.get_or_init(team);
    crate::read(bytes, &t.project, &t.keys, &Limits::default())
}
