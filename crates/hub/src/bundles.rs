//! Bundles in and out. A push is checked as a laptop checks a file, as far
//! as can be without the project key: the team, the sender's signature
//! under its key in the roster, the sender active, the sizes its header
//! declares. A pull streams the stored bundles that carry ops beyond the
//! laptop's version vector, many in one answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldbook_bundle::{BundleError, Header};
use fieldbook_hub_wire::{
    write_frame, HubVv, PullEnd, PullRequest, PushAnswer, RefusalCode, RosterAnswer, RosterPush,
    BUNDLES_CONTENT_TYPE, BUNDLES_HEADER, FRAME_BUNDLE, FRAME_END,
};
use futures_util::{stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::member::{admin_of, with_entries, Member};
use crate::metrics::Metrics;
use crate::refusal::{bundle_refusal, refuse, Answer};
use crate::store::{contiguous_vv, NewBundle, PutOutcome, StoredRange};
use crate::Hub;

impl Hub {
    async fn hub_vv(&self, project_id: &str) -> Answer<BTreeMap<String, u64>> {
        Ok(contiguous_vv(&self.store.all_ranges(project_id).await?))
    }

    /// Checks a pushed file blind; returns its header. A revoked sender's
    /// roster entries are kept before it is refused: they say who revoked whom.
    async fn check_bundle(&self, member: &Member, bytes: &[u8]) -> Answer<Header> {
        let claimed = fieldbook_bundle::inspect(bytes).map_err(bundle_refusal)?;
        if claimed.project_id != member.team.project_id {
            return Err(refuse(
                RefusalCode::WrongTeam,
                "this bundle is for another team",
            ));
        }
        if claimed.sender_actor != member.actor {
            return Err(refuse(
                RefusalCode::WrongSender,
                "a laptop pushes only the bundles it wrote itself",
            ));
        }
        let limits = fieldbook_bundle::Limits {
            max_ops: self.limits.max_ops,
            ..fieldbook_bundle::Limits::default()
        };
        let key_id = &member.team.project_key_id;
        let roster = with_entries(
            self.store.roster(&member.team.project_id).await?,
            &claimed.roster,
        );
        let admin = admin_of(&member.team)?;
        fieldbook_bundle::read_header_by_roster(bytes, key_id, &admin, &roster, &limits)
            .map_err(bundle_refusal)?;
        let trust = self.trust_over(&member.team, &roster)?;
        let header = match fieldbook_bundle::read_header(bytes, key_id, trust.as_ref(), &limits) {
            Err(e @ BundleError::RevokedDevice { .. }) => {
                self.store
                    .add_roster(&member.team.project_id, &claimed.roster)
                    .await?;
                return Err(bundle_refusal(e));
            }
            other => other.map_err(bundle_refusal)?,
        };
        if let Some(big) = header
            .blobs
            .iter()
            .find(|b| b.size > self.limits.max_blob_bytes)
        {
            return Err(refuse(
                RefusalCode::DeclaredTooLarge,
                format!(
                    "the bundle declares a {} byte photo; the hub takes at most {} bytes per photo",
                    big.size, self.limits.max_blob_bytes
                ),
            ));
        }
        let declared: u64 = header.blobs.iter().map(|b| b.size).sum();
        if declared > bytes.len() as u64 {
            return Err(refuse(
                RefusalCode::BadBundle,
                "the bundle declares more photo bytes than it holds",
            ));
        }
        Ok(header)
    }
}

pub async fn push(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer<Json<PushAnswer>> {
    let member = hub.member(&headers, &project).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let per_minute = hub.limits.pushes_per_minute.max(1);
    if !hub
        .store
        .admit_push(&member.actor, now_ms, per_minute)
        .await?
    {
        return Err(refuse(
            RefusalCode::RateLimited,
            format!(
                "more than {} pushes a minute from this laptop: it will try again shortly",
                hub.limits.pushes_per_minute
            ),
        ));
    }
    let bytes = body.map_err(|_| {
        refuse(
            RefusalCode::TooLarge,
            format!(
                "the request is over the hub's limit of {} bytes: export with smaller parts",
                hub.limits.max_body_bytes
            ),
        )
    })?;
    let header = hub.check_bundle(&member, &bytes).await?;
    let outcome = hub
        .store
        .put_bundle(NewBundle {
            project_id: project.clone(),
            bundle_id: header.bundle_id.clone(),
            part: header.part.map_or(1, |p| p.index),
            sender: member.actor.clone(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            ranges: header
                .ranges
                .iter()
                .map(|r| (r.actor.clone(), r.from_seq, r.to_seq))
                .collect(),
            roster: header.roster,
            bytes: bytes.to_vec(),
        })
        .await?;
    let duplicate = match outcome {
        PutOutcome::Stored => {
            Metrics::count(&hub.metrics.pushes);
            false
        }
        PutOutcome::Duplicate => {
            Metrics::count(&hub.metrics.duplicates);
            true
        }
        PutOutcome::Different => {
            return Err(refuse(
                RefusalCode::BadBundle,
                "the hub holds a different file under this bundle id and part",
            ))
        }
    };
    Ok(Json(PushAnswer {
        duplicate,
        hub_vv: hub.hub_vv(&project).await?,
    }))
}

pub async fn push_roster(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RosterPush>, JsonRejection>,
) -> Answer<Json<RosterAnswer>> {
    hub.member(&headers, &project).await?;
    let Json(push) = body.map_err(|e| refuse(RefusalCode::BadRequest, e.body_text()))?;
    let learned = hub.store.add_roster(&project, &push.roster).await?;
    Ok(Json(RosterAnswer {
        learned,
        roster: hub.store.roster(&project).await?,
    }))
}

pub async fn vv(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Answer<Json<HubVv>> {
    hub.member(&headers, &project).await?;
    Ok(Json(HubVv {
        vv: hub.hub_vv(&project).await?,
    }))
}

/// Bundles read from the store per round trip while a pull streams.
const BUNDLES_PER_READ: usize = 8;

/// The bundles to send, by arrival, skipping each that adds nothing to what
/// the laptop has plus what is already chosen; and whether more remain.
fn choose(
    ranges: &[StoredRange],
    have: &BTreeMap<String, u64>,
    max_bytes: u64,
) -> (Vec<i64>, bool) {
    let mut cover = have.clone();
    let (mut chosen, mut bytes) = (Vec::new(), 0u64);
    for group in ranges.chunk_by(|a, b| a.seq == b.seq) {
        let adds = group
            .iter()
            .any(|r| r.to_seq > cover.get(&r.actor).copied().unwrap_or(0));
        if !adds {
            continue;
        }
        let size = group[0].size;
        if !chosen.is_empty() && bytes + size > max_bytes {
            return (chosen, true);
        }
        chosen.push(group[0].seq);
        bytes += size;
        for r in group {
            let top = cover.entry(r.actor.clone()).or_insert(0);
            if r.from_seq <= *top + 1 {
                *top = (*top).max(r.to_seq);
            }
        }
    }
    (chosen, false)
}

pub async fn pull(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Result<Json<PullRequest>, JsonRejection>,
) -> Answer<Response> {
    let member = hub.member(&headers, &project).await?;
    let Json(request) = body.map_err(|e| refuse(RefusalCode::BadRequest, e.body_text()))?;
    let ranges = hub
        .store
        .ranges_beyond(&project, &request.have, &member.actor)
        .await?;
    let max = request.max_bytes.clamp(1, hub.limits.max_pull_bytes);
    let (chosen, more) = choose(&ranges, &request.have, max);
    Metrics::count(&hub.metrics.pulls);
    let end = PullEnd {
        bundles: chosen.len() as u32,
        more,
    };
    let count = chosen.len().to_string();
    // A few bundles read from the store at a time (one round trip each
    // batch), as the client takes them; a storage error cuts the stream
    // before its end frame, and the laptop keeps what arrived whole and
    // pulls again.
    let store = Arc::clone(&hub.store);
    let sent = Arc::clone(&hub);
    let batches: Vec<Vec<i64>> = chosen
        .chunks(BUNDLES_PER_READ)
        .map(<[i64]>::to_vec)
        .collect();
    let frames = stream::iter(batches)
        .then(move |seqs| {
            let (store, sent) = (Arc::clone(&store), Arc::clone(&sent));
            async move {
                let bundles = store.bundles_bytes(&seqs).await?;
                let mut frames = Vec::with_capacity(bundles.iter().map(|b| b.len() + 9).sum());
                for bytes in &bundles {
                    Metrics::count(&sent.metrics.bundles_sent);
                    write_frame(&mut frames, FRAME_BUNDLE, bytes);
                }
                Ok::<_, crate::store::StoreError>(Bytes::from(frames))
            }
        })
        .chain(stream::once(async move {
            let mut frame = Vec::new();
            write_frame(
                &mut frame,
                FRAME_END,
                &serde_json::to_vec(&end).expect("serialises"),
            );
            Ok(Bytes::from(frame))
        }));
    Ok((
        [
            (header::CONTENT_TYPE, BUNDLES_CONTENT_TYPE),
            (
                header::HeaderName::from_static(BUNDLES_HEADER),
                count.as_str(),
            ),
        ],
        Body::from_stream(frames),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(seq: i64, actor: &str, from_seq: u64, to_seq: u64) -> StoredRange {
        StoredRange {
            seq,
            size: 100,
            actor: actor.into(),
            from_seq,
            to_seq,
        }
    }

    #[test]
    fn a_pull_skips_bundles_that_add_nothing_and_stops_at_the_byte_cap() {
        let ranges = [
            range(1, "a", 1, 10),
            range(2, "a", 1, 5), // covered by 1
            range(3, "a", 11, 20),
            range(3, "b", 1, 3),
            range(4, "b", 4, 6),
        ];
        let have = BTreeMap::new();
        assert_eq!(choose(&ranges, &have, 10_000), (vec![1, 3, 4], false));
        assert_eq!(choose(&ranges, &have, 150), (vec![1], true));
        // One bundle is always sent, however small the cap.
        assert_eq!(choose(&ranges, &have, 1), (vec![1], true));
        let have = BTreeMap::from([("a".to_string(), 20)]);
        assert_eq!(choose(&ranges, &have, 10_000), (vec![3, 4], false));
    }
}
