use std::path::PathBuf;
use thiserror::Error;

/// Errors from the disk tier.
///
/// A corrupt, truncated or expired record is not an error: [`DiskStore::get`] reports it as a
/// miss and counts it. These variants are for settings that cannot work, a directory that
/// cannot be used, and real I/O failures.
///
/// [`DiskStore::get`]: crate::cache::disk::DiskStore::get
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DiskError {
    /// An I/O operation on the cache directory failed.
    #[error("disk tier I/O on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A builder setting is outside the range it can take.
    #[error("invalid disk tier setting {field}: {reason}")]
    InvalidConfig {
        /// The builder setting, as named by its method (e.g. `capacity_bytes`).
        field: &'static str,
        /// What is wrong with it, and what would be accepted.
        reason: String,
    },
    /// The path exists and is not a directory.
    #[error("disk tier path {path} is not a directory")]
    NotADirectory {
        /// The path given to the builder.
        path: PathBuf,
    },
    /// The directory was written by another on-disk format version of the disk tier.
    #[error("disk tier directory {path} has format version {found}, this build reads {expected}")]
    IncompatibleVersion {
        /// The directory.
        path: PathBuf,
        /// The version found in the directory's manifest (0 when the manifest is unreadable).
        found: u32,
        /// The version this build writes and reads.
        expected: u32,
    },
    /// Another [`DiskStore`](crate::cache::disk::DiskStore) in this process has the directory
    /// open; two writers on one log would corrupt each other.
    #[error("disk tier directory {path} is already open in this process")]
    AlreadyOpen {
        /// The directory, canonicalized.
        path: PathBuf,
    },
    /// Another process holds the directory's lock (it has a store open there); two writers
    /// on one log would corrupt each other. The lock goes away when that process closes the
    /// store or exits.
    #[error("disk tier directory {path} is locked by another process")]
    LockedElsewhere {
        /// The directory, canonicalized.
        path: PathBuf,
    },
    /// The background writer has stopped (it panicked), so nothing more can be written.
    #[error("the disk tier's background writer has stopped")]
    WriterStopped,
}

impl DiskError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
