//! The documented performance baselines as data, and the tools to hold a system to them.
//!
//! - [`documented`] / [`find`]: the targets perfkit was specified with ([`Baseline`]), each
//!   with a stable id, a typed [`Limit`] and a [`Unit`] (values in seconds, bytes, ratios).
//! - [`Baseline::check`] gives a [`Verdict`]: pass with headroom, fail with a [`Severity`]
//!   (more than 10 % past the limit `Medium`, 15 % `High`, 25 % `Critical`), or invalid.
//! - [`compare`]: the [`Change`] of a metric since the previous run, with the same severities
//!   (regressions within 10 % are noise and get none).
//! - [`Alerter`]: sends [`Alert`]s through a [`Notifier`] with a per-metric cooldown.
//! - [`memory_growth_per_hour`]: the growth rate of memory samples, by least squares.
//! - [`RunRecord`] / [`History`]: runs persisted as JSON, written atomically; [`quarantine`]
//!   keeps a corrupt file aside.
//! - [`criterion`]: criterion's saved medians against its saved baselines.
//! - [`Report`]: rows of all of the above as an aligned text table or one self-contained
//!   HTML page.
//!
//! Nothing here panics on caller input: bad numbers give [`Outcome::Invalid`] or a
//! "not comparable" [`Change`], bad files give [`BaselineError`].
//!
//! ```
//! use perfkit::baseline::{self, compare, Direction, Report, Row, Severity};
//!
//! let p95 = baseline::find("database.connection_acquire.p95").unwrap(); // < 10 ms
//! let verdict = p95.check(0.012);
//! assert_eq!(verdict.severity(), Some(Severity::High)); // 20 % over
//!
//! let mut report = Report::new("perfcheck");
//! report.push(
//!     Row::checked("pg", p95, 0.012).with_change(compare(0.009, 0.012, Direction::LowerIsBetter)),
//! );
//! assert_eq!(report.worst(), Some(Severity::Critical)); // +33 % since the last run
//! assert!(report.render_text().contains("CRITICAL"));
//! ```
#![forbid(unsafe_code)]

mod alert;
pub mod criterion;
mod documented;
mod error;
mod growth;
mod history;
mod html;
mod regression;
mod report;
mod unit;
mod verdict;

pub use alert::{Alert, Alerter, MemoryNotifier, Notifier, StderrNotifier};
pub use documented::{Area, Baseline, Limit, documented, find};
pub use error::BaselineError;
pub use growth::memory_growth_per_hour;
pub use history::{History, Measurement, RunRecord, quarantine};
pub use regression::{Change, Direction, compare};
pub use report::{Report, Row, Status};
pub use unit::Unit;
pub use verdict::{Outcome, Severity, Verdict};
