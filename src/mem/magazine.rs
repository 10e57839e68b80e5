//! A per-thread cache ("magazine", after Bonwick's slab allocator): a small array behind a
//! busy flag that its thread takes with one uncontended compare-exchange. `BlockPool` keeps free block
//! entries in them, `ObjectPool` idle values.
//!
//! The flag is a try-lock, never waited on by the fast path: a thread that finds it taken
//! (another live thread mapped to the same cache, or a thief) goes to the pool's shared
//! store instead. Only [`close_all`], run once by a `BlockPool`'s last handle, waits on it,
//! and the holder then runs a bounded number of steps.
//!
//! The close protocol: a give-back takes its cache with [`Magazine::lock_open`], which lets
//! go and answers `None` once the pool is closed; [`close_all`] marks the pool closed before
//! it takes each cache and drains it. So after `close_all` no cache holds an entry and none
//! will again. The loom models at the end check this, and that the flag orders every access
//! to the entries, under all interleavings (`ci/mem.sh`).

use std::fmt;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;

use super::sync::{AtomicBool, AtomicUsize, UnsafeCell, yield_now};

/// Entries a `BlockPool` cache holds at most.
pub(crate) const MAGAZINE: usize = 32;

/// A free block: its address and its index in the pool.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) ptr: NonNull<u8>,
    pub(crate) index: u32,
}

// SAFETY: an entry is the address of a pool block, owned by whoever holds the entry (index
// ownership, docs/unsafe.md ## mem); nothing ties it to a thread.
unsafe impl Send for Entry {}

/// Up to `cap` (at most `N`) values behind a busy flag.
pub(crate) struct Magazine<T, const N: usize> {
    busy: AtomicBool,
    /// Written only by the holder of `busy`; read without it by stats (a hint).
    len: AtomicUsize,
    cap: usize,
    /// Slots `..len` are initialised.
    items: UnsafeCell<[MaybeUninit<T>; N]>,
}

// SAFETY: `items` is only touched through a `MagazineGuard` (or `&mut self` in `Drop`), and at
// most one guard exists at a time (the `busy` swap), so the cell is never accessed from two
// threads at once. Values move between threads through it, hence `T: Send`.
unsafe impl<T: Send, const N: usize> Sync for Magazine<T, N> {}

impl<T, const N: usize> fmt::Debug for Magazine<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Magazine")
            .field("len", &self.len_hint())
            .field("cap", &self.cap)
            .finish()
    }
}

impl<T, const N: usize> Magazine<T, N> {
    /// An empty cache that holds at most `cap` values (cut to `N`).
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            busy: AtomicBool::new(false),
            len: AtomicUsize::new(0),
            cap: cap.min(N),
            items: UnsafeCell::new([const { MaybeUninit::uninit() }; N]),
        }
    }

    /// Takes the cache if nobody holds it. Acquire: the values the previous holder left are
    /// visible to us.
    ///
    /// A compare-exchange rather than a swap: the same one locked instruction on x86, and
    /// loom 0.7 models it faithfully, whereas its `swap` can read a value that is no longer
    /// the latest (tokio-rs/loom#389), which made the model below report a flag left set.
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<MagazineGuard<'_, T, N>> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MagazineGuard { mag: self })
    }

    /// Takes the cache for a give-back, or `None` when it is busy or the pool is closed (the
    /// caller then uses the shared store).
    #[inline]
    pub(crate) fn lock_open(&self, closed: &AtomicBool) -> Option<MagazineGuard<'_, T, N>> {
        let guard = self.try_lock()?;
        // Relaxed is enough: `close_all` stores `closed` before it takes this flag. If it took
        // the flag before us, its release of the flag made the store visible to our acquire;
        // if after, it drains whatever we leave.
        if closed.load(Ordering::Relaxed) {
            None
        } else {
            Some(guard)
        }
    }

    /// Waits for the cache; used only when a pool closes.
    fn lock(&self) -> MagazineGuard<'_, T, N> {
        loop {
            if let Some(g) = self.try_lock() {
                return g;
            }
            yield_now();
        }
    }

    /// How many values the cache holds; exact when no thread is using the pool.
    #[inline]
    pub(crate) fn len_hint(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }
}

impl<T, const N: usize> Drop for Magazine<T, N> {
    fn drop(&mut self) {
        if !std::mem::needs_drop::<T>() {
            return;
        }
        let len = self.len_hint().min(N);
        self.items.with_mut(|items| {
            // SAFETY: `&mut self`, so nothing else reaches the items; the slots below `len`
            // are initialised, and each is dropped once, here.
            let live = unsafe { &mut (&mut *items)[..len] };
            for slot in live {
                // SAFETY: `slot` is one of the initialised slots (above).
                unsafe { slot.assume_init_drop() }
            }
        });
    }
}

