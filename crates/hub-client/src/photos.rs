//! Photos through the hub, apart from the bundles that name them: each is
//! sealed under the project key and sent in chunks, resumed where the hub
//! says its upload stands; a photo this laptop lacks is fetched into a
//! partial file beside the attachment store, resumed from that file's
//! length, and kept once whole, opened and checked. Both ask the hub about
//! every photo the laptop's records name, so a sync cut short, or a hub
//! restored from an older backup, is made whole by the next sync. The store
//! is locked for each local step only.

use std::fs::OpenOptions;

use fieldbook_hub_wire::{BlobState, RefusalCode, MAX_BLOB_QUERY};
use sha2::{Digest, Sha256};

use crate::laptop::StoreLock;
use crate::{HubClient, HubError};

/// Bytes per upload request: a cut costs at most this much again.
const UPLOAD_CHUNK: usize = 4 << 20;
/// Times an upload asks the hub where it stands after sending from the
/// wrong place (another laptop sending the same photo meanwhile).
const RESYNCS: usize = 3;

/// The photos this laptop's records name, here or not.
fn photos<L: StoreLock>(store: &L, here: bool) -> Result<Vec<String>, HubError> {
    Ok(store
        .lock_store()
        .attachment_files()?
        .into_iter()
        .filter(|(_, is_here)| *is_here == here)
        .map(|(sha, _)| sha)
        .collect())
}

/// Sends the hub every photo it lacks; returns how many were sent.
pub(crate) fn send<L: StoreLock>(
    store: &L,
    client: &HubClient,
    project: &str,
) -> Result<usize, HubError> {
    let mut sent = 0;
    for batch in photos(store, true)?.chunks(MAX_BLOB_QUERY) {
        let states = client.blob_states(project, batch)?.blobs;
        for sha in batch {
            let state = states.get(sha);
            if state.is_some_and(|s| s.complete) {
                continue;
            }
            let Some(sealed) = fieldbook_sync::seal_photo(&store.lock_store(), sha)? else {
                continue;
            };
            upload(client, project, sha, &sealed, state)?;
            sent += 1;
        }
    }
    Ok(sent)
}

fn upload(
    client: &HubClient,
    project: &str,
    sha256: &str,
    sealed: &[u8],
    state: Option<&BlobState>,
) -> Result<(), HubError> {
    let length = sealed.len() as u64;
    let sealed_sha256 = hex::encode(Sha256::digest(sealed));
    // Resume where the hub stands, if that is this very photo, sealed alike.
    let stands = |s: Option<&BlobState>| s.filter(|s| s.length == length).map_or(0, |s| s.received);
    let mut at = stands(state);
    let mut resyncs = 0;
    loop {
        let end = (at as usize + UPLOAD_CHUNK).min(sealed.len());
        let chunk = &sealed[at as usize..end];
        match client.upload_blob_chunk(project, sha256, length, &sealed_sha256, at, chunk) {
            Ok(s) if s.complete => return Ok(()),
            Ok(s) if s.received > at => at = s.received,
            Ok(_) => {
                return Err(HubError::Protocol(format!(
                    "the hub did not take photo {sha256} from byte {at}"
                )))
            }
            Err(e) if e.code() == Some(RefusalCode::BlobOffset) && resyncs < RESYNCS => {
                resyncs += 1;
                let states = client.blob_states(project, &[sha256.to_string()])?.blobs;
                at = stands(states.get(sha256));
            }
            Err(e) => return Err(e),
        }
    }
}

/// What fetching photos brought.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub kept: usize,
    /// Photos that arrived whole but did not open or match their name.
    pub refused: Vec<String>,
}

/// Fetches every photo this laptop's records name that it lacks and the hub
/// holds whole.
pub(crate) fn fetch<L: StoreLock>(
    store: &L,
    client: &HubClient,
    project: &str,
) -> Result<Fetched, HubError> {
    let mut fetched = Fetched::default();
    for batch in photos(store, false)?.chunks(MAX_BLOB_QUERY) {
        let states = client.blob_states(project, batch)?.blobs;
        for (sha, state) in states.iter().filter(|(_, s)| s.complete) {
            let path = store.lock_store().blobs().partial_download(sha)?;
            let mut have = std::fs::metadata(&path).map_or(0, |m| m.len());
            if have > state.length {
                // Not a beginning of this photo: start again.
                std::fs::remove_file(&path).map_err(|e| HubError::Store(e.into()))?;
                have = 0;
            }
            if have < state.length {
                let mut file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| HubError::Store(e.into()))?;
                client.download_blob(project, sha, have, &mut file)?;
            }
            let sealed = std::fs::read(&path).map_err(|e| HubError::Store(e.into()))?;
            let kept = fieldbook_sync::keep_sealed_photo(&store.lock_store(), sha, &sealed);
            std::fs::remove_file(&path).map_err(|e| HubError::Store(e.into()))?;
            match kept {
                Ok(()) => fetched.kept += 1,
                Err(e) => fetched.refused.push(format!("photo {sha}: {e}")),
            }
        }
    }
    Ok(fetched)
}
