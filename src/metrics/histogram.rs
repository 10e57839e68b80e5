use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::MetricsError;
use super::buckets::{self, BUCKETS};
use super::slots::Slots;

/// A distribution of `u64` values with quantiles to within 1 % relative error.
///
/// Buckets are log-linear, in the style of HdrHistogram: values below 128 are counted
/// exactly, and above that every power of two is split into 64 equal buckets, so any value
/// reported (a quantile, a bucket bound) is within 0.78 % of the true one. The layout covers
/// the whole `u64` range (1 ns to 584 years when recording nanoseconds), so no value is ever
/// rejected.
///
/// [`Histogram::record`] is lock-free and uses no read-modify-write instruction: each thread
/// adds to counts of its own with a plain load and store (threads beyond 64 live ones, or
/// whose slot is taken, share atomically updated counts), and min and max are a load each,
/// updated atomically only for a new extreme. Clones share the same counts.
///
/// Memory: about 2.5 KiB per histogram, plus, for each thread that records into it, 1 KiB
/// and 512 bytes per power of two its values span (allocated on first use of that range):
/// about 8 KiB for latencies from 10 µs to 100 ms.
///
/// ```
/// use perfkit::metrics::Histogram;
/// use std::time::Duration;
///
/// let latency = Histogram::new();
/// for ms in 1..=100 {
///     latency.record_duration(Duration::from_millis(ms));
/// }
/// let snap = latency.snapshot();
/// assert_eq!(snap.count(), 100);
/// let p95 = snap.quantile(0.95) as f64;
/// assert!((p95 - 95e6).abs() / 95e6 <= 0.01);
/// assert_eq!(snap.max(), 100_000_000);
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    core: Arc<HistogramCore>,
}

/// How a histogram is shown to Prometheus: the unit conversion and the `le` bucket bounds.
///
/// The histogram itself always keeps its full log-linear resolution; these options only
/// decide which cumulative buckets [`super::Registry::render_prometheus`] writes.
///
/// ```
/// use perfkit::metrics::HistogramOpts;
///
/// // Sizes in bytes, exported as bytes with 4 buckets.
/// let opts = HistogramOpts::new(1.0, vec![512.0, 4096.0, 65536.0, 1048576.0]).unwrap();
/// assert_eq!(opts.scale(), 1.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramOpts {
    scale: f64,
    bounds: Vec<f64>,
}

impl HistogramOpts {
    /// Options with exported value = recorded value × `scale`, and the given `le` bounds in
    /// exported units. Bounds must be finite, positive-or-zero and strictly increasing;
    /// `scale` must be finite and positive.
    pub fn new(scale: f64, bounds: Vec<f64>) -> Result<Self, MetricsError> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(MetricsError::InvalidOptions {
                reason: "scale must be finite and positive",
            });
        }
        if bounds.is_empty() {
            return Err(MetricsError::InvalidOptions {
                reason: "at least one bucket bound is needed",
            });
        }
        if bounds.iter().any(|b| !b.is_finite() || *b < 0.0) {
            return Err(MetricsError::InvalidOptions {
                reason: "bucket bounds must be finite and not negative",
            });
        }
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(MetricsError::InvalidOptions {
                reason: "bucket bounds must be strictly increasing",
            });
        }
        Ok(Self { scale, bounds })
    }

    /// The default: values are nanoseconds, exported in seconds (as Prometheus names ending in
    /// `_seconds` expect), with bounds from 0.5 ms to 10 s.
    pub fn latency() -> Self {
        Self {
            scale: 1e-9,
            bounds: vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ],
        }
    }

    /// Exported value per recorded unit.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The `le` bounds, in exported units.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }
}

impl Default for HistogramOpts {
    fn default() -> Self {
        Self::latency()
    }
}

/// One writer's bucket counts and sum. Buckets are allocated lazily, one power of two (64
/// counters, 512 bytes) at a time, so a latency histogram that spans a dozen octaves costs a
/// few KiB per writer instead of the full 30 KiB a dense layout would take.
#[derive(Debug)]
struct Counts {
    // Inline rather than boxed: one pointer fewer to chase on every record.
    groups: [OnceLock<Box<Group>>; GROUPS],
    sum: AtomicU64,
}

