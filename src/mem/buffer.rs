//! [`BufferPool`]: `BytesMut` buffers in power-of-two size classes.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;

use super::counter::ShardedCounter;
use super::error::MemError;

/// Idle buffers one size class keeps at most, whatever the byte budget allows.
const MAX_PER_CLASS: usize = 1024;

/// A pool of `BytesMut` buffers in power-of-two size classes.
///
/// [`get(n)`](Self::get) hands out an empty buffer with at least `n` bytes of capacity,
/// taken from the smallest class that fits (default classes 512 B .. 4 MiB). When the
/// [`PooledBuf`] drops, the buffer is cleared and kept for the next `get` of its class, as
/// long as the pool's idle bytes stay under the budget (default 64 MiB); otherwise it is
/// freed. [`PooledBuf::freeze`] turns the buffer into `Bytes` without copying: it then
/// leaves the pool for good. Requests above the largest class are served by a plain
/// allocation and counted.
///
/// Each class is a bounded lock-free queue: `get` and the return take no lock.
///
/// ```
/// use perfkit::mem::BufferPool;
///
/// let pool = BufferPool::builder().build()?;
/// let mut buf = pool.get(1000);
/// assert!(buf.capacity() >= 1024 && buf.is_empty());
/// buf.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
/// let frame = buf.freeze(); // zero-copy; the buffer leaves the pool
/// assert_eq!(&frame[..8], b"HTTP/1.1");
///
/// drop(pool.get(1000)); // comes back to the 1 KiB class, cleared
/// let s = pool.stats();
/// assert_eq!((s.allocations, s.frozen, s.returns, s.idle_bytes), (2, 1, 1, 1024));
/// # Ok::<(), perfkit::mem::MemError>(())
/// ```
pub struct BufferPool {
    classes: Box<[ArrayQueue<BytesMut>]>,
    min_shift: u32,
    max_size: usize,
    max_idle_bytes: usize,
    counters: Arc<BufferCounters>,
}

#[derive(Debug, Default)]
struct BufferCounters {
    reuses: ShardedCounter,
    allocations: ShardedCounter,
    oversize: ShardedCounter,
    returns: ShardedCounter,
    discards: ShardedCounter,
    frozen: ShardedCounter,
    idle_bytes: CachePadded<AtomicUsize>,
}

