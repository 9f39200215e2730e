//! What sync keeps beside the op log: the team's devices and their keys, the
//! signed chain heads (checkpoints) that let relayed ops be verified, what each
//! peer is known to hold, and the log of bundles exchanged. The cryptography
//! lives in the bundle crate; this is only its storage.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::error::Result;
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamDevice {
    pub actor: String,
    /// Hex Ed25519 public key.
    pub public_key: String,
    pub label: String,
    pub added_by: Option<String>,
    pub added_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCheckpoint {
    pub actor: String,
    pub seq: u64,
    pub op_hash: String,
    pub sig: String,
}

/// One bundle file exported or imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleLogEntry {
    pub bundle_id: String,
    pub part: u32,
    pub direction: &'static str,
    pub sender: String,
    pub file_sha: String,
    pub ops_new: usize,
    pub ops_known: usize,
    pub blobs: usize,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    pub fn team_devices(&self) -> Result<Vec<TeamDevice>> {
        Ok(self
            .conn
            .prepare(
                "SELECT actor, public_key, label, added_by, added_at, revoked_at
                 FROM team_device ORDER BY added_at, actor",
            )?
            .query_map([], |r| {
                Ok(TeamDevice {
                    actor: r.get(0)?,
                    public_key: r.get(1)?,
                    label: r.get(2)?,
                    added_by: r.get(3)?,
                    added_at: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a device to the team (or updates its label). A revoked device
    /// stays revoked: adding it again does not bring it back (see
    /// [`Store::reinstate_team_device`]).
    pub fn add_team_device(
        &self,
        actor: &str,
        public_key: &str,
        label: &str,
        added_by: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO team_device (actor, public_key, label, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (actor) DO UPDATE SET label = excluded.label",
            params![actor, public_key, label, added_by, now()],
        )?;
        Ok(())
    }

    /// Clears a device's revocation: for a device set aside because no one
    /// trusted vouched for it any more, when someone trusted does again.
    pub fn reinstate_team_device(&self, actor: &str) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE team_device SET revoked_at = NULL WHERE actor = ?1",
            params![actor],
        )?;
        Ok(changed > 0)
    }

    /// Revokes a device at `at` (now when `None`); the earliest revocation stands.
    pub fn revoke_team_device(&self, actor: &str, at: Option<&str>) -> Result<bool> {
        let at = at.map_or_else(now, str::to_string);
        let changed = self.conn.execute(
            "UPDATE team_device SET revoked_at = min(coalesce(revoked_at, ?2), ?2) WHERE actor = ?1",
            params![actor, at],
        )?;
        Ok(changed > 0)
    }

    pub fn save_checkpoint(&self, c: &StoredCheckpoint) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO checkpoint (actor, seq, op_hash, sig) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![c.actor, c.seq as i64, c.op_hash, c.sig])?;
        Ok(())
    }

    /// The highest checkpoint of `actor` at or below `seq`.
    pub fn checkpoint_at_most(&self, actor: &str, seq: u64) -> Result<Option<StoredCheckpoint>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT actor, seq, op_hash, sig FROM checkpoint WHERE actor = ?1 AND seq <= ?2
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![actor, seq as i64], |r| {
                Ok(StoredCheckpoint {
                    actor: r.get(0)?,
                    seq: r.get::<_, i64>(1)? as u64,
                    op_hash: r.get(2)?,
                    sig: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// What `peer` is known to hold: its version vector from its last bundle.
    pub fn peer_have(&self, peer: &str) -> Result<BTreeMap<String, u64>> {
        let have: Option<String> = self
            .conn
            .query_row("SELECT have FROM peer WHERE actor = ?1", [peer], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(have
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default())
    }

    pub fn set_peer_have(&self, peer: &str, have: &BTreeMap<String, u64>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO peer (actor, have, seen_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (actor) DO UPDATE SET have = excluded.have, seen_at = excluded.seen_at",
            params![
                peer,
                serde_json::to_string(have).expect("a map serialises"),
                now()
            ],
        )?;
        Ok(())
    }

    pub fn log_bundle(&self, e: &BundleLogEntry) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO bundle_log
               (bundle_id, part, direction, sender, file_sha, at, ops_new, ops_known, blobs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                e.bundle_id,
                e.part,
                e.direction,
                e.sender,
                e.file_sha,
                now(),
                e.ops_new as i64,
                e.ops_known as i64,
                e.blobs as i64
            ],
        )?;
        Ok(())
    }
}
