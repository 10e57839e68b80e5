//! A fair, fast, self-healing PostgreSQL connection pool over `tokio-postgres`.
//!
//! [`PgPool`] hands out [`PgConn`]s in arrival order within an acquire timeout that covers
//! waiting and connecting together, bounds every query with a client-side deadline, reports
//! the real cause when the server cannot be reached, and heals after a restart without
//! handing out a run of dead connections. See [`PgPool`] for the promises and
//! [`PgPoolBuilder`] for the settings and their defaults.
//!
//! ```no_run
//! use perfkit::pg::PgPool;
//! use std::time::Duration;
//!
//! # async fn demo() -> Result<(), perfkit::pg::PgError> {
//! let pool = PgPool::builder("postgresql://app:secret@127.0.0.1:5432/shop")
//!     .max_size(20)
//!     .statement_timeout(Duration::from_secs(5))
//!     .build()
//!     .await?;
//! let row = pool.query_one("SELECT $1::text || ' world'", &[&"hello"]).await?;
//! assert_eq!(row.get::<_, String>(0), "hello world");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod config;
mod conn;
mod error;
mod pool;
mod shared;
mod statements;
mod stats;

pub use config::{DEFAULT_MAX_SIZE, DEFAULT_MIN_IDLE, PgPoolBuilder};
pub use conn::PgConn;
pub use error::{PgError, SqlState};
pub use pool::PgPool;
pub use stats::PoolStats;
/// Row and parameter types of the driver, re-exported so callers need no extra dependency.
pub use tokio_postgres::{Row, Transaction, types::ToSql};
