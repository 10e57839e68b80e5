//! TieredCache benchmarks: what the async facade costs over the memory tier, the miss path
//! beside moka's async cache, and what the prefetcher gains and costs on real traces.
//!
//! Run with `cargo bench --bench cache_tiered --features cache -- --noplot`. The prefetch
//! table needs the traces (`$PERFKIT_TRACES`, default `../shared/traces`) and is printed, not
//! timed; `-- prefetch` runs only it.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use perfkit::cache::{MemoryCache, PrefetchOptions, TieredCache};

#[path = "cache/traces.rs"]
mod traces;

const KEYS: u64 = 10_000;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Polls a future that completes without waiting (a memory hit) to its end, with no
/// executor in the way, so the figure is the cache's own work. Inlined so that the future is
/// built and polled in the caller's frame, as an `.await` does: out of line, it took each
/// freshly built future by value and copied it, and that copy alone measured 20-40 ns for
/// some future layouts (see docs/benchmarks.md).
#[inline(always)]
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A tiered cache holding keys `0..KEYS`, memory only, with `ttl` (`None`: no TTL).
fn resident_tiered(rt: &tokio::runtime::Runtime, ttl: Option<Duration>) -> TieredCache<u64, u64> {
    rt.block_on(async {
        let cache = TieredCache::builder()
            .memory_capacity(2 * KEYS)
            .time_to_live(ttl)
            .build()
            .await
            .expect("valid settings");
        for k in 0..KEYS {
            cache.insert(k, k).await.expect("memory only");
        }
        cache
    })
}

/// A memory cache holding keys `0..KEYS`, with `ttl` (`None`: no TTL).
fn resident_memory(ttl: Option<Duration>) -> MemoryCache<u64, u64> {
    let mut builder = MemoryCache::builder().max_entries(2 * KEYS);
    if let Some(ttl) = ttl {
        builder = builder.time_to_live(ttl);
    }
    let memory = builder.build().expect("capacity above zero");
    for k in 0..KEYS {
        memory.insert(k, k);
    }
    memory
}

/// Memory hits only, through each cache's read call. The plain names are the headline pair
/// (the `TieredCache` with its default 5-minute TTL, the `MemoryCache` with none); the
/// `_ttl` / `_no_ttl` rows give each side the other's TTL setting, so the TTL's clock read
/// is told apart from the facade's own cost.
fn get_hit(c: &mut Criterion) {
    let rt = runtime();
    let ttl = Some(Duration::from_secs(300));
    let tiered = resident_tiered(&rt, ttl);
    let tiered_no_ttl = resident_tiered(&rt, None);
    let memory = resident_memory(None);
    let memory_ttl = resident_memory(ttl);
    let moka = moka::future::Cache::<u64, u64>::new(2 * KEYS);
    let quick = quick_cache::sync::Cache::<u64, u64>::new(2 * KEYS as usize);
    rt.block_on(async {
        for k in 0..KEYS {
            moka.insert(k, k).await;
            quick.insert(k, k);
        }
    });

    let mut group = c.benchmark_group("tiered_get_hit");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    // Each function walks the same key sequence from its own counter.
    fn keys() -> impl FnMut() -> u64 {
        let mut k = 0u64;
        move || {
            k = (k + 7) % KEYS;
            k
        }
    }
    group.bench_function("perfkit_tiered", |b| {
        let mut next = keys();
        b.iter(|| black_box(ready(tiered.get(&next()))))
    });
    group.bench_function("perfkit_tiered_get_or_load", |b| {
        let mut next = keys();
        b.iter(|| {
            let load = |k| async move { Ok::<_, std::io::Error>(k) };
            black_box(ready(tiered.get_or_load(next(), load)).ok())
        })
    });
    group.bench_function("perfkit_memory", |b| {
        let mut next = keys();
        b.iter(|| black_box(memory.get(&next())))
    });
    group.bench_function("perfkit_tiered_no_ttl", |b| {
        let mut next = keys();
        b.iter(|| black_box(ready(tiered_no_ttl.get(&next()))))
    });
    group.bench_function("perfkit_memory_ttl", |b| {
        let mut next = keys();
        b.iter(|| black_box(memory_ttl.get(&next())))
    });
    group.bench_function("moka_future", |b| {
        let mut next = keys();
        b.iter(|| black_box(ready(moka.get(&next()))))
    });
    group.bench_function("quick_cache", |b| {
        let mut next = keys();
        b.iter(|| black_box(quick.get(&next())))
    });
    group.finish();
}

