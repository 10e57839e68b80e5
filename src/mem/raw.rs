//! The unsafe core of [`super::BlockPool`]: chunks of raw memory, the shared free list, the
//! per-thread caches, and the reference count that frees everything when the last handle
//! and the last block are gone. The reasoning is written out in `docs/unsafe.md` (## mem).
//!
//! Ownership in one sentence: an index is owned by exactly one of the shared stack, one
//! cache, or one `RawBlock`, and moves between them only by the owner giving it up.
//!
//! `refs` counts handles (high 32 bits) and blocks outside the shared stack (low 32 bits:
//! held by callers or sitting in a cache). Whoever brings the whole word to zero frees the
//! pool; nothing touches it afterwards, because nothing that could is left.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::{Mutex, OnceLock};

use crossbeam_utils::CachePadded;

use super::error::MemError;
use super::magazine::{Entry, MAGAZINE, close_all};
use super::stack::{FreeStack, NIL};
use super::sync::{AtomicBool, AtomicU32};
use super::token::thread_token;

/// Per-thread caches per pool; a power of two so the thread token maps by a mask.
const CACHES: usize = 16;
/// Blocks moved between a cache and the shared stack at once.
const BATCH: usize = MAGAZINE / 2;
/// One handle in `refs`.
const HANDLE: u64 = 1 << 32;
const OUTSTANDING: u64 = HANDLE - 1;

type Magazine = super::magazine::Magazine<Entry, MAGAZINE>;
type MagazineGuard<'a> = super::magazine::MagazineGuard<'a, Entry, MAGAZINE>;

/// The validated shape of a pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub(crate) block_size: usize,
    /// `block_size` rounded up to `align`: the distance between blocks.
    pub(crate) stride: usize,
    pub(crate) align: usize,
    pub(crate) first_blocks: u32,
    pub(crate) grow_blocks: u32,
    pub(crate) chunks: usize,
    pub(crate) max_blocks: u32,
}

impl Geometry {
    /// Chunk `c` and offset of block `i`; `first_blocks` in chunk 0, `grow_blocks` after.
    #[inline]
    fn locate(&self, i: u32) -> (usize, usize) {
        match i.checked_sub(self.first_blocks) {
            None => (0, i as usize),
            Some(r) => (
                1 + (r / self.grow_blocks) as usize,
                (r % self.grow_blocks) as usize,
            ),
        }
    }

    fn chunk_len(&self, c: usize) -> u32 {
        if c == 0 {
            self.first_blocks
        } else {
            let start = self.first_blocks as u64 + (c as u64 - 1) * self.grow_blocks as u64;
            (self.max_blocks as u64 - start).min(self.grow_blocks as u64) as u32
        }
    }

    fn chunk_start(&self, c: usize) -> u32 {
        if c == 0 {
            0
        } else {
            self.first_blocks + (c as u32 - 1) * self.grow_blocks
        }
    }

    pub(crate) fn chunk_layout(&self, blocks: u32) -> Option<Layout> {
        let size = self.stride.checked_mul(blocks as usize)?;
        Layout::from_size_align(size, self.align).ok()
    }
}

/// One large allocation holding `links.len()` blocks.
#[derive(Debug)]
struct Chunk {
    base: NonNull<u8>,
    layout: Layout,
    links: Box<[AtomicU32]>,
}

// SAFETY: a chunk is a plain owned allocation; which thread may touch which block is decided
// by index ownership (module docs), not by the chunk.
unsafe impl Send for Chunk {}
// SAFETY: as above; shared access only computes addresses and touches the atomic links.
unsafe impl Sync for Chunk {}

impl Chunk {
    fn new(layout: Layout, blocks: u32) -> Result<Self, MemError> {
        // Zeroed, so a fresh block is initialised memory and can be handed out as `&mut [u8]`.
        // SAFETY: `layout` has a non-zero size (block_size >= 1 and blocks >= 1, checked by
        // the builder).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let base = NonNull::new(raw).ok_or(MemError::OutOfMemory {
            bytes: layout.size(),
        })?;
        let links = (0..blocks).map(|_| AtomicU32::new(NIL)).collect();
        Ok(Self {
            base,
            layout,
            links,
        })
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: `base` came from `alloc_zeroed(self.layout)` and is freed once, here; the
        // pool is only dropped when no block of it is held (refs reached zero).
        unsafe { alloc::dealloc(self.base.as_ptr(), self.layout) }
    }
}

