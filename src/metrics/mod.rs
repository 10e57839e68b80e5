//! Counters, gauges and histograms, a registry that renders Prometheus text, a recorder for
//! the `metrics` facade, and a process sampler.
//!
//! What it promises:
//! - [`Counter`] increments scale with threads: each thread adds to a cache-padded slot of
//!   its own with a plain load and store, so two threads get close to twice one thread's rate.
//! - [`Histogram`] quantiles are within 1 % relative error over the whole `u64` range
//!   (log-linear buckets); recording is lock-free, uses no read-modify-write instruction on
//!   its fast path, and allocates only the first time a thread or a range of values is seen.
//! - [`RollingHistogram`] answers "p95 over the last minute".
//! - [`Registry`] hands out cheap cloned handles (get-or-create) and renders the Prometheus
//!   text format 0.0.4; bad names, label names and kind clashes are typed errors.
//!
//! ```
//! use perfkit::metrics::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let latency = registry.histogram("db_query_duration_seconds", &[("table", "orders")])?;
//! for ms in [3, 4, 4, 5, 40] {
//!     latency.record_duration(Duration::from_millis(ms));
//! }
//! let snap = latency.snapshot();
//! assert_eq!(snap.count(), 5);
//! assert_eq!(snap.max(), 40_000_000);
//! let text = registry.render_prometheus();
//! assert!(text.contains(r#"db_query_duration_seconds_bucket{table="orders",le="0.005"} 4"#));
//! # Ok::<(), perfkit::metrics::MetricsError>(())
//! ```
#![forbid(unsafe_code)]

mod buckets;
mod counter;
mod error;
#[cfg(any(
    feature = "resilience",
    feature = "mem",
    feature = "pg",
    feature = "cache"
))]
pub(crate) mod export;
mod exposition;
mod gauge;
mod histogram;
mod process;
mod recorder;
mod registry;
mod rolling;
mod slots;

pub use counter::Counter;
pub use error::MetricsError;
pub use exposition::PROMETHEUS_CONTENT_TYPE;
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramOpts, HistogramSnapshot};
pub use process::{ProcessSample, ProcessSampler};
pub use recorder::FacadeRecorder;
pub use registry::{Registry, global};
pub use rolling::RollingHistogram;

/// The [`metrics`](https://docs.rs/metrics) facade crate that [`FacadeRecorder`] plugs into,
/// re-exported so its version always matches.
pub use metrics_facade as facade;
