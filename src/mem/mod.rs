//! Memory pools: fixed-size blocks, reusable objects, size-classed byte buffers.
//!
//! - [`BlockPool`]: fixed-size blocks of a configurable size and power-of-two alignment
//!   (up to 4096), carved from a few large allocations. Allocation and give-back are O(1)
//!   and lock-free: per-thread caches over a shared ABA-safe stack. Optional growth in
//!   chunks up to a maximum. Blocks keep their pool alive.
//! - [`ObjectPool`]: reusable values of any type made by a factory, reset on return,
//!   idle values bounded by `max_idle`; [`Pooled::detach`] takes one out for good. Get and
//!   return are lock-free: per-thread caches (the same kind as `BlockPool`'s) over a shared
//!   bounded queue.
//! - [`BufferPool`]: `bytes::BytesMut` buffers in power-of-two size classes (512 B .. 4 MiB
//!   by default), cleared on return, idle bytes bounded; [`PooledBuf::freeze`] gives
//!   `Bytes` without copying.
//! - [`ArenaPool`]: pooled `bumpalo::Bump` arenas, reset on return; an arena that grew past
//!   the retained-capacity limit is freed, so one burst does not pin memory.
//!
//! With the `metrics` feature on, every pool has `register_metrics(&registry, prefix)`,
//! which exports its figures as series read at render time, without keeping the pool alive.
//!
//! Every builder checks its settings and returns [`MemError`] for ones that cannot work —
//! never a panic. The unsafe core and the reasoning behind it are described in
//! `docs/unsafe.md` (## mem).
//!
//! ```
//! use perfkit::mem::BlockPool;
//!
//! let pool = BlockPool::builder().block_size(512).blocks(8).grow(8, 64).build()?;
//! let blocks: Vec<_> = (0..20).filter_map(|_| pool.alloc()).collect();
//! assert_eq!(blocks.len(), 20);
//! assert_eq!(pool.stats().capacity, 24);
//! # Ok::<(), perfkit::mem::MemError>(())
//! ```

mod arena;
mod block;
mod buffer;
mod counter;
mod error;
#[allow(unsafe_code)]
mod magazine;
mod object;
#[allow(unsafe_code)]
mod raw;
mod stack;
mod sync;
mod token;

pub use arena::{ArenaPool, ArenaPoolBuilder, ArenaStats, PooledArena};
pub use block::{
    Block, BlockPool, BlockPoolBuilder, BlockStats, MAX_ALIGN, MAX_BLOCKS, MAX_CHUNKS,
};
pub use buffer::{BufferPool, BufferPoolBuilder, BufferStats, PooledBuf};
pub use error::MemError;
pub use object::{ObjectPool, ObjectStats, Pooled};