/// The shared state of one pool.
#[derive(Debug)]
pub(crate) struct Inner {
    refs: CachePadded<std::sync::atomic::AtomicU64>,
    stack: CachePadded<FreeStack>,
    closed: CachePadded<AtomicBool>,
    /// Inline, indexed by a mask: no pointer to chase and no bounds check on the fast path.
    caches: [CachePadded<Magazine>; CACHES],
    chunks: Box<[OnceLock<Chunk>]>,
    /// Chunks created so far; growth is rare and takes this lock, the fast paths never do.
    grown: Mutex<usize>,
    capacity: AtomicUsize,
    high_water: AtomicUsize,
    exhausted: AtomicUsize,
    geometry: Geometry,
}

/// What `stats()` reads, in blocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawStats {
    pub(crate) capacity: usize,
    pub(crate) in_use: usize,
    pub(crate) cached: usize,
    pub(crate) high_water: usize,
    pub(crate) exhausted: usize,
    pub(crate) max_capacity: usize,
}

impl Inner {
    #[inline]
    fn link(&self, i: u32) -> Option<&AtomicU32> {
        let (c, off) = self.geometry.locate(i);
        self.chunks.get(c)?.get()?.links.get(off)
    }

    #[inline]
    fn entry(&self, i: u32) -> Option<Entry> {
        let (c, off) = self.geometry.locate(i);
        let chunk = self.chunks.get(c)?.get()?;
        if off >= chunk.links.len() {
            return None;
        }
        // SAFETY: `off < blocks of the chunk`, so `off * stride` is inside the chunk's
        // allocation (its size is `stride * blocks`, checked not to overflow at build).
        let ptr = unsafe { chunk.base.add(off * self.geometry.stride) };
        Some(Entry { ptr, index: i })
    }

    /// Creates chunk `c`, and returns its first and last index (links not yet chained).
    fn add_chunk(&self, c: usize) -> Result<(u32, u32), MemError> {
        let blocks = self.geometry.chunk_len(c);
        let layout = self
            .geometry
            .chunk_layout(blocks)
            .ok_or(MemError::invalid("block_size", "chunk size overflows"))?;
        let chunk = Chunk::new(layout, blocks)?;
        let first = self.geometry.chunk_start(c);
        for (k, l) in chunk.links.iter().enumerate() {
            l.store(first + k as u32 + 1, Ordering::Relaxed);
        }
        let last = first + blocks - 1;
        let slot = self
            .chunks
            .get(c)
            .ok_or(MemError::invalid("grow", "chunk table is full"))?;
        // Only the holder of `grown` creates chunk `c`, and only once, so the cell is empty.
        let _ = slot.set(chunk);
        self.capacity.fetch_add(blocks as usize, Ordering::Relaxed);
        Ok((first, last))
    }

    fn add_outstanding(&self, n: usize) {
        let old = self.refs.fetch_add(n as u64, Ordering::Relaxed);
        let out = (old & OUTSTANDING) as usize + n;
        if out > self.high_water.load(Ordering::Relaxed) {
            self.high_water.fetch_max(out, Ordering::Relaxed);
        }
    }

    /// Moves up to `n` entries from a cache to the shared stack; returns how many moved.
    fn flush(&self, cache: &mut MagazineGuard<'_>, n: usize) -> usize {
        let Some(first) = cache.pop() else {
            return 0;
        };
        let mut last = first.index;
        let mut moved = 1;
        while moved < n {
            let Some(e) = cache.pop() else { break };
            if let Some(l) = self.link(last) {
                l.store(e.index, Ordering::Relaxed);
            }
            last = e.index;
            moved += 1;
        }
        self.stack.push_chain(first.index, last, |i| self.link(i));
        moved
    }

    #[inline]
    fn cache(&self) -> &Magazine {
        &self.caches[thread_token() & (CACHES - 1)]
    }

    /// The fast path: a block from this thread's cache, or `None`. Kept small enough to
    /// inline into the caller; everything else is behind [`Self::alloc_slow`].
    #[inline]
    fn alloc_cached(&self) -> Option<Entry> {
        self.cache().try_lock()?.pop()
    }

    /// Refills this thread's cache from the shared stack, and otherwise looks further.
    #[cold]
    #[inline(never)]
    fn alloc_slow(&self) -> Result<Entry, MemError> {
        if let Some(mut cache) = self.cache().try_lock() {
            // It may have been busy, not empty, when the fast path looked.
            if let Some(e) = cache.pop() {
                return Ok(e);
            }
            let mut got = 0;
            while got < BATCH {
                let Some(e) = self.stack.pop(|i| self.link(i)).and_then(|i| self.entry(i)) else {
                    break;
                };
                // Room for BATCH < MAGAZINE: we only refill an empty cache, and we hold it.
                if cache.push(e).is_err() {
                    self.stack.push(e.index, |i| self.link(i));
                    break;
                }
                got += 1;
            }
            if got > 0 {
                self.add_outstanding(got);
                if let Some(e) = cache.pop() {
                    return Ok(e);
                }
            }
        }
        self.alloc_uncached()
    }