const GROUP: usize = 64;
/// 59 groups are used; 64 lets `index / GROUP` be masked instead of bounds-checked.
const GROUPS: usize = 64;
const _: () = assert!(BUCKETS <= GROUP * GROUPS);
type Group = [AtomicU64; GROUP];

impl Counts {
    fn new() -> Self {
        Self {
            groups: std::array::from_fn(|_| OnceLock::new()),
            sum: AtomicU64::new(0),
        }
    }

    #[inline]
    fn bucket(&self, i: usize) -> Option<&AtomicU64> {
        let group = self.groups[(i / GROUP) % GROUPS]
            .get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        Some(&group[i % GROUP])
    }

    /// For the single owner of these counts: plain load + store, no `lock` prefix.
    #[inline]
    fn add_owned(&self, i: usize, value: u64, n: u64) {
        if let Some(b) = self.bucket(i) {
            b.store(b.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        }
        let sum = self.sum.load(Ordering::Relaxed);
        self.sum
            .store(sum.wrapping_add(value.wrapping_mul(n)), Ordering::Relaxed);
    }

    /// For counts any thread may write.
    #[inline]
    fn add_shared(&self, i: usize, value: u64, n: u64) {
        if let Some(b) = self.bucket(i) {
            b.fetch_add(n, Ordering::Relaxed);
        }
        self.sum.fetch_add(value.wrapping_mul(n), Ordering::Relaxed);
    }

    /// Adds these counts into `dense` and returns the sum.
    fn read_into(&self, dense: &mut [u64]) -> u64 {
        for (g, group) in self.groups.iter().enumerate() {
            if let Some(group) = group.get() {
                for (j, c) in group.iter().enumerate() {
                    if let Some(d) = dense.get_mut(g * GROUP + j) {
                        *d = d.saturating_add(c.load(Ordering::Relaxed));
                    }
                }
            }
        }
        self.sum.load(Ordering::Relaxed)
    }

    fn clear(&self) {
        for group in self.groups.iter().filter_map(OnceLock::get) {
            for c in group.iter() {
                c.store(0, Ordering::Relaxed);
            }
        }
        self.sum.store(0, Ordering::Relaxed);
    }
}

/// The shared state of a histogram. `PER_THREAD = true` (every [`Histogram`]) gives each
/// recording thread its own counts; `false` (the slots of a [`super::RollingHistogram`],
/// which are emptied while written) makes every writer add atomically to one set of counts.
/// A type parameter rather than a field, so the record path carries no runtime check.
#[derive(Debug)]
pub(crate) struct HistogramCore<const PER_THREAD: bool = true> {
    slots: Slots<Counts>,
    shared: Counts,
    min: AtomicU64,
    max: AtomicU64,
    clamped: AtomicU64,
    opts: HistogramOpts,
    inverse_scale: f64,
}

/// The core of a rolling window's slot: safe to [`clear`](HistogramCore::clear).
pub(crate) type ClearableCore = HistogramCore<false>;

impl<const PER_THREAD: bool> HistogramCore<PER_THREAD> {
    pub(crate) fn new(opts: HistogramOpts) -> Self {
        Self {
            slots: Slots::new(),
            shared: Counts::new(),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            clamped: AtomicU64::new(0),
            inverse_scale: 1.0 / opts.scale,
            opts,
        }
    }

    #[inline]
    pub(crate) fn record_n(&self, value: u64, n: u64) {
        let i = buckets::index(value);
        let mine = if PER_THREAD {
            self.slots.mine(Counts::new)
        } else {
            None
        };
        match mine {
            Some(mine) => mine.add_owned(i, value, n),
            None => self.shared.add_shared(i, value, n),
        }
        // Plain loads first: after warm-up almost no value is a new extreme, and a load is
        // far cheaper than a read-modify-write on a shared line.
        if value < self.min.load(Ordering::Relaxed) {
            self.min.fetch_min(value, Ordering::Relaxed);
        }
        if value > self.max.load(Ordering::Relaxed) {
            self.max.fetch_max(value, Ordering::Relaxed);
        }
    }

