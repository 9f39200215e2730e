//! Reading: every check that needs no database, before the store writes
//! anything.

use std::io::Read;

use fieldbook_core::op::Op;

use crate::columns;
use crate::crypto::{open, opened_len, sha256, unhex, NONCE_PREFIX};
use crate::error::BundleError;
use crate::format::{self, SEC_BLOB, SEC_CHECKPOINTS, SEC_OPS};
use crate::keys::{fingerprint, verify, DeviceStatus, KeyRing, MemKeyRing, ProjectKey};
use crate::model::{checkpoint_message, Blob, Bundle, Checkpoint, Header, Limits};
use crate::roster::{candidate_keys, Admin, RosterEntry};
use crate::verify::{check_header, check_op, ops_in, sig_bytes, MAX_ROSTER_ENTRIES};

/// The header of a bundle file, read without any key and **not verified**:
/// for `fieldbook bundle inspect` and for showing what a file is before
/// importing it. Only the preamble and header need to be present.
pub fn inspect(bytes: &[u8]) -> Result<Header, BundleError> {
    let pre = format::preamble(bytes, Limits::default().max_header_bytes)?;
    parse_header(pre.header)
}

/// The header's JSON, with a roster no longer than a team's can be: every
/// reader merges it into its own before it can check a signature.
fn parse_header(bytes: &[u8]) -> Result<Header, BundleError> {
    let header: Header =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Schema(format!("header: {e}")))?;
    if header.roster.len() > MAX_ROSTER_ENTRIES {
        return Err(BundleError::Schema(format!(
            "the roster lists {} entries, more than the {MAX_ROSTER_ENTRIES} a team can have",
            header.roster.len()
        )));
    }
    Ok(header)
}

fn status(keys: &dyn KeyRing, actor: &str) -> Result<[u8; 32], BundleError> {
    match keys.device(actor) {
        DeviceStatus::Active(public) => Ok(public),
        DeviceStatus::Unknown => Err(BundleError::UnknownDevice {
            actor: actor.to_string(),
        }),
        DeviceStatus::Revoked => Err(BundleError::RevokedDevice {
            actor: actor.to_string(),
        }),
    }
}

/// Checks 1–4 of [`read`]: the file is whole, for the team whose project
/// key has the id `project_key_id` ([`ProjectKey::key_id`]), signed by its
/// sender as `keys` knows it, and its header well formed. Needs no key and
/// decrypts nothing: for a reader that must know who signed a file before it
/// looks at what the header says (its roster), and for the team hub, which
/// never holds the project key.
pub fn read_header(
    bytes: &[u8],
    project_key_id: &str,
    keys: &dyn KeyRing,
    limits: &Limits,
) -> Result<Header, BundleError> {
    Ok(signed_header(bytes, project_key_id, keys, limits)?.1)
}

/// At most this many keys are tried for one sender: a device has one key
/// (two where an impostor claimed its id), and each try hashes the file.
const MAX_SENDER_KEYS: usize = 4;

