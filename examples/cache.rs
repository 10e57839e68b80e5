//! A two-tier cache in front of a slow backend: read-through loads with single flight,
//! a disk tier that survives a restart, serve-stale when the backend fails.
//!
//! ```text
//! cargo run --release --example cache --features cache-disk
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use perfkit::cache::{CacheError, TieredCache};

/// The backend: 20 ms per request, and it can be switched off.
#[derive(Clone, Default)]
struct Backend {
    calls: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl Backend {
    async fn fetch_profile(&self, user: u64) -> Result<String, std::io::Error> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
        if self.down.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("backend unavailable"));
        }
        Ok(format!("{{\"id\":{user},\"name\":\"user {user}\"}}"))
    }
}

async fn open(dir: &std::path::Path) -> Result<TieredCache<u64, String>, CacheError> {
    TieredCache::builder()
        .memory_capacity(10_000)
        .time_to_live(Duration::from_secs(1))
        .disk_time_to_live(Duration::from_secs(3_600))
        .disk(dir, 64 << 20)
        .serve_stale(Duration::from_secs(60))
        .loader_timeout(Duration::from_millis(500))
        .build()
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("perfkit-cache-example-{}", std::process::id()));
    let backend = Backend::default();

    let cache = open(&dir).await?;
    let load = |backend: &Backend| {
        let backend = backend.clone();
        move |user| async move { backend.fetch_profile(user).await }
    };

    let start = Instant::now();
    cache.get_or_load(1, load(&backend)).await?;
    println!("miss (loads from the backend): {:>9.2?}", start.elapsed());
    let start = Instant::now();
    cache.get_or_load(1, load(&backend)).await?;
    println!("hit (memory):                  {:>9.2?}", start.elapsed());

    // 50 callers ask for the same cold key at once: the backend sees one request.
    let before = backend.calls.load(Ordering::Relaxed);
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            let load = load(&backend);
            tokio::spawn(async move { cache.get_or_load(2, load).await })
        })
        .collect();
    for caller in callers {
        caller.await??;
    }
    println!(
        "50 concurrent misses on one key: {} backend call(s)",
        backend.calls.load(Ordering::Relaxed) - before
    );

    // A value valid for one second in every tier; it expires, then the backend fails:
    // the last good value is served, within the 60 s grace.
    cache
        .insert_with_ttl(
            3,
            "{\"id\":3,\"name\":\"flash sale\"}".into(),
            Duration::from_secs(1),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    backend.down.store(true, Ordering::Relaxed);
    let profile = cache.get_or_load(3, load(&backend)).await?;
    println!("backend down, expired entry:   served stale {profile}");
    backend.down.store(false, Ordering::Relaxed);

    // Key 1 left memory's 1 s lifetime but lives an hour on disk: read and promoted back.
    let start = Instant::now();
    cache.get_or_load(1, load(&backend)).await?;
    println!("memory expired, disk fresh:    {:>9.2?}", start.elapsed());

    // A restart: memory is empty, the disk tier still has both profiles.
    cache.flush().await?;
    let stats = cache.stats();
    drop(cache);
    let cache = open(&dir).await?;
    let start = Instant::now();
    let from_disk = cache.get(&2).await;
    println!(
        "after a restart, from disk:    {:>9.2?} ({})",
        start.elapsed(),
        from_disk.as_deref().unwrap_or("missing")
    );

    println!(
        "\nbefore the restart: hit ratio {:.0} %, loads {} (coalesced {}, stale served {}), \
         load p99 {:?}",
        stats.hit_ratio() * 100.0,
        stats.loads.started,
        stats.loads.coalesced,
        stats.loads.stale_served,
        stats.loads.latency_p99,
    );
    if let Some(disk) = cache.stats().disk {
        println!(
            "disk tier now: {} entries, {} bytes in {} segment(s)",
            disk.entries, disk.bytes_on_disk, disk.segments
        );
    }
    drop(cache);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