    #[cold]
    fn alloc_uncached(&self) -> Result<Entry, MemError> {
        if let Some(e) = self.pop_shared() {
            return Ok(e);
        }
        // Blocks may sit in other threads' caches (a thread that exited leaves its cache
        // behind): take one rather than report exhaustion or grow.
        for cache in self.caches.iter() {
            if let Some(e) = cache.try_lock().and_then(|mut g| g.pop()) {
                return Ok(e);
            }
        }
        let mut grown = self.grown.lock().unwrap_or_else(|p| p.into_inner());
        // Another thread may have grown while we waited.
        if let Some(e) = self.pop_shared() {
            return Ok(e);
        }
        if *grown < self.chunks.len() {
            let (first, last) = self.add_chunk(*grown)?;
            *grown += 1;
            if last > first {
                self.stack.push_chain(first + 1, last, |i| self.link(i));
            }
            if let Some(e) = self.entry(first) {
                self.add_outstanding(1);
                return Ok(e);
            }
        }
        drop(grown);
        self.exhausted.fetch_add(1, Ordering::Relaxed);
        Err(MemError::Exhausted {
            capacity: self.capacity.load(Ordering::Relaxed),
        })
    }

    fn pop_shared(&self) -> Option<Entry> {
        let e = self
            .stack
            .pop(|i| self.link(i))
            .and_then(|i| self.entry(i))?;
        self.add_outstanding(1);
        Some(e)
    }

    /// Takes a block back; returns how many references the caller must still release
    /// (through [`release_raw`], so no `&Inner` is alive when the pool may be freed).
    #[inline]
    fn give_back(&self, e: Entry) -> u64 {
        if let Some(mut cache) = self.cache().lock_open(&self.closed) {
            match cache.push(e) {
                Ok(()) => 0,
                Err(e) => self.give_back_full(&mut cache, e),
            }
        } else {
            self.stack.push(e.index, |i| self.link(i));
            1
        }
    }

    /// The cache is full: half of it goes to the shared stack, then `e` into it.
    #[cold]
    #[inline(never)]
    fn give_back_full(&self, cache: &mut MagazineGuard<'_>, e: Entry) -> u64 {
        let moved = self.flush(cache, BATCH);
        // Cannot free the pool: `e` still counts.
        self.refs.fetch_sub(moved as u64, Ordering::Release);
        if cache.push(e).is_ok() {
            return 0;
        }
        self.stack.push(e.index, |i| self.link(i));
        1
    }

    fn stats(&self) -> RawStats {
        let out = (self.refs.load(Ordering::Relaxed) & OUTSTANDING) as usize;
        let cached: usize = self.caches.iter().map(|c| c.len_hint()).sum();
        RawStats {
            capacity: self.capacity.load(Ordering::Relaxed),
            in_use: out.saturating_sub(cached),
            cached,
            high_water: self.high_water.load(Ordering::Relaxed),
            exhausted: self.exhausted.load(Ordering::Relaxed),
            max_capacity: self.geometry.max_blocks as usize,
        }
    }
}

/// A counted handle to a pool (`BlockPool` shares one through an `Arc`). The last handle's
/// drop drains the caches, and whoever drops the last reference (handle or block) frees
/// the pool. The count leaves room for many handles; today there is one per pool.
#[derive(Debug)]
pub(crate) struct PoolHandle {
    inner: NonNull<Inner>,
}

// SAFETY: `Inner` is shared through atomics, the caches' busy flags and a mutex; every field
// is safe to use from any thread (see the `Sync` impls of `Magazine` and `Chunk`).
unsafe impl Send for PoolHandle {}
// SAFETY: as above.
unsafe impl Sync for PoolHandle {}

impl PoolHandle {
    pub(crate) fn new(geometry: Geometry) -> Result<Self, MemError> {
        let inner = Inner {
            refs: CachePadded::new(std::sync::atomic::AtomicU64::new(HANDLE)),
            stack: CachePadded::new(FreeStack::new()),
            closed: CachePadded::new(AtomicBool::new(false)),
            caches: std::array::from_fn(|_| CachePadded::new(Magazine::new(MAGAZINE))),
            chunks: (0..geometry.chunks).map(|_| OnceLock::new()).collect(),
            grown: Mutex::new(1),
            capacity: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            exhausted: AtomicUsize::new(0),
            geometry,
        };
        let (first, last) = inner.add_chunk(0)?;
        inner.stack.push_chain(first, last, |i| inner.link(i));
        Ok(Self {
            inner: NonNull::from(Box::leak(Box::new(inner))),
        })
    }

