use thiserror::Error;

/// Errors from the disk tier.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DiskError {
    /// An I/O operation on the cache directory failed.
    #[error("disk tier I/O on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
