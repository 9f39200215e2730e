//! Photos apart from bundles (`docs/hub-api.md`, Photos): sealed by the
//! laptops under the project key, named by the SHA-256 of their content,
//! uploaded in chunks that resume where the last one stopped, checked whole
//! against the hash the uploader declared, and downloaded from any offset.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldbook_hub_wire::{
    BlobQuery, BlobState, BlobStates, RefusalCode, CIPHERTEXT_SHA256, MAX_BLOB_QUERY,
    UPLOAD_COMPLETE, UPLOAD_LENGTH, UPLOAD_OFFSET,
};
use futures_util::stream;
use sha2::{Digest, Sha256};

use crate::metrics::Metrics;
use crate::refusal::{refuse, Answer};
use crate::store::{Appended, BlobChunk, BlobRow};
use crate::Hub;

/// 64 lowercase hex digits: anything else (a path, a traversal) is refused
/// before it reaches the store.
fn is_sha256_hex(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn checked_name(name: &str) -> Answer<()> {
    if is_sha256_hex(name) {
        Ok(())
    } else {
        Err(refuse(
            RefusalCode::BadBlobName,
            "a photo is named by the 64 lowercase hex digits of its SHA-256",
        ))
    }
}

fn state(row: &BlobRow) -> BlobState {
    BlobState {
        length: row.length,
        received: row.received,
        complete: row.complete,
    }
}

impl Hub {
    /// The largest sealed photo taken: the largest photo, plus a 16-byte tag
    /// per 64 KiB segment.
    fn max_sealed_blob(&self) -> u64 {
        let max = self.limits.max_blob_bytes;
        max + (max / 65_536 + 1) * 16
    }

    /// The photo a member asks about by name, as stored (`None`: unheard of).
    async fn asked_for(
        &self,
        headers: &HeaderMap,
        project: &str,
        sha256: &str,
    ) -> Answer<Option<BlobRow>> {
        self.member(headers, project).await?;
        checked_name(sha256)?;
        Ok(self
            .store
            .blobs(project, &[sha256.to_string()])
            .await?
            .remove(sha256))
    }

    /// Hashes a whole upload from the store and keeps it if it is what the
    /// uploader declared, else discards it.
    async fn settle(&self, project: &str, sha256: &str, row: &BlobRow) -> Answer<bool> {
        let mut hash = Sha256::new();
        let mut at = 0;
        while at < row.length {
            let Some((start, bytes)) = self.store.blob_chunk(project, sha256, at).await? else {
                break;
            };
            hash.update(&bytes[(at - start) as usize..]);
            at = start + bytes.len() as u64;
        }
        let whole = at == row.length && hex::encode(hash.finalize()) == row.ciphertext_sha256;
        self.store.settle_blob(project, sha256, whole).await?;
        Ok(whole)
    }
}

pub async fn query(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Result<Json<BlobQuery>, JsonRejection>,
) -> Answer<Json<BlobStates>> {
    hub.member(&headers, &project).await?;
    let Json(q) = body.map_err(|e| refuse(RefusalCode::BadRequest, e.body_text()))?;
    if q.sha256.len() > MAX_BLOB_QUERY {
        return Err(refuse(
            RefusalCode::BadRequest,
            format!("ask about at most {MAX_BLOB_QUERY} photos at a time"),
        ));
    }
    q.sha256.iter().try_for_each(|s| checked_name(s))?;
    let rows = hub.store.blobs(&project, &q.sha256).await?;
    Ok(Json(BlobStates {
        blobs: rows.iter().map(|(k, r)| (k.clone(), state(r))).collect(),
    }))
}

/// `HEAD`: where an upload stands (`404` when the hub has none of it).
pub async fn status(
    State(hub): State<Arc<Hub>>,
    Path((project, sha256)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer<Response> {
    let Some(row) = hub.asked_for(&headers, &project, &sha256).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    Ok((
        [
            (UPLOAD_OFFSET, row.received.to_string()),
            (UPLOAD_LENGTH, row.length.to_string()),
            (UPLOAD_COMPLETE, row.complete.to_string()),
        ],
        StatusCode::OK,
    )
        .into_response())
}

fn number_header(headers: &HeaderMap, name: &str) -> Answer<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or_else(|| {
            refuse(
                RefusalCode::BadRequest,
                format!("header {name} missing or not a number"),
            )
        })
}

/// `PATCH`: one chunk, where the upload stands; the last one is checked
/// against the declared hash.
pub async fn upload(
    State(hub): State<Arc<Hub>>,
    Path((project, sha256)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer<Json<BlobState>> {
    let member = hub.member(&headers, &project).await?;
    checked_name(&sha256)?;
    let offset = number_header(&headers, UPLOAD_OFFSET)?;
    let length = number_header(&headers, UPLOAD_LENGTH)?;
    let ciphertext_sha256 = headers
        .get(CIPHERTEXT_SHA256)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sha256_hex(v))
        .ok_or_else(|| {
            refuse(
                RefusalCode::BadRequest,
                format!("header {CIPHERTEXT_SHA256} must be 64 lowercase hex digits"),
            )
        })?
        .to_string();
    if length > hub.max_sealed_blob() {
        return Err(refuse(
            RefusalCode::DeclaredTooLarge,
            format!(
                "a {length} byte photo; the hub takes at most {} bytes per photo",
                hub.limits.max_blob_bytes
            ),
        ));
    }
    let bytes = body.map_err(|_| {
        refuse(
            RefusalCode::TooLarge,
            format!(
                "the chunk is over the hub's limit of {} bytes: send smaller chunks",
                hub.limits.max_body_bytes
            ),
        )
    })?;
    if offset + bytes.len() as u64 > length {
        return Err(refuse(
            RefusalCode::BadRequest,
            "the chunk runs past the photo's declared length",
        ));
    }
    let received = bytes.len() as u64;
    let appended = hub
        .store
        .append_blob(BlobChunk {
            project_id: member.team.project_id.clone(),
            sha256: sha256.clone(),
            length,
            ciphertext_sha256,
            offset,
            bytes: bytes.to_vec(),
        })
        .await?;
    let row = match appended {
        Appended::Elsewhere(row) if row.complete => return Ok(Json(state(&row))),
        Appended::Elsewhere(row) => {
            return Err(refuse(
                RefusalCode::BlobOffset,
                format!(
                    "this upload stands at byte {} of {}: send from there",
                    row.received, row.length
                ),
            ))
        }
        Appended::At(row) => row,
    };
    Metrics::add(&hub.metrics.blob_bytes_received, received);
    if row.received < row.length {
        return Ok(Json(state(&row)));
    }
    if !hub.settle(&project, &sha256, &row).await? {
        return Err(refuse(
            RefusalCode::BlobHashMismatch,
            "the photo's bytes do not match the hash declared for them and were discarded: upload it again",
        ));
    }
    Ok(Json(BlobState {
        complete: true,
        ..state(&row)
    }))
}

/// The first byte a `Range: bytes=N-` header asks for (0 without one).
fn range_start(headers: &HeaderMap) -> Answer<u64> {
    let Some(range) = headers.get(header::RANGE) else {
        return Ok(0);
    };
    range
        .to_str()
        .ok()
        .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok())
        .ok_or_else(|| {
            refuse(
                RefusalCode::BadRequest,
                "only ranges of the form bytes=N- are served",
            )
        })
}

/// `GET`: the sealed photo, from the byte a `Range` asks for.
pub async fn download(
    State(hub): State<Arc<Hub>>,
    Path((project, sha256)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer<Response> {
    let row = match hub.asked_for(&headers, &project, &sha256).await? {
        Some(row) if row.complete => row,
        _ => {
            return Err(refuse(
                RefusalCode::BlobMissing,
                "the hub does not hold this photo whole yet: the laptop that has it sends it at its next sync",
            ))
        }
    };
    let from = range_start(&headers)?;
    if from > row.length {
        return Err(refuse(
            RefusalCode::BadRequest,
            format!("the photo has {} bytes", row.length),
        ));
    }
    // One stored chunk at a time, as the laptop takes them; a storage error
    // cuts the answer short and the laptop resumes from what it has.
    let (store, sent, length) = (Arc::clone(&hub.store), Arc::clone(&hub), row.length);
    let chunks = stream::unfold(from, move |at| {
        let (store, sent, project, sha256) = (
            Arc::clone(&store),
            Arc::clone(&sent),
            project.clone(),
            sha256.clone(),
        );
        async move {
            if at >= length {
                return None;
            }
            match store.blob_chunk(&project, &sha256, at).await {
                Ok(Some((start, bytes))) => {
                    let part = Bytes::from(bytes).slice((at - start) as usize..);
                    Metrics::add(&sent.metrics.blob_bytes_sent, part.len() as u64);
                    Some((Ok(part.clone()), at + part.len() as u64))
                }
                Ok(None) => Some((Err(std::io::Error::other("a chunk is missing")), length)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), length)),
            }
        }
    });
    let status = if from > 0 {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = (status, Body::from_stream(chunks)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        "application/octet-stream".parse().expect("valid"),
    );
    h.insert(header::CONTENT_LENGTH, (length - from).into());
    if from > 0 {
        let range = format!("bytes {from}-{}/{length}", length.saturating_sub(1));
        h.insert(header::CONTENT_RANGE, range.parse().expect("valid"));
    }
    Ok(response)
}