    #[inline]
    fn inner(&self) -> &Inner {
        // SAFETY: a handle is one of the references counted in `refs`, so the pool is alive
        // while `self` is.
        unsafe { self.inner.as_ref() }
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.inner().geometry
    }

    pub(crate) fn stats(&self) -> RawStats {
        self.inner().stats()
    }

    #[inline]
    pub(crate) fn alloc(&self) -> Result<RawBlock, MemError> {
        let inner = self.inner();
        let e = match inner.alloc_cached() {
            Some(e) => e,
            None => inner.alloc_slow()?,
        };
        Ok(self.block(e))
    }

    /// As [`Self::alloc`], for callers that need no reason: the fast path then carries no
    /// `MemError` (a large value) around.
    #[inline]
    pub(crate) fn alloc_opt(&self) -> Option<RawBlock> {
        let inner = self.inner();
        let e = match inner.alloc_cached() {
            Some(e) => e,
            None => inner.alloc_slow().ok()?,
        };
        Some(self.block(e))
    }

    #[inline]
    fn block(&self, e: Entry) -> RawBlock {
        RawBlock {
            pool: self.inner,
            ptr: e.ptr,
            index: e.index,
            len: self.inner().geometry.block_size,
        }
    }
}

impl Drop for PoolHandle {
    fn drop(&mut self) {
        let inner = self.inner();
        let mut cur = inner.refs.load(Ordering::Relaxed);
        let last = loop {
            let last = cur >> 32 == 1;
            // The last handle trades itself for one temporary block reference, so the pool
            // outlives the draining below even if every block comes back meanwhile.
            let new = if last { cur - HANDLE + 1 } else { cur - HANDLE };
            match inner
                .refs
                .compare_exchange_weak(cur, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => break last,
                Err(now) => cur = now,
            }
        };
        if !last {
            return;
        }
        let mut drained = 0;
        close_all(&inner.closed, inner.caches.iter().map(|c| &**c), |g| {
            drained += inner.flush(g, MAGAZINE);
        });
        // SAFETY: we hold `drained + 1` references (the drained blocks and the temporary).
        unsafe { release_raw(self.inner, drained as u64 + 1) }
    }
}

/// Drops `n` references to the pool at `pool`, and frees it if they were the last.
///
/// Works from the raw pointer, so that no `&Inner` is held across the decrement: once it
/// is done, another thread may free the pool at any moment.
///
/// # Safety
/// The caller owns `n` of the references counted in `refs` and does not use them again.
unsafe fn release_raw(pool: NonNull<Inner>, n: u64) {
    if n == 0 {
        return;
    }
    // SAFETY: the caller's references keep the pool alive until the decrement below; the
    // reference made here covers only the atomic, which is all interior mutability.
    let refs = unsafe { &(*pool.as_ptr()).refs };
    if refs.fetch_sub(n, Ordering::Release) == n {
        // Every other release happened before ours; see their writes before freeing.
        fence(Ordering::Acquire);
        // SAFETY: `refs` reached zero: no handle and no block is left, so nothing else can
        // reach the pool; it was created by `Box::leak` in `PoolHandle::new`.
        drop(unsafe { Box::from_raw(pool.as_ptr()) });
    }
}

/// A block owned by the caller: exclusive access to `len` bytes at `ptr`.
#[derive(Debug)]
pub(crate) struct RawBlock {
    pool: NonNull<Inner>,
    ptr: NonNull<u8>,
    index: u32,
    len: usize,
}

// SAFETY: the block's bytes are owned by this value alone (index ownership), and giving it
// back works from any thread.
unsafe impl Send for RawBlock {}
// SAFETY: `&RawBlock` only gives `&[u8]`.
unsafe impl Sync for RawBlock {}

impl RawBlock {
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points at `len` initialised bytes (chunks are zeroed, later writes
        // are through `&mut [u8]`) that only this block may use, for as long as it lives.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn belongs_to(&self, pool: &PoolHandle) -> bool {
        self.pool == pool.inner
    }
}

impl Drop for RawBlock {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this block is counted in `refs`, so the pool is alive until that
        // reference is released below, after the last use of `inner`.
        let inner = unsafe { self.pool.as_ref() };
        let e = Entry {
            ptr: self.ptr,
            index: self.index,
        };
        let n = inner.give_back(e);
        // Checked here, not in `release_raw`: the common case (the block stayed in a cache)
        // then costs no call.
        if n > 0 {
            // SAFETY: `give_back` left us `n` references to release (our own, if the block
            // went to the shared stack).
            unsafe { release_raw(self.pool, n) }
        }
    }
}
