//! Where the hub keeps what it knows: one trait, two implementations, each
//! with its own migrations (`migrations/sqlite`, `migrations/postgres`).
//! SQLite is the embedded default; PostgreSQL lets several hub processes
//! share one database and behave as one hub, so every method is one
//! transaction and nothing is cached here.

mod postgres;
mod sqlite;

use std::collections::BTreeMap;

use async_trait::async_trait;
use fieldbook_bundle::roster::RosterEntry;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A storage failure: the hub answers `unavailable` and the laptop retries.
#[derive(Debug, thiserror::Error)]
#[error("hub storage: {0}")]
pub struct StoreError(pub String);

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Registers a team (printed by `fieldbook hub serve`).
    Admin,
    /// Enrols a device of a team already registered.
    Device,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Admin => "admin",
            CodeKind::Device => "device",
        }
    }

    fn parse(s: &str) -> Result<CodeKind> {
        match s {
            "admin" => Ok(CodeKind::Admin),
            "device" => Ok(CodeKind::Device),
            other => Err(StoreError(format!("unknown code kind {other}"))),
        }
    }
}

/// A one-time code as stored: its Argon2id hash, never the code.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub kind: CodeKind,
    pub hash: String,
    /// The team a device code is for.
    pub project_id: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    pub spent: bool,
}

/// A team as the hub knows it: ids and its first device, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub project_id: String,
    pub project_key_id: String,
    pub admin_actor: String,
    /// Lowercase hex of the first device's public key.
    pub admin_key: String,
}

/// What an enrolment writes, all or nothing: the code spent, the team
/// registered (admin code), the roster entries, the token's hash.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub code_id: String,
    pub new_team: Option<TeamRow>,
    pub project_id: String,
    pub roster: Vec<RosterEntry>,
    pub actor: String,
    pub token_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    Enrolled,
    /// Someone spent the code first.
    CodeSpent,
    /// An admin code named a team the hub already has.
    TeamExists,
}

#[derive(Debug, Clone)]
/// A token's device with its team and how many roster entries the team has
/// stored: what every authenticated request needs, in one round trip.
pub struct TokenRow {
    pub team: TeamRow,
    pub actor: String,
    pub revoked: bool,
    pub roster_len: usize,
}

/// A bundle part to keep, with what its verified header says.
#[derive(Debug, Clone)]
pub struct NewBundle {
    pub project_id: String,
    pub bundle_id: String,
    pub part: u32,
    pub sender: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
    /// `(author, from_seq, to_seq)` of each op range it carries.
    pub ranges: Vec<(String, u64, u64)>,
    /// The roster entries its header carries.
    pub roster: Vec<RosterEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Stored,
    /// The same part, byte for byte, was stored before.
    Duplicate,
    /// Another file under the same bundle id and part.
    Different,
}

/// One op range of a stored bundle, for choosing what a pull sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRange {
    /// The bundle's arrival order.
    pub seq: i64,
    pub size: u64,
    pub actor: String,
    pub from_seq: u64,
    pub to_seq: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub bundles: u64,
    pub bytes: u64,
    pub teams: u64,
    /// Photos stored whole, and their sealed bytes.
    pub blobs: u64,
    pub blob_bytes: u64,
}

/// A photo upload as stored (sealed: the hub cannot read it): what its
/// first chunk declared, and how far it has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    pub length: u64,
    pub ciphertext_sha256: String,
    pub received: u64,
    /// Whole, and its bytes checked against the declared hash.
    pub complete: bool,
}

/// What became of a chunk handed to [`HubStore::append_blob`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored; the upload now stands here.
    At(BlobRow),
    /// Not stored: the upload stands elsewhere (or is complete already).
    Elsewhere(BlobRow),
}

/// A chunk of `bytes` at `offset` of the photo named `sha256`, whose sealed
/// whole is declared `length` bytes with hash `ciphertext_sha256`.
#[derive(Debug, Clone)]
pub struct BlobChunk {
    pub project_id: String,
    pub sha256: String,
    pub length: u64,
    pub ciphertext_sha256: String,
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl BlobChunk {
    /// Where the upload must stand for this chunk to be stored, given the
    /// stored row: `Ok(true)` to start it afresh (a first chunk, or a first
    /// chunk declaring another photo than a partial upload there),
    /// `Ok(false)` to append, `Err` with the row when it stands elsewhere.
    fn fits(&self, stored: Option<&BlobRow>) -> std::result::Result<bool, BlobRow> {
        let declared =
            |r: &BlobRow| r.length == self.length && r.ciphertext_sha256 == self.ciphertext_sha256;
        match stored {
            None if self.offset == 0 => Ok(true),
            None => Err(BlobRow {
                length: self.length,
                ciphertext_sha256: self.ciphertext_sha256.clone(),
                received: 0,
                complete: false,
            }),
            Some(r) if r.complete => Err(r.clone()),
            Some(r) if self.offset == 0 && !declared(r) => Ok(true),
            Some(r) if r.received == self.offset && declared(r) => Ok(false),
            Some(r) => Err(r.clone()),
        }
    }
}

#[async_trait]
pub trait HubStore: Send + Sync {
    /// `sqlite` or `postgres`, for health and metrics.
    fn kind(&self) -> &'static str;

