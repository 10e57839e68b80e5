//! `get_hit` (1 and 2 threads) and `insert`: perfkit vs quick_cache, moka and dashmap.
//!
//! get_hit: 10 000 keys, all resident (capacity 20 000), read in a seeded Zipf(0.9)-like
//! order. With 2 threads each thread does `iters` gets, and the time is wall time per
//! iteration (two gets, one per thread). insert: keys from a 100 000-key range into a
//! 10 000-entry cache, so most inserts also evict (dashmap is unbounded: a reference).

use criterion::{BenchmarkId, Criterion, Throughput};
use dashmap::DashMap;
use perfkit::cache::memory::MemoryCache;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Zipf};
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

const KEYS: u64 = 10_000;
const MASK: usize = (1 << 16) - 1;

fn key_order(n: u64, seed: u64) -> Vec<u64> {
    let zipf = match Zipf::new(n as f64, 0.9) {
        Ok(z) => z,
        Err(e) => panic!("zipf: {e}"),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    // Scatter ranks over the key space so popular keys do not share a shard.
    (0..=MASK)
        .map(|_| (zipf.sample(&mut rng) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) % n)
        .collect()
}

trait Get: Sync {
    fn get_one(&self, k: u64) -> Option<u64>;
}

impl Get for MemoryCache<u64, u64> {
    #[inline]
    fn get_one(&self, k: u64) -> Option<u64> {
        self.get(&k)
    }
}
impl Get for quick_cache::sync::Cache<u64, u64> {
    #[inline]
    fn get_one(&self, k: u64) -> Option<u64> {
        self.get(&k)
    }
}
impl Get for moka::sync::Cache<u64, u64> {
    #[inline]
    fn get_one(&self, k: u64) -> Option<u64> {
        self.get(&k)
    }
}
impl Get for DashMap<u64, u64> {
    #[inline]
    fn get_one(&self, k: u64) -> Option<u64> {
        self.get(&k).map(|v| *v)
    }
}

fn run_threads<C: Get>(cache: &C, keys: &[u64], threads: usize, iters: u64) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for t in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                let mut i = t * 7919;
                for _ in 0..iters {
                    i = i.wrapping_add(1);
                    black_box(cache.get_one(keys[i & MASK]));
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn bench_get<C: Get>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    threads: usize,
    cache: &C,
    keys: &[u64],
) {
    if threads == 1 {
        g.bench_function(BenchmarkId::new(name, threads), |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = i.wrapping_add(1);
                black_box(cache.get_one(keys[i & MASK]))
            })
        });
    } else {
        g.bench_function(BenchmarkId::new(name, threads), |b| {
            b.iter_custom(|iters| run_threads(cache, keys, threads, iters))
        });
    }
}

pub fn benches(c: &mut Criterion) {
    let keys = key_order(KEYS, 7);
    let ours: MemoryCache<u64, u64> = match MemoryCache::new(2 * KEYS) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let qc = quick_cache::sync::Cache::new(2 * KEYS as usize);
    let moka = moka::sync::Cache::new(2 * KEYS);
    let dash = DashMap::new();
    for k in 0..KEYS {
        ours.insert(k, k);
        qc.insert(k, k);
        moka.insert(k, k);
        dash.insert(k, k);
    }
    moka.run_pending_tasks();
    for threads in [1, 2] {
        let mut g = c.benchmark_group(format!("get_hit/{threads}_threads"));
        g.sample_size(30)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(500))
            .throughput(Throughput::Elements(threads as u64));
        bench_get(&mut g, "perfkit", threads, &ours, &keys);
        bench_get(&mut g, "quick_cache", threads, &qc, &keys);
        bench_get(&mut g, "moka", threads, &moka, &keys);
        bench_get(&mut g, "dashmap", threads, &dash, &keys);
        g.finish();
    }

    let ins_keys = key_order(10 * KEYS, 11);
    let mut g = c.benchmark_group("insert");
    g.sample_size(30)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));
    g.bench_function("perfkit", |b| {
        let cache: MemoryCache<u64, u64> = match MemoryCache::new(KEYS) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            let k = ins_keys[i & MASK];
            cache.insert(k, k);
        })
    });
    g.bench_function("quick_cache", |b| {
        let cache = quick_cache::sync::Cache::new(KEYS as usize);
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            let k = ins_keys[i & MASK];
            cache.insert(k, k);
        })
    });
    g.bench_function("moka", |b| {
        let cache = moka::sync::Cache::new(KEYS);
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            let k = ins_keys[i & MASK];
            cache.insert(k, k);
        })
    });
    g.bench_function("dashmap", |b| {
        let map = DashMap::new();
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            let k = ins_keys[i & MASK];
            map.insert(k, k);
        })
    });
    g.finish();
}
