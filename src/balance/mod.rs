//! Client-side load balancing: every classic strategy, P2C with peak EWMA, consistent hashing,
//! passive and active health, outlier ejection, slow start and a panic threshold.
//!
//! - [`Balancer`] picks a backend by a [`Strategy`]: round robin, smooth weighted round robin
//!   (nginx), least connections (random tie-break), weighted random, health score, power of
//!   two choices over a peak-sensitive latency EWMA (weights honoured), and consistent
//!   hashing ([`HashRing::Ring`] with virtual nodes, or [`HashRing::Maglev`]).
//! - A [`Pick`] derefs to the backend and counts the request in flight until
//!   [`Pick::success`] / [`Pick::failure`]; dropped unfinished, it counts as cancelled.
//! - [`OutlierDetection`] (Envoy semantics): consecutive failures or a failure rate over a
//!   window eject a backend for base time × times ejected, capped, never more than a share of
//!   the backends at once. [`SlowStart`] ramps the weight of a backend that joins or returns.
//!   Below the panic threshold of available backends, picks spread over all of them.
//! - [`Balancer::set_backends`] and [`Balancer::set_weight`] swap the backend list atomically
//!   (`arc-swap`): the pick path takes no lock, and backends that stay (matched by id) keep
//!   their counters and health.
//! - [`HealthChecker`] runs a user probe (an async fn) per backend at an interval, with a
//!   timeout, jitter, and healthy / unhealthy thresholds in a row, and marks the balancer.
//! - With the `metrics` feature, `Balancer::register_metrics` exports the counters (per
//!   backend and overall) to a `metrics::Registry`, read at render time.
//!
//! Time comes from a [`crate::clock::Clock`] and randomness from a seeded generator, so every
//! time-based rule is tested with [`crate::clock::ManualClock`] and runs replay exactly.
//! Bad input (no backends, weights that are zero, negative or NaN, bad settings) is a
//! [`BalanceError`], never a panic.
//!
//! ```
//! use perfkit::balance::{Backend, Balancer, OutlierDetection, Strategy};
//! use std::time::Duration;
//!
//! let lb = Balancer::builder()
//!     .strategy(Strategy::WeightedRoundRobin)
//!     .backends([
//!         Backend::new("a", "10.0.0.1").weight(5.0),
//!         Backend::new("b", "10.0.0.2"),
//!         Backend::new("c", "10.0.0.3"),
//!     ])
//!     .outlier_detection(OutlierDetection::new().consecutive_failures(5))
//!     .build()?;
//! let order: String = (0..7)
//!     .map(|_| {
//!         let p = lb.pick().unwrap();
//!         let id = p.id().to_owned();
//!         p.success(Duration::from_millis(1));
//!         id
//!     })
//!     .collect();
//! assert_eq!(order, "aabacaa"); // smooth: the heavy backend's turns are spread out
//! # Ok::<(), perfkit::balance::BalanceError>(())
//! ```
#![forbid(unsafe_code)]

mod balancer;
mod builder;
mod config;
mod error;
mod hash;
mod health;
#[cfg(feature = "metrics")]
mod metrics;
mod pick;
mod rng;
mod select;
mod state;
mod stats;
mod strategy;
mod timed;

pub use balancer::{Backend, Balancer};
pub use builder::BalancerBuilder;
pub use config::{OutlierDetection, SlowStart};
pub use error::BalanceError;
pub use hash::HashRing;
pub use health::{HealthChecker, HealthCheckerBuilder};
pub use pick::Pick;
pub use stats::{BackendStats, BalancerStats};
pub use strategy::Strategy;