    async fn add_code(&self, id: &str, row: CodeRow) -> Result<()>;
    async fn code(&self, id: &str) -> Result<Option<CodeRow>>;

    async fn add_challenge(&self, challenge: &str, expires_at: i64) -> Result<()>;
    /// Removes the challenge; true if it existed and had not expired at `now`.
    async fn take_challenge(&self, challenge: &str, now: i64) -> Result<bool>;

    async fn team(&self, project_id: &str) -> Result<Option<TeamRow>>;
    async fn roster(&self, project_id: &str) -> Result<Vec<RosterEntry>>;
    /// Adds the entries the hub lacks; returns how many were new.
    async fn add_roster(&self, project_id: &str, entries: &[RosterEntry]) -> Result<usize>;

    async fn enrol(&self, e: Enrolment) -> Result<EnrolOutcome>;
    async fn token(&self, hash: &str) -> Result<Option<TokenRow>>;
    /// Revokes every token of a device; returns how many.
    async fn revoke_tokens(&self, project_id: &str, actor: &str) -> Result<usize>;

    /// Keeps a bundle part and its roster entries, in one transaction.
    async fn put_bundle(&self, b: NewBundle) -> Result<PutOutcome>;
    /// Every range of `project_id`'s stored bundles, but those `exclude`
    /// sent, that holds ops beyond `have`, by arrival.
    async fn ranges_beyond(
        &self,
        project_id: &str,
        have: &BTreeMap<String, u64>,
        exclude: &str,
    ) -> Result<Vec<StoredRange>>;
    /// Every range stored for the team, by author then start.
    async fn all_ranges(&self, project_id: &str) -> Result<Vec<(String, u64, u64)>>;
    /// The stored bytes of the bundles `seqs` names, in that order, read in
    /// one round trip.
    async fn bundles_bytes(&self, seqs: &[i64]) -> Result<Vec<Vec<u8>>>;
    async fn totals(&self) -> Result<Totals>;

    /// The photos of `shas` the hub has heard of, by name.
    async fn blobs(&self, project_id: &str, shas: &[String]) -> Result<BTreeMap<String, BlobRow>>;
    /// Stores a chunk where the upload stands (see [`BlobChunk::fits`]), in
    /// one transaction, so processes sharing a database append in turn.
    async fn append_blob(&self, chunk: BlobChunk) -> Result<Appended>;
    /// The stored chunk holding byte `at` of a photo, with where it starts.
    async fn blob_chunk(
        &self,
        project_id: &str,
        sha256: &str,
        at: u64,
    ) -> Result<Option<(u64, Vec<u8>)>>;
    /// Marks a whole upload complete (its hash checked), or discards it.
    async fn settle_blob(&self, project_id: &str, sha256: &str, complete: bool) -> Result<()>;

    /// Whether `actor` may push at `now_ms`: fewer than `per_minute` of its
    /// pushes were admitted in the minute before, counted in the database
    /// so that every process sharing it counts the same. An admitted push
    /// is counted; a refused one is not.
    async fn admit_push(&self, actor: &str, now_ms: i64, per_minute: u32) -> Result<bool>;
}

/// The version vector the hub serves: for each author, the highest seq up to
/// which the ranges (sorted by author, then start) leave no gap from 1.
pub fn contiguous_vv(ranges: &[(String, u64, u64)]) -> BTreeMap<String, u64> {
    let mut vv: BTreeMap<String, u64> = BTreeMap::new();
    for (actor, from, to) in ranges {
        let top = vv.entry(actor.clone()).or_insert(0);
        if *from <= *top + 1 {
            *top = (*top).max(*to);
        }
    }
    vv.retain(|_, top| *top > 0);
    vv
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: &str, from: u64, to: u64) -> (String, u64, u64) {
        (a.to_string(), from, to)
    }

    #[test]
    fn the_vv_counts_overlapping_ranges_and_stops_at_a_gap() {
        let vv = contiguous_vv(&[
            r("a", 1, 10),
            r("a", 5, 20),
            r("a", 30, 40),
            r("b", 2, 9),
            r("c", 1, 3),
            r("c", 4, 4),
        ]);
        assert_eq!(vv.get("a"), Some(&20));
        assert_eq!(vv.get("b"), None);
        assert_eq!(vv.get("c"), Some(&4));
    }
}
