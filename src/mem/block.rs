//! [`BlockPool`]: fixed-size, aligned blocks carved from a few large allocations.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::error::MemError;
use super::raw::{Geometry, PoolHandle, RawBlock};

/// The largest alignment a pool accepts (one page on common systems).
pub const MAX_ALIGN: usize = 4096;
/// The most blocks one pool can hold, growth included.
pub const MAX_BLOCKS: usize = 1 << 31;
/// The most chunks (the first allocation plus growth steps) one pool can make.
pub const MAX_CHUNKS: usize = 4096;

/// A pool of fixed-size, aligned byte blocks.
///
/// Blocks are carved from a few large allocations (chunks). [`alloc`](Self::alloc) and the
/// give-back when a [`Block`] drops are O(1) and take no lock: each thread works on its own
/// small cache of free blocks and refills or drains it in batches from a shared lock-free
/// stack (ABA-safe, tagged indices). Growth, when enabled, adds one chunk at a time up to a
/// maximum; it is the only step that takes a lock.
///
/// A `BlockPool` is a cheap handle: clones share one pool, and it is `Send + Sync`. Each
/// [`Block`] keeps the pool alive, so the memory is freed when the last handle and the last
/// block are gone.
///
/// Fresh blocks are zeroed; a reused block holds what its previous owner wrote.
///
/// ```
/// use perfkit::mem::BlockPool;
///
/// let pool = BlockPool::builder().block_size(4096).blocks(64).align(64).build()?;
/// let mut block = pool.alloc().expect("64 free blocks");
/// block[..5].copy_from_slice(b"hello");
/// assert_eq!(block.len(), 4096);
/// assert_eq!(block.as_ptr() as usize % 64, 0);
/// assert_eq!(pool.stats().in_use, 1);
/// drop(block);
/// assert_eq!(pool.stats().in_use, 0);
/// # Ok::<(), perfkit::mem::MemError>(())
/// ```
#[derive(Clone)]
pub struct BlockPool {
    // The pool's one counted handle, shared by every clone; metrics hold a `Weak` of it, so
    // registering does not keep the pool alive.
    handle: Arc<PoolHandle>,
}

impl fmt::Debug for BlockPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockPool")
            .field("block_size", &self.block_size())
            .field("align", &self.align())
            .field("stats", &self.stats())
            .finish()
    }
}

impl BlockPool {
    /// Starts a [`BlockPoolBuilder`] with its defaults: 4096-byte blocks, 1024 of them,
    /// aligned to 64 bytes, no growth.
    pub fn builder() -> BlockPoolBuilder {
        BlockPoolBuilder::default()
    }

    /// Takes a free block, or `None` when every block is in use and the pool cannot grow
    /// (counted in [`BlockStats::exhausted`]).
    #[inline]
    pub fn alloc(&self) -> Option<Block> {
        self.handle.alloc_opt().map(|raw| Block { raw })
    }

    /// Takes a free block, saying why when there is none: [`MemError::Exhausted`], or
    /// [`MemError::OutOfMemory`] when growing failed.
    #[inline]
    pub fn try_alloc(&self) -> Result<Block, MemError> {
        self.handle.alloc().map(|raw| Block { raw })
    }

    /// The usable size of each block, in bytes.
    pub fn block_size(&self) -> usize {
        self.handle.geometry().block_size
    }

    /// The alignment of each block's first byte.
    pub fn align(&self) -> usize {
        self.handle.geometry().align
    }

    /// Whether `block` came from this pool (or a clone of this handle).
    pub fn owns(&self, block: &Block) -> bool {
        block.raw.belongs_to(&self.handle)
    }

    /// Whether two handles share the same pool.
    pub fn same_pool(&self, other: &BlockPool) -> bool {
        Arc::ptr_eq(&self.handle, &other.handle)
    }

    /// A snapshot of the pool's figures. Exact when no other thread is using the pool; a
    /// close approximation while they are.
    pub fn stats(&self) -> BlockStats {
        stats_of(&self.handle)
    }

    /// Registers the pool's figures in `registry` as series read at render time:
    /// `{prefix}_capacity`, `{prefix}_max_capacity`, `{prefix}_in_use`, `{prefix}_cached`,
    /// `{prefix}_high_water` (gauges) and `{prefix}_exhausted_total` (counter). The series
    /// do not keep the pool alive; they vanish once it is dropped.
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
        let export = crate::metrics::export::Exporter::new(registry, prefix, &self.handle)?;
        let gauges: [crate::metrics::export::Field<BlockStats, usize>; 5] = [
            ("capacity", |s| s.capacity),
            ("max_capacity", |s| s.max_capacity),
            ("in_use", |s| s.in_use),
            ("cached", |s| s.cached),
            ("high_water", |s| s.high_water),
        ];
        for (name, read) in gauges {
            export.gauge(name, &[], move |h| read(&stats_of(h)) as f64)?;
        }
        export.counter("exhausted_total", &[], |h| stats_of(h).exhausted)
    }
}

fn stats_of(handle: &PoolHandle) -> BlockStats {
    let s = handle.stats();
    BlockStats {
        capacity: s.capacity,
        max_capacity: s.max_capacity,
        in_use: s.in_use,
        cached: s.cached,
        high_water: s.high_water,
        exhausted: s.exhausted as u64,
    }
}

