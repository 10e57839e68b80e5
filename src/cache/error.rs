use thiserror::Error;

/// Errors from [`crate::cache`]: bad settings, a tier that cannot be opened or written, and a
/// value that cannot leave memory.
///
/// Runtime misses are not errors: a corrupt or expired record is reported as a miss and
/// counted in the stats. A loader's own error comes back in a `LoadError`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A builder setting is outside the range it can take.
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The builder setting, as named by its method (e.g. `memory_capacity`).
        field: &'static str,
        /// What is wrong with it, and what would be accepted.
        reason: String,
    },
    /// The disk tier failed: see [`DiskError`](crate::cache::disk::DiskError).
    #[cfg(feature = "cache-disk")]
    #[error(transparent)]
    Disk(#[from] crate::cache::disk::DiskError),
}
