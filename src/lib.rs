//! # perfkit
//!
//! Production-grade performance building blocks in one toolkit. Each module is a complete
//! building block behind its own Cargo feature, measured with criterion against the
//! documented baselines and against the best existing crate that does the same job.
//!
//! ## A guided tour
//!
//! | module | feature | what it holds |
//! |---|---|---|
//! | [`metrics`] | `metrics` | [`metrics::Counter`] (per-thread slots), [`metrics::Gauge`], [`metrics::Histogram`] (log-linear, ≤ 1 % quantile error), [`metrics::RollingHistogram`] (the last N seconds), a [`metrics::Registry`] with Prometheus text output, a recorder for the `metrics` facade, and a process sampler |
//! | [`baseline`] | `baseline` | the documented performance baselines as data, verdicts with severities, regression detection against a previous run, alert cooldown, text and HTML reports, JSON run history |
//! | [`resilience`] | `resilience` | [`resilience::CircuitBreaker`] (resilience4j model, lock-free closed path), [`resilience::RateLimiter`] (GCRA in one atomic word), [`resilience::KeyedRateLimiter`] (bounded memory), [`resilience::Retry`] (backoff, jitter, retry budget), [`resilience::Bulkhead`] and [`resilience::AdaptiveLimiter`] (AIMD, gradient) |
//! | [`resilience`] | `tower` | the same primitives as `tower` layers (`CircuitBreakerLayer`, `RateLimitLayer`, `RetryLayer`, `BulkheadLayer`, `AdaptiveLimitLayer`) |
//! | [`mem`] | `mem` | [`mem::BlockPool`] (fixed-size aligned blocks, lock-free per-thread caches over an ABA-safe stack, optional growth), [`mem::ObjectPool`], [`mem::BufferPool`] (size-classed `BytesMut`, zero-copy freeze), [`mem::ArenaPool`] (pooled `bumpalo` arenas) |
//! | [`balance`] | `balance` | [`balance::Balancer`]: round robin, smooth weighted round robin, least connections, weighted random, health score, P2C peak-EWMA, consistent hashing (ring and Maglev); outlier ejection, slow start, panic threshold, lock-free run-time updates, [`balance::HealthChecker`] |
//! | [`pg`] | `pg` | [`pg::PgPool`]: a fair (FIFO), bounded, self-healing PostgreSQL pool over `tokio-postgres`, with per-connection statement caches, client-side query deadlines, retried transactions and stats |
//! | [`simd`] | `simd` (+`parallel`) | `f32`/`f64` kernels — `dot`, `sum`, `min`/`max`/`argmin`/`argmax`, `l2_squared`, `cosine`, `mean`, `variance`, element-wise `add`/`sub`/`mul`/`scale`/`axpy`/`fma` — with one-time CPU dispatch (AVX2+FMA, SSE2, NEON, scalar), a deterministic mode with the same bits on every CPU, and rayon variants in `simd::par` |
//! | [`clock`] | always | the [`clock::Clock`] trait that every time-based part takes, so tests can drive time by hand |
//!
//! `default` turns on `metrics`, `baseline`, `resilience`, `balance`, `mem` and `simd`; `full` turns on everything. Every feature
//! builds and tests on its own (`--no-default-features --features X`).
//!
//! Start with the main job, which measures every enabled module against the documented
//! baselines and writes `target/perfcheck/report.html`:
//!
//! ```text
//! cargo run --release --example perfcheck
//! ```
//!
//! ## Measuring a service
//!
//! ```
//! # #[cfg(feature = "metrics")] {
//! use perfkit::metrics::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let requests = registry.counter("http_requests_total", &[("method", "GET")]).unwrap();
//! let latency = registry.histogram("http_request_duration_seconds", &[]).unwrap();
//!
//! requests.inc();
//! latency.record_duration(Duration::from_micros(1_250));
//!
//! assert_eq!(requests.get(), 1);
//! let p99 = latency.snapshot().quantile(0.99);
//! assert!((p99 as f64 - 1_250_000.0).abs() / 1_250_000.0 < 0.01);
//! assert!(registry.render_prometheus().contains("http_requests_total{method=\"GET\"} 1"));
//! # }
//! ```
//!
//! ## Promises that hold across modules
//!
//! - No panic in library code on any input a caller can pass: each module has its own
//!   `#[non_exhaustive]` error enum.
//! - Files are written atomically (temporary file, then rename), so a crash never leaves a
//!   half-written report or history behind.
//! - Stats are plain data; with `metrics` on they can also be registered in a
//!   [`metrics::Registry`].
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
// Denied everywhere; only the modules whose benches show unsafe pays (mem, simd) allow it,
// block by block, each with a `// SAFETY:` comment. See docs/unsafe.md.
#![deny(unsafe_code)]

pub mod clock;

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;

#[cfg(feature = "baseline")]
#[cfg_attr(docsrs, doc(cfg(feature = "baseline")))]
pub mod baseline;

#[cfg(feature = "resilience")]
#[cfg_attr(docsrs, doc(cfg(feature = "resilience")))]
pub mod resilience;

#[cfg(feature = "balance")]
#[cfg_attr(docsrs, doc(cfg(feature = "balance")))]
pub mod balance;

#[cfg(feature = "pg")]
#[cfg_attr(docsrs, doc(cfg(feature = "pg")))]
pub mod pg;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub mod cache;
#[cfg(feature = "mem")]
#[cfg_attr(docsrs, doc(cfg(feature = "mem")))]
pub mod mem;
#[cfg(feature = "simd")]
#[cfg_attr(docsrs, doc(cfg(feature = "simd")))]
pub mod simd;

// Only modules that persist files use it; a module that needs it adds its feature here.
#[cfg(feature = "baseline")]
mod fsutil;

// The README's examples are compiled and run as doctests, so they cannot rot.
#[cfg(all(
    doctest,
    feature = "metrics",
    feature = "baseline",
    feature = "resilience",
    feature = "balance",
    feature = "mem",
    feature = "pg",
    feature = "simd"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
