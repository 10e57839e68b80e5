//! Metrics benchmarks: perfkit beside its peers, same inputs, same harness.
//!
//! - `histogram_record`: per-value cost of recording seeded log-normal latencies into
//!   perfkit, `hdrhistogram`, `prometheus` and the `metrics` facade (through perfkit's
//!   `FacadeRecorder`, with a cached handle).
//! - `counter_inc`: one and two threads incrementing the same counter (perfkit `Counter`, a
//!   shared `AtomicU64`, `prometheus::IntCounter`); throughput is the aggregate rate.
//! - `histogram_quantile`: p99 of 100 000 recorded values.
//!
//! Run with `cargo bench --bench metrics --no-default-features --features metrics -- --noplot`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use perfkit::metrics::{Counter, FacadeRecorder, Histogram, Registry, facade};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, LogNormal};

/// Distinct values cycled through, so branch predictors cannot learn a single value.
const VALUES: usize = 4096;
/// Values recorded per criterion iteration.
const BATCH: usize = 1024;
/// Values recorded before measuring quantiles.
const QUANTILE_VALUES: usize = 100_000;
/// hdrhistogram bounds: 1 ns to one hour, 2 significant digits (≤ 1 % error, like perfkit).
const HDR_LOW: u64 = 1;
const HDR_HIGH: u64 = 3_600_000_000_000;
const HDR_SIGFIG: u8 = 2;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

/// `n` seeded log-normal latencies in nanoseconds: median 1 ms, clamped to 10 µs..100 ms.
fn latencies_ns(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let dist = LogNormal::new(1e6_f64.ln(), 1.5).expect("valid log-normal parameters");
    (0..n)
        .map(|_| (dist.sample(&mut rng) as u64).clamp(10_000, 100_000_000))
        .collect()
}

fn to_seconds(ns: &[u64]) -> Vec<f64> {
    ns.iter().map(|&v| v as f64 * 1e-9).collect()
}

/// Runs `record` over the next `BATCH` values of `values` on each iteration, cycling.
///
/// Every contender goes through this same loop, so the loop overhead is identical.
fn bench_record<T: Copy>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    values: &[T],
    mut record: impl FnMut(T),
) {
    assert_eq!(values.len() % BATCH, 0);
    let mut offset = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            for &v in &values[offset..offset + BATCH] {
                record(black_box(v));
            }
            offset = (offset + BATCH) % values.len();
        });
    });
}

fn histogram_record(c: &mut Criterion) {
    let ns = latencies_ns(VALUES, 0x5eed_0001);
    let secs = to_seconds(&ns);

    let mut group = c.benchmark_group("histogram_record");
    configure(&mut group);
    group.throughput(Throughput::Elements(BATCH as u64));

    let ours = Histogram::new();
    bench_record(&mut group, "perfkit", &ns, |v| ours.record(v));
    black_box(ours.snapshot().count());

    let mut hdr = hdrhistogram::Histogram::<u64>::new_with_bounds(HDR_LOW, HDR_HIGH, HDR_SIGFIG)
        .expect("valid hdrhistogram bounds");
    bench_record(&mut group, "hdrhistogram", &ns, |v| {
        hdr.saturating_record(v)
    });
    black_box(hdr.len());

    let prom = prometheus::Histogram::with_opts(prometheus::HistogramOpts::new(
        "latency_seconds",
        "bench",
    ))
    .expect("valid prometheus histogram");
    bench_record(&mut group, "prometheus", &secs, |v| prom.observe(v));
    black_box(prom.get_sample_count());

    let registry = Registry::new();
    let recorder = FacadeRecorder::new(registry.clone());
    let handle = facade::with_local_recorder(&recorder, || facade::histogram!("latency_seconds"));
    bench_record(&mut group, "metrics_facade_perfkit", &secs, |v| {
        handle.record(v)
    });
    black_box(registry.render_prometheus().len());

    group.finish();
}