    pub(crate) fn note_clamped(&self) {
        self.clamped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn opts(&self) -> &HistogramOpts {
        &self.opts
    }

    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let mut counts = vec![0u64; BUCKETS];
        let mut sum = self.shared.read_into(&mut counts);
        for c in self.slots.iter() {
            sum = sum.wrapping_add(c.read_into(&mut counts));
        }
        let count = counts.iter().fold(0u64, |a, c| a.saturating_add(*c));
        HistogramSnapshot {
            counts,
            count,
            sum,
            min: self.min.load(Ordering::Relaxed),
            max: self.max.load(Ordering::Relaxed),
            clamped: self.clamped.load(Ordering::Relaxed),
        }
    }

    /// Adds a snapshot's counts, as if its values were recorded here.
    fn absorb(&self, snapshot: &HistogramSnapshot) {
        for (i, &n) in snapshot.counts.iter().enumerate() {
            if n > 0
                && let Some(bucket) = self.shared.bucket(i)
            {
                bucket.fetch_add(n, Ordering::Relaxed);
            }
        }
        self.shared.sum.fetch_add(snapshot.sum, Ordering::Relaxed);
        if snapshot.count > 0 {
            self.min.fetch_min(snapshot.min, Ordering::Relaxed);
            self.max.fetch_max(snapshot.max, Ordering::Relaxed);
        }
        self.clamped.fetch_add(snapshot.clamped, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory figures in the [`Histogram`] docs: ~2.5 KiB per histogram, 1 KiB per
    /// recording thread, 512 bytes per power of two its values span.
    #[test]
    fn memory_figures_in_the_docs_hold() {
        assert!(
            std::mem::size_of::<HistogramCore>() <= 2700,
            "{}",
            std::mem::size_of::<HistogramCore>()
        );
        assert!(
            std::mem::size_of::<Counts>() <= 1040,
            "{}",
            std::mem::size_of::<Counts>()
        );
        assert_eq!(std::mem::size_of::<Group>(), 512);
    }
}

impl ClearableCore {
    /// Empties the histogram. A value recorded concurrently may survive or vanish, nothing
    /// worse: every writer of a clearable core adds atomically.
    pub(crate) fn clear(&self) {
        self.shared.clear();
        self.min.store(u64::MAX, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
        self.clamped.store(0, Ordering::Relaxed);
    }
}

impl Histogram {
    /// An empty histogram with [`HistogramOpts::latency`] export options.
    pub fn new() -> Self {
        Self::with_opts(HistogramOpts::latency())
    }

    /// An empty histogram with the given export options.
    pub fn with_opts(opts: HistogramOpts) -> Self {
        Self {
            core: Arc::new(HistogramCore::new(opts)),
        }
    }

    /// Records one value.
    #[inline]
    pub fn record(&self, value: u64) {
        self.core.record_n(value, 1);
    }

    /// Records `value` `n` times.
    #[inline]
    pub fn record_n(&self, value: u64, n: u64) {
        self.core.record_n(value, n);
    }

    /// Records a duration in nanoseconds. A duration beyond `u64::MAX` ns (584 years) is
    /// recorded as `u64::MAX` and counted in [`HistogramSnapshot::clamped`].
    #[inline]
    pub fn record_duration(&self, d: Duration) {
        match u64::try_from(d.as_nanos()) {
            Ok(ns) => self.core.record_n(ns, 1),
            Err(_) => {
                self.core.note_clamped();
                self.core.record_n(u64::MAX, 1);
            }
        }
    }

    /// Records a floating-point value expressed in exported units (e.g. seconds for the
    /// default options): it is divided by the scale and rounded. NaN is dropped, negatives are
    /// recorded as 0 and values beyond `u64::MAX` as `u64::MAX`; each of those is counted in
    /// [`HistogramSnapshot::clamped`], never silently lost.
    #[inline]
    pub fn record_scaled(&self, value: f64) {
        if value.is_nan() {
            self.core.note_clamped();
            return;
        }
        // A multiply by the stored inverse and a +0.5 truncation: a division and a libm
        // `round` call cost more than the rest of the record on x86-64 without SSE4.1.
        let raw = value * self.core.inverse_scale;
        if raw < 0.0 {
            self.core.note_clamped();
            self.core.record_n(0, 1);
        } else if raw >= u64::MAX as f64 {
            if raw > u64::MAX as f64 {
                self.core.note_clamped();
            }
            self.core.record_n(u64::MAX, 1);
        } else {
            self.core.record_n((raw + 0.5) as u64, 1);
        }
    }

    /// A point-in-time copy of the counts.
    ///
    /// Taken without stopping writers: under concurrent recording the sum may include a value
    /// whose bucket count is not yet visible, or the reverse.
    pub fn snapshot(&self) -> HistogramSnapshot {
        self.core.snapshot()
    }

    /// Adds every value of `snapshot` into this histogram, as if recorded here.
    pub fn merge(&self, snapshot: &HistogramSnapshot) {
        self.core.absorb(snapshot);
    }

    /// The export options this histogram was created with.
    pub fn opts(&self) -> &HistogramOpts {
        &self.core.opts
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// A frozen copy of a [`Histogram`]: quantiles, min, max, mean, count and sum.
///
/// Snapshots merge, so per-thread or per-shard histograms can be combined:
///
/// ```
/// use perfkit::metrics::Histogram;
///
/// let (a, b) = (Histogram::new(), Histogram::new());
/// a.record(10);
/// b.record(30);
/// let mut all = a.snapshot();
/// all.merge(&b.snapshot());
/// assert_eq!((all.count(), all.min(), all.max(), all.sum()), (2, 10, 30, 40));
/// assert_eq!(all.mean(), 20.0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistogramSnapshot {
    counts: Vec<u64>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
    clamped: u64,
}

impl HistogramSnapshot {
    /// An empty snapshot.
    pub fn empty() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
            clamped: 0,
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values recorded (wrapping at `u64::MAX`).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The smallest value recorded, exactly; 0 when empty.
    pub fn min(&self) -> u64 {
        if self.count == 0 { 0 } else { self.min }
    }

    /// The largest value recorded, exactly; 0 when empty.
    pub fn max(&self) -> u64 {
        if self.count == 0 { 0 } else { self.max }
    }

    /// The arithmetic mean; 0.0 when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// Values that could not be recorded as given (NaN, negative, beyond `u64`): see
    /// [`Histogram::record_scaled`].
    pub fn clamped(&self) -> u64 {
        self.clamped
    }

    /// The value at quantile `q` (0.0 = min, 1.0 = max), within 1 % relative error; `None`
    /// when empty or when `q` is NaN or outside `0.0..=1.0`.
    ///
    /// The quantile is the ⌈q·n⌉-th smallest value (the nearest-rank definition), reported as
    /// the midpoint of its bucket, clamped to the exact min and max; the first and last ranks
    /// are the exact min and max.
    pub fn try_quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        // The extremes are known exactly; no need to approximate them by a bucket.
        if rank == self.count {
            return Some(self.max);
        }
        if rank == 1 {
            return Some(self.min);
        }
        let mut seen = 0u64;
        for (i, &n) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(n);
            if seen >= rank {
                return Some(buckets::representative(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Like [`try_quantile`](Self::try_quantile), with `q` clamped into `0.0..=1.0` (NaN is
    /// read as 0.5) and 0 for an empty snapshot.
    pub fn quantile(&self, q: f64) -> u64 {
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        self.try_quantile(q).unwrap_or(0)
    }

    /// How many recorded values are at most `value`, to bucket resolution: the bucket that
    /// holds `value` counts in full, so values up to 0.78 % above `value` may be included
    /// (and a value exactly at `value`, the common case for round bounds, always is).
    pub fn count_at_or_below(&self, value: u64) -> u64 {
        let last = buckets::index(value);
        self.counts
            .iter()
            .take(last + 1)
            .fold(0u64, |total, &n| total.saturating_add(n))
    }

    /// Adds `other`'s values into this snapshot.
    pub fn merge(&mut self, other: &HistogramSnapshot) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.wrapping_add(other.sum);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.clamped = self.clamped.saturating_add(other.clamped);
    }

    /// Non-empty buckets as `(lowest value, highest value, count)`, in increasing order.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| (buckets::lower_bound(i), buckets::upper_bound(i), n))
    }
}

impl Default for HistogramSnapshot {
    fn default() -> Self {
        Self::empty()
    }
}
