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
    /// A key or value could not be encoded for, or decoded from, a tier below memory.
    #[error(transparent)]
    Codec(#[from] crate::cache::CodecError),
    /// The cache needs a Tokio runtime (for loads, refreshes and disk I/O) and was built
    /// outside one.
    #[error("the cache must be built inside a Tokio runtime: {0}")]
    NoRuntime(String),
    /// A background task of the cache (a disk flush) panicked or was cancelled.
    #[error("a background task of the cache failed: {0}")]
    Background(String),
    /// The disk tier failed: see [`DiskError`](crate::cache::disk::DiskError).
    #[cfg(feature = "cache-disk")]
    #[error(transparent)]
    Disk(#[from] crate::cache::disk::DiskError),
}

/// Why [`TieredCache::get_or_load`](crate::cache::TieredCache::get_or_load) has no value.
///
/// The loader's error is shared by every caller that waited on the same load, hence the
/// `Arc`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError<E> {
    /// The loader returned an error (or, with negative caching, returned it recently).
    #[error("loader failed: {0}")]
    Loader(std::sync::Arc<E>),
    /// The loader did not finish within the configured loader timeout.
    #[error("loader timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// [`TieredCache::fetch`](crate::cache::TieredCache::fetch) was called on a cache built
    /// without a [`loader`](crate::cache::TieredCacheBuilder::loader).
    #[error("the cache was built without a loader")]
    NoLoader,
    /// The loader panicked, or the runtime shut down before it finished.
    #[error("the load was aborted (the loader panicked or its runtime shut down)")]
    Aborted,
}

impl<E> LoadError<E> {
    /// The loader's own error, if that is why the load failed.
    pub fn loader_error(&self) -> Option<&E> {
        match self {
            Self::Loader(e) => Some(e),
            _ => None,
        }
    }
}