/// Figures of a [`BlockPool`], in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockStats {
    /// Blocks the pool holds now (grows with each chunk added).
    pub capacity: usize,
    /// The most blocks the pool may ever hold.
    pub max_capacity: usize,
    /// Blocks held by callers as [`Block`]s.
    pub in_use: usize,
    /// Free blocks sitting in per-thread caches (free, but not on the shared list).
    pub cached: usize,
    /// The most blocks that were off the shared free list at once (in use or cached): an
    /// upper bound of the peak of `in_use`, within one cache's worth per thread.
    pub high_water: usize,
    /// How many allocations failed because no block was free and the pool could not grow.
    pub exhausted: u64,
}

/// A block taken from a [`BlockPool`]; it goes back to the pool when dropped.
///
/// Dereferences to `[u8]` of the pool's block size. It is `Send` (free it on any thread) and
/// keeps its pool alive.
#[must_use = "a block goes straight back to the pool when dropped"]
pub struct Block {
    raw: RawBlock,
}

impl Block {
    /// The block's number within its pool (stable for the pool's life; for diagnostics).
    pub fn index(&self) -> u32 {
        self.raw.index()
    }
}

impl Deref for Block {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.raw.as_slice()
    }
}

impl DerefMut for Block {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.raw.as_mut_slice()
    }
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for Block {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("index", &self.index())
            .field("len", &self.len())
            .finish()
    }
}

/// Settings of a [`BlockPool`]; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct BlockPoolBuilder {
    block_size: usize,
    blocks: usize,
    align: usize,
    growth: Option<(usize, usize)>,
}

impl Default for BlockPoolBuilder {
    fn default() -> Self {
        Self {
            block_size: 4096,
            blocks: 1024,
            align: 64,
            growth: None,
        }
    }
}

impl BlockPoolBuilder {
    /// Usable bytes per block; at least 1. Default 4096.
    pub fn block_size(mut self, bytes: usize) -> Self {
        self.block_size = bytes;
        self
    }

    /// Blocks allocated up front, in one chunk; at least 1. Default 1024.
    pub fn blocks(mut self, n: usize) -> Self {
        self.blocks = n;
        self
    }

    /// Alignment of every block: a power of two from 1 to [`MAX_ALIGN`] (4096). Blocks are
    /// spaced by the block size rounded up to it. Default 64 (a cache line).
    pub fn align(mut self, bytes: usize) -> Self {
        self.align = bytes;
        self
    }

    /// Lets the pool grow when it runs out: one more chunk of `chunk_blocks` blocks at a
    /// time, until it holds `max_blocks` (the last chunk is cut to fit). Default: no growth,
    /// the pool holds [`blocks`](Self::blocks) blocks for its life.
    pub fn grow(mut self, chunk_blocks: usize, max_blocks: usize) -> Self {
        self.growth = Some((chunk_blocks, max_blocks));
        self
    }

    /// Checks the settings and allocates the first chunk.
    ///
    /// Errors: [`MemError::InvalidConfig`] for a zero block size or block count, an
    /// alignment that is zero, not a power of two or above [`MAX_ALIGN`], growth that is
    /// zero-sized or below `blocks`, more than [`MAX_BLOCKS`] blocks or [`MAX_CHUNKS`]
    /// chunks, or a chunk whose byte size overflows; [`MemError::OutOfMemory`] if the
    /// allocator refuses the first chunk.
    pub fn build(self) -> Result<BlockPool, MemError> {
        let geometry = self.geometry()?;
        Ok(BlockPool {
            handle: Arc::new(PoolHandle::new(geometry)?),
        })
    }

    fn geometry(&self) -> Result<Geometry, MemError> {
        if self.block_size == 0 {
            return Err(MemError::invalid("block_size", "must be at least 1 byte"));
        }
        if self.blocks == 0 {
            return Err(MemError::invalid("blocks", "must be at least 1"));
        }
        if !self.align.is_power_of_two() || self.align > MAX_ALIGN {
            return Err(MemError::invalid(
                "align",
                format!("{} is not a power of two from 1 to {MAX_ALIGN}", self.align),
            ));
        }
        let (grow_blocks, max_blocks) = match self.growth {
            None => (self.blocks, self.blocks),
            Some((0, _)) => {
                return Err(MemError::invalid("grow", "chunk_blocks must be at least 1"));
            }
            Some((_, m)) if m < self.blocks => {
                return Err(MemError::invalid(
                    "grow",
                    format!("max_blocks {m} is below the initial {} blocks", self.blocks),
                ));
            }
            Some((c, m)) => (c.min(m), m),
        };
        if max_blocks > MAX_BLOCKS {
            return Err(MemError::invalid(
                "blocks",
                format!("{max_blocks} blocks exceed the limit of {MAX_BLOCKS}"),
            ));
        }
        let extra = max_blocks - self.blocks;
        let chunks = 1 + extra.div_ceil(grow_blocks);
        if chunks > MAX_CHUNKS {
            return Err(MemError::invalid(
                "grow",
                format!("{chunks} chunks exceed the limit of {MAX_CHUNKS}; grow by larger chunks"),
            ));
        }
        let stride = self
            .block_size
            .checked_next_multiple_of(self.align)
            .ok_or_else(|| MemError::invalid("block_size", "overflows when aligned"))?;
        let geometry = Geometry {
            block_size: self.block_size,
            stride,
            align: self.align,
            // Both below MAX_BLOCKS (2^31), so they fit in u32.
            first_blocks: self.blocks as u32,
            grow_blocks: grow_blocks as u32,
            chunks,
            max_blocks: max_blocks as u32,
        };
        let largest = self.blocks.max(grow_blocks.min(extra));
        if geometry.chunk_layout(largest as u32).is_none() {
            return Err(MemError::invalid(
                "block_size",
                format!("{largest} blocks of {stride} bytes overflow the largest allocation"),
            ));
        }
        Ok(geometry)
    }
}
