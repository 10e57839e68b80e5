use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A value that goes up and down: queue depth, connections open, bytes resident.
///
/// Stored as the bits of an `f64` in one atomic, as Prometheus gauges are floating point.
///
/// ```
/// use perfkit::metrics::Gauge;
///
/// let in_flight = Gauge::new();
/// in_flight.inc();
/// in_flight.inc();
/// in_flight.dec();
/// assert_eq!(in_flight.get(), 1.0);
/// in_flight.set(0.25);
/// assert_eq!(in_flight.get(), 0.25);
/// ```
#[derive(Clone, Debug)]
pub struct Gauge {
    core: Arc<GaugeCore>,
}

#[derive(Debug, Default)]
pub(crate) struct GaugeCore {
    bits: AtomicU64,
}

impl GaugeCore {
    #[inline]
    pub(crate) fn set(&self, v: f64) {
        self.bits.store(v.to_bits(), Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn add(&self, delta: f64) {
        let mut cur = self.bits.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(cur) + delta).to_bits();
            match self
                .bits
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

impl Gauge {
    /// A gauge at `0.0`, not registered anywhere (see [`super::Registry::gauge`]).
    pub fn new() -> Self {
        Self {
            core: Arc::new(GaugeCore::default()),
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.core.set(v);
    }

    /// Adds `delta` (which may be negative).
    #[inline]
    pub fn add(&self, delta: f64) {
        self.core.add(delta);
    }

    /// Subtracts `delta`.
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.core.add(-delta);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.core.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.core.add(-1.0);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        self.core.get()
    }

    pub(crate) fn core(&self) -> &Arc<GaugeCore> {
        &self.core
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}
