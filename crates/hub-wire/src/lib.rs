//! The team hub's HTTP API, version 1, as the hub (`fieldbook-hub`) serves
//! it and laptops (`fieldbook-hub-client`) call it: `docs/hub-api.md` is the
//! prose of this file. Types only, and the framing of a pull's stream.

mod frames;

use std::collections::BTreeMap;

use fieldbook_bundle::roster::RosterEntry;
use serde::{Deserialize, Serialize};

pub use frames::{write_frame, Frame, FrameReader, FRAME_BUNDLE, FRAME_END, MAX_FRAME_BYTES};

/// What every path starts with.
pub const BASE: &str = "/v1";
/// The content type of a pull's answer: frames of bundles, then an end frame.
pub const BUNDLES_CONTENT_TYPE: &str = "application/x-fieldbook-bundles";
/// The header of a pull's answer that says how many bundles it brings.
pub const BUNDLES_HEADER: &str = "fieldbook-bundles";
/// The content type of a pushed bundle.
pub const BUNDLE_CONTENT_TYPE: &str = "application/octet-stream";

/// The headers of a photo upload chunk (`PATCH …/blobs/{sha256}`) and of
/// the answer to `HEAD …/blobs/{sha256}`: where the chunk starts (where the
/// upload stands), the whole sealed photo's length, and its SHA-256.
pub const UPLOAD_OFFSET: &str = "upload-offset";
pub const UPLOAD_LENGTH: &str = "upload-length";
pub const CIPHERTEXT_SHA256: &str = "ciphertext-sha256";
/// `true` in a `HEAD …/blobs/{sha256}` answer once the photo is whole and checked.
pub const UPLOAD_COMPLETE: &str = "upload-complete";
/// The most photo names one [`BlobQuery`] may ask about.
pub const MAX_BLOB_QUERY: usize = 10_000;

/// `POST /v1/teams/{project}/blobs/query`: which of these photos (by the
/// SHA-256 of their content) the hub holds, whole or in part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobQuery {
    pub sha256: Vec<String>,
}

/// A photo on the hub: the sealed length, the bytes received so far, and
/// whether it is whole and checked against its declared hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobState {
    pub length: u64,
    pub received: u64,
    pub complete: bool,
}

/// The answer to a [`BlobQuery`]: only the photos the hub has heard of.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlobStates {
    pub blobs: BTreeMap<String, BlobState>,
}

/// What a device signs to prove it holds its key: the purpose, then each
/// part length-prefixed so no two (project, actor, challenge) give the same bytes.
pub fn enrol_message(project_id: &str, actor: &str, challenge: &str) -> Vec<u8> {
    let mut m = b"fieldbook-hub-v1/enrol\0".to_vec();
    for part in [project_id, actor, challenge] {
        m.extend_from_slice(&(part.len() as u32).to_le_bytes());
        m.extend_from_slice(part.as_bytes());
    }
    m
}

/// `POST /v1/challenges`: a single-use random challenge, valid a few minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    /// 64 lowercase hex digits.
    pub challenge: String,
}

/// The team's first device, as a member laptop names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamAdmin {
    pub actor: String,
    /// Lowercase hex of the Ed25519 public key.
    pub public_key: String,
}

/// `POST /v1/enrol`: a device of a team proves it holds its key and spends a
/// one-time code — the hub's admin code (registers the team) or a device
/// code a member asked for (`POST /v1/teams/{project}/invites`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub code: String,
    pub project_id: String,
    /// The id (hash) of the project key: bundles under another key are refused.
    pub project_key_id: String,
    pub admin: TeamAdmin,
    /// The signed roster entries this laptop holds.
    pub roster: Vec<RosterEntry>,
    pub actor: String,
    /// A challenge from `POST /v1/challenges`.
    pub challenge: String,
    /// Lowercase hex of the device's signature of [`enrol_message`].
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolAnswer {
    /// The bearer token of this device; the hub keeps only its SHA-256.
    pub token: String,
    /// True when this enrolment registered the team on the hub.
    pub new_team: bool,
}

/// `POST /v1/teams/{project}/invites`: a one-time code another member device
/// enrols with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invite {
    pub code: String,
    /// RFC 3339; the code is refused after it.
    pub expires_at: String,
}

/// `POST /v1/teams/{project}/bundles`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushAnswer {
    /// The hub already held this bundle part: nothing was stored.
    pub duplicate: bool,
    pub hub_vv: BTreeMap<String, u64>,
}

/// `GET /v1/teams/{project}/vv`: per author, the highest seq up to which the
/// stored bundles hold every op.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HubVv {
    pub vv: BTreeMap<String, u64>,
}

/// `POST /v1/teams/{project}/pull`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullRequest {
    /// The laptop's version vector.
    pub have: BTreeMap<String, u64>,
    /// Stop adding bundles once this many bytes are sent (one bundle is
    /// always sent whole, however large).
    pub max_bytes: u64,
}

/// The last frame of a pull's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullEnd {
    pub bundles: u32,
    /// More bundles are waiting: pull again with the new version vector.
    pub more: bool,
}