/// Marks the pool closed, then takes every cache in turn (waiting for a holder to finish its
/// one operation) and hands it to `drain`, which must empty it. Afterwards no cache holds a
/// value and none will again: every later [`Magazine::lock_open`] sees `closed`.
pub(crate) fn close_all<'a, T: 'a, const N: usize>(
    closed: &AtomicBool,
    caches: impl IntoIterator<Item = &'a Magazine<T, N>>,
    mut drain: impl FnMut(&mut MagazineGuard<'a, T, N>),
) {
    closed.store(true, Ordering::SeqCst);
    for cache in caches {
        drain(&mut cache.lock());
    }
}

/// Exclusive access to one cache, released on drop.
pub(crate) struct MagazineGuard<'a, T, const N: usize> {
    mag: &'a Magazine<T, N>,
}

impl<T, const N: usize> MagazineGuard<'_, T, N> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // Only guard holders write `len`, and we are the holder.
        self.mag.len.load(Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        let new_len = self.len().checked_sub(1)?;
        let value = self.mag.items.with_mut(|items| {
            // SAFETY: we hold the flag, so this is the only access to the items.
            let slot = unsafe { (&*items).get(new_len) }?;
            // SAFETY: slots below `len` are initialised; lowering `len` below hands this
            // value to us alone, so it is read out once.
            Some(unsafe { slot.assume_init_read() })
        })?;
        self.mag.len.store(new_len, Ordering::Relaxed);
        Some(value)
    }

    /// Adds a value; hands it back when the cache is full.
    #[inline]
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        let len = self.len();
        if len >= self.mag.cap {
            return Err(value);
        }
        self.mag.items.with_mut(|items| {
            // SAFETY: we hold the flag, so this is the only access to the items.
            match unsafe { (&mut *items).get_mut(len) } {
                Some(slot) => {
                    slot.write(value);
                    Ok(())
                }
                None => Err(value),
            }
        })?;
        self.mag.len.store(len + 1, Ordering::Relaxed);
        Ok(())
    }
}

impl<T, const N: usize> Drop for MagazineGuard<'_, T, N> {
    #[inline]
    fn drop(&mut self) {
        // Release: the next holder sees the values we left.
        self.mag.busy.store(false, Ordering::Release);
    }
}

#[cfg(all(test, perfkit_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::{Arc, Mutex};

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(3);
        b.check(f);
    }

    /// An owner that pops and pushes back (alloc + free) races a thief that takes what it
    /// can (an allocating thread whose own cache was empty). loom fails the model if the two
    /// ever touch the entries without the flag ordering them; the value comes out once.
    #[test]
    fn loom_flag_orders_owner_and_thief() {
        model(|| {
            let mag = Arc::new(Magazine::<u32, 2>::new(2));
            let _ = mag.try_lock().map(|mut g| g.push(1));
            let thief = {
                let mag = mag.clone();
                loom::thread::spawn(move || mag.try_lock().and_then(|mut g| g.pop()))
            };
            if let Some(mut g) = mag.try_lock() {
                if let Some(v) = g.pop() {
                    assert_eq!(g.push(v), Ok(()));
                }
            }
            let mut seen: Vec<u32> = thief.join().unwrap().into_iter().collect();
            seen.extend(
                mag.try_lock()
                    .expect("the flag is free once both let go")
                    .pop(),
            );
            assert_eq!(seen, vec![1]);
            assert_eq!(mag.len_hint(), 0);
        });
    }

    /// Two give-backs race the pool's close. Whatever the schedule, afterwards no value is
    /// left in the cache (it would be stranded: nobody drains it again), and each value is
    /// either drained by the closer or went to the shared store, exactly once.
    #[test]
    fn loom_close_never_strands_a_give_back() {
        model(|| {
            let mag = Arc::new(Magazine::<u32, 4>::new(4));
            let closed = Arc::new(AtomicBool::new(false));
            let shared = Arc::new(Mutex::new(Vec::new()));
            let givers: Vec<_> = [1u32, 2]
                .into_iter()
                .map(|v| {
                    let (mag, closed, shared) = (mag.clone(), closed.clone(), shared.clone());
                    loom::thread::spawn(move || {
                        let kept = mag.lock_open(&closed).map(|mut g| g.push(v));
                        match kept {
                            Some(Ok(())) => {}
                            Some(Err(v)) => shared.lock().unwrap().push(v),
                            None => shared.lock().unwrap().push(v),
                        }
                    })
                })
                .collect();
            let mut drained = Vec::new();
            close_all(&closed, [&*mag], |g| {
                while let Some(v) = g.pop() {
                    drained.push(v);
                }
            });
            for g in givers {
                g.join().unwrap();
            }
            assert_eq!(mag.len_hint(), 0, "a value was left in a closed cache");
            drained.extend(shared.lock().unwrap().iter().copied());
            drained.sort_unstable();
            assert_eq!(drained, vec![1, 2]);
        });
    }
}
