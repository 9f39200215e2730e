//! The media ZIP of a survey export, read defensively: nothing is unpacked
//! to disk, entries are found by file name, and the archive is refused
//! before anything is imported when an entry's path would leave its folder
//! (`../`, an absolute path, a symbolic link) or its size could not be a
//! photo (over the attachment cap, or compressed beyond any photo's ratio:
//! a ZIP bomb).

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::{Component, Path};

use fieldbook_store::MAX_ATTACHMENT_BYTES;
use zip::ZipArchive;

use super::ImportError;

/// Photos hardly compress; anything packed tighter than this is refused.
const MAX_RATIO: u64 = 100;

/// Entries below this size may compress as they like (a blank PNG does).
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Where a submission's named file was not found, or not only once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    NotInZip,
    Ambiguous(usize),
}

pub struct MediaZip<R> {
    name: String,
    archive: ZipArchive<R>,
    /// File name → (path in the archive, entry index), for every file.
    by_name: HashMap<String, Vec<(String, usize)>>,
}

impl<R: Read + Seek> MediaZip<R> {
    /// Opens and checks every entry of the archive `name`.
    pub fn open(name: &str, reader: R) -> Result<Self, ImportError> {
        let refuse = |why: String| ImportError::BadZip(format!("{name}: {why}"));
        let mut archive = ZipArchive::new(reader)
            .map_err(|e| refuse(format!("not a readable ZIP archive ({e})")))?;
        let mut by_name: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| refuse(format!("entry {index} cannot be read ({e})")))?;
            let path = entry.name().to_string();
            if entry.is_symlink() {
                return Err(refuse(format!(
                    "entry '{path}' is a symbolic link: refused"
                )));
            }
            if leaves_its_folder(&path) {
                return Err(refuse(format!(
                    "entry '{path}' points outside the archive's folder: refused"
                )));
            }
            if entry.is_dir() {
                continue;
            }
            let size = entry.size();
            if size > MAX_ATTACHMENT_BYTES as u64 {
                return Err(refuse(format!(
                    "entry '{path}' declares {} MiB; a photo may be at most {} MiB",
                    size / (1024 * 1024),
                    MAX_ATTACHMENT_BYTES / (1024 * 1024)
                )));
            }
            if size > RATIO_FLOOR && size / entry.compressed_size().max(1) > MAX_RATIO {
                return Err(refuse(format!(
                    "entry '{path}' unpacks to {size} bytes from {}: more than any photo compresses (a ZIP bomb?)",
                    entry.compressed_size()
                )));
            }
            let file_name = path.rsplit('/').next().unwrap_or(&path).to_string();
            by_name.entry(file_name).or_default().push((path, index));
        }
        Ok(MediaZip {
            name: name.to_string(),
            archive,
            by_name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The paths of the entries whose folder names end in `suffix` and
    /// which are CSV files (ODK Central's `.csv.zip` holds its tables too).
    pub fn csv_entries(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .by_name
            .values()
            .flatten()
            .filter(|(p, _)| p.to_ascii_lowercase().ends_with(".csv"))
            .map(|(p, _)| p.clone())
            .collect();
        paths.sort();
        paths
    }

    /// The bytes of the entry at `path`.
    pub fn read_path(&mut self, path: &str) -> Result<Vec<u8>, ImportError> {
        let index = self
            .by_name
            .values()
            .flatten()
            .find(|(p, _)| p == path)
            .map(|(_, i)| *i)
            .ok_or_else(|| ImportError::BadZip(format!("{}: no entry '{path}'", self.name)))?;
        self.read(index, path)
    }

    /// The file named `file_name`: the only entry of that name, or the one
    /// in a folder named by one of `folders` (KoboToolbox keeps each
    /// submission's files in a folder named by its uuid).
    pub fn find(&self, file_name: &str, folders: &[&str]) -> Result<(String, usize), Missing> {
        let candidates = self.by_name.get(file_name).ok_or(Missing::NotInZip)?;
        if let [only] = candidates.as_slice() {
            return Ok(only.clone());
        }
        let in_folder: Vec<_> = candidates
            .iter()
            .filter(|(p, _)| p.split('/').any(|c| !c.is_empty() && folders.contains(&c)))
            .collect();
        match in_folder.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(Missing::Ambiguous(candidates.len())),
        }
    }

    /// Reads entry `index` (named `path` for messages), at most its
    /// declared size: the archive's checksum is checked at the end.
    pub fn read(&mut self, index: usize, path: &str) -> Result<Vec<u8>, ImportError> {
        let bad = |e: String| ImportError::BadZip(format!("{}: entry '{path}': {e}", self.name));
        let mut entry = self
            .archive
            .by_index(index)
            .map_err(|e| bad(e.to_string()))?;
        let declared = entry.size();
        let mut bytes = Vec::with_capacity(declared as usize);
        (&mut entry)
            .take(declared + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(e.to_string()))?;
        if bytes.len() as u64 != declared {
            return Err(bad(format!(
                "holds {} bytes but declares {declared}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

/// Whether an entry's path is absolute or climbs out with `..`.
fn leaves_its_folder(path: &str) -> bool {
    let path = path.replace('\\', "/");
    path.starts_with('/')
        || path.get(1..2) == Some(":")
        || Path::new(&path).components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn open(bytes: Vec<u8>) -> Result<MediaZip<Cursor<Vec<u8>>>, ImportError> {
        MediaZip::open("media.zip", Cursor::new(bytes))
    }

    #[test]
    fn entries_are_found_by_file_name_and_by_submission_folder() {
        let mut zip = open(zip_of(&[
            ("u/attachments/f/uuid-1/a.jpg", b"one"),
            ("u/attachments/f/uuid-2/a.jpg", b"two"),
            ("u/attachments/f/uuid-2/b.jpg", b"bee"),
        ]))
        .unwrap();
        assert_eq!(zip.find("a.jpg", &[]), Err(Missing::Ambiguous(2)));
        let (path, index) = zip.find("a.jpg", &["uuid-2"]).unwrap();
        assert_eq!(zip.read(index, &path).unwrap(), b"two");
        assert!(zip.find("b.jpg", &[]).is_ok());
        assert_eq!(zip.find("c.jpg", &[]), Err(Missing::NotInZip));
    }

    #[test]
    fn paths_leaving_the_folder_are_refused_by_name() {
        for name in ["../../x", "/etc/passwd", "a/../../x", "C:/x", "..\\x"] {
            let err = open(zip_of(&[(name, b"x")])).err().expect(name);
            assert!(err.to_string().contains("outside"), "{name}: {err}");
        }
    }

    #[test]
    fn symbolic_links_are_refused_by_name() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.add_symlink("photo.jpg", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
        let err = open(w.finish().unwrap().into_inner()).err().unwrap();
        assert!(
            err.to_string().contains("'photo.jpg' is a symbolic link"),
            "{err}"
        );
    }

    #[test]
    fn bombs_and_oversized_entries_are_refused() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file(
            "bomb.jpg",
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&zeros).unwrap();
        let err = open(w.finish().unwrap().into_inner()).err().unwrap();
        assert!(err.to_string().contains("ZIP bomb"), "{err}");
        assert!(open(b"PK\x03\x04 broken".to_vec()).is_err());
    }
}
