//! Fieldbook's store: one SQLite file per laptop, plus a content-addressed
//! attachment folder beside it. All SQL of the project lives in this crate.
//!
//! Every write goes through [`Store::apply`] (see `write.rs`): it logs each
//! create, field set, delete and restore in the `change` table and updates the
//! typed record tables in the same transaction. Sync (part 3) builds on that log.

mod atomic;
mod blobs;
mod bulk;
mod conflicts;
mod dump;
mod error;
mod merge;
mod migrate;
mod oplog;
mod parts;
mod read;
mod samples;
mod search;
mod sql;
mod team;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

pub use blobs::{attachment_fields, BlobStore, MAX_ATTACHMENT_BYTES};
pub use conflicts::{Candidate, Conflict, HistoryEntry, RecordRef, SyncState};
pub use error::{Result, StoreError};
pub use merge::{ImportSummary, Merge, NewRecords};
pub use migrate::SCHEMA_VERSION;
pub use parts::{Commit, Part, PartRefusal};
pub use read::{ListQuery, Record};
pub use samples::SampleOutcome;
pub use search::Hit;
pub use team::{BundleLogEntry, StoredCheckpoint, TeamDevice};
pub use write::{Change, SkipReason, Skipped, UndoOutcome};

#[doc(hidden)]
pub mod testing_support {
    use fieldbook_core::op::Op;

    pub use crate::migrate::create_at_version;

    /// The floor: the same op rows into a plain table, one transaction. Like
    /// the store's import, it leaves the checkpoint (copying the log into the
    /// database file) to later: the connection is returned, to be closed outside
    /// the measurement.
    pub fn plain_sqlite_floor(path: &std::path::Path, ops: &[Op]) -> rusqlite::Connection {
        let mut conn = rusqlite::Connection::open(path).expect("plain SQLite");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("plain SQLite");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("plain SQLite");
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .expect("plain SQLite");
        conn.execute_batch(
            "CREATE TABLE op (actor TEXT, seq INTEGER, hlc INTEGER, at TEXT, op TEXT, kind TEXT,
              record_id TEXT, field TEXT, value TEXT, supersedes TEXT, prev_hash TEXT, op_hash TEXT,
              PRIMARY KEY (actor, seq)) STRICT",
        )
        .expect("plain SQLite");
        let tx = conn.transaction().expect("plain SQLite");
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO op VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .expect("plain SQLite");
            for o in ops {
                stmt.execute(rusqlite::params![
                    o.actor,
                    o.seq as i64,
                    o.hlc as i64,
                    o.at,
                    o.op.as_str(),
                    o.kind,
                    o.record_id,
                    o.field,
                    o.value,
                    serde_json::to_string(&o.supersedes).expect("plain SQLite"),
                    o.prev_hash,
                    o.op_hash
                ])
                .expect("plain SQLite");
            }
        }
        tx.commit().expect("plain SQLite");
        conn
    }
}

/// Page size of a new database file, in bytes.
const PAGE_SIZE: i64 = 16384;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    device: String,
    blobs: BlobStore,
    checkpointer: atomic::Checkpointer,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrating an older
    /// schema forward and refusing a newer one.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // 16 KiB pages for a new file (an existing one keeps its own; this
        // must come before WAL mode): a bundle import writes a quarter as
        // many log frames and splits fewer pages than with SQLite's 4 KiB
        // (100,000 ops: 1.07 s → 0.81 s on the 2-core test machine).
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a power cut must not take the last saved edits with it.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache (SQLite's default is 2 MiB): a bundle import
        // or a large list touches far more pages than that.
        conn.pragma_update(None, "cache_size", -65536)?;
        migrate::migrate(&mut conn)?;
        let device = device_id(&conn)?;
        let blobs = BlobStore::beside(path);
        blobs.remove_orphans()?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            device,
            blobs,
            checkpointer: atomic::Checkpointer::idle(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id of this replica: it signs every change written here.
    pub fn device_id(&self) -> &str {
        &self.device
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub fn schema_version(&self) -> Result<i64> {
        migrate::schema_version(&self.conn)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// The settings whose keys start with `prefix`, as (rest of the key,
    /// value), by key.
    pub fn settings_under(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT substr(key, length(?1) + 1), value FROM setting
             WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn clear_setting(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM setting WHERE key = ?1", [key])?;
        Ok(())
    }

    /// True when the database holds no records of any kind (a first run).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM change)", [], |r| r.get(0))?)
    }

    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Where the app and the CLI keep the database unless told otherwise:
/// `$FIELDBOOK_DB`, else the OS data directory (`~/.local/share/fieldbook/fieldbook.db`).
pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os("FIELDBOOK_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    directories::ProjectDirs::from("org", "Fieldbook", "fieldbook")
        .map(|d| d.data_dir().join("fieldbook.db"))
        .unwrap_or_else(|| PathBuf::from("fieldbook.db"))
}

fn device_id(conn: &Connection) -> Result<String> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = fieldbook_core::ids::new_device_id();
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?1)",
        [&id],
    )?;
    // Another process may have won the race: read back what is stored.
    Ok(
        conn.query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| {
            r.get(0)
        })?,
    )
}
