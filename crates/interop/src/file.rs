//! Files appear whole or not at all: each is written to a temporary file in
//! its own folder (so the rename cannot cross file systems), then renamed.

use std::io::Write;
use std::path::Path;

use tempfile::{Builder, NamedTempFile};

use crate::{ExportError, Result};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes every `(path, bytes)` to a temporary file first and renames them
/// only once all are written, so a failure leaves no half-written set.
pub fn write_all_whole(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut ready = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let mut tmp = shared_temp(dir.unwrap_or(Path::new("."))).map_err(io(path))?;
        tmp.write_all(bytes).map_err(io(path))?;
        tmp.as_file().sync_all().map_err(io(path))?;
        ready.push((tmp, *path));
    }
    for (tmp, path) in ready {
        tmp.persist(path).map_err(|e| io(path)(e.error))?;
    }
    Ok(())
}

/// A temporary file that others may read once renamed, like any exported
/// file (a temporary file is otherwise private to its owner).
fn shared_temp(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder.tempfile_in(dir)
}
