//! The cache directory: creating it, its manifest (the format version), and the
//! one-store-per-directory rule.
//!
//! Two stores appending to one log would interleave records and each would index only its
//! own. The rule has two layers:
//!
//! - a process-wide registry of open directories (canonical paths), which gives a second
//!   store in the same process a clear [`DiskError::AlreadyOpen`];
//! - an advisory lock (`File::try_lock`: `flock` on Unix, `LockFileEx` on Windows) on a lock
//!   file in the directory, held for the store's lifetime, which keeps out other processes
//!   ([`DiskError::LockedElsewhere`]). The operating system drops the lock when the holder
//!   exits, crash included, so a dead process never locks the directory out. Where the
//!   platform or file system has no such locks, only the in-process rule applies.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::error::DiskError;
use super::record::FORMAT_VERSION;
use super::segment::Segment;

pub(crate) const MANIFEST: &str = "perfkit-disk-cache.manifest";
const MANIFEST_TITLE: &str = "perfkit disk cache";
/// The file other processes' stores lock; its contents are never read or written.
pub(crate) const LOCK_FILE: &str = "perfkit-disk-cache.lock";

static OPEN_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// This store's claim on a directory; dropping it lets the directory be opened again.
#[derive(Debug)]
pub(crate) struct DirLock {
    dir: PathBuf,
    /// Holds the advisory lock; closing the file releases it.
    _file: Option<File>,
    /// Whether this open created the lock file (so a refused directory gets it removed).
    created: bool,
}

impl DirLock {
    fn acquire(dir: PathBuf) -> Result<Self, DiskError> {
        let mut open = OPEN_DIRS.lock();
        if open.contains(&dir) {
            return Err(DiskError::AlreadyOpen { path: dir });
        }
        let (file, created) = lock_against_other_processes(&dir)?;
        open.push(dir.clone());
        Ok(Self {
            dir,
            _file: file,
            created,
        })
    }

    /// Gives the claim up after the directory turned out to be unusable, removing the lock
    /// file if this open made it: a directory we refuse keeps nothing of ours.
    fn abandon(self) {
        if self.created {
            // Still locked while it goes, so no other store of ours can be using it.
            let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
        }
    }
}

/// Takes the directory's advisory lock without waiting, and says whether the lock file was
/// created for it. No file when the platform has no such locks.
fn lock_against_other_processes(dir: &Path) -> Result<(Option<File>, bool), DiskError> {
    let path = dir.join(LOCK_FILE);
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    let (file, created) = match options.clone().create_new(true).open(&path) {
        Ok(file) => (file, true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let file = options.open(&path).map_err(|e| DiskError::io(&path, e))?;
            (file, false)
        }
        Err(e) => return Err(DiskError::io(&path, e)),
    };
    match file.try_lock() {
        Ok(()) => Ok((Some(file), created)),
        Err(TryLockError::WouldBlock) => Err(DiskError::LockedElsewhere {
            path: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => Ok((None, created)),
        Err(TryLockError::Error(e)) => Err(DiskError::io(&path, e)),
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        OPEN_DIRS.lock().retain(|d| d != &self.dir);
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
    match check_manifest(&canonical) {
        Ok(()) => Ok((canonical, lock)),
        Err(e) => {
            lock.abandon();
            Err(e)
        }
    }
}

/// Checks the directory's manifest, or writes one into a directory with no segments.
fn check_manifest(dir: &Path) -> Result<(), DiskError> {
    let manifest = dir.join(MANIFEST);
    let expected = u32::from(FORMAT_VERSION);
    let refuse = |found| DiskError::IncompatibleVersion {
        path: dir.to_path_buf(),
        found,
        expected,
    };
    match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            let found = parse_manifest(&text);
            if found != expected {
                return Err(refuse(found));
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // Segments without a manifest were not written by this format.
            if has_segments(dir)? {
                return Err(refuse(0));
            }
            write_manifest(dir)
        }
        Err(e) if e.kind() == ErrorKind::InvalidData => Err(refuse(0)),
        Err(e) => Err(DiskError::io(&manifest, e)),
    }
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
