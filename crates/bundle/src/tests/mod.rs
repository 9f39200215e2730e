//! Tests of the whole format. `Craft` plays an insider (a device that holds
//! the project key and its own enrolled key) who writes whatever bytes it
//! likes, so the checks behind the trailer signature and the AEAD get tested
//! too, not only the ones in front of them.

mod columns;
mod corpus;
mod parts;
mod roster;
mod roundtrip;
mod tamper;

use fieldbook_core::op::Op;

use crate::crypto::{seal, sha256, unhex, NONCE_PREFIX};
use crate::fixtures::{self, seeded, Team};
use crate::format::{self, SEC_BLOB, SEC_CHECKPOINTS, SEC_OPS, TRAILER};
use crate::{BundleError, Checkpoint, DeviceKey, Header, KeyRing, Limits, ProjectKey};

pub(crate) fn read(bytes: &[u8], team: &Team) -> Result<crate::Bundle, BundleError> {
    crate::read(bytes, &team.project, &team.keys, &Limits::default())
}

pub(crate) fn read_with(
    bytes: &[u8],
    team: &Team,
    keys: &dyn KeyRing,
) -> Result<crate::Bundle, BundleError> {
    crate::read(bytes, &team.project, keys, &Limits::default())
}

/// The sample bundle written by `A` as one file.
pub(crate) fn sample_file(team: &Team) -> Vec<u8> {
    let mut files = fixtures::write_seeded(
        &fixtures::sample(team),
        fixtures::A,
        &team.a,
        &team.project,
        1 << 30,
        7,
    )
    .unwrap();
    assert_eq!(files.len(), 1);
    files.pop().unwrap()
}

/// Replaces the trailer with a fresh one signed by `key`.
pub(crate) fn resign(bytes: &mut Vec<u8>, key: &DeviceKey) {
    bytes.truncate(bytes.len() - TRAILER);
    format::seal_trailer(bytes, key);
}

/// A bundle's contents in the clear, to be edited and re-encoded.
#[derive(Clone)]
pub(crate) struct Craft {
    pub header: Header,
    /// Overrides `ops` when set: the exact bytes of the OPS section's plaintext.
    pub ops_zstd: Option<Vec<u8>>,
    /// Encoded as the columns of their own ranges (which may not be the
    /// header's), so their hashes are dropped: `prev_hash` counts only at a
    /// range start after seq 1.
    pub ops: Vec<Op>,
    pub checkpoints: Vec<Checkpoint>,
    /// Section sha prefix and the bytes.
    pub blobs: Vec<([u8; 32], Vec<u8>)>,
    pub extra: Vec<(u8, Vec<u8>)>,
}

impl Craft {
    /// Decrypts a valid file.
    pub fn open(bytes: &[u8], team: &Team) -> Craft {
        let b = read(bytes, team).unwrap();
        Craft {
            header: b.header,
            ops_zstd: None,
            ops: b.ops,
            checkpoints: b.checkpoints,
            blobs: b
                .blobs
                .into_iter()
                .map(|b| (unhex(&b.sha256).unwrap(), b.bytes))
                .collect(),
            extra: vec![],
        }
    }

    /// The ops section's plaintext for `ops`.
    pub fn columns(&self) -> Vec<u8> {
        let mut runs = Vec::new();
        let mut rest = &self.ops[..];
        for r in crate::ranges_of(&self.ops) {
            let (run, tail) = rest.split_at((r.to_seq - r.from_seq + 1) as usize);
            runs.push(run);
            rest = tail;
        }
        crate::columns::encode(&runs)
    }

    /// Encodes it, encrypted with `project`, signed by `sender`.
    pub fn encode(&self, project: &ProjectKey, sender: &DeviceKey) -> Vec<u8> {
        let mut rng = seeded(99);
        let header = serde_json::to_vec(&self.header).unwrap();
        let hh = sha256(&header);
        let key = project.bytes();
        let mut sealed = |aad: &[u8], plain: &[u8], lead: &[u8]| {
            let mut prefix = [0u8; NONCE_PREFIX];
            rng(&mut prefix);
            let mut body = lead.to_vec();
            body.extend_from_slice(&prefix);
            body.extend_from_slice(&seal(key, &prefix, aad, plain));
            body
        };
        let ops = self
            .ops_zstd
            .clone()
            .unwrap_or_else(|| zstd::encode_all(&self.columns()[..], 3).unwrap());
        let mut sections = vec![
            (
                SEC_OPS,
                sealed(&format::section_aad(&hh, SEC_OPS, None), &ops, &[]),
            ),
            (
                SEC_CHECKPOINTS,
                serde_json::to_vec(&self.checkpoints).unwrap(),
            ),
        ];
        for (sha, bytes) in &self.blobs {
            sections.push((
                SEC_BLOB,
                sealed(&format::section_aad(&hh, SEC_BLOB, Some(sha)), bytes, sha),
            ));
        }
        sections.extend(self.extra.iter().cloned());
        format::assemble(self.header.format_minor, &header, &sections, sender)
    }
}

/// The sections of a file: (bytes before the first section, sections).
pub(crate) fn split_sections(bytes: &[u8]) -> (Vec<u8>, Vec<(u8, Vec<u8>)>) {
    let f = format::frame(bytes, 1 << 24).unwrap();
    let head_len = format::PREAMBLE + f.header.len();
    let secs = format::sections(f.sections)
        .unwrap()
        .into_iter()
        .map(|(k, b)| (k, b.to_vec()))
        .collect();
    (bytes[..head_len].to_vec(), secs)
}

/// Re-frames `head` (preamble + header bytes) and `sections`, signed by `key`.
pub(crate) fn join_sections(head: &[u8], sections: &[(u8, Vec<u8>)], key: &DeviceKey) -> Vec<u8> {
    let mut out = head.to_vec();
    for (k, b) in sections {
        out.push(*k);
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    format::seal_trailer(&mut out, key);
    out
}
