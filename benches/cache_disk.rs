//! Disk tier benchmarks: `DiskStore` put and get throughput and get latency percentiles,
//! beside one-file-per-key through `std::fs` as a plain reference, same values, same run.
//!
//! Run with
//! `cargo bench --bench cache_disk --no-default-features --features cache-disk -- --noplot`.
//!
//! Value sizes 100 B, 1 KiB and 16 KiB, each compressible (repetitive text, deflated by the
//! store) and not (random bytes, stored raw). Gets run on a warm page cache. After the
//! criterion groups, a latency pass times 300 000 single gets per case with an hdrhistogram
//! and prints p50 / p99 / p99.9.
//!
//! Files go to the system temp dir, or to `PERFKIT_BENCH_DIR` (e.g. `/dev/shm` to take the
//! device out of the figures).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use perfkit::cache::disk::DiskStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SIZES: [usize; 3] = [100, 1024, 16 * 1024];
/// Keys per get case: the hit set, small enough to sit in the page cache.
const KEYS: usize = 2000;
/// Puts timed between two flushes (below the default queue of 1024, so nothing is dropped).
const CHUNK: u64 = 512;
const LATENCY_GETS: usize = 300_000;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
}

fn value(len: usize, compressible: bool, seed: u64) -> Vec<u8> {
    if compressible {
        let text = format!("user {seed} visited /catalog/item?id={seed}&ref=home; ");
        text.repeat(len / text.len() + 1).as_bytes()[..len].to_vec()
    } else {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..len).map(|_| rng.random()).collect()
    }
}

fn tempdir() -> tempfile::TempDir {
    match std::env::var_os("PERFKIT_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("tempdir")
}

fn kind(compressible: bool) -> &'static str {
    if compressible { "text" } else { "random" }
}

fn open(dir: &Path) -> DiskStore {
    DiskStore::builder(dir)
        .capacity_bytes(512 << 20)
        .open()
        .expect("open store")
}

fn key(i: u64) -> [u8; 8] {
    i.to_le_bytes()
}

fn bench_put(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache_disk/put");
    configure(&mut group);
    for &size in &SIZES {
        for compressible in [true, false] {
            let v = value(size, compressible, 1);
            let param = format!("{size}B-{}", kind(compressible));
            group.throughput(Throughput::Elements(1));
            let dir = tempdir();
            let store = open(dir.path());
            let mut next = 0u64;
            // Enqueue only: the flush between chunks is not timed.
            group.bench_function(BenchmarkId::new("enqueue", &param), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(CHUNK);
                        let start = Instant::now();
                        for _ in 0..n {
                            next += 1;
                            black_box(store.put(&key(next % 100_000), &v, None));
                        }
                        total += start.elapsed();
                        store.flush().expect("flush");
                        left -= n;
                    }
                    total
                })
            });
            group.bench_function(BenchmarkId::new("enqueue+flush", &param), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    let mut left = iters;
                    while left > 0 {
                        let n = left.min(CHUNK);
                        for _ in 0..n {
                            next += 1;
                            black_box(store.put(&key(next % 100_000), &v, None));
                        }
                        store.flush().expect("flush");
                        left -= n;
                    }
                    start.elapsed()
                })
            });
            let stats = store.stats();
            assert_eq!(stats.dropped_writes, 0, "{stats:?}");
            drop(store);
            let fs_dir = tempdir();
            group.bench_function(BenchmarkId::new("std_fs_write", &param), |b| {
                b.iter(|| {
                    next += 1;
                    // A smaller key space than the store's: deleting 100 000 files afterwards
                    // takes minutes on a busy disk.
                    let path = fs_dir.path().join(format!("{:016x}", next % 10_000));
                    std::fs::write(path, &v).expect("write");
                })
            });
        }
    }
    group.finish();
}

/// A store holding `KEYS` values of one kind, flushed, and a seeded random read order.
fn populated(dir: &Path, size: usize, compressible: bool) -> (DiskStore, Vec<u64>) {
    let store = open(dir);
    for i in 0..KEYS as u64 {
        let v = value(size, compressible, i);
        if !store.put(&key(i), &v, None) {
            store.flush().expect("flush");
            assert!(store.put(&key(i), &v, None));
        }
    }
    store.flush().expect("flush");
    let mut rng = StdRng::seed_from_u64(42);
    let order = (0..64 * 1024)
        .map(|_| rng.random_range(0..KEYS as u64))
        .collect();
    (store, order)
}

fn bench_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache_disk/get");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    for &size in &SIZES {
        for compressible in [true, false] {
            let param = format!("{size}B-{}", kind(compressible));
            let dir = tempdir();
            let (store, order) = populated(dir.path(), size, compressible);
            let mut i = 0usize;
            group.bench_function(BenchmarkId::new("hit", &param), |b| {
                b.iter(|| {
                    i = (i + 1) % order.len();
                    let r = store.get(&key(order[i])).expect("get");
                    debug_assert!(r.is_some());
                    black_box(r)
                })
            });
            if size == SIZES[0] && compressible {
                let mut m = 0u64;
                group.bench_function("miss", |b| {
                    b.iter(|| {
                        m += 1;
                        black_box(store.get(&key(1 << 40 | m)).expect("get"))
                    })
                });
            }
            let fs_dir = tempdir();
            for k in 0..KEYS as u64 {
                let path = fs_dir.path().join(format!("{k:016x}"));
                std::fs::write(path, value(size, compressible, k)).expect("write");
            }
            group.bench_function(BenchmarkId::new("std_fs_read", &param), |b| {
                b.iter(|| {
                    i = (i + 1) % order.len();
                    let path = fs_dir.path().join(format!("{:016x}", order[i]));
                    black_box(std::fs::read(path).expect("read"))
                })
            });
        }
    }
    group.finish();
}

fn latency() {
    println!("\ncache_disk/get latency ({LATENCY_GETS} gets per case, warm page cache)");
    println!(
        "{:<14} {:>9} {:>9} {:>9}",
        "case", "p50 ns", "p99 ns", "p99.9 ns"
    );
    for &size in &SIZES {
        for compressible in [true, false] {
            let dir = tempdir();
            let (store, order) = populated(dir.path(), size, compressible);
            let mut hist = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 2)
                .expect("hdrhistogram bounds");
            for n in 0..LATENCY_GETS {
                let k = key(order[n % order.len()]);
                let start = Instant::now();
                let r = store.get(&k).expect("get");
                let ns = start.elapsed().as_nanos() as u64;
                black_box(r);
                hist.saturating_record(ns.max(1));
            }
            println!(
                "{:<14} {:>9} {:>9} {:>9}",
                format!("{size}B-{}", kind(compressible)),
                hist.value_at_quantile(0.50),
                hist.value_at_quantile(0.99),
                hist.value_at_quantile(0.999)
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_put(&mut c);
    bench_get(&mut c);
    c.final_summary();
    // `cargo bench -- <filter>` and `--list`/`--test` runs skip the latency pass unless it
    // is asked for by name.
    let args: Vec<String> = std::env::args().collect();
    let test_mode = args.iter().any(|a| a == "--test" || a == "--list");
    let filtered = args
        .iter()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"latency".contains(a.as_str()));
    if !test_mode && !filtered {
        latency();
    }
}