/// `POST /v1/teams/{project}/roster`: roster entries (enrolments,
/// revocations) that reach the hub outside a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterPush {
    pub roster: Vec<RosterEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RosterAnswer {
    /// Entries the hub did not hold.
    pub learned: usize,
    /// Every entry the hub holds: a laptop learns from them who the bundles
    /// it is about to pull come from (each entry is signed; the laptop
    /// decides trust from its team's first device, as with a bundle's).
    pub roster: Vec<RosterEntry>,
}

/// `DELETE /v1/teams/{project}/tokens/{actor}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoked {
    pub tokens: usize,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    /// `sqlite` or `postgres`.
    pub store: String,
    pub version: String,
}

/// Every refusal's body, with the HTTP status [`RefusalCode::status`] gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    /// What happened and what to do, for a person.
    pub message: String,
}

/// The stable codes of refusals: clients act on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// No token, or one the hub never issued.
    Unauthorized,
    TokenRevoked,
    /// The team's roster revokes this device.
    DeviceRevoked,
    /// The device (or a bundle's signer) is not an active member of the
    /// roster the hub holds.
    NotAMember,
    /// Another team's token, project or project key.
    WrongTeam,
    /// A bundle pushed under another device's token.
    WrongSender,
    BadSignature,
    /// A wrong, spent or expired admin or device code, or challenge.
    BadCode,
    /// The request body is over the hub's limit.
    TooLarge,
    /// The sizes a bundle's header declares are over the hub's caps.
    DeclaredTooLarge,
    RateLimited,
    BadBlobName,
    BlobHashMismatch,
    /// A photo upload's chunk that does not start where the upload stands.
    BlobOffset,
    /// A photo the hub does not hold whole.
    BlobMissing,
    /// Not a bundle, truncated, or a different file under a stored bundle id.
    BadBundle,
    UnsupportedVersion,
    /// A malformed request (JSON, path).
    BadRequest,
    /// The hub's storage failed; try again later.
    Unavailable,
}

impl RefusalCode {
    /// Every code, for metrics.
    pub const ALL: [RefusalCode; 19] = [
        RefusalCode::Unauthorized,
        RefusalCode::TokenRevoked,
        RefusalCode::DeviceRevoked,
        RefusalCode::NotAMember,
        RefusalCode::WrongTeam,
        RefusalCode::WrongSender,
        RefusalCode::BadSignature,
        RefusalCode::BadCode,
        RefusalCode::TooLarge,
        RefusalCode::DeclaredTooLarge,
        RefusalCode::RateLimited,
        RefusalCode::BadBlobName,
        RefusalCode::BlobHashMismatch,
        RefusalCode::BlobOffset,
        RefusalCode::BlobMissing,
        RefusalCode::BadBundle,
        RefusalCode::UnsupportedVersion,
        RefusalCode::BadRequest,
        RefusalCode::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::Unauthorized => "unauthorized",
            RefusalCode::TokenRevoked => "token_revoked",
            RefusalCode::DeviceRevoked => "device_revoked",
            RefusalCode::NotAMember => "not_a_member",
            RefusalCode::WrongTeam => "wrong_team",
            RefusalCode::WrongSender => "wrong_sender",
            RefusalCode::BadSignature => "bad_signature",
            RefusalCode::BadCode => "bad_code",
            RefusalCode::TooLarge => "too_large",
            RefusalCode::DeclaredTooLarge => "declared_too_large",
            RefusalCode::RateLimited => "rate_limited",
            RefusalCode::BadBlobName => "bad_blob_name",
            RefusalCode::BlobHashMismatch => "blob_hash_mismatch",
            RefusalCode::BlobOffset => "blob_offset",
            RefusalCode::BlobMissing => "blob_missing",
            RefusalCode::BadBundle => "bad_bundle",
            RefusalCode::UnsupportedVersion => "unsupported_version",
            RefusalCode::BadRequest => "bad_request",
            RefusalCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status a refusal is sent with.
    pub fn status(self) -> u16 {
        match self {
            RefusalCode::Unauthorized | RefusalCode::TokenRevoked => 401,
            RefusalCode::DeviceRevoked
            | RefusalCode::NotAMember
            | RefusalCode::WrongTeam
            | RefusalCode::WrongSender
            | RefusalCode::BadSignature
            | RefusalCode::BadCode => 403,
            RefusalCode::TooLarge | RefusalCode::DeclaredTooLarge => 413,
            RefusalCode::RateLimited => 429,
            RefusalCode::BlobOffset => 409,
            RefusalCode::BlobMissing => 404,
            RefusalCode::BadBlobName
            | RefusalCode::BlobHashMismatch
            | RefusalCode::BadBundle
            | RefusalCode::BadRequest => 400,
            RefusalCode::UnsupportedVersion => 415,
            RefusalCode::Unavailable => 503,
        }
    }

    /// Whether trying again later, unchanged, can succeed.
    pub fn is_transient(self) -> bool {
        matches!(self, RefusalCode::RateLimited | RefusalCode::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_as_its_name() {
        for code in RefusalCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn enrol_messages_differ_where_their_parts_are_cut() {
        assert_ne!(enrol_message("ab", "c", "d"), enrol_message("a", "bc", "d"));
    }
}
