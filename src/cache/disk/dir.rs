//! The cache directory: creating it, its manifest (the format version), and the
//! one-store-per-directory rule.
//!
//! Two stores appending to one log would interleave records and each would index only its
//! own. The rule is enforced by a process-wide registry of open directories (canonical
//! paths): `File::try_lock` needs Rust 1.89 (above our MSRV) and a `create_new` lock file
//! would outlive a crash and lock the directory out for good. Another *process* opening the
//! same directory is not detected; give each process its own directory.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::error::DiskError;
use super::record::FORMAT_VERSION;
use super::segment::Segment;

pub(crate) const MANIFEST: &str = "perfkit-disk-cache.manifest";
const MANIFEST_TITLE: &str = "perfkit disk cache";

static OPEN_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// This process's claim on a directory; dropping it lets the directory be opened again.
#[derive(Debug)]
pub(crate) struct DirLock(PathBuf);

impl DirLock {
    fn acquire(dir: PathBuf) -> Result<Self, DiskError> {
        let mut open = OPEN_DIRS.lock();
        if open.contains(&dir) {
            return Err(DiskError::AlreadyOpen { path: dir });
        }
        open.push(dir.clone());
        Ok(Self(dir))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        OPEN_DIRS.lock().retain(|d| d != &self.0);
    }
}

fn manifest_text() -> String {
    format!("{MANIFEST_TITLE}\nformat {FORMAT_VERSION}\n")
}

/// The format version a manifest names; 0 when it is not a manifest of ours.
fn parse_manifest(text: &str) -> u32 {
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_TITLE) {
        return 0;
    }
    lines
        .next()
        .and_then(|l| l.strip_prefix("format "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn write_manifest(dir: &Path) -> Result<(), DiskError> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!(".{MANIFEST}.tmp"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(manifest_text().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| DiskError::io(&path, e))
}

/// Creates `dir` if needed, claims it, and checks (or writes) its manifest. Returns the
/// canonical path and the claim.
pub(crate) fn prepare(dir: &Path) -> Result<(PathBuf, DirLock), DiskError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(DiskError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| DiskError::io(dir, e))?;
        }
        Err(e) => return Err(DiskError::io(dir, e)),
    }
    let canonical = std::fs::canonicalize(dir).map_err(|e| DiskError::io(dir, e))?;
    let lock = DirLock::acquire(canonical.clone())?;
    let manifest = canonical.join(MANIFEST);
    let expected = u32::from(FORMAT_VERSION);
    match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            let found = parse_manifest(&text);
            if found != expected {
                return Err(DiskError::IncompatibleVersion {
                    path: canonical,
                    found,
                    expected,
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // Segments without a manifest were not written by this format.
            if has_segments(&canonical)? {
                return Err(DiskError::IncompatibleVersion {
                    path: canonical,
                    found: 0,
                    expected,
                });
            }
            write_manifest(&canonical)?;
        }
        Err(e) if e.kind() == ErrorKind::InvalidData => {
            return Err(DiskError::IncompatibleVersion {
                path: canonical,
                found: 0,
                expected,
            });
        }
        Err(e) => return Err(DiskError::io(&manifest, e)),
    }
    Ok((canonical, lock))
}

/// The segment files in `dir`, oldest first.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, DiskError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DiskError::io(dir, e))? {
        let entry = entry.map_err(|e| DiskError::io(dir, e))?;
        let name = entry.file_name();
        if let Some(id) = name.to_str().and_then(Segment::parse_name) {
            out.push((id, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(id, _)| *id);
    Ok(out)
}

fn has_segments(dir: &Path) -> Result<bool, DiskError> {
    Ok(!list_segments(dir)?.is_empty())
}