/// One miss, loaded and stored: `get_or_load` of a key never seen, with a loader that
/// answers at once, beside moka's `get_with`.
fn miss_load(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("tiered_miss_load");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let tiered: TieredCache<u64, u64> = rt.block_on(async {
        TieredCache::builder()
            .memory_capacity(100_000)
            .build()
            .await
            .expect("valid settings")
    });
    let moka = moka::future::Cache::<u64, u64>::new(100_000);
    let mut key = 0u64;
    group.bench_function("perfkit_get_or_load", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    key += 1;
                    let v = tiered
                        .get_or_load(key, |k| async move { Ok::<_, std::io::Error>(k) })
                        .await
                        .expect("the loader does not fail");
                    black_box(v);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("moka_get_with", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    key += 1;
                    black_box(moka.get_with(key, async move { key }).await);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

/// Hit ratio, loads and time per request for one trace replayed through `get_or_load`,
/// with and without the prefetcher. Prefetch loads run as tasks: the replay yields to
/// them every request, as a server does between requests.
fn replay(keys: &[u64], capacity: u64, prefetch: bool) -> (f64, u64, u64, f64) {
    let rt = runtime();
    rt.block_on(async {
        let mut builder = TieredCache::<u64, u64>::builder()
            .memory_capacity(capacity)
            .time_to_live(None)
            .loader(|k: u64| async move { Ok::<_, std::io::Error>(k) });
        if prefetch {
            builder = builder.prefetch(PrefetchOptions::new().max_tracked_keys(capacity * 4));
        }
        let cache = builder.build().await.expect("valid settings");
        let start = Instant::now();
        for &k in keys {
            black_box(cache.fetch(k).await.expect("the loader does not fail"));
            tokio::task::yield_now().await;
        }
        let elapsed = start.elapsed().as_secs_f64() / keys.len().max(1) as f64;
        let stats = cache.stats();
        (
            stats.hit_ratio(),
            stats.loads.started,
            stats.loads.prefetch_hits,
            elapsed,
        )
    })
}

/// True when the command line names benchmarks and none of them is `name` (criterion's
/// filter only reaches its own benchmark functions, not this printed table).
fn filtered_out(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str()))
}

fn prefetch_table(_: &mut Criterion) {
    if filtered_out("prefetch") {
        return;
    }
    let Some(dir) = traces::dir_or_skip() else {
        return;
    };
    // Traces with sequential structure (block numbers read in runs), a first slice of each
    // so the table takes seconds.
    let runs = [
        ("cloudphysics/w106.trace.xz", 1_000_000usize, 10_000u64),
        ("libcachesim/cloudPhysicsIO.csv", usize::MAX, 5_000),
        ("arc/P6.lis", 1_000_000, 8_192),
        ("lirs/sprite.trace", usize::MAX, 500),
    ];
    println!("\nprefetch: hit ratio and loads, without / with the prefetcher (default options)\n");
    println!(
        "| trace | requests | capacity | hit % off | hit % on | loads off | loads on | prefetch hits | µs/request off | on |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, limit, capacity) in runs {
        let keys = match traces::read(&dir.join(name)) {
            Ok(keys) => keys,
            Err(e) => {
                println!("| {name} | cannot read: {e} |");
                continue;
            }
        };
        let keys = &keys[..keys.len().min(limit)];
        let (off_ratio, off_loads, _, off_time) = replay(keys, capacity, false);
        let (on_ratio, on_loads, on_hits, on_time) = replay(keys, capacity, true);
        println!(
            "| `{name}` | {} | {capacity} | {:.2} | {:.2} | {off_loads} | {on_loads} | {on_hits} | {:.2} | {:.2} |",
            keys.len(),
            off_ratio * 100.0,
            on_ratio * 100.0,
            off_time * 1e6,
            on_time * 1e6,
        );
    }
}

criterion_group!(benches, get_hit, miss_load, prefetch_table);
criterion_main!(benches);
