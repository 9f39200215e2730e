//! What a bundle holds, as the store builds it for [`crate::write`] and gets it
//! back from [`crate::read`].

use std::collections::BTreeMap;

use fieldbook_core::op::Op;
use serde::{Deserialize, Serialize};

use crate::crypto::sha256;
use crate::keys::DeviceKey;

/// The email-safe default size of one bundle file (SYNC.md §8.6).
pub const DEFAULT_MAX_PART_BYTES: usize = 20 * 1024 * 1024;

/// The bundle's plaintext header. It is stored as the JSON `serde_json`
/// makes of this struct (field order as declared); its SHA-256 is the
/// associated data of every encrypted section, so no byte of it can change
/// without every section failing to decrypt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Format minor version (the preamble's, repeated; [`crate::FORMAT_MINOR`]).
    /// Set by `write`.
    pub format_minor: u16,
    /// UUIDv7 of the export. The parts of a split export share it: a part is
    /// named by `(bundle_id, part.index)`.
    pub bundle_id: String,
    pub project_id: String,
    /// The sender's HLC when the bundle was cut.
    pub created_hlc: u64,
    /// The version of the app that wrote it, for people and bug reports.
    pub app_version: String,
    /// The op schema version the sender writes (`OP_SCHEMA_VERSION`).
    pub schema_ver: u32,
    /// The actor (device) that wrote the file and signed its trailer. Set by `write`.
    pub sender_actor: String,
    /// [`crate::fingerprint`] of the sender's public key. Set by `write`.
    pub sender_key_fingerprint: String,
    /// [`crate::ProjectKey::key_id`] of the key the sections are encrypted
    /// with. Set by `write`.
    pub project_key_id: String,
    /// The recipient's version vector the bundle was cut against
    /// (informational).
    pub base_vv: BTreeMap<String, u64>,
    /// The ops carried, as contiguous per-actor seq ranges, in the order the
    /// ops are stored. Each range ends at a checkpoint signed by its author.
    pub ranges: Vec<Range>,
    /// The attachments carried, in the order their sections are stored.
    pub blobs: Vec<BlobRef>,
    /// `Some` for one part of an export split into several files, each of
    /// which can be imported alone, in any order. Set by `write`.
    pub part: Option<Part>,
    /// The sender's version vector when it wrote the bundle: what it holds,
    /// so the recipient can later send it only what it lacks.
    #[serde(default)]
    pub sender_vv: BTreeMap<String, u64>,
    /// The team's devices as the sender knows them, each entry signed by the
    /// member who enrolled or revoked it (see [`crate::roster`]).
    #[serde(default)]
    pub roster: Vec<crate::roster::RosterEntry>,
}

impl Header {
    /// A header for a new export, with a fresh UUIDv7 `bundle_id`; `write`
    /// fills in the sender, key and part fields, [`Bundle::new`] the ranges
    /// and blobs.
    pub fn new(
        project_id: &str,
        created_hlc: u64,
        app_version: &str,
        schema_ver: u32,
        base_vv: BTreeMap<String, u64>,
    ) -> Header {
        Header {
            format_minor: crate::FORMAT_MINOR,
            bundle_id: uuid::Uuid::now_v7().to_string(),
            project_id: project_id.to_string(),
            created_hlc,
            app_version: app_version.to_string(),
            schema_ver,
            sender_actor: String::new(),
            sender_key_fingerprint: String::new(),
            project_key_id: String::new(),
            base_vv,
            ranges: Vec::new(),
            blobs: Vec::new(),
            part: None,
            sender_vv: BTreeMap::new(),
            roster: Vec::new(),
        }
    }
}

/// The ops `from_seq..=to_seq` of one actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub actor: String,
    pub from_seq: u64,
    pub to_seq: u64,
}

/// An attachment the bundle carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    pub mime: String,
}

/// Part `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub index: u32,
    pub count: u32,
}

/// An author's signature over the head of its op chain: "my op `seq` has
/// hash `op_hash` in project `project_id`". Because each op's hash covers the
/// one before it, this vouches for every earlier op of that author too, so
/// any device can relay the ops and the recipient can still tell they are
/// the author's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub actor: String,
    pub seq: u64,
    pub op_hash: String,
    /// Lowercase hex of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// One attachment's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    /// The blob, with its hash computed.
    pub fn new(mime: &str, bytes: Vec<u8>) -> Blob {
        Blob {
            sha256: hex::encode(sha256(&bytes)),
            mime: mime.to_string(),
            bytes,
        }
    }

    pub fn to_ref(&self) -> BlobRef {
        BlobRef {
            sha256: self.sha256.clone(),
            size: self.bytes.len() as u64,
            mime: self.mime.clone(),
        }
    }
}