/// A worker pool that keeps `threads` threads alive across samples. Each run, every worker
/// calls `op` `iters` times; all start together on a barrier and the wall time from release
/// to the last worker finishing is returned.
struct Pool {
    iters: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    start: Arc<Barrier>,
    done: Arc<Barrier>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    fn new<F>(threads: usize, op: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        let op = Arc::new(op);
        let iters = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let start = Arc::new(Barrier::new(threads + 1));
        let done = Arc::new(Barrier::new(threads + 1));
        let workers = (0..threads)
            .map(|_| {
                let (op, iters, stop) = (Arc::clone(&op), Arc::clone(&iters), Arc::clone(&stop));
                let (start, done) = (Arc::clone(&start), Arc::clone(&done));
                std::thread::spawn(move || {
                    loop {
                        start.wait();
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        let n = iters.load(Ordering::Acquire);
                        for _ in 0..n {
                            op();
                        }
                        done.wait();
                    }
                })
            })
            .collect();
        Self {
            iters,
            stop,
            start,
            done,
            workers,
        }
    }

    /// Every worker does `iters` calls; returns the wall time for all of them.
    fn run(&self, iters: u64) -> Duration {
        self.iters.store(iters, Ordering::Release);
        let t0 = Instant::now();
        self.start.wait();
        self.done.wait();
        t0.elapsed()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.start.wait();
        for w in self.workers.drain(..) {
            w.join().expect("bench worker panicked");
        }
    }
}

/// A lone `AtomicU64` on its own cache line, so only the contenders share it.
#[repr(align(128))]
#[derive(Default)]
struct PaddedAtomic(AtomicU64);

fn bench_counter<F>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, threads: usize, op: F)
where
    F: Fn() + Send + Sync + 'static,
{
    let pool = Pool::new(threads, op);
    group.throughput(Throughput::Elements(threads as u64));
    group.bench_function(format!("{name}/{threads}_threads"), |b| {
        b.iter_custom(|iters| pool.run(iters));
    });
}

fn counter_inc(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_inc");
    configure(&mut group);
    for threads in [1, 2] {
        let ours = Counter::new();
        bench_counter(&mut group, "perfkit", threads, {
            let ours = ours.clone();
            move || ours.inc()
        });
        black_box(ours.get());

        let shared = Arc::new(PaddedAtomic::default());
        bench_counter(&mut group, "atomic_u64", threads, {
            let shared = Arc::clone(&shared);
            move || {
                shared.0.fetch_add(1, Ordering::Relaxed);
            }
        });
        black_box(shared.0.load(Ordering::Relaxed));

        let prom = prometheus::IntCounter::new("requests_total", "bench")
            .expect("valid prometheus counter");
        bench_counter(&mut group, "prometheus", threads, {
            let prom = prom.clone();
            move || prom.inc()
        });
        black_box(prom.get());
    }
    group.finish();
}

fn histogram_quantile(c: &mut Criterion) {
    let ns = latencies_ns(QUANTILE_VALUES, 0x5eed_0002);

    let mut group = c.benchmark_group("histogram_quantile");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));

    let ours = Histogram::new();
    let mut hdr = hdrhistogram::Histogram::<u64>::new_with_bounds(HDR_LOW, HDR_HIGH, HDR_SIGFIG)
        .expect("valid hdrhistogram bounds");
    for &v in &ns {
        ours.record(v);
        hdr.saturating_record(v);
    }

    // perfkit has to copy its atomics out first; hdrhistogram is read in place (&self of an
    // unshared histogram). The snapshot-only line separates the two costs.
    group.bench_function("perfkit_snapshot_p99", |b| {
        b.iter(|| black_box(&ours).snapshot().quantile(black_box(0.99)));
    });
    let snap = ours.snapshot();
    group.bench_function("perfkit_p99_on_snapshot", |b| {
        b.iter(|| black_box(&snap).quantile(black_box(0.99)));
    });
    group.bench_function("hdrhistogram_p99", |b| {
        b.iter(|| black_box(&hdr).value_at_quantile(black_box(0.99)));
    });
    group.finish();
}

criterion_group!(benches, histogram_record, counter_inc, histogram_quantile);
criterion_main!(benches);
