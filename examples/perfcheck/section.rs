//! What a perfcheck section is and what it hands back.

use indicatif::ProgressBar;
use perfkit::baseline::{Baseline, Direction, Unit};

/// One figure a section measured.
pub struct Figure {
    /// Stable id, the key in `latest.json` (e.g. `metrics.histogram_record`).
    pub id: &'static str,
    /// What was measured, for people.
    pub name: &'static str,
    /// The value, in `unit`'s base (seconds, bytes, ratio).
    pub value: f64,
    pub unit: Unit,
    pub direction: Direction,
    /// The target it is held to: a documented baseline or the module's own goal.
    pub target: Option<Baseline>,
    /// Context for people (the peer's figure, how it was measured).
    pub note: String,
}

impl Figure {
    /// A figure held to `target`; unit and direction come from it.
    pub fn checked(id: &'static str, target: Baseline, value: f64, note: String) -> Self {
        Self {
            id,
            name: target.description,
            value,
            unit: target.unit,
            direction: target.direction(),
            target: Some(target),
            note,
        }
    }

    /// A figure shown and tracked run to run, with no target of its own.
    pub fn tracked(
        id: &'static str,
        name: &'static str,
        value: f64,
        unit: Unit,
        direction: Direction,
        note: String,
    ) -> Self {
        Self {
            id,
            name,
            value,
            unit,
            direction,
            target: None,
            note,
        }
    }
}

/// A module's part of the main job.
pub trait Section {
    /// Shown as the section column of the report.
    fn name(&self) -> &'static str;
    /// Progress-bar ticks this section will make.
    fn steps(&self) -> u64;
    /// Runs the measurements, ticking `progress` `steps()` times.
    fn run(&self, progress: &ProgressBar) -> Vec<Figure>;
}

/// Median of a set of timings (seconds); the set is sorted in place.
pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}
