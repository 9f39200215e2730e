//! The `fieldbook` binary run as a user would, on its own database file.

#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The passphrase the sync tests' teams use (read from `FIELDBOOK_PASSPHRASE`).
pub const PASSPHRASE: &str = "mekong field team 2026";

pub struct Cli {
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        Cli {
            db: dir.path().join("fb.db"),
            dir,
        }
    }

    /// A path in this laptop's own folder.
    pub fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fieldbook"));
        c.arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("FIELDBOOK_DB")
            .env("FIELDBOOK_PASSPHRASE", PASSPHRASE);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Runs a command that must fail; returns its one-line error.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: "), "{err}");
        err
    }
}
