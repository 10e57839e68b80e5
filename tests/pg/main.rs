//! Integration tests for `perfkit::pg`, against a real PostgreSQL started by the harness.
//!
//! Tests that stop, freeze or restart the server get a server of their own; the rest share
//! one. Without PostgreSQL installed they skip with a message (and fail under
//! `PERFKIT_REQUIRE_TOOLS`, as in CI).

#[path = "../support/mod.rs"]
mod support;

mod basics;
mod fairness;
mod faults;

use std::time::Duration;

use perfkit::pg::{PgPool, PgPoolBuilder};
use support::postgres::PgServer;

/// The shared server, or `None` (skip) when PostgreSQL is not installed.
fn server() -> Option<&'static PgServer> {
    PgServer::shared()
}

/// A builder for `url` with test-sized defaults: small, quick to time out.
fn builder(url: &str) -> PgPoolBuilder {
    PgPool::builder(url)
        .max_size(4)
        .min_idle(0)
        .connection_timeout(Duration::from_secs(5))
}

/// Runs `f` with a deadline, so a broken pool fails the test instead of hanging it.
async fn bounded<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}
