//! Several store calls as one transaction ([`Store::atomically`]), for a
//! bundle import: its ops, the devices and checkpoints it taught, what its
//! sender holds and the log entry are kept together or not at all.
//!
//! Such a transaction can write tens of megabytes to the write-ahead log.
//! Copying them into the database file (SQLite's checkpoint, otherwise run
//! by the commit itself) is left to a background connection, so the call
//! returns once the data is durable in the log; closing the [`Store`] waits
//! for it first, so that SQLite's own checkpoint at close finds it done.

use std::path::PathBuf;
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::{Result, StoreError};
use crate::Store;

/// SQLite's default: the commit that takes the log past this many pages
/// copies it into the database file.
const AUTOCHECKPOINT_PAGES: i64 = 1000;

/// A checkpoint running on its own connection.
pub(crate) struct Checkpointer(Option<JoinHandle<()>>);

impl Checkpointer {
    pub(crate) fn idle() -> Checkpointer {
        Checkpointer(None)
    }

    /// Starts a passive checkpoint of `path` (it never blocks this store's
    /// readers or writers; pages still in use are left for the next one),
    /// after the previous one finished.
    fn start(&mut self, path: PathBuf) {
        self.wait();
        self.0 = Some(std::thread::spawn(move || {
            // A failed checkpoint loses nothing: the log stays and the next
            // commit or open checkpoints it.
            if let Ok(conn) = Connection::open(&path) {
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        }));
    }

    pub(crate) fn wait(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.checkpointer.wait();
    }
}

impl Store {
    /// Runs `f` in one IMMEDIATE transaction: every write it makes through
    /// this store commits together, or none does if it returns an error.
    /// (Writes that open their own transaction, such as [`Store::apply`],
    /// cannot be made inside; [`Store::import_ops`] can.)
    pub fn atomically<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(StoreError::from)?;
        let out = f(self);
        let ended = match out {
            Ok(_) => self.commit_in_background(),
            Err(_) => self.roll_back(),
        };
        match (out, ended) {
            (Ok(v), Ok(())) => Ok(v),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e.into()),
        }
    }

    /// Runs `f` in an IMMEDIATE transaction of its own, or in the one
    /// [`Store::atomically`] opened.
    pub(crate) fn bulk_write<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return f(&self.conn);
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(&self.conn) {
            Ok(v) => {
                self.commit_in_background()?;
                Ok(v)
            }
            Err(e) => {
                self.roll_back()?;
                Err(e)
            }
        }
    }

    /// Ends the open transaction, unless SQLite already rolled it back.
    fn roll_back(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Commits without checkpointing, then checkpoints on another connection.
    fn commit_in_background(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let committed = self.conn.execute_batch("COMMIT");
        self.conn
            .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
        if committed.is_err() {
            self.roll_back()?;
        }
        committed?;
        self.checkpointer.start(self.path.clone());
        Ok(())
    }
}
