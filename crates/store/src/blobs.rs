//! The attachment store: files named by the SHA-256 of their content, in a
//! folder beside the database (`fieldbook.db` → `fieldbook.db.attachments/ab/abcd…`).
//! Writing is atomic (temp file, fsync, rename) and idempotent.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::Store;

/// Largest attachment accepted: a high-resolution photo or a long PDF fits.
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub fn beside(db: &Path) -> BlobStore {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".attachments");
        BlobStore {
            dir: db.with_file_name(name),
        }
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    pub fn contains(&self, sha256: &str) -> bool {
        self.path(sha256).is_file()
    }

    /// Stores `bytes`; returns their SHA-256 in hex.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let target = self.path(&sha);
        if target.is_file() {
            return Ok(sha);
        }
        let tmp_dir = self.dir.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let shard = target.parent().expect("blob paths have a parent");
        let new_shard = !shard.is_dir();
        fs::create_dir_all(shard)?;
        if new_shard {
            sync_dir(&self.dir)?;
        }
        let tmp = tmp_dir.join(format!("{sha}.{}", std::process::id()));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &target)?;
        // The rename is durable only once the folder holding the new name
        // is: without this, a power cut can leave the photo's record
        // committed and its file gone.
        sync_dir(shard)?;
        Ok(sha)
    }

    /// Removes temporary files a writer left when it died before renaming
    /// them (a crash or a kill mid-import): those whose process is gone, or,
    /// where that cannot be told, that are a day old.
    pub fn remove_orphans(&self) -> Result<usize> {
        let Ok(entries) = fs::read_dir(self.dir.join("tmp")) else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.rsplit('.').next().and_then(|p| p.parse::<u32>().ok());
            let writer_gone = match pid {
                Some(pid) if Path::new("/proc/self").exists() => {
                    !Path::new("/proc").join(pid.to_string()).exists()
                }
                _ => entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > 24 * 3600),
            };
            if writer_gone && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn read(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(fs::read(self.path(sha256))?)
    }

    /// Where a download of a photo (sealed, as the team hub sends it) is
    /// kept while it is incomplete, so that the next sync resumes it. The
    /// name is checked: only a hash names a file here.
    pub fn partial_download(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Attachment(format!("{sha256} is not a SHA-256")));
        }
        let dir = self.dir.join("partial");
        fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("{sha256}.sealed")))
    }
}

impl Store {
    /// The content hash of every attachment record (trashed ones too: they
    /// can be restored), each with whether its file is here.
    pub fn attachment_files(&self) -> Result<Vec<(String, bool)>> {
        let shas: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT sha256 FROM attachment WHERE sha256 IS NOT NULL ORDER BY 1")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(shas
            .into_iter()
            .map(|sha| {
                let here = self.blobs.contains(&sha);
                (sha, here)
            })
            .collect())
    }

    /// [`Store::attach`] for a file on disk, named by its file name.
    pub fn attach_file(&mut self, finding_id: &str, role: &str, path: &Path) -> Result<String> {
        let bytes = fs::read(path)
            .map_err(|e| StoreError::Attachment(format!("cannot read {}: {e}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        self.attach(finding_id, role, &name, &bytes)
    }

    /// Adds a file to a finding: stores its content and creates the attachment
    /// record. A "photo" must be an image; nothing is written when it is refused.
    pub fn attach(
        &mut self,
        finding_id: &str,
        role: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<String> {
        let mut fields = attachment_fields(file_name, role, bytes)?;
        // Check the finding before touching the disk.
        self.get("finding", finding_id)?;
        self.blobs.put(bytes)?;
        fields.insert("finding_id".into(), Value::from(finding_id));
        self.create("attachment", fields)
    }
}

/// The fields of a new attachment (all but its finding) for a file's
/// content, after the checks every attachment passes: not empty, within
/// [`MAX_ATTACHMENT_BYTES`], and an image when its role is "photo".
pub fn attachment_fields(file_name: &str, role: &str, bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.is_empty() {
        return Err(StoreError::Attachment(format!("{file_name} is empty")));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(StoreError::Attachment(format!(
            "{file_name} is {} MiB; attachments may be at most {} MiB: shrink or split it",
            bytes.len() / (1024 * 1024),
            MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )));
    }
    let mut fields = content_fields(file_name, bytes);
    let mime = fields["mime"].as_str().unwrap_or_default();
    if role == "photo" && !mime.starts_with("image/") {
        return Err(StoreError::Attachment(format!(
            "{file_name} is not an image ({mime}): add it as a document, or choose a JPEG, PNG or WebP photo"
        )));
    }
    fields.insert("role".into(), Value::from(role));
    Ok(fields)
}

/// The fields of an attachment record that its content decides: hash,
/// name, type (sniffed, not trusted from the name) and size.
pub(crate) fn content_fields(file_name: &str, bytes: &[u8]) -> Map<String, Value> {
    let mime = infer::get(bytes).map_or("application/octet-stream", |t| t.mime_type());
    let mut fields = Map::new();
    fields.insert(
        "sha256".into(),
        Value::from(hex::encode(Sha256::digest(bytes))),
    );
    fields.insert("file_name".into(), Value::from(file_name));
    fields.insert("mime".into(), Value::from(mime));
    fields.insert("size_bytes".into(), Value::from(bytes.len() as i64));
    fields
}

/// Flushes a folder's entries to disk (on Unix; elsewhere the rename is
/// as durable as the platform makes it).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
