//! Tests of `TieredCache`: tiers, read-through loads, time, prefetch, and a model check.
//! The memory tier and the disk store have their own suites (`cache_memory`, `cache_disk`).

mod basics;
mod codec;
mod config;
#[cfg(feature = "cache-disk")]
mod disk;
mod loads;
mod model;
mod prefetch;
mod time;

use perfkit::cache::TieredCache;
use perfkit::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;

/// A memory-only cache on a hand-driven clock.
pub(crate) async fn manual_cache(
    ttl: Duration,
    tweak: impl FnOnce(
        perfkit::cache::TieredCacheBuilder<u64, String>,
    ) -> perfkit::cache::TieredCacheBuilder<u64, String>,
) -> (TieredCache<u64, String>, ManualClock) {
    let clock = ManualClock::new();
    let builder = TieredCache::builder()
        .memory_capacity(1_000)
        .time_to_live(ttl)
        .clock(Arc::new(clock.clone()));
    let cache = tweak(builder).build().await.expect("valid settings");
    (cache, clock)
}

/// Lets spawned tasks (loads, refreshes) run until `done` holds: a bounded number of
/// yields, then short sleeps, about five seconds in all on a busy machine.
pub(crate) async fn settle(mut done: impl AsyncFnMut() -> bool) -> bool {
    for round in 0..5_100 {
        if done().await {
            return true;
        }
        if round < 100 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    false
}
