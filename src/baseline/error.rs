//! The one error type of the baseline module.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in [`crate::baseline`].
///
/// Marked `#[non_exhaustive]`: match with a wildcard arm so new failure modes can be added
/// without breaking callers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// A file or directory that had to exist does not.
    #[error("not found: {}", path.display())]
    NotFound {
        /// The path that was looked for.
        path: PathBuf,
    },

    /// A file exists and was read, but its contents are not what they should be (not UTF-8,
    /// not JSON, wrong shape, impossible values).
    #[error("corrupt file {}: {reason}", path.display())]
    Corrupt {
        /// The offending file.
        path: PathBuf,
        /// What was wrong with it, for a human.
        reason: String,
    },

    /// The operating system refused a read, write or rename.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A computation needs more samples than it was given.
    #[error("not enough samples: need at least {needed}, got {got}")]
    NotEnoughSamples {
        /// The minimum number of samples.
        needed: usize,
        /// How many were given.
        got: usize,
    },

    /// All samples were taken at the same instant, so no rate can be derived from them.
    #[error("all samples were taken at the same time; a rate needs a time span")]
    NoTimeSpan,

    /// An argument was outside what the function accepts.
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong with it.
        reason: String,
    },

    /// A [`Notifier`](crate::baseline::Notifier) could not deliver an alert.
    #[error("notifier failed: {reason}")]
    Notify {
        /// Why the delivery failed.
        reason: String,
    },
}

impl BaselineError {
    /// Wraps an I/O error, turning "file not found" into [`BaselineError::NotFound`] so
    /// callers can match on it without inspecting the `io::ErrorKind`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        if source.kind() == io::ErrorKind::NotFound {
            Self::NotFound { path }
        } else {
            Self::Io { path, source }
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        Self::Corrupt {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}