/// Everything one bundle file carries. `ops` are stored in the order of
/// `header.ranges` (each range's ops by ascending seq), `blobs` in the
/// order of `header.blobs`, and `checkpoints` hold the one that ends each
/// range (to `write`, more may be given: see [`crate::write`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub header: Header,
    pub ops: Vec<Op>,
    pub checkpoints: Vec<Checkpoint>,
    pub blobs: Vec<Blob>,
}

impl Bundle {
    /// A bundle whose `header.ranges` and `header.blobs` are computed from
    /// `ops` (which must already be grouped per actor by ascending seq; see
    /// [`ranges_of`]) and `blobs`.
    pub fn new(
        mut header: Header,
        ops: Vec<Op>,
        checkpoints: Vec<Checkpoint>,
        blobs: Vec<Blob>,
    ) -> Bundle {
        header.ranges = ranges_of(&ops);
        header.blobs = blobs.iter().map(Blob::to_ref).collect();
        Bundle {
            header,
            ops,
            checkpoints,
            blobs,
        }
    }
}

/// The ranges that describe `ops` in their order: a new range starts
/// wherever the actor changes or the seq does not follow on.
pub fn ranges_of(ops: &[Op]) -> Vec<Range> {
    let mut ranges: Vec<Range> = Vec::new();
    for op in ops {
        match ranges.last_mut() {
            Some(r) if r.actor == op.actor && r.to_seq.checked_add(1) == Some(op.seq) => {
                r.to_seq = op.seq
            }
            _ => ranges.push(Range {
                actor: op.actor.clone(),
                from_seq: op.seq,
                to_seq: op.seq,
            }),
        }
    }
    ranges
}

/// Signs the head of an author's chain: `key` is the device key of `actor`.
/// The signed message is `"fieldbook/checkpoint/v1\0"`, then `project_id`,
/// `actor` and `op_hash` each as u32-LE length + UTF-8, and `seq` as u64 LE
/// (between `actor` and `op_hash`).
pub fn checkpoint(
    key: &DeviceKey,
    project_id: &str,
    actor: &str,
    seq: u64,
    op_hash: &str,
) -> Checkpoint {
    let sig = key.sign(&checkpoint_message(project_id, actor, seq, op_hash));
    Checkpoint {
        actor: actor.to_string(),
        seq,
        op_hash: op_hash.to_string(),
        sig: hex::encode(sig),
    }
}

pub(crate) fn checkpoint_message(
    project_id: &str,
    actor: &str,
    seq: u64,
    op_hash: &str,
) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut m = b"fieldbook/checkpoint/v1\0".to_vec();
    field(&mut m, project_id);
    field(&mut m, actor);
    m.extend_from_slice(&seq.to_le_bytes());
    field(&mut m, op_hash);
    m
}

/// Caps applied while reading, so a hostile file cannot exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest header accepted.
    pub max_header_bytes: u64,
    /// Largest decompressed ops section (the columns of all ops).
    pub max_ops_bytes: u64,
    /// Largest decompressed/compressed ratio of the ops section (op columns
    /// of repeated edits to a long text legitimately reach 100×)…
    pub max_ratio: u64,
    /// …except that this many decompressed bytes are always allowed (a
    /// small section can legitimately compress more than `max_ratio`×).
    pub ratio_floor_bytes: u64,
    /// Largest single attachment.
    pub max_blob_bytes: u64,
    /// Most ops one file may hold, by its header's ranges (checked before
    /// anything is decrypted; the writer splits parts to stay under it).
    pub max_ops: u64,
    /// Most memory the decoded ops section may take (its columns, then the
    /// ops built from them), counted before each allocation.
    pub max_decoded_bytes: u64,
}

/// [`Limits::max_ops`] by default: half a million ops decode to about
/// 300 MB at the least.
pub const MAX_OPS_PER_FILE: u64 = 500_000;

impl Default for Limits {
    /// 16 MiB header, 512 MiB of ops plaintext, 1,000× ratio above a
    /// 64 KiB floor, 50 MiB per attachment, 500,000 ops and 2 GiB of
    /// decoded ops per file.
    fn default() -> Limits {
        Limits {
            max_header_bytes: 16 << 20,
            max_ops_bytes: 512 << 20,
            max_ratio: 1000,
            ratio_floor_bytes: 64 << 10,
            max_blob_bytes: 50 << 20,
            max_ops: MAX_OPS_PER_FILE,
            max_decoded_bytes: 2 << 30,
        }
    }
}
