//! The PostgreSQL store, for an organisation that outgrows one machine:
//! several hub processes on one database behave as one hub, because every
//! decision (a code spent, a bundle part stored once) is made by the
//! database inside one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use fieldbook_bundle::roster::RosterEntry;
use tokio_postgres::NoTls;

use super::{
    Appended, BlobChunk, BlobRow, CodeKind, CodeRow, EnrolOutcome, Enrolment, HubStore, NewBundle,
    PutOutcome, Result, StoreError, StoredRange, TeamRow, TokenRow, Totals,
};

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_blobs.sql"),
    include_str!("../../migrations/postgres/0003_push_log.sql"),
];
/// Serialises migrations between hub processes starting at once.
const MIGRATION_LOCK: i64 = 0x0f1e_1db0_0c0b;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> StoreError {
        StoreError(e.to_string())
    }
}

pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host/db`) and migrates the schema.
    pub async fn open(url: &str) -> Result<PostgresStore> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError(format!("{url}: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StoreError(e.to_string()))?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)")
            .await?;
        let version: i32 = tx
            .query_opt("SELECT version FROM hub_schema", &[])
            .await?
            .map_or(0, |r| r.get(0));
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError(format!(
                "the hub database is of a newer hub (schema {version}; this hub knows {}): run the newer hub",
                MIGRATIONS.len()
            )));
        }
        for sql in &MIGRATIONS[version as usize..] {
            tx.batch_execute(sql).await?;
        }
        tx.execute("DELETE FROM hub_schema", &[]).await?;
        tx.execute(
            "INSERT INTO hub_schema (version) VALUES ($1)",
            &[&(MIGRATIONS.len() as i32)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A photo upload's row, locked for the transaction when `lock`.
async fn blob_row(
    c: &impl GenericClient,
    project_id: &str,
    sha256: &str,
    lock: bool,
) -> Result<Option<BlobRow>> {
    let sql = format!(
        "SELECT length, ciphertext_sha256, received, complete FROM blob
         WHERE project_id = $1 AND sha256 = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    Ok(c.query_opt(&sql, &[&project_id, &sha256])
        .await?
        .map(|r| blob_of(&r, 0)))
}

/// A photo upload's row from `length, ciphertext_sha256, received, complete`
/// starting at column `at`.
fn blob_of(r: &tokio_postgres::Row, at: usize) -> BlobRow {
    BlobRow {
        length: r.get::<_, i64>(at) as u64,
        ciphertext_sha256: r.get(at + 1),
        received: r.get::<_, i64>(at + 2) as u64,
        complete: r.get(at + 3),
    }
}

async fn add_entries(
    c: &impl GenericClient,
    project_id: &str,
    entries: &[RosterEntry],
) -> Result<usize> {
    let stmt = c
        .prepare(
            "INSERT INTO roster_entry (project_id, sig, entry) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .await?;
    let mut new = 0;
    for e in entries {
        let json = serde_json::to_string(e).expect("a roster entry serialises");
        new += c.execute(&stmt, &[&project_id, &e.sig, &json]).await? as usize;
    }
    Ok(new)
}

#[async_trait]
impl HubStore for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn add_code(&self, id: &str, row: CodeRow) -> Result<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO code (id, kind, hash, project_id, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&id, &row.kind.as_str(), &row.hash, &row.project_id, &row.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn code(&self, id: &str) -> Result<Option<CodeRow>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT kind, hash, project_id, expires_at, spent_at IS NOT NULL FROM code WHERE id = $1",
                &[&id],
            )
            .await?;
        row.map(|r| {
            Ok(CodeRow {
                kind: CodeKind::parse(r.get(0))?,
                hash: r.get(1),
                project_id: r.get(2),
                expires_at: r.get(3),
                spent: r.get(4),
            })
        })
        .transpose()
    }

    async fn add_challenge(&self, challenge: &str, expires_at: i64) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute("DELETE FROM challenge WHERE expires_at < $1", &[&now()])
            .await?;
        c.execute(
            "INSERT INTO challenge (challenge, expires_at) VALUES ($1, $2)",
            &[&challenge, &expires_at],
        )
        .await?;
        Ok(())
    }

    async fn take_challenge(&self, challenge: &str, now: i64) -> Result<bool> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "DELETE FROM challenge WHERE challenge = $1 AND expires_at >= $2",
                &[&challenge, &now],
            )
            .await?;
        Ok(n == 1)
    }

    async fn team(&self, project_id: &str) -> Result<Option<TeamRow>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT project_id, project_key_id, admin_actor, admin_key FROM team WHERE project_id = $1",
                &[&project_id],
            )
            .await?;
        Ok(row.map(|r| TeamRow {
            project_id: r.get(0),
            project_key_id: r.get(1),
            admin_actor: r.get(2),
            admin_key: r.get(3),
        }))
    }

    async fn roster(&self, project_id: &str) -> Result<Vec<RosterEntry>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT entry FROM roster_entry WHERE project_id = $1 ORDER BY id",
                &[&project_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(r.get(0)).map_err(|e| StoreError(format!("roster entry: {e}")))
            })
            .collect()
    }

    async fn add_roster(&self, project_id: &str, entries: &[RosterEntry]) -> Result<usize> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let new = add_entries(&tx, project_id, entries).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn enrol(&self, e: Enrolment) -> Result<EnrolOutcome> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let spent = tx
            .execute(
                "UPDATE code SET spent_at = $2 WHERE id = $1 AND spent_at IS NULL",
                &[&e.code_id, &now()],
            )
            .await?;
        if spent != 1 {
            return Ok(EnrolOutcome::CodeSpent);
        }
        if let Some(t) = &e.new_team {
            let added = tx
                .execute(
                    "INSERT INTO team (project_id, project_key_id, admin_actor, admin_key, created_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[&t.project_id, &t.project_key_id, &t.admin_actor, &t.admin_key, &now()],
                )
                .await?;
            if added != 1 {
                return Ok(EnrolOutcome::TeamExists);
            }
        }
        add_entries(&tx, &e.project_id, &e.roster).await?;
        tx.execute(
            "INSERT INTO token (hash, project_id, actor, created_at) VALUES ($1, $2, $3, $4)",
            &[&e.token_hash, &e.project_id, &e.actor, &now()],
        )
        .await?;
        tx.commit().await?;
        Ok(EnrolOutcome::Enrolled)
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRow>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT t.project_id, t.actor, t.revoked_at IS NOT NULL,
                        m.project_key_id, m.admin_actor, m.admin_key,
                        (SELECT count(*) FROM roster_entry e WHERE e.project_id = t.project_id)
                 FROM token t JOIN team m ON m.project_id = t.project_id
                 WHERE t.hash = $1",
                &[&hash],
            )
            .await?;
        Ok(row.map(|r| TokenRow {
            team: TeamRow {
                project_id: r.get(0),
                project_key_id: r.get(3),
                admin_actor: r.get(4),
                admin_key: r.get(5),
            },
            actor: r.get(1),
            revoked: r.get(2),
            roster_len: r.get::<_, i64>(6) as usize,
        }))
    }

    async fn revoke_tokens(&self, project_id: &str, actor: &str) -> Result<usize> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "UPDATE token SET revoked_at = $3
                 WHERE project_id = $1 AND actor = $2 AND revoked_at IS NULL",
                &[&project_id, &actor, &now()],
            )
            .await?;
        Ok(n as usize)
    }

    async fn put_bundle(&self, b: NewBundle) -> Result<PutOutcome> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let part = i64::from(b.part);
        let inserted = tx
            .query_opt(
                "INSERT INTO bundle (project_id, bundle_id, part, sender, sha256, size, received_at, bytes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (project_id, bundle_id, part) DO NOTHING RETURNING seq",
                &[
                    &b.project_id,
                    &b.bundle_id,
                    &part,
                    &b.sender,
                    &b.sha256,
                    &(b.bytes.len() as i64),
                    &now(),
                    &b.bytes,
                ],
            )
            .await?;
        let Some(row) = inserted else {
            let sha: String = tx
                .query_one(
                    "SELECT sha256 FROM bundle WHERE project_id = $1 AND bundle_id = $2 AND part = $3",
                    &[&b.project_id, &b.bundle_id, &part],
                )
                .await?
                .get(0);
            return Ok(if sha == b.sha256 {
                PutOutcome::Duplicate
            } else {
                PutOutcome::Different
            });
        };
        let seq: i64 = row.get(0);
        let stmt = tx
            .prepare(
                "INSERT INTO bundle_range (bundle_seq, project_id, actor, from_seq, to_seq)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
        for (actor, from, to) in &b.ranges {
            tx.execute(
                &stmt,
                &[&seq, &b.project_id, actor, &(*from as i64), &(*to as i64)],
            )
            .await?;
        }
        add_entries(&tx, &b.project_id, &b.roster).await?;
        tx.commit().await?;
        Ok(PutOutcome::Stored)
    }

    async fn ranges_beyond(
        &self,
        project_id: &str,
        have: &BTreeMap<String, u64>,
        exclude: &str,
    ) -> Result<Vec<StoredRange>> {
        let have = serde_json::to_string(have).expect("a vv serialises");
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT r.bundle_seq, b.size, r.actor, r.from_seq, r.to_seq
                 FROM bundle_range r
                 JOIN bundle b ON b.seq = r.bundle_seq
                 LEFT JOIN jsonb_each_text($2::text::jsonb) h ON h.key = r.actor
                 WHERE r.project_id = $1 AND b.sender <> $3
                   AND r.to_seq > COALESCE(h.value::bigint, 0)
                 ORDER BY r.bundle_seq",
                &[&project_id, &have, &exclude],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredRange {
                seq: r.get(0),
                size: r.get::<_, i64>(1) as u64,
                actor: r.get(2),
                from_seq: r.get::<_, i64>(3) as u64,
                to_seq: r.get::<_, i64>(4) as u64,
            })
            .collect())
    }

    async fn all_ranges(&self, project_id: &str) -> Result<Vec<(String, u64, u64)>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT actor, from_seq, to_seq FROM bundle_range WHERE project_id = $1
                 ORDER BY actor, from_seq",
                &[&project_id],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    r.get::<_, i64>(1) as u64,
                    r.get::<_, i64>(2) as u64,
                )
            })
            .collect())
    }

    async fn bundles_bytes(&self, seqs: &[i64]) -> Result<Vec<Vec<u8>>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT b.bytes FROM unnest($1::bigint[]) WITH ORDINALITY AS s(seq, i)
                 JOIN bundle b ON b.seq = s.seq ORDER BY s.i",
                &[&seqs],
            )
            .await?;
        if rows.len() != seqs.len() {
            return Err(StoreError(format!(
                "{} of {} bundles found",
                rows.len(),
                seqs.len()
            )));
        }
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn totals(&self) -> Result<Totals> {
        let r = self
            .pool
            .get()
            .await?
            .query_one(
                "SELECT (SELECT count(*) FROM bundle), (SELECT coalesce(sum(size), 0)::bigint FROM bundle),
                        (SELECT count(*) FROM team),
                        (SELECT count(*) FROM blob WHERE complete),
                        (SELECT coalesce(sum(length), 0)::bigint FROM blob WHERE complete)",
                &[],
            )
            .await?;
        Ok(Totals {
            bundles: r.get::<_, i64>(0) as u64,
            bytes: r.get::<_, i64>(1) as u64,
            teams: r.get::<_, i64>(2) as u64,
            blobs: r.get::<_, i64>(3) as u64,
            blob_bytes: r.get::<_, i64>(4) as u64,
        })
    }

    async fn blobs(&self, project_id: &str, shas: &[String]) -> Result<BTreeMap<String, BlobRow>> {
        // One round trip for a laptop's every photo, asked at each sync.
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT sha256, length, ciphertext_sha256, received, complete FROM blob
                 WHERE project_id = $1 AND sha256 = ANY($2)",
                &[&project_id, &shas],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), blob_of(r, 1))).collect())
    }

    async fn append_blob(&self, chunk: BlobChunk) -> Result<Appended> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // The first chunk's row is made first (or found), then locked: two
        // processes handed chunks of one upload take turns.
        tx.execute(
            "INSERT INTO blob (project_id, sha256, length, ciphertext_sha256, received)
             VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
            &[
                &chunk.project_id,
                &chunk.sha256,
                &(chunk.length as i64),
                &chunk.ciphertext_sha256,
            ],
        )
        .await?;
        let stored = blob_row(&tx, &chunk.project_id, &chunk.sha256, true).await?;
        // A row this chunk's own insert made counts as no row before it.
        let stored = stored.filter(|r| r.received > 0 || r.complete);
        let fresh = match chunk.fits(stored.as_ref()) {
            Ok(fresh) => fresh,
            Err(row) => return Ok(Appended::Elsewhere(row)),
        };
        let key: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
            [&chunk.project_id, &chunk.sha256];
        if fresh {
            tx.execute(
                "DELETE FROM blob_chunk WHERE project_id = $1 AND sha256 = $2",
                &key,
            )
            .await?;
            tx.execute(
                "UPDATE blob SET length = $3, ciphertext_sha256 = $4, received = 0
                 WHERE project_id = $1 AND sha256 = $2",
                &[
                    &chunk.project_id,
                    &chunk.sha256,
                    &(chunk.length as i64),
                    &chunk.ciphertext_sha256,
                ],
            )
            .await?;
        }
        if !chunk.bytes.is_empty() {
            tx.execute(
                "INSERT INTO blob_chunk (project_id, sha256, start, bytes) VALUES ($1, $2, $3, $4)",
                &[
                    &chunk.project_id,
                    &chunk.sha256,
                    &(chunk.offset as i64),
                    &chunk.bytes,
                ],
            )
            .await?;
            tx.execute(
                "UPDATE blob SET received = received + $3 WHERE project_id = $1 AND sha256 = $2",
                &[
                    &chunk.project_id,
                    &chunk.sha256,
                    &(chunk.bytes.len() as i64),
                ],
            )
            .await?;
        }
        let row = blob_row(&tx, &chunk.project_id, &chunk.sha256, false)
            .await?
            .expect("just written");
        tx.commit().await?;
        Ok(Appended::At(row))
    }

    async fn blob_chunk(
        &self,
        project_id: &str,
        sha256: &str,
        at: u64,
    ) -> Result<Option<(u64, Vec<u8>)>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT start, bytes FROM blob_chunk WHERE project_id = $1 AND sha256 = $2
                   AND start <= $3 ORDER BY start DESC LIMIT 1",
                &[&project_id, &sha256, &(at as i64)],
            )
            .await?;
        Ok(row
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, Vec<u8>>(1)))
            .filter(|(start, bytes)| at < start + bytes.len() as u64))
    }

    async fn settle_blob(&self, project_id: &str, sha256: &str, complete: bool) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        if complete {
            tx.execute(
                "UPDATE blob SET complete = TRUE WHERE project_id = $1 AND sha256 = $2",
                &[&project_id, &sha256],
            )
            .await?;
        } else {
            tx.execute(
                "DELETE FROM blob_chunk WHERE project_id = $1 AND sha256 = $2",
                &[&project_id, &sha256],
            )
            .await?;
            tx.execute(
                "DELETE FROM blob WHERE project_id = $1 AND sha256 = $2",
                &[&project_id, &sha256],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn admit_push(&self, actor: &str, now_ms: i64, per_minute: u32) -> Result<bool> {
        let c = self.pool.get().await?;
        // One statement: the minute's old rows go, and the push is counted
        // only if fewer than the limit remain. Two processes racing for
        // the last place may both get it: a limit, not an invariant.
        let admitted = c
            .query_opt(
                "WITH gone AS (
                   DELETE FROM push_log WHERE actor = $1::text AND at_ms <= $2::bigint - 60000
                 )
                 INSERT INTO push_log (actor, at_ms)
                 SELECT $1::text, $2::bigint
                 WHERE (SELECT count(*) FROM push_log
                        WHERE actor = $1::text AND at_ms > $2::bigint - 60000) < $3::bigint
                 RETURNING 1",
                &[&actor, &now_ms, &i64::from(per_minute)],
            )
            .await?;
        Ok(admitted.is_some())
    }
}
