use thiserror::Error;

/// Configuration errors from the builders of [`crate::resilience`].
///
/// Runtime outcomes (a call rejected by an open breaker, a request over the rate) have their
/// own types next to the primitive that produces them.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResilienceError {
    /// A setting is outside the range it can take.
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The builder setting, as named by its method (e.g. `failure_rate_threshold`).
        field: &'static str,
        /// What is wrong with it, and what would be accepted.
        reason: String,
    },
}
