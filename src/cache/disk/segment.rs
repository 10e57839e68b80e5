//! Segment files: append-only logs of records named `<id as 16 hex digits>.seg`, read with
//! positioned reads on a shared handle, and the scan that rebuilds the index from them.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::DiskError;
use super::record::{self, HEADER_LEN};

const SUFFIX: &str = ".seg";

/// One segment file. The handle is shared by readers (`read_exact_at`) and the writer
/// (`write_all_at`); an unlinked segment stays readable through handles still held.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) id: u64,
    pub(crate) path: PathBuf,
    pub(crate) file: File,
    /// Bytes written so far (the writer's append position).
    pub(crate) len: AtomicU64,
}

impl Segment {
    pub(crate) fn file_name(id: u64) -> String {
        format!("{id:016x}{SUFFIX}")
    }

    /// The id of a segment file name, `None` for any other file.
    pub(crate) fn parse_name(name: &str) -> Option<u64> {
        let hex = name.strip_suffix(SUFFIX)?;
        if hex.len() != 16 {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()
    }

    /// Creates a new, empty segment (failing if the file exists).
    pub(crate) fn create(dir: &Path, id: u64) -> Result<Self, DiskError> {
        let path = dir.join(Self::file_name(id));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| DiskError::io(&path, e))?;
        Ok(Self {
            id,
            path,
            file,
            len: AtomicU64::new(0),
        })
    }

    /// Opens an existing segment for reading; `len` is the length of its valid prefix.
    pub(crate) fn open_sealed(path: PathBuf, id: u64, len: u64) -> Result<Self, DiskError> {
        let file = OpenOptions::new()
            .read(true)
            .open(&path)
            .map_err(|e| DiskError::io(&path, e))?;
        Ok(Self {
            id,
            path,
            file,
            len: AtomicU64::new(len),
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
}

/// One valid record found by a scan.
pub(crate) struct Scanned<'a> {
    pub(crate) offset: u64,
    pub(crate) len: u32,
    pub(crate) key: &'a [u8],
    pub(crate) tombstone: bool,
    pub(crate) expires_at: Option<u64>,
}

/// Walks the records of a segment's bytes in order, stopping at the first one that does not
/// check out (a torn tail after a crash, or damage): nothing after it can be trusted to
/// start on a record boundary. Returns the length of the valid prefix.
pub(crate) fn scan(bytes: &[u8], mut visit: impl FnMut(Scanned<'_>)) -> u64 {
    let mut at = 0usize;
    while let Some(rest) = bytes.get(at..) {
        if rest.len() < HEADER_LEN {
            break;
        }
        let Ok(h) = record::parse_header(rest, rest.len()) else {
            break;
        };
        let Ok((key, _)) = record::verify(rest, &h) else {
            break;
        };
        let len = h.record_len();
        let Ok(len32) = u32::try_from(len) else {
            break;
        };
        visit(Scanned {
            offset: at as u64,
            len: len32,
            key,
            tombstone: h.is_tombstone(),
            expires_at: h.expires_at,
        });
        at += len;
    }
    at as u64
}
