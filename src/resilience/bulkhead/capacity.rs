//! The slots themselves: a fair semaphore, resized to follow an adaptive limit.
//!
//! Permits taken from the semaphore are `forget`-ed at once and given back by hand on
//! release, so a permit holds no semaphore guard and can decide
//! at release time whether its slot still exists.
//!
//! Following a limit: `current` is the limit the semaphore stands for. When the limit
//! grows, the difference is added as permits (waking waiters, first in line first). When it
//! shrinks, free permits are forgotten at once; the rest, which callers hold, become
//! `debt`, and each release pays one unit of debt instead of returning its permit. So at
//! every moment `free + held − debt = current`, and the permits held fall to the new limit
//! as fast as calls finish — without waiting on, or failing, any call in progress.

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use crate::resilience::AdaptiveLimiter;

#[derive(Debug)]
pub(crate) struct Capacity {
    sem: Semaphore,
    limiter: Option<AdaptiveLimiter>,
    /// The limit the semaphore currently stands for.
    current: AtomicUsize,
    /// Held permits to forget on release instead of returning (after a shrink).
    debt: AtomicUsize,
    /// Serialises resizes, so two of them cannot interleave their reads of `current`.
    resize: Mutex<()>,
}

impl Capacity {
    pub(crate) fn fixed(limit: usize) -> Self {
        Self::with(limit, None)
    }

    pub(crate) fn adaptive(limiter: AdaptiveLimiter) -> Self {
        Self::with(limiter.limit(), Some(limiter))
    }

    fn with(limit: usize, limiter: Option<AdaptiveLimiter>) -> Self {
        Self {
            sem: Semaphore::new(limit),
            limiter,
            current: AtomicUsize::new(limit),
            debt: AtomicUsize::new(0),
            resize: Mutex::new(()),
        }
    }

    pub(crate) fn limiter(&self) -> Option<&AdaptiveLimiter> {
        self.limiter.as_ref()
    }

    /// The limit the slots follow now.
    pub(crate) fn limit(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }

    /// Permits held now: `current + debt − free`. Exact for a fixed limit once the calls
    /// that change it have returned; during a resize it may be off by the calls in between.
    #[inline]
    pub(crate) fn in_use(&self) -> usize {
        let standing = self.current.load(Ordering::Acquire) + self.debt.load(Ordering::Acquire);
        standing.saturating_sub(self.sem.available_permits())
    }

    /// Brings the semaphore in line with the limiter's limit, if it has changed: two atomic
    /// loads when it has not.
    #[inline]
    pub(crate) fn follow(&self) {
        if let Some(limiter) = &self.limiter
            && limiter.limit() != self.current.load(Ordering::Acquire)
        {
            self.resize_to(limiter);
        }
    }

    #[cold]
    fn resize_to(&self, limiter: &AdaptiveLimiter) {
        let _guard = self.resize.lock();
        // Re-read under the lock: the newest limit wins, whoever applies it.
        let target = limiter.limit();
        let current = self.current.load(Ordering::Acquire);
        if target > current {
            let grow = target - current;
            // Cancel outstanding debt first: those permits are still held, and simply not
            // forgetting them on release is the cheapest way to grow.
            let paid = self.pay_debt(grow);
            self.sem.add_permits(grow - paid);
        } else if target < current {
            let shrink = current - target;
            let forgotten = self.sem.forget_permits(shrink);
            self.debt.fetch_add(shrink - forgotten, Ordering::AcqRel);
            // A release between `forget_permits` and the `fetch_add` returned its permit
            // instead of paying the debt just added; take such permits back now.
            let owed = self.debt.load(Ordering::Acquire);
            if owed > 0 {
                let free = self.sem.forget_permits(owed);
                let paid = self.pay_debt(free);
                // Releases may have paid part of the same debt meanwhile: return the excess.
                self.sem.add_permits(free - paid);
            }
        }
        self.current.store(target, Ordering::Release);
    }

    /// Subtracts up to `at_most` from the debt; returns how much it subtracted.
    fn pay_debt(&self, at_most: usize) -> usize {
        let before = self
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| {
                Some(d - d.min(at_most))
            })
            .unwrap_or_else(|d| d);
        before.min(at_most)
    }

    /// Takes a slot if one is free and nobody is waiting (the semaphore is fair).
    #[inline]
    pub(crate) fn try_take(&self) -> bool {
        match self.sem.try_acquire() {
            Ok(permit) => {
                permit.forget();
                true
            }
            Err(_) => false,
        }
    }

    /// Waits in line for a slot. Cancel-safe: dropping the future leaves the line, and a
    /// slot assigned to it meanwhile goes to the next in line.
    pub(crate) async fn take(&self) -> bool {
        match self.sem.acquire().await {
            Ok(permit) => {
                permit.forget();
                true
            }
            // The semaphore is never closed; treated as "no slot" rather than a panic.
            Err(_) => false,
        }
    }

    /// Gives a slot back (or pays one unit of debt with it).
    #[inline]
    pub(crate) fn give_back(&self) {
        if self.limiter.is_some()
            && self.debt.load(Ordering::Acquire) > 0
            && self
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1))
                .is_ok()
        {
            return;
        }
        self.sem.add_permits(1);
    }
}
