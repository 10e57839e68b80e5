use thiserror::Error;

/// Errors from the pools of [`crate::mem`]: settings that cannot work, and a pool with no
/// block left.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemError {
    /// A setting is outside the range it can take.
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The builder setting, as named by its method (e.g. `align`).
        field: &'static str,
        /// What is wrong with it, and what would be accepted.
        reason: String,
    },
    /// Every block is in use and the pool may not grow any further.
    #[error("pool exhausted: all {capacity} blocks are in use")]
    Exhausted {
        /// How many blocks the pool held when the request failed.
        capacity: usize,
    },
    /// The system allocator could not provide memory for a new chunk of blocks.
    #[error("the allocator refused a chunk of {bytes} bytes")]
    OutOfMemory {
        /// The size of the chunk that was asked for.
        bytes: usize,
    },
}

impl MemError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }
}
