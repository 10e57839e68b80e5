use thiserror::Error;

/// Errors from [`crate::metrics`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetricsError {
    /// A metric name is not valid in the Prometheus data model (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    #[error("invalid metric name {name:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")]
    InvalidMetricName {
        /// The rejected name.
        name: String,
    },
    /// A label name is not valid (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`).
    #[error("invalid label name {name:?}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __")]
    InvalidLabelName {
        /// The rejected label name.
        name: String,
    },
    /// The same label name appears twice in one label set.
    #[error("label {name:?} given twice")]
    DuplicateLabel {
        /// The repeated label name.
        name: String,
    },
    /// A name is already registered as a different kind of metric.
    #[error("metric {name:?} is already registered as a {existing}, not a {requested}")]
    TypeMismatch {
        /// The metric name.
        name: String,
        /// The kind it was first registered as.
        existing: &'static str,
        /// The kind asked for now.
        requested: &'static str,
    },
    /// One series (name and labels) asked for both as a handle ([`Registry::counter`]) and as a
    /// callback ([`Registry::counter_fn`]); a series is one or the other.
    ///
    /// [`Registry::counter`]: crate::metrics::Registry::counter
    /// [`Registry::counter_fn`]: crate::metrics::Registry::counter_fn
    #[error(
        "metric {name:?} with these labels is already registered as a {existing}, so it cannot be a {requested}"
    )]
    StyleMismatch {
        /// The metric name.
        name: String,
        /// How it is registered: `"handle"` or `"callback"`.
        existing: &'static str,
        /// How it was asked for now.
        requested: &'static str,
    },
    /// A histogram was asked for with options that differ from the ones it was created with.
    #[error("histogram {name:?} is already registered with different options")]
    OptionsMismatch {
        /// The metric name.
        name: String,
    },
    /// Histogram options that cannot work (no buckets, unsorted or non-finite bounds, bad scale).
    #[error("invalid histogram options: {reason}")]
    InvalidOptions {
        /// What is wrong.
        reason: &'static str,
    },
    /// A rolling window that cannot work (zero length or zero slots).
    #[error("invalid rolling window: {reason}")]
    InvalidWindow {
        /// What is wrong.
        reason: &'static str,
    },
    /// Process figures could not be read.
    #[error("cannot sample the process: {reason}")]
    Process {
        /// What went wrong (the file and the cause).
        reason: String,
    },
    /// The feature is not available on this platform.
    #[error("{what} is not supported on this platform")]
    Unsupported {
        /// What was asked for.
        what: &'static str,
    },
    /// A global recorder for the `metrics` facade was already installed.
    #[error("a global `metrics` recorder is already installed")]
    RecorderAlreadyInstalled,
}
