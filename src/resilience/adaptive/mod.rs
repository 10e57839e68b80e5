//! Adaptive concurrency limits, in the style of Netflix's `concurrency-limits`.
//!
//! An [`AdaptiveLimiter`] turns a stream of [`Sample`]s (how long a request took, how many
//! were in flight when it started, whether it was dropped) into a concurrency limit that
//! tracks what the dependency can take right now. Two algorithms, picked at construction:
//!
//! - AIMD ([`AdaptiveLimiter::aimd`]): +1 per window of healthy samples while the limit is
//!   in use, × a backoff ratio on a drop or a timeout. Simple and loss-driven.
//! - Gradient ([`AdaptiveLimiter::gradient`], Netflix's Gradient2): compares a long-term
//!   RTT average to each new RTT and shrinks the limit as latency rises, before anything
//!   is dropped.
//!
//! What lives where:
//! - `limiter.rs`: the public handle, [`Sample`], the published limit;
//! - `aimd.rs`: [`AimdBuilder`] and the AIMD update;
//! - `gradient.rs`: [`GradientBuilder`] and the gradient update;
//! - `config.rs`: checks shared by both builders.
//!
//! Promises: [`AdaptiveLimiter::limit`] is one atomic load; an update takes one short
//! uncontended-in-practice mutex and never allocates; the limit always stays in
//! `[min_limit, max_limit]`. Use it alone, or as the limit of a
//! [`Bulkhead`](crate::resilience::Bulkhead) via
//! [`Bulkhead::adaptive`](crate::resilience::Bulkhead::adaptive).

mod aimd;
mod config;
mod gradient;
mod limiter;

pub use aimd::AimdBuilder;
pub use gradient::GradientBuilder;
pub use limiter::{AdaptiveLimiter, Sample};