/// [`read_header`] for a reader that knows the team by its first device and
/// a roster whose signatures are not checked yet: the file must be signed by
/// its sender under a key the roster names for it (the reader's own entries
/// should come first in `roster`, so a file cannot crowd them out). Once
/// this passes, the roster the header carries came from a real device and
/// is worth deciding trust over.
pub fn read_header_by_roster(
    bytes: &[u8],
    project_key_id: &str,
    admin: &Admin,
    roster: &[RosterEntry],
    limits: &Limits,
) -> Result<Header, BundleError> {
    let sender = inspect(bytes)?.sender_actor;
    let mut last = BundleError::UnknownDevice {
        actor: sender.clone(),
    };
    for key in candidate_keys(admin, roster, &sender)
        .into_iter()
        .take(MAX_SENDER_KEYS)
    {
        let mut ring = MemKeyRing::new();
        ring.add(&sender, key);
        match read_header(bytes, project_key_id, &ring, limits) {
            Ok(header) => return Ok(header),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn signed_header<'a>(
    bytes: &'a [u8],
    project_key_id: &str,
    keys: &dyn KeyRing,
    limits: &Limits,
) -> Result<(format::Frame<'a>, Header), BundleError> {
    // 1. Magic, version, lengths.
    let frame = format::frame(bytes, limits.max_header_bytes)?;
    // 2. Trailer hash: the file is whole and undamaged.
    if sha256(frame.covered) != frame.hash {
        return Err(BundleError::HashMismatch);
    }
    // The header is now what the sender wrote (or what a forger wrote: the
    // signature is next). The key id is compared first so that a bundle
    // from another team, whose sender this laptop cannot know, is named
    // as such rather than as an unknown device.
    let header = parse_header(frame.header)?;
    if header.project_key_id != project_key_id {
        return Err(BundleError::WrongProjectKey {
            bundle_key_id: header.project_key_id,
            our_key_id: project_key_id.to_string(),
        });
    }
    // 3. The sender's signature, by an enrolled, non-revoked device.
    let sender = status(keys, &header.sender_actor)?;
    if !verify(&sender, &format::signed_message(&frame.hash), &frame.sig)
        || header.sender_key_fingerprint != fingerprint(&sender)
    {
        return Err(BundleError::BadSignature);
    }
    if header.format_minor != frame.minor {
        return Err(BundleError::Schema(
            "the header's format version differs from the file's".into(),
        ));
    }
    check_header(&header)?;
    let count = ops_in(&header.ranges);
    if count > limits.max_ops {
        return Err(BundleError::TooManyOps {
            ops: count,
            limit: limits.max_ops,
        });
    }
    Ok((frame, header))
}

/// Reads and verifies a bundle file; see the crate documentation for the
/// order of the checks. `Ok` means every op, checkpoint and attachment is
/// exactly what its author and the sender made, and may be applied.
pub fn read(
    bytes: &[u8],
    project: &ProjectKey,
    keys: &dyn KeyRing,
    limits: &Limits,
) -> Result<Bundle, BundleError> {
    let mut ops = Vec::new();
    let mut bundle = read_streaming(bytes, project, keys, limits, &mut |chunk| {
        ops.extend(chunk);
        Ok(())
    })?;
    bundle.ops = ops;
    Ok(bundle)
}

/// [`read`], handing the ops to `emit` in order as they are decoded (a few
/// thousand at a time) instead of returning them, so that a store can add
/// them while the rest are built: the [`Bundle`] returned holds no ops.
/// Until it returns `Ok`, nothing emitted is vouched for (the checkpoints
/// are checked last): whatever was done with the ops must then be undone.
/// An error from `emit` stops the reading and is returned.
pub fn read_streaming(
    bytes: &[u8],
    project: &ProjectKey,
    keys: &dyn KeyRing,
    limits: &Limits,
    emit: &mut dyn FnMut(Vec<Op>) -> Result<(), BundleError>,
) -> Result<Bundle, BundleError> {
    let (frame, header) = signed_header(bytes, &project.key_id(), keys, limits)?;

    // 4. Sections: OPS, CHECKPOINTS, then one BLOB per listed attachment.
    let mut ops_body = None;
    let mut cps_body = None;
    let mut blob_bodies = Vec::new();
    for (kind, body) in format::sections(frame.sections)? {
        let expected = if ops_body.is_none() {
            SEC_OPS
        } else if cps_body.is_none() {
            SEC_CHECKPOINTS
        } else {
            SEC_BLOB
        };
        if kind == expected {
            match kind {
                SEC_OPS => ops_body = Some(body),
                SEC_CHECKPOINTS => cps_body = Some(body),
                _ => blob_bodies.push(body),
            }
        } else if !format::OPTIONAL_SECTIONS.contains(&kind) {
            return Err(BundleError::Corrupt(format!(
                "section {kind:#04x} where {expected:#04x} belongs"
            )));
        }
    }
    let (Some(ops_body), Some(cps_body)) = (ops_body, cps_body) else {
        return Err(BundleError::Corrupt(
            "the ops or checkpoints section is missing".into(),
        ));
    };
    if blob_bodies.len() != header.blobs.len() {
        return Err(BundleError::Corrupt(format!(
            "the header lists {} attachments but the file holds {}",
            header.blobs.len(),
            blob_bodies.len()
        )));
    }

    // 5. Decrypt every section (AEAD over every segment).
    let key = project.bytes();
    let header_hash = sha256(frame.header);
    let compressed = decrypt(
        key,
        &format::section_aad(&header_hash, SEC_OPS, None),
        ops_body,
    )
    .ok_or_else(|| BundleError::Decrypt {
        section: "ops".into(),
    })?;
    let mut blobs = Vec::with_capacity(blob_bodies.len());
    for (r, body) in header.blobs.iter().zip(blob_bodies) {
        let mismatch = || BundleError::BlobMismatch {
            sha256: r.sha256.clone(),
        };
        let sha: [u8; 32] = unhex(&r.sha256).ok_or_else(mismatch)?;
        if body.len() < 32 || body[..32] != sha {
            return Err(mismatch());
        }
        if r.size > limits.max_blob_bytes {
            return Err(BundleError::BlobTooLarge {
                sha256: r.sha256.clone(),
                size: r.size,
                limit: limits.max_blob_bytes,
            });
        }
        let sealed = &body[32..];
        if sealed.len() < NONCE_PREFIX
            || opened_len(sealed.len() - NONCE_PREFIX) != Some(r.size as usize)
        {
            return Err(mismatch());
        }
        let bytes = decrypt(
            key,
            &format::section_aad(&header_hash, SEC_BLOB, Some(&sha)),
            sealed,
        )
        .ok_or_else(|| BundleError::Decrypt {
            section: format!("attachment {}", r.sha256),
        })?;
        blobs.push(Blob {
            sha256: r.sha256.clone(),
            mime: r.mime.clone(),
            bytes,
        });
    }

    // 6. Decompress within the caps; 7. decode the ops of the header's
    // ranges, rebuild their hash chains and check their shape.
    let plain = decompress(&compressed, limits)?;
    drop(compressed);
    let ends = columns::decode(&plain, &header.ranges, limits, &mut |chunk| {
        chunk.iter().try_for_each(check_op)?;
        emit(chunk)
    })?;
    drop(plain);

    // 8. Each range ends at a checkpoint its author signed, over the hash
    // just rebuilt: this is what vouches for every op of the range.
    let checkpoints: Vec<Checkpoint> = serde_json::from_slice(cps_body)
        .map_err(|e| BundleError::Schema(format!("checkpoints: {e}")))?;
    if checkpoints.len() != header.ranges.len() {
        return Err(BundleError::Schema(format!(
            "{} checkpoints for {} ranges",
            checkpoints.len(),
            header.ranges.len()
        )));
    }
    for ((r, cp), last) in header.ranges.iter().zip(&checkpoints).zip(&ends) {
        let refused = || BundleError::Checkpoint {
            actor: r.actor.clone(),
            seq: r.to_seq,
        };
        if cp.actor != r.actor || cp.seq != r.to_seq || &cp.op_hash != last {
            return Err(refused());
        }
        let author = status(keys, &r.actor)?;
        let sig = sig_bytes(&cp.sig).ok_or_else(refused)?;
        let msg = checkpoint_message(&header.project_id, &cp.actor, cp.seq, &cp.op_hash);
        if !verify(&author, &msg, &sig) {
            return Err(refused());
        }
    }

    // 9. Attachments are the bytes their hashes name.
    for b in &blobs {
        if hex::encode(sha256(&b.bytes)) != b.sha256 {
            return Err(BundleError::BlobMismatch {
                sha256: b.sha256.clone(),
            });
        }
    }

    Ok(Bundle {
        header,
        ops: Vec::new(),
        checkpoints,
        blobs,
    })
}

/// `body` = nonce prefix | STREAM ciphertext.
fn decrypt(key: &[u8; 32], aad: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < NONCE_PREFIX {
        return None;
    }
    let (prefix, sealed) = body.split_at(NONCE_PREFIX);
    open(key, prefix.try_into().expect("19 bytes"), aad, sealed)
}

/// zstd-decodes the ops section, stopping as soon as the output passes the
/// smaller of `max_ops_bytes` and `max_ratio` × the input (but at least
/// `ratio_floor_bytes`). The decoder's window is capped at 128 MiB.
fn decompress(data: &[u8], limits: &Limits) -> Result<Vec<u8>, BundleError> {
    let by_ratio = limits
        .max_ratio
        .saturating_mul(data.len() as u64)
        .max(limits.ratio_floor_bytes);
    let cap = by_ratio.min(limits.max_ops_bytes);
    let corrupt = |_| BundleError::Corrupt("the ops section is not a valid zstd stream".into());
    let mut dec = zstd::stream::read::Decoder::with_buffer(data).map_err(corrupt)?;
    dec.window_log_max(27).map_err(corrupt)?;
    let mut out = Vec::new();
    dec.take(cap + 1).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() as u64 > cap {
        return Err(BundleError::DecompressLimit { limit: cap });
    }
    Ok(out)
}
