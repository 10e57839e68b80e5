use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use super::MetricsError;
use super::histogram::{ClearableCore, HistogramOpts, HistogramSnapshot};
use crate::clock::{Clock, MonotonicClock};

/// A histogram of the last `window` only: "p95 over the last minute".
///
/// The window is cut into `slots` sub-windows, each a full-resolution histogram. Recording
/// goes to the slot of the current sub-window; the first record of a new sub-window empties
/// the slot it reuses. A snapshot merges the slots still inside the window, so it covers
/// between `window - window/slots` and `window` of history: more slots, finer edges, more
/// memory (a few KiB per slot, see [`super::Histogram`]).
///
/// ```
/// use perfkit::clock::ManualClock;
/// use perfkit::metrics::RollingHistogram;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let recent = RollingHistogram::new(Duration::from_secs(60), 6)
///     .unwrap()
///     .with_clock(Arc::new(clock.clone()));
/// recent.record(500);
/// clock.advance(Duration::from_secs(30));
/// recent.record(700);
/// assert_eq!(recent.snapshot().count(), 2);
/// clock.advance(Duration::from_secs(45)); // the first value is now 75 s old
/// let last_minute = recent.snapshot();
/// assert_eq!((last_minute.count(), last_minute.max()), (1, 700));
/// ```
#[derive(Clone, Debug)]
pub struct RollingHistogram {
    inner: Arc<Rolling>,
}

#[derive(Debug)]
struct Rolling {
    slots: Box<[Slot]>,
    slot_nanos: u64,
    clock: Arc<dyn Clock>,
    // Taken only to empty a slot for a new sub-window, never on the recording fast path.
    rotation: Mutex<()>,
}

#[derive(Debug)]
struct Slot {
    /// The sub-window number this slot currently holds (`u64::MAX` = never used).
    epoch: AtomicU64,
    hist: ClearableCore,
}

impl RollingHistogram {
    /// A rolling histogram over `window`, cut into `slots` sub-windows (6 is a good default:
    /// a 60 s window then moves in 10 s steps). The window must be at least one nanosecond per
    /// slot and `slots` between 1 and 3600.
    pub fn new(window: Duration, slots: usize) -> Result<Self, MetricsError> {
        Self::with_opts(window, slots, HistogramOpts::latency())
    }

    /// Like [`new`](Self::new), with export options for the merged snapshot.
    pub fn with_opts(
        window: Duration,
        slots: usize,
        opts: HistogramOpts,
    ) -> Result<Self, MetricsError> {
        if slots == 0 || slots > 3600 {
            return Err(MetricsError::InvalidWindow {
                reason: "slots must be between 1 and 3600",
            });
        }
        let window_nanos =
            u64::try_from(window.as_nanos()).map_err(|_| MetricsError::InvalidWindow {
                reason: "window longer than 584 years",
            })?;
        let slot_nanos = window_nanos / slots as u64;
        if slot_nanos == 0 {
            return Err(MetricsError::InvalidWindow {
                reason: "window shorter than one nanosecond per slot",
            });
        }
        Ok(Self::assemble(
            slots,
            slot_nanos,
            &opts,
            Arc::new(MonotonicClock::new()),
        ))
    }

    /// Uses `clock` instead of the real monotonic clock. Call before sharing: it rebuilds the
    /// histogram empty.
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let opts = self
            .inner
            .slots
            .first()
            .map(|s| s.hist.opts().clone())
            .unwrap_or_default();
        Self::assemble(self.inner.slots.len(), self.inner.slot_nanos, &opts, clock)
    }

    fn assemble(
        slots: usize,
        slot_nanos: u64,
        opts: &HistogramOpts,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Rolling {
                slots: (0..slots)
                    .map(|_| Slot {
                        epoch: AtomicU64::new(u64::MAX),
                        hist: ClearableCore::new(opts.clone()),
                    })
                    .collect(),
                slot_nanos,
                clock,
                rotation: Mutex::new(()),
            }),
        }
    }

    fn epoch_now(&self) -> u64 {
        let now = u64::try_from(self.inner.clock.now().as_nanos()).unwrap_or(u64::MAX);
        now / self.inner.slot_nanos
    }

    /// Records one value at the current time.
    pub fn record(&self, value: u64) {
        let epoch = self.epoch_now();
        let n = self.inner.slots.len() as u64;
        let Some(slot) = self.inner.slots.get((epoch % n) as usize) else {
            return;
        };
        let held = slot.epoch.load(Ordering::Acquire);
        if held != epoch && (held == u64::MAX || held < epoch) {
            let _guard = self.inner.rotation.lock();
            let held = slot.epoch.load(Ordering::Acquire);
            if held == u64::MAX || held < epoch {
                slot.hist.clear();
                slot.epoch.store(epoch, Ordering::Release);
            }
        }
        // A writer that read the clock just before a rotation may land here one sub-window
        // late; its value then counts in the newer sub-window, an error of one slot at most.
        slot.hist.record_n(value, 1);
    }

    /// Records a duration in nanoseconds (saturating at `u64::MAX`).
    pub fn record_duration(&self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The values of the current window, merged.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let epoch = self.epoch_now();
        let n = self.inner.slots.len() as u64;
        let oldest = epoch.saturating_sub(n - 1);
        let mut merged = HistogramSnapshot::empty();
        for slot in self.inner.slots.iter() {
            let held = slot.epoch.load(Ordering::Acquire);
            if held != u64::MAX && held >= oldest && held <= epoch {
                merged.merge(&slot.hist.snapshot());
            }
        }
        merged
    }

    /// The window length actually covered by a snapshot at most (`slots × slot length`).
    pub fn window(&self) -> Duration {
        Duration::from_nanos(
            self.inner
                .slot_nanos
                .saturating_mul(self.inner.slots.len() as u64),
        )
    }
}
