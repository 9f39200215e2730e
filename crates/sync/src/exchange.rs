//! Bundles out and in. Export gathers every op (and photo) the target lacks —
//! this laptop's own, and other devices' up to their last signed checkpoint —
//! and writes them as one or more `.fsb` files. Import checks a file
//! completely (format, signatures, roster, hashes) before anything is written,
//! stores its photos, then merges its ops in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use fieldbook_bundle::{
    Blob, Bundle, BundleError, Checkpoint, DeviceStatus, Header, KeyRing, Limits,
    DEFAULT_MAX_PART_BYTES,
};
use fieldbook_core::op::{Op, OpKind, OP_SCHEMA_VERSION};
use fieldbook_store::{BundleLogEntry, ImportSummary, Store, StoredCheckpoint};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::SyncError;
use crate::team::{admin, current_trust, learn, roster, roster_with, team, team_trust};

/// Who an export is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Everything this laptop can send.
    All,
    /// What this device has not seen yet, as far as its last bundle told us.
    Peer(String),
    /// What a replica holding this version vector lacks (the team hub says
    /// what it holds before each push).
    Have(BTreeMap<String, u64>),
}

/// How far an export or an import has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// Export: the changes to send are chosen.
    Ops { count: usize },
    /// Export: photos read; import: photos stored.
    Photos { done: usize, total: usize },
    /// Export: the file is being written.
    Writing,
    /// Import: signatures, hashes and checkpoints are being checked.
    Checking,
    /// Import: the file's changes are being merged, in one transaction.
    Merging { count: usize },
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub bundle_id: String,
    pub ops: usize,
    pub photos: usize,
    /// The files' bytes, part 1 first.
    #[serde(skip)]
    pub parts: Vec<Vec<u8>>,
    pub part_sizes: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub bundle_id: String,
    pub part: Option<u32>,
    pub parts: Option<u32>,
    pub sender: String,
    pub summary: ImportSummary,
    pub photos_new: usize,
    pub devices_learned: usize,
}

fn file_sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the bundle for `target`, split into files of at most
/// `max_part_bytes` (0: the default 20 MiB). `cancel` stops it before anything is written.
pub fn export(
    store: &Store,
    target: &Target,
    max_part_bytes: usize,
    progress: &dyn Fn(Progress),
    cancel: &AtomicBool,
) -> Result<ExportReport, SyncError> {
    let t = team(store)?;
    let me = store.device_id().to_string();
    let have = match target {
        Target::All => BTreeMap::new(),
        Target::Peer(peer) => store.peer_have(peer)?,
        Target::Have(have) => have.clone(),
    };
    let keys = current_trust(store)?;
    let mut ops = Vec::new();
    let mut checkpoints = Vec::new();
    for (actor, run) in by_actor(store.ops_after(&have)?) {
        if actor == me {
            ops.extend(run);
            continue;
        }
        // Another device's ops travel only up to a checkpoint it signed, and
        // only while it is in the team: the recipient checks both.
        if !matches!(keys.device(&actor), DeviceStatus::Active(_)) {
            continue;
        }
        let last = run.last().map_or(0, |o| o.seq);
        let Some(end) = store.checkpoint_at_most(&actor, last)? else {
            continue;
        };
        checkpoints.extend(stored_checkpoints(store, &actor, run[0].seq, end.seq)?);
        ops.extend(run.into_iter().take_while(|o| o.seq <= end.seq));
    }
    progress(Progress::Ops { count: ops.len() });
    let blobs = photos(store, &ops, progress, cancel)?;
    if cancel.load(Ordering::Relaxed) {
        return Err(SyncError::Cancelled);
    }
    let mut header = Header::new(
        &t.project_id,
        store.clock()?,
        env!("CARGO_PKG_VERSION"),
        OP_SCHEMA_VERSION,
        have,
    );
    header.sender_vv = store.version_vector()?;
    header.roster = roster(store)?;
    let (n_ops, n_photos) = (ops.len(), blobs.len());
    let bundle = Bundle::new(header, ops, checkpoints, blobs);
    progress(Progress::Writing);
    let max = if max_part_bytes == 0 {
        DEFAULT_MAX_PART_BYTES
    } else {
        max_part_bytes
    };
    let parts = fieldbook_bundle::write(&bundle, &me, &t.device, &t.key, max)?;
    if cancel.load(Ordering::Relaxed) {
        return Err(SyncError::Cancelled);
    }
    for (i, part) in parts.iter().enumerate() {
        store.log_bundle(&BundleLogEntry {
            bundle_id: bundle.header.bundle_id.clone(),
            part: i as u32 + 1,
            direction: "export",
            sender: me.clone(),
            file_sha: file_sha(part),
            ops_new: 0,
            ops_known: 0,
            blobs: 0,
        })?;
    }
    Ok(ExportReport {
        bundle_id: bundle.header.bundle_id,
        ops: n_ops,
        photos: n_photos,
        part_sizes: parts.iter().map(Vec::len).collect(),
        parts,
    })
}

/// Ops grouped per actor, each group by ascending seq.
fn by_actor(ops: Vec<Op>) -> BTreeMap<String, Vec<Op>> {
    let mut out: BTreeMap<String, Vec<Op>> = BTreeMap::new();
    for op in ops {
        out.entry(op.actor.clone()).or_default().push(op);
    }
    out
}

