//! Schema migrations: forward only, each in one transaction, tracked in
//! `PRAGMA user_version`. A database from a newer build is refused, never touched.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Result, StoreError};

/// Migration `i` takes the schema from version `i` to `i + 1`: its SQL, then
/// the code that fills what SQL alone cannot.
type Fill = fn(&Connection) -> Result<()>;

const MIGRATIONS: &[(&str, Option<Fill>)] = &[
    (include_str!("../migrations/0001_initial.sql"), None),
    (include_str!("../migrations/0002_consortium.sql"), None),
    (include_str!("../migrations/0003_estimates.sql"), None),
    (
        include_str!("../migrations/0004_op_log.sql"),
        Some(crate::oplog::backfill),
    ),
    (include_str!("../migrations/0005_team.sql"), None),
    (include_str!("../migrations/0006_op_extra.sql"), None),
    (include_str!("../migrations/0007_change_rebuilt.sql"), None),
    (include_str!("../migrations/0008_redo.sql"), None),
    (include_str!("../migrations/0009_search_hashsize.sql"), None),
    (include_str!("../migrations/0010_import_source.sql"), None),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = schema_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerDatabase {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, (sql, then)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        if let Some(fill) = then {
            fill(&tx)?;
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Builds a database as an older build left it, for the migration tests.
#[doc(hidden)]
pub fn create_at_version(path: &std::path::Path, version: usize) {
    let mut conn = Connection::open(path).expect("open");
    let tx = conn.transaction().expect("begin");
    for (i, (sql, then)) in MIGRATIONS.iter().enumerate().take(version) {
        tx.execute_batch(sql).expect("migration");
        if let Some(fill) = then {
            fill(&tx).expect("migration code");
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .expect("version");
    }
    tx.commit().expect("commit");
}
