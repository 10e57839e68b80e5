use thiserror::Error;

/// Everything that can go wrong in [`crate::balance`]: settings that cannot work, bad backend
/// lists, and picks that find nothing to pick.
///
/// ```
/// use perfkit::balance::{Backend, BalanceError, Balancer, Strategy};
///
/// let err = Balancer::new([Backend::new("a", ()).weight(f64::NAN)], Strategy::WeightedRandom).unwrap_err();
/// assert!(matches!(err, BalanceError::InvalidWeight { .. }));
/// let empty: Balancer<()> = Balancer::new([], Strategy::P2cPeakEwma)?;
/// assert_eq!(empty.pick().unwrap_err(), BalanceError::NoBackends);
/// # Ok::<(), BalanceError>(())
/// ```
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BalanceError {
    /// The balancer has no backends at all.
    #[error("no backends")]
    NoBackends,
    /// Every backend is ejected, marked unhealthy or below the health-score threshold, and the
    /// panic threshold is 0, so the balancer may not fall back to all of them.
    #[error("all {backends} backends are unavailable")]
    AllUnavailable {
        /// How many backends the balancer has.
        backends: usize,
    },
    /// A weight that is not a finite number above zero.
    #[error("backend {id:?}: weight {weight} is not a finite number > 0")]
    InvalidWeight {
        /// The backend's id.
        id: String,
        /// The weight as given.
        weight: f64,
    },
    /// Two backends in one list share an id.
    #[error("duplicate backend id {0:?}")]
    DuplicateId(String),
    /// No backend has this id.
    #[error("unknown backend id {0:?}")]
    UnknownId(String),
    /// A setting is outside the range it can take.
    #[error("invalid {field}: {reason}")]
    InvalidConfig {
        /// The builder setting, as named by its method.
        field: &'static str,
        /// What is wrong with it, and what would be accepted.
        reason: String,
    },
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> BalanceError {
    BalanceError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}
