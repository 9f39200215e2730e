//! Bundles out and in. Export gathers every op (and photo) the target lacks —
//! this laptop's own, and other devices' up to their last signed checkpoint —
//! and writes them as one or more `.fsb` files. Import checks a file
//! completely (format, signatures, roster, hashes) before anything is written,
//! stores its photos, then merges its ops in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use fieldbook_bundle::{
    Blob, Bundle, BundleError, Checkpoint, DeviceStatus, Header, KeyRing, Limits,
    DEFAULT_MAX_PART_BYTES,
};
use fieldbook_core::op::{Op, OpKind, OP_SCHEMA_VERSION};
use fieldbook_store::{BundleLogEntry, ImportSummary, NewRecords, Store, StoredCheckpoint};
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
    export_with(store, target, max_part_bytes, true, progress, cancel)
}

/// [`export`] of the changes alone: the team hub takes the photos apart,
/// sealed one by one ([`seal_photo`]), so that a cut transfer resumes.
pub fn export_changes(store: &Store, target: &Target) -> Result<ExportReport, SyncError> {
    export_with(store, target, 0, false, &|_| {}, &AtomicBool::new(false))
}

/// A photo of this laptop's attachment store sealed under the project key
/// (`None` if its file is not here).
pub fn seal_photo(store: &Store, sha256: &str) -> Result<Option<Vec<u8>>, SyncError> {
    if !store.blobs().contains(sha256) {
        return Ok(None);
    }
    let plain = store.blobs().read(sha256)?;
    Ok(Some(fieldbook_bundle::seal_photo(
        &team(store)?.key,
        sha256,
        &plain,
    )))
}

/// Opens a sealed photo, checks it is the photo named `sha256`, and keeps it
/// in the attachment store.
pub fn keep_sealed_photo(store: &Store, sha256: &str, sealed: &[u8]) -> Result<(), SyncError> {
    let plain = fieldbook_bundle::open_photo(&team(store)?.key, sha256, sealed)?;
    store.blobs().put(&plain)?;
    Ok(())
}

fn export_with(
    store: &Store,
    target: &Target,
    max_part_bytes: usize,
    with_photos: bool,
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
    let blobs = if with_photos {
        photos(store, &ops, progress, cancel)?
    } else {
        Vec::new()
    };
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

/// Chunks of decoded ops waiting for the merge: enough to keep both cores
/// busy, few enough to bound the memory the reader runs ahead with.
const CHUNKS_IN_FLIGHT: usize = 8;

/// What the reader hands the merge: ops as they are decoded (not yet
/// vouched for), then its verdict on the whole file, then the records the
/// ops make where they are new, a batch at a time.
enum Decoded {
    Ops(Arc<Vec<Op>>),
    Verdict(Result<Box<Bundle>, BundleError>),
    NewRecords(NewRecords),
}

/// New records per batch the reader hands over.
const RECORDS_PER_BATCH: usize = 512;

/// Reads and verifies `bytes` on this thread, sending the ops on as they
/// are decoded, then the verdict, then the new records they make. Stops
/// early once the merge hangs up.
fn read_beside(
    bytes: &[u8],
    key: &fieldbook_bundle::ProjectKey,
    keys: &dyn KeyRing,
    limits: &Limits,
    to_merge: mpsc::SyncSender<Decoded>,
) {
    let mut sent = Vec::new();
    let verdict = fieldbook_bundle::read_streaming(bytes, key, keys, limits, &mut |chunk| {
        let chunk = Arc::new(chunk);
        sent.push(Arc::clone(&chunk));
        to_merge
            .send(Decoded::Ops(chunk))
            .map_err(|_| BundleError::Invalid("the merge stopped".into()))
    });
    let verdict = verdict.map(Box::new);
    let verified = verdict.is_ok();
    if to_merge.send(Decoded::Verdict(verdict)).is_ok() && verified {
        NewRecords::prepare(
            sent.iter().flat_map(|c| c.iter()),
            RECORDS_PER_BATCH,
            &mut |r| to_merge.send(Decoded::NewRecords(r)).is_ok(),
        );
    }
}

/// Merges the ops [`read_beside`] sends as they come, and finishes once its
/// verdict vouches for them all. If the reader refuses the file, its reason
/// is the answer, even when the merge failed first on ops it would have
/// refused: the caller's transaction then rolls everything back.
fn merge_as_read(
    store: &mut Store,
    decoded: mpsc::Receiver<Decoded>,
) -> Result<(Bundle, ImportSummary), SyncError> {
    let mut merge = store.merge_verified()?;
    let mut failed = None;
    let verdict = loop {
        match decoded.recv() {
            Ok(Decoded::Ops(chunk)) if failed.is_none() => {
                if let Err(e) = merge.add(chunk) {
                    failed = Some(e);
                }
            }
            Ok(Decoded::Ops(_)) => {}
            Ok(Decoded::Verdict(v)) => break v,
            // The reader always sends its verdict after the ops; it can
            // only be gone without one if it panicked.
            Ok(Decoded::NewRecords(_)) | Err(_) => {
                break Err(BundleError::Invalid("the bundle reader stopped".into()))
            }
        }
    };
    let bundle = *verdict?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    let prepared = std::iter::from_fn(|| match decoded.recv() {
        Ok(Decoded::NewRecords(r)) => Some(r),
        _ => None,
    });
    Ok((bundle, merge.finish(prepared)?))
}

/// Imports one bundle file (or one part of a split export). The file is read
/// and verified on one core while the other merges its ops as they are
/// decoded, in one transaction that the reader's verdict commits or rolls
/// back.
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
    progress(Progress::Merging {
        count: header
            .ranges
            .iter()
            .map(|r| (r.to_seq + 1).saturating_sub(r.from_seq) as usize)
            .sum(),
    });
    let merged = std::thread::scope(|s| {
        let (sender, decoded) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        s.spawn(|| read_beside(bytes, &t.key, &trust, &limits, sender));
        store.atomically(|store| {
            let (bundle, summary) = merge_as_read(store, decoded)?;
            // Everything checked: the photos (atomic, idempotent files),
            // then what the bundle taught, with the ops in one transaction.
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
            let sender = &bundle.header.sender_actor;
            store.set_peer_have(sender, &bundle.header.sender_vv)?;
            store.log_bundle(&BundleLogEntry {
                bundle_id: bundle.header.bundle_id.clone(),
                part: bundle.header.part.map_or(1, |p| p.index),
                direction: "import",
                sender: sender.clone(),
                file_sha: file_sha(bytes),
                ops_new: summary.ops_new,
                ops_known: summary.ops_known,
                blobs: photos_new,
            })?;
            Ok::<_, SyncError>((bundle, summary, photos_new))
        })
    });
    let (bundle, summary, photos_new) = match merged {
        // A revoked sender's roster still tells who revoked whom.
        Err(e @ SyncError::Bundle(BundleError::RevokedDevice { .. })) => {
            if teaches {
                store.atomically(|store| learn(store, &trust, &all))?;
            }
            return Err(e);
        }
        other => other?,
    };
    let devices_learned = trust
        .active
        .keys()
        .filter(|a| !before.active.contains_key(*a))
        .chain(trust.revoked.difference(&before.revoked))
        .count();
    let part = bundle.header.part;
    let sender = bundle.header.sender_actor.clone();
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
