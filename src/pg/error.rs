//! [`PgError`]: what a pool call can fail with, each case naming its real cause.

use std::sync::Arc;
use std::time::Duration;

pub use tokio_postgres::error::SqlState;

/// Errors from [`crate::pg`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// A setting that cannot work (an unparsable URL, `max_size` 0, `min_idle` above
    /// `max_size`, a zero timeout).
    #[error("invalid pool configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// No connection could be opened: the last connect error, as the driver reported it
    /// (refused, unreachable, wrong password, unknown database...). Returned at once for
    /// errors that retrying cannot fix (authentication, unknown database or role), and when
    /// the acquire timeout ends while connects keep failing.
    #[error("cannot connect to PostgreSQL: {}", describe(source))]
    Connect {
        /// The driver's error, shared by every caller that saw it.
        #[source]
        source: Arc<tokio_postgres::Error>,
    },
    /// No connection became free within the acquire timeout, and connects were not failing:
    /// the pool is busy.
    #[error("no connection within {waited:?}: all {max_size} connections in use")]
    Timeout {
        /// How long the call waited.
        waited: Duration,
        /// The pool's size.
        max_size: usize,
    },
    /// A query did not answer within the client-side deadline (a frozen server or network);
    /// a cancel request was sent and the connection discarded.
    #[error("query did not answer within {deadline:?}; its connection was discarded")]
    QueryTimeout {
        /// The deadline it was given.
        deadline: Duration,
    },
    /// The server answered with an error, or the connection failed mid-query. For the
    /// server-side `statement_timeout`, [`PgError::is_statement_timeout`] is true.
    #[error("query failed: {}", describe(.0))]
    Query(#[from] tokio_postgres::Error),
    /// A transaction kept hitting serialization failures or deadlocks and gave up.
    #[error("transaction gave up after {attempts} attempts: {}", describe(source))]
    TransactionRetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The pool was closed with [`PgPool::close`](super::PgPool::close).
    #[error("the pool is closed")]
    Closed,
}

impl PgError {
    /// The SQLSTATE of a server error, if this is one.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            PgError::Query(e) | PgError::TransactionRetriesExhausted { source: e, .. } => e.code(),
            PgError::Connect { source } => source.code(),
            _ => None,
        }
    }

    /// Whether the server cancelled the statement because it ran past `statement_timeout`.
    pub fn is_statement_timeout(&self) -> bool {
        // 57014 is shared by user cancels; the server's message says which one it was.
        match self {
            PgError::Query(e) => e.as_db_error().is_some_and(|db| {
                *db.code() == SqlState::QUERY_CANCELED && db.message().contains("statement timeout")
            }),
            _ => false,
        }
    }

    /// Whether a transaction that failed with this error may succeed if run again
    /// (serialization failure 40001, deadlock 40P01).
    pub fn is_retryable_conflict(&self) -> bool {
        self.code().is_some_and(is_conflict)
    }
}

/// The driver's error with the server's own words: tokio-postgres displays a server error
/// as just "db error" and keeps the message in its source.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        ),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

pub(crate) fn is_conflict(code: &SqlState) -> bool {
    *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
}

/// Connect errors that no retry can fix: report them at once instead of waiting out the
/// acquire timeout.
pub(crate) fn is_fatal_connect(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
            SqlState::INVALID_CATALOG_NAME,
            SqlState::UNDEFINED_OBJECT,
            SqlState::FEATURE_NOT_SUPPORTED,
        ]
        .contains(c)
    })
}
