//! poppler-utils, as a reader of the PDFs independent of the writer.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pdf {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Pdf {
    pub fn new(bytes: &[u8]) -> Pdf {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, bytes).unwrap();
        Pdf { _dir: dir, path }
    }

    /// `pdftotext` of pages `first..=last` (all when None).
    pub fn text(&self, pages: Option<(usize, usize)>) -> String {
        let mut cmd = Command::new("pdftotext");
        cmd.args(["-enc", "UTF-8"]);
        if let Some((f, l)) = pages {
            cmd.args(["-f", &f.to_string(), "-l", &l.to_string()]);
        }
        run(cmd.arg(&self.path).arg("-"))
    }

    pub fn pages(&self) -> usize {
        let info = run(Command::new("pdfinfo").arg(&self.path));
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("pdfinfo prints the page count")
    }

    /// `pdffonts` rows: (name, type, emb, sub, uni).
    pub fn fonts(&self) -> Vec<(String, String, String, String, String)> {
        let out = run(Command::new("pdffonts").arg(&self.path));
        out.lines()
            .skip(2)
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let n = cols.len();
                (
                    cols[0].to_string(),
                    cols[1..n - 6].join(" "),
                    cols[n - 5].to_string(),
                    cols[n - 4].to_string(),
                    cols[n - 3].to_string(),
                )
            })
            .collect()
    }

    /// `pdfimages -list` rows: (width, height, encoding).
    pub fn images(&self) -> Vec<(u32, u32, String)> {
        let out = run(Command::new("pdfimages").arg("-list").arg(&self.path));
        out.lines()
            .skip(2)
            .map(|l| {
                let c: Vec<&str> = l.split_whitespace().collect();
                (
                    c[3].parse().unwrap(),
                    c[4].parse().unwrap(),
                    c[8].to_string(),
                )
            })
            .collect()
    }

    /// Renders every page with pdftoppm and returns what it printed on
    /// stderr. With `FIELDBOOK_RENDERS=DIR` the PDF and its pages are also
    /// kept in DIR as `<name>.pdf` and `<name>-N.png`, to look at.
    pub fn render(&self, out: &Path, dpi: u32, name: &str) -> String {
        if let Ok(keep) = std::env::var("FIELDBOOK_RENDERS") {
            let keep = Path::new(&keep);
            std::fs::create_dir_all(keep).unwrap();
            std::fs::copy(&self.path, keep.join(format!("{name}.pdf"))).unwrap();
            Command::new("pdftoppm")
                .args(["-r", "80", "-png"])
                .arg(&self.path)
                .arg(keep.join(name))
                .status()
                .unwrap();
        }
        let o = Command::new("pdftoppm")
            .args(["-r", &dpi.to_string(), "-png"])
            .arg(&self.path)
            .arg(out.join("page"))
            .output()
            .expect("pdftoppm (poppler-utils) is installed");
        assert!(
            o.status.success(),
            "pdftoppm failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    }
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| {
        panic!("{cmd:?}: {e} (poppler-utils is installed by scripts/install-system-deps.sh)")
    });
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("poppler prints UTF-8 with -enc UTF-8")
}

/// Text with every kind of white space removed: line breaks fall where the
/// layout put them, and Thai or Khmer put no spaces between words.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