impl BufferCounters {
    /// Idle buffers by the counts (returned in, reused out): exact when no thread is using
    /// the pool.
    #[cfg(feature = "metrics")]
    fn idle_by_counts(&self) -> usize {
        self.returns.get().saturating_sub(self.reuses.get()) as usize
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("min_size", &(1usize << self.min_shift))
            .field("max_size", &self.max_size)
            .field("max_idle_bytes", &self.max_idle_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl BufferPool {
    /// Starts a [`BufferPoolBuilder`] with its defaults: classes from 512 B to 4 MiB, at most
    /// 64 MiB of idle buffers.
    pub fn builder() -> BufferPoolBuilder {
        BufferPoolBuilder::default()
    }

    /// An empty buffer with at least `min_capacity` bytes of capacity.
    #[inline]
    pub fn get(&self, min_capacity: usize) -> PooledBuf<'_> {
        let Some(class) = self.class_of(min_capacity) else {
            self.counters.oversize.add(1);
            return PooledBuf {
                buf: Some(BytesMut::with_capacity(min_capacity)),
                pool: self,
            };
        };
        let buf = match self.classes.get(class).and_then(ArrayQueue::pop) {
            Some(b) => {
                self.counters
                    .idle_bytes
                    .fetch_sub(b.capacity(), Ordering::Relaxed);
                self.counters.reuses.add(1);
                b
            }
            None => {
                self.counters.allocations.add(1);
                BytesMut::with_capacity(1usize << (class as u32 + self.min_shift))
            }
        };
        PooledBuf {
            buf: Some(buf),
            pool: self,
        }
    }

    /// The class whose buffers hold `n` bytes, or `None` above the largest class.
    #[inline]
    fn class_of(&self, n: usize) -> Option<usize> {
        if n > self.max_size {
            return None;
        }
        let size = n.max(1).next_power_of_two();
        Some(size.trailing_zeros().saturating_sub(self.min_shift) as usize)
    }

    fn put_back(&self, mut buf: BytesMut) {
        let cap = buf.capacity();
        // File it under the largest class it can serve; a buffer that shrank (split) below
        // the smallest class or grew (reserve) past the largest is freed.
        let class = (cap >= 1usize << self.min_shift && cap <= self.max_size)
            .then(|| (usize::BITS - 1 - cap.leading_zeros() - self.min_shift) as usize)
            .and_then(|c| self.classes.get(c));
        let Some(queue) = class else {
            self.counters.discards.add(1);
            return;
        };
        // Reserve the bytes before pushing, so concurrent returns cannot overshoot the budget.
        let before = self.counters.idle_bytes.fetch_add(cap, Ordering::Relaxed);
        if before + cap > self.max_idle_bytes {
            self.counters.idle_bytes.fetch_sub(cap, Ordering::Relaxed);
            self.counters.discards.add(1);
            return;
        }
        buf.clear();
        match queue.push(buf) {
            Ok(()) => self.counters.returns.add(1),
            Err(_) => {
                self.counters.idle_bytes.fetch_sub(cap, Ordering::Relaxed);
                self.counters.discards.add(1);
            }
        }
    }

    /// Registers the pool's figures in `registry` as series read at render time:
    /// `{prefix}_gets_total{result="reuse"|"allocate"|"oversize"}`,
    /// `{prefix}_returns_total{outcome="kept"|"discarded"|"frozen"}` (counters),
    /// `{prefix}_idle_buffers` and `{prefix}_idle_bytes` (gauges). The series do not keep the
    /// pool alive.
    ///
    /// Errors: [`crate::metrics::MetricsError`] for a prefix that makes an invalid name or a
    /// series already registered with another type.
    #[cfg(feature = "metrics")]
    #[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
    pub fn register_metrics(
        &self,
        registry: &crate::metrics::Registry,
        prefix: &str,
    ) -> Result<(), crate::metrics::MetricsError> {
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.counters)?;
        export.counter("gets_total", &[("result", "reuse")], |c| c.reuses.get())?;
        export.counter("gets_total", &[("result", "allocate")], |c| {
            c.allocations.get()
        })?;
        export.counter("gets_total", &[("result", "oversize")], |c| {
            c.oversize.get()
        })?;
        export.counter("returns_total", &[("outcome", "kept")], |c| c.returns.get())?;
        export.counter("returns_total", &[("outcome", "discarded")], |c| {
            c.discards.get()
        })?;
        export.counter("returns_total", &[("outcome", "frozen")], |c| {
            c.frozen.get()
        })?;
        export.gauge("idle_buffers", &[], |c| c.idle_by_counts() as f64)?;
        export.gauge("idle_bytes", &[], |c| {
            c.idle_bytes.load(Ordering::Relaxed) as f64
        })
    }

    /// A snapshot of the pool's counters.
    pub fn stats(&self) -> BufferStats {
        let c = &self.counters;
        BufferStats {
            reuses: c.reuses.get(),
            allocations: c.allocations.get(),
            oversize: c.oversize.get(),
            returns: c.returns.get(),
            discards: c.discards.get(),
            frozen: c.frozen.get(),
            idle_buffers: self.classes.iter().map(ArrayQueue::len).sum(),
            idle_bytes: c.idle_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Figures of a [`BufferPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BufferStats {
    /// `get`s served by an idle buffer.
    pub reuses: u64,
    /// `get`s that allocated a new class-sized buffer.
    pub allocations: u64,
    /// `get`s above the largest class, served by a plain allocation that is never pooled.
    pub oversize: u64,
    /// Buffers kept for reuse on drop.
    pub returns: u64,
    /// Buffers freed on drop: over the idle-bytes budget, a full class, or a capacity
    /// outside the classes (oversize buffers are counted here too when dropped).
    pub discards: u64,
    /// Buffers that left the pool through [`PooledBuf::freeze`] or [`PooledBuf::detach`].
    pub frozen: u64,
    /// Buffers waiting in the pool now.
    pub idle_buffers: usize,
    /// Capacity of the buffers waiting in the pool now, in bytes (at most the budget).
    pub idle_bytes: usize,
}

/// A buffer on loan from a [`BufferPool`]: empty when handed out, cleared and returned when
/// dropped. Dereferences to `BytesMut`.
#[must_use = "the buffer goes straight back to the pool when dropped"]
pub struct PooledBuf<'a> {
    /// `Some` for the guard's whole life; taken only by `freeze`, `detach` and `drop`.
    buf: Option<BytesMut>,
    pool: &'a BufferPool,
}

impl PooledBuf<'_> {
    /// Turns the contents into `Bytes` without copying; the buffer leaves the pool (counted
    /// in [`BufferStats::frozen`]).
    pub fn freeze(self) -> Bytes {
        self.detach().freeze()
    }

    /// Takes the `BytesMut` out of the pool for good (counted in [`BufferStats::frozen`]).
    pub fn detach(mut self) -> BytesMut {
        self.pool.counters.frozen.add(1);
        self.buf.take().unwrap_or_default()
    }
}

impl Deref for PooledBuf<'_> {
    type Target = BytesMut;

    #[inline]
    fn deref(&self) -> &BytesMut {
        match &self.buf {
            Some(b) => b,
            None => unreachable!("a pooled buffer is present until the guard ends"),
        }
    }
}

impl DerefMut for PooledBuf<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut BytesMut {
        match &mut self.buf {
            Some(b) => b,
            None => unreachable!("a pooled buffer is present until the guard ends"),
        }
    }
}

impl fmt::Debug for PooledBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl Drop for PooledBuf<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.pool.put_back(b);
        }
    }
}

/// Settings of a [`BufferPool`]; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct BufferPoolBuilder {
    min_size: usize,
    max_size: usize,
    max_idle_bytes: usize,
}

impl Default for BufferPoolBuilder {
    fn default() -> Self {
        Self {
            min_size: 512,
            max_size: 4 << 20,
            max_idle_bytes: 64 << 20,
        }
    }
}

impl BufferPoolBuilder {
    /// The smallest class, in bytes: a power of two. Smaller requests get a buffer of this
    /// size. Default 512.
    pub fn min_size(mut self, bytes: usize) -> Self {
        self.min_size = bytes;
        self
    }

    /// The largest class, in bytes: a power of two, at least `min_size`. Larger requests are
    /// plain allocations. Default 4 MiB.
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// The most bytes of idle buffers the pool keeps, over all classes; returns beyond it
    /// free their buffer. 0 keeps nothing. Default 64 MiB.
    pub fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.max_idle_bytes = bytes;
        self
    }

    /// Checks the settings. Errors: [`MemError::InvalidConfig`] when a size is zero or not a
    /// power of two, or `min_size > max_size`.
    pub fn build(self) -> Result<BufferPool, MemError> {
        for (field, v) in [("min_size", self.min_size), ("max_size", self.max_size)] {
            if !v.is_power_of_two() {
                return Err(MemError::invalid(
                    field,
                    format!("{v} is not a power of two (at least 1)"),
                ));
            }
        }
        if self.min_size > self.max_size {
            return Err(MemError::invalid(
                "min_size",
                format!("{} is above max_size {}", self.min_size, self.max_size),
            ));
        }
        let min_shift = self.min_size.trailing_zeros();
        let classes = (min_shift..=self.max_size.trailing_zeros())
            .map(|shift| {
                let fits = self.max_idle_bytes >> shift;
                ArrayQueue::new(fits.clamp(1, MAX_PER_CLASS))
            })
            .collect();
        Ok(BufferPool {
            classes,
            min_shift,
            max_size: self.max_size,
            max_idle_bytes: self.max_idle_bytes,
            counters: Arc::default(),
        })
    }
}