/// The checkpoints of `actor` stored between two seqs (places the writer may split).
fn stored_checkpoints(
    store: &Store,
    actor: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Checkpoint>, SyncError> {
    let mut out = Vec::new();
    let mut seq = to;
    while seq >= from {
        let Some(c) = store.checkpoint_at_most(actor, seq)? else {
            break;
        };
        if c.seq < from {
            break;
        }
        seq = c.seq.saturating_sub(1);
        out.push(Checkpoint {
            actor: c.actor,
            seq: c.seq,
            op_hash: c.op_hash,
            sig: c.sig,
        });
        if c.seq == 0 {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// The photos and documents whose attachment records the ops create or change.
fn photos(
    store: &Store,
    ops: &[Op],
    progress: &dyn Fn(Progress),
    cancel: &AtomicBool,
) -> Result<Vec<Blob>, SyncError> {
    let shas: BTreeSet<(String, String)> = ops
        .iter()
        .filter(|o| {
            o.kind == "attachment" && o.op == OpKind::Set && o.field.as_deref() == Some("sha256")
        })
        .filter_map(|o| {
            let sha: String = serde_json::from_str(o.value.as_deref()?).ok()?;
            let mime = store
                .get("attachment", &o.record_id)
                .ok()
                .and_then(|r| {
                    r.fields
                        .get("mime")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            Some((sha, mime))
        })
        .collect();
    let total = shas.len();
    let mut blobs = Vec::with_capacity(total);
    for (done, (sha, mime)) in shas.into_iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(SyncError::Cancelled);
        }
        // A photo this laptop has not received yet stays behind ("pending").
        if store.blobs().contains(&sha) {
            blobs.push(Blob::new(&mime, store.blobs().read(&sha)?));
        }
        progress(Progress::Photos {
            done: done + 1,
            total,
        });
    }
    Ok(blobs)
}

/// The header of a bundle file, read without keys and not verified: for
/// `fieldbook bundle inspect`.
pub fn inspect(bytes: &[u8]) -> Result<Header, SyncError> {
    Ok(fieldbook_bundle::inspect(bytes)?)
}

/// Imports one bundle file (or one part of a split export).
pub fn import(store: &mut Store, bytes: &[u8]) -> Result<ImportReport, SyncError> {
    import_reporting(store, bytes, &|_| {})
}

/// [`import`], telling `progress` how far it has got.
pub fn import_reporting(
    store: &mut Store,
    bytes: &[u8],
    progress: &dyn Fn(Progress),
) -> Result<ImportReport, SyncError> {
    progress(Progress::Checking);
    let t = team(store)?;
    let limits = Limits::default();
    let header = fieldbook_bundle::inspect(bytes)?;
    let all = roster_with(store, &header.roster)?;
    // Most bundles (every one a hub pull brings) teach no new entry.
    let teaches = all.len() > roster(store)?.len();
    // The file is signed by the key its sender goes by (here, or in the
    // roster it carries) before any roster signature is checked.
    fieldbook_bundle::read_header_by_roster(bytes, &t.key.key_id(), &admin(store)?, &all, &limits)?;
    // The team with what the sender's roster adds, decided over the whole
    // set; its entries stand even if the bundle itself is then refused (a
    // revoked sender's roster still tells who revoked whom).
    let before = current_trust(store)?;
    let trust = team_trust(store, &all)?;
    let bundle = match fieldbook_bundle::read(bytes, &t.key, &trust, &limits) {
        Err(e @ BundleError::RevokedDevice { .. }) => {
            if teaches {
                store.atomically(|store| learn(store, &trust, &all))?;
            }
            return Err(e.into());
        }
        other => other?,
    };
    let devices_learned = trust
        .active
        .keys()
        .filter(|a| !before.active.contains_key(*a))
        .chain(trust.revoked.difference(&before.revoked))
        .count();
    // Everything checked: photos first (atomic, idempotent files), then the ops.
    let mut photos_new = 0;
    let total = bundle.blobs.len();
    for (done, blob) in bundle.blobs.iter().enumerate() {
        if !store.blobs().contains(&blob.sha256) {
            store.blobs().put(&blob.bytes)?;
            photos_new += 1;
        }
        progress(Progress::Photos {
            done: done + 1,
            total,
        });
    }
    progress(Progress::Merging {
        count: bundle.ops.len(),
    });
    let sender = bundle.header.sender_actor.clone();
    let part = bundle.header.part;
    // The ops and what the bundle taught, in one transaction.
    let summary = store.atomically(|store| {
        let summary = store.import_verified_ops(&bundle.ops)?;
        if teaches {
            learn(store, &trust, &all)?;
        }
        for c in &bundle.checkpoints {
            store.save_checkpoint(&StoredCheckpoint {
                actor: c.actor.clone(),
                seq: c.seq,
                op_hash: c.op_hash.clone(),
                sig: c.sig.clone(),
            })?;
        }
        store.set_peer_have(&sender, &bundle.header.sender_vv)?;
        store.log_bundle(&BundleLogEntry {
            bundle_id: bundle.header.bundle_id.clone(),
            part: part.map_or(1, |p| p.index),
            direction: "import",
            sender: sender.clone(),
            file_sha: file_sha(bytes),
            ops_new: summary.ops_new,
            ops_known: summary.ops_known,
            blobs: photos_new,
        })?;
        Ok::<_, SyncError>(summary)
    })?;
    Ok(ImportReport {
        bundle_id: bundle.header.bundle_id,
        part: part.map(|p| p.index),
        parts: part.map(|p| p.count),
        sender,
        summary,
        photos_new,
        devices_learned,
    })
}
