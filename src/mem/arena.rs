//! [`ArenaPool`]: pooled `bumpalo::Bump` arenas, reset on return.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use bumpalo::Bump;
use crossbeam_queue::ArrayQueue;

use super::counter::ShardedCounter;
use super::error::MemError;

/// A pool of bump arenas for per-request scratch memory.
///
/// [`get`](Self::get) hands out an idle arena (or a new one); allocating from it is a
/// pointer bump. When the [`PooledArena`] drops, the arena is reset — its memory kept for
/// the next user, its contents gone — and returned. An arena that grew past the retained
/// capacity limit (default 1 MiB) during its last use is freed instead, so one burst does
/// not pin its peak memory in the pool forever. At most `max_idle` arenas wait in the pool.
///
/// ```
/// use perfkit::mem::ArenaPool;
///
/// let pool = ArenaPool::builder().max_idle(8).retain_bytes(64 * 1024).build()?;
/// {
///     let arena = pool.get();
///     let nums = arena.alloc_slice_fill_copy(100, 7u32);
///     let name = arena.alloc_str("request-42");
///     assert_eq!((nums.len(), &*name), (100, "request-42"));
/// } // reset and back in the pool
/// let s = pool.stats();
/// assert_eq!((s.creations, s.returns, s.idle), (1, 1, 1));
/// # Ok::<(), perfkit::mem::MemError>(())
/// ```
pub struct ArenaPool {
    idle: ArrayQueue<Bump>,
    retain_bytes: usize,
    initial_bytes: usize,
    counters: Arc<ArenaCounters>,
}

#[derive(Debug, Default)]
struct ArenaCounters {
    reuses: ShardedCounter,
    creations: ShardedCounter,
    returns: ShardedCounter,
    trimmed: ShardedCounter,
    discards: ShardedCounter,
}

impl fmt::Debug for ArenaPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArenaPool")
            .field("max_idle", &self.idle.capacity())
            .field("retain_bytes", &self.retain_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ArenaPool {
    /// Starts an [`ArenaPoolBuilder`] with its defaults: 16 idle arenas, 1 MiB retained per
    /// arena, arenas start with 4 KiB.
    pub fn builder() -> ArenaPoolBuilder {
        ArenaPoolBuilder::default()
    }

    /// An idle arena, or a new one.
    pub fn get(&self) -> PooledArena<'_> {
        let arena = match self.idle.pop() {
            Some(a) => {
                self.counters.reuses.add(1);
                a
            }
            None => {
                self.counters.creations.add(1);
                Bump::with_capacity(self.initial_bytes)
            }
        };
        PooledArena {
            arena: Some(arena),
            pool: self,
        }
    }

    fn put_back(&self, mut arena: Bump) {
        // Counted before the reset: every chunk the last user made the arena grow.
        if arena.allocated_bytes() > self.retain_bytes {
            self.counters.trimmed.add(1);
            return;
        }
        arena.reset();
        match self.idle.push(arena) {
            Ok(()) => self.counters.returns.add(1),
            Err(_) => self.counters.discards.add(1),
        }
    }

    /// Registers the pool's figures in `registry` as series read at render time:
    /// `{prefix}_gets_total{result="reuse"|"create"}`,
    /// `{prefix}_returns_total{outcome="kept"|"trimmed"|"discarded"}` (counters) and
    /// `{prefix}_idle` (gauge). The series do not keep the pool alive.
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
        export.counter("gets_total", &[("result", "create")], |c| c.creations.get())?;
        export.counter("returns_total", &[("outcome", "kept")], |c| c.returns.get())?;
        export.counter("returns_total", &[("outcome", "trimmed")], |c| {
            c.trimmed.get()
        })?;
        export.counter("returns_total", &[("outcome", "discarded")], |c| {
            c.discards.get()
        })?;
        export.gauge("idle", &[], |c| {
            c.returns.get().saturating_sub(c.reuses.get()) as f64
        })
    }

    /// A snapshot of the pool's counters.
    pub fn stats(&self) -> ArenaStats {
        let c = &self.counters;
        ArenaStats {
            reuses: c.reuses.get(),
            creations: c.creations.get(),
            returns: c.returns.get(),
            trimmed: c.trimmed.get(),
            discards: c.discards.get(),
            idle: self.idle.len(),
        }
    }
}

/// Figures of an [`ArenaPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArenaStats {
    /// `get`s served by an idle arena.
    pub reuses: u64,
    /// Arenas made by `get`.
    pub creations: u64,
    /// Arenas reset and kept on drop.
    pub returns: u64,
    /// Arenas freed on drop because they grew past the retained capacity limit.
    pub trimmed: u64,
    /// Arenas freed on drop because the pool already held `max_idle`.
    pub discards: u64,
    /// Arenas waiting in the pool now.
    pub idle: usize,
}

/// An arena on loan from an [`ArenaPool`]; dereferences to `bumpalo::Bump`. Everything
/// allocated from it borrows the guard, so nothing can outlive the reset on drop.
#[must_use = "the arena goes straight back to the pool when dropped"]
pub struct PooledArena<'a> {
    /// `Some` for the guard's whole life; taken only by `drop`.
    arena: Option<Bump>,
    pool: &'a ArenaPool,
}

impl Deref for PooledArena<'_> {
    type Target = Bump;

    #[inline]
    fn deref(&self) -> &Bump {
        match &self.arena {
            Some(a) => a,
            None => unreachable!("a pooled arena is present until the guard ends"),
        }
    }
}

impl fmt::Debug for PooledArena<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledArena")
            .field("allocated_bytes", &self.allocated_bytes())
            .finish()
    }
}

impl Drop for PooledArena<'_> {
    fn drop(&mut self) {
        if let Some(a) = self.arena.take() {
            self.pool.put_back(a);
        }
    }
}

/// Settings of an [`ArenaPool`]; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct ArenaPoolBuilder {
    max_idle: usize,
    retain_bytes: usize,
    initial_bytes: usize,
}

impl Default for ArenaPoolBuilder {
    fn default() -> Self {
        Self {
            max_idle: 16,
            retain_bytes: 1 << 20,
            initial_bytes: 4096,
        }
    }
}

impl ArenaPoolBuilder {
    /// The most idle arenas the pool keeps; at least 1. Default 16.
    pub fn max_idle(mut self, n: usize) -> Self {
        self.max_idle = n;
        self
    }

    /// An arena whose chunks total more than this many bytes when it comes back is freed
    /// instead of kept. Default 1 MiB.
    pub fn retain_bytes(mut self, bytes: usize) -> Self {
        self.retain_bytes = bytes;
        self
    }

    /// The capacity a new arena starts with, in bytes; at most `retain_bytes`. Default 4096.
    pub fn initial_bytes(mut self, bytes: usize) -> Self {
        self.initial_bytes = bytes;
        self
    }

    /// Checks the settings. Errors: [`MemError::InvalidConfig`] when `max_idle` is 0 or
    /// `initial_bytes` is above `retain_bytes` (every arena would be freed on return).
    pub fn build(self) -> Result<ArenaPool, MemError> {
        if self.max_idle == 0 {
            return Err(MemError::invalid("max_idle", "must be at least 1"));
        }
        if self.initial_bytes > self.retain_bytes {
            return Err(MemError::invalid(
                "initial_bytes",
                format!(
                    "{} is above retain_bytes {}",
                    self.initial_bytes, self.retain_bytes
                ),
            ));
        }
        Ok(ArenaPool {
            idle: ArrayQueue::new(self.max_idle),
            retain_bytes: self.retain_bytes,
            initial_bytes: self.initial_bytes,
            counters: Arc::default(),
        })
    }
}
