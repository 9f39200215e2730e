//! The embedded store: one SQLite file (WAL), one writing connection and a
//! few reading ones (WAL lets readers go on while a push commits), each call
//! on tokio's blocking pool.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fieldbook_bundle::roster::RosterEntry;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    Appended, BlobChunk, BlobRow, CodeKind, CodeRow, EnrolOutcome, Enrolment, HubStore, NewBundle,
    PutOutcome, Result, StoreError, StoredRange, TeamRow, TokenRow, Totals,
};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_blobs.sql"),
    include_str!("../../migrations/sqlite/0003_push_log.sql"),
];

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

/// Reading connections: pulls stream bundles while others push.
const READERS: usize = 4;

pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: AtomicUsize,
}

impl SqliteStore {
    /// Opens (creating and migrating) the hub database at `path`. A database
    /// of a newer hub is refused, never touched.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let connect = || -> Result<Connection> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            Ok(conn)
        };
        let mut writer = connect()?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                let r = connect()?;
                r.pragma_update(None, "query_only", "ON")?;
                Ok(Mutex::new(r))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(readers),
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on the writing connection.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.writer);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError(format!("store task: {e}")))?
    }

    /// Runs `f` on a reading connection (each in turn).
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let readers = Arc::clone(&self.readers);
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        tokio::task::spawn_blocking(move || {
            let mut conn = readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError(format!("store task: {e}")))?
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(StoreError(format!(
            "the hub database is of a newer hub (schema {version}; this hub knows {}): run the newer hub",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn entry_json(e: &RosterEntry) -> String {
    serde_json::to_string(e).expect("a roster entry serialises")
}

fn add_entries(tx: &Connection, project_id: &str, entries: &[RosterEntry]) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO roster_entry (project_id, sig, entry) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?;
    let mut new = 0;
    for e in entries {
        new += stmt.execute(params![project_id, e.sig, entry_json(e)])?;
    }
    Ok(new)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn blob_row(c: &Connection, project_id: &str, sha256: &str) -> Result<Option<BlobRow>> {
    Ok(c.prepare_cached(
        "SELECT length, ciphertext_sha256, received, complete FROM blob
         WHERE project_id = ?1 AND sha256 = ?2",
    )?
    .query_row(params![project_id, sha256], |r| {
        Ok(BlobRow {
            length: r.get::<_, i64>(0)? as u64,
            ciphertext_sha256: r.get(1)?,
            received: r.get::<_, i64>(2)? as u64,
            complete: r.get(3)?,
        })
    })
    .optional()?)
}

#[async_trait]
impl HubStore for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn add_code(&self, id: &str, row: CodeRow) -> Result<()> {
        let id = id.to_string();
        self.run(move |c| {
            c.execute(
                "INSERT INTO code (id, kind, hash, project_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, row.kind.as_str(), row.hash, row.project_id, row.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn code(&self, id: &str) -> Result<Option<CodeRow>> {
        let id = id.to_string();
        self.read(move |c| {
            let row = c
                .query_row(
                    "SELECT kind, hash, project_id, expires_at, spent_at IS NOT NULL FROM code WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(kind, hash, project_id, expires_at, spent)| {
                Ok(CodeRow {
                    kind: CodeKind::parse(&kind)?,
                    hash,
                    project_id,
                    expires_at,
                    spent,
                })
            })
            .transpose()
        })
        .await
    }

    async fn add_challenge(&self, challenge: &str, expires_at: i64) -> Result<()> {
        let challenge = challenge.to_string();
        self.run(move |c| {
            // Expired challenges go as new ones come.
            c.execute("DELETE FROM challenge WHERE expires_at < ?1", [now()])?;
            c.execute(
                "INSERT INTO challenge (challenge, expires_at) VALUES (?1, ?2)",
                params![challenge, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_challenge(&self, challenge: &str, now: i64) -> Result<bool> {
        let challenge = challenge.to_string();
        self.run(move |c| {
            let n = c.execute(
                "DELETE FROM challenge WHERE challenge = ?1 AND expires_at >= ?2",
                params![challenge, now],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn team(&self, project_id: &str) -> Result<Option<TeamRow>> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT project_id, project_key_id, admin_actor, admin_key FROM team WHERE project_id = ?1",
                [project_id],
                |r| {
                    Ok(TeamRow {
                        project_id: r.get(0)?,
                        project_key_id: r.get(1)?,
                        admin_actor: r.get(2)?,
                        admin_key: r.get(3)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn roster(&self, project_id: &str) -> Result<Vec<RosterEntry>> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT entry FROM roster_entry WHERE project_id = ?1 ORDER BY rowid",
            )?;
            let rows = stmt.query_map([project_id], |r| r.get::<_, String>(0))?;
            rows.map(|json| {
                serde_json::from_str(&json?).map_err(|e| StoreError(format!("roster entry: {e}")))
            })
            .collect()
        })
        .await
    }

    async fn add_roster(&self, project_id: &str, entries: &[RosterEntry]) -> Result<usize> {
        let (project_id, entries) = (project_id.to_string(), entries.to_vec());
        self.run(move |c| {
            let tx = c.transaction()?;
            let new = add_entries(&tx, &project_id, &entries)?;
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn enrol(&self, e: Enrolment) -> Result<EnrolOutcome> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let spent = tx.execute(
                "UPDATE code SET spent_at = ?2 WHERE id = ?1 AND spent_at IS NULL",
                params![e.code_id, now()],
            )?;
            if spent != 1 {
                return Ok(EnrolOutcome::CodeSpent);
            }
            if let Some(t) = &e.new_team {
                let added = tx.execute(
                    "INSERT INTO team (project_id, project_key_id, admin_actor, admin_key, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![t.project_id, t.project_key_id, t.admin_actor, t.admin_key, now()],
                )?;
                if added != 1 {
                    return Ok(EnrolOutcome::TeamExists);
                }
            }
            add_entries(&tx, &e.project_id, &e.roster)?;
            tx.execute(
                "INSERT INTO token (hash, project_id, actor, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![e.token_hash, e.project_id, e.actor, now()],
            )?;
            tx.commit()?;
            Ok(EnrolOutcome::Enrolled)
        })
        .await
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRow>> {
        let hash = hash.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT t.project_id, t.actor, t.revoked_at IS NOT NULL,
                        m.project_key_id, m.admin_actor, m.admin_key,
                        (SELECT count(*) FROM roster_entry e WHERE e.project_id = t.project_id)
                 FROM token t JOIN team m ON m.project_id = t.project_id
                 WHERE t.hash = ?1",
                [hash],
                |r| {
                    Ok(TokenRow {
                        team: TeamRow {
                            project_id: r.get(0)?,
                            project_key_id: r.get(3)?,
                            admin_actor: r.get(4)?,
                            admin_key: r.get(5)?,
                        },
                        actor: r.get(1)?,
                        revoked: r.get(2)?,
                        roster_len: r.get::<_, i64>(6)? as usize,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn revoke_tokens(&self, project_id: &str, actor: &str) -> Result<usize> {
        let (project_id, actor) = (project_id.to_string(), actor.to_string());
        self.run(move |c| {
            Ok(c.execute(
                "UPDATE token SET revoked_at = ?3
                 WHERE project_id = ?1 AND actor = ?2 AND revoked_at IS NULL",
                params![project_id, actor, now()],
            )?)
        })
        .await
    }

    async fn put_bundle(&self, b: NewBundle) -> Result<PutOutcome> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored: Option<String> = tx
                .query_row(
                    "SELECT sha256 FROM bundle WHERE project_id = ?1 AND bundle_id = ?2 AND part = ?3",
                    params![b.project_id, b.bundle_id, b.part],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sha) = stored {
                return Ok(if sha == b.sha256 {
                    PutOutcome::Duplicate
                } else {
                    PutOutcome::Different
                });
            }
            tx.execute(
                "INSERT INTO bundle (project_id, bundle_id, part, sender, sha256, size, received_at, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    b.project_id,
                    b.bundle_id,
                    b.part,
                    b.sender,
                    b.sha256,
                    b.bytes.len() as i64,
                    now(),
                    b.bytes
                ],
            )?;
            let seq = tx.last_insert_rowid();
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO bundle_range (bundle_seq, project_id, actor, from_seq, to_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for (actor, from, to) in &b.ranges {
                    stmt.execute(params![seq, b.project_id, actor, *from as i64, *to as i64])?;
                }
            }
            add_entries(&tx, &b.project_id, &b.roster)?;
            tx.commit()?;
            Ok(PutOutcome::Stored)
        })
        .await
    }

    async fn ranges_beyond(
        &self,
        project_id: &str,
        have: &BTreeMap<String, u64>,
        exclude: &str,
    ) -> Result<Vec<StoredRange>> {
        let (project_id, exclude) = (project_id.to_string(), exclude.to_string());
        let have = serde_json::to_string(have).expect("a vv serialises");
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT r.bundle_seq, b.size, r.actor, r.from_seq, r.to_seq
                 FROM bundle_range r
                 JOIN bundle b ON b.seq = r.bundle_seq
                 LEFT JOIN json_each(?2) h ON h.key = r.actor
                 WHERE r.project_id = ?1 AND b.sender <> ?3
                   AND r.to_seq > COALESCE(h.value, 0)
                 ORDER BY r.bundle_seq",
            )?;
            let rows = stmt.query_map(params![project_id, have, exclude], |r| {
                Ok(StoredRange {
                    seq: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    actor: r.get(2)?,
                    from_seq: r.get::<_, i64>(3)? as u64,
                    to_seq: r.get::<_, i64>(4)? as u64,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn all_ranges(&self, project_id: &str) -> Result<Vec<(String, u64, u64)>> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT actor, from_seq, to_seq FROM bundle_range WHERE project_id = ?1
                 ORDER BY actor, from_seq",
            )?;
            let rows = stmt.query_map([project_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn bundles_bytes(&self, seqs: &[i64]) -> Result<Vec<Vec<u8>>> {
        let seqs = seqs.to_vec();
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT bytes FROM bundle WHERE seq = ?1")?;
            seqs.iter()
                .map(|seq| Ok(stmt.query_row([seq], |r| r.get(0))?))
                .collect()
        })
        .await
    }

    async fn totals(&self) -> Result<Totals> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM bundle), (SELECT coalesce(sum(size), 0) FROM bundle),
                        (SELECT count(*) FROM team),
                        (SELECT count(*) FROM blob WHERE complete),
                        (SELECT coalesce(sum(length), 0) FROM blob WHERE complete)",
                [],
                |r| {
                    Ok(Totals {
                        bundles: r.get::<_, i64>(0)? as u64,
                        bytes: r.get::<_, i64>(1)? as u64,
                        teams: r.get::<_, i64>(2)? as u64,
                        blobs: r.get::<_, i64>(3)? as u64,
                        blob_bytes: r.get::<_, i64>(4)? as u64,
                    })
                },
            )?)
        })
        .await
    }

    async fn blobs(&self, project_id: &str, shas: &[String]) -> Result<BTreeMap<String, BlobRow>> {
        let (project_id, shas) = (project_id.to_string(), shas.to_vec());
        self.read(move |c| {
            let mut found = BTreeMap::new();
            for sha in shas {
                if let Some(row) = blob_row(c, &project_id, &sha)? {
                    found.insert(sha, row);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn append_blob(&self, chunk: BlobChunk) -> Result<Appended> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let key = params![chunk.project_id, chunk.sha256];
            let fresh = match chunk.fits(blob_row(&tx, &chunk.project_id, &chunk.sha256)?.as_ref()) {
                Ok(fresh) => fresh,
                Err(row) => return Ok(Appended::Elsewhere(row)),
            };
            if fresh {
                tx.execute("DELETE FROM blob_chunk WHERE project_id = ?1 AND sha256 = ?2", key)?;
                tx.execute(
                    "INSERT INTO blob (project_id, sha256, length, ciphertext_sha256, received)
                     VALUES (?1, ?2, ?3, ?4, 0)
                     ON CONFLICT (project_id, sha256) DO UPDATE
                     SET length = excluded.length, ciphertext_sha256 = excluded.ciphertext_sha256,
                         received = 0",
                    params![
                        chunk.project_id,
                        chunk.sha256,
                        chunk.length as i64,
                        chunk.ciphertext_sha256
                    ],
                )?;
            }
            if !chunk.bytes.is_empty() {
                tx.execute(
                    "INSERT INTO blob_chunk (project_id, sha256, start, bytes) VALUES (?1, ?2, ?3, ?4)",
                    params![chunk.project_id, chunk.sha256, chunk.offset as i64, chunk.bytes],
                )?;
                tx.execute(
                    "UPDATE blob SET received = received + ?3 WHERE project_id = ?1 AND sha256 = ?2",
                    params![chunk.project_id, chunk.sha256, chunk.bytes.len() as i64],
                )?;
            }
            let row = blob_row(&tx, &chunk.project_id, &chunk.sha256)?.expect("just written");
            tx.commit()?;
            Ok(Appended::At(row))
        })
        .await
    }

    async fn blob_chunk(
        &self,
        project_id: &str,
        sha256: &str,
        at: u64,
    ) -> Result<Option<(u64, Vec<u8>)>> {
        let (project_id, sha256) = (project_id.to_string(), sha256.to_string());
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT start, bytes FROM blob_chunk WHERE project_id = ?1 AND sha256 = ?2
                   AND start <= ?3 ORDER BY start DESC LIMIT 1",
            )?
            .query_row(params![project_id, sha256, at as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?
            .filter(|(start, bytes): &(u64, Vec<u8>)| at < start + bytes.len() as u64))
        })
        .await
    }

    async fn settle_blob(&self, project_id: &str, sha256: &str, complete: bool) -> Result<()> {
        let (project_id, sha256) = (project_id.to_string(), sha256.to_string());
        self.run(move |c| {
            let tx = c.transaction()?;
            let key = params![project_id, sha256];
            if complete {
                tx.execute(
                    "UPDATE blob SET complete = 1 WHERE project_id = ?1 AND sha256 = ?2",
                    key,
                )?;
            } else {
                tx.execute(
                    "DELETE FROM blob_chunk WHERE project_id = ?1 AND sha256 = ?2",
                    key,
                )?;
                tx.execute(
                    "DELETE FROM blob WHERE project_id = ?1 AND sha256 = ?2",
                    key,
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn admit_push(&self, actor: &str, now_ms: i64, per_minute: u32) -> Result<bool> {
        let actor = actor.to_string();
        self.run(move |c| {
            let tx = c.transaction()?;
            let since = now_ms - 60_000;
            tx.execute(
                "DELETE FROM push_log WHERE actor = ?1 AND at_ms <= ?2",
                params![actor, since],
            )?;
            let recent: i64 = tx.query_row(
                "SELECT count(*) FROM push_log WHERE actor = ?1",
                params![actor],
                |r| r.get(0),
            )?;
            let admitted = recent < i64::from(per_minute);
            if admitted {
                tx.execute(
                    "INSERT INTO push_log (actor, at_ms) VALUES (?1, ?2)",
                    params![actor, now_ms],
                )?;
            }
            tx.commit()?;
            Ok(admitted)
        })
        .await
    }
}
