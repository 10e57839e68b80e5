//! mem benchmarks: perfkit's pools beside malloc and the peer pool crates, same op, same run.
//!
//! Run with `cargo bench --bench mem --no-default-features --features mem -- --noplot`.
//!
//! One op = take a 4 KiB buffer, write one byte, give it back. The 2-thread groups run two
//! scoped threads doing the same ops at once and report the wall time of the pair, so
//! criterion's elements/s is the aggregate rate.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::{LinearObjectPool, SpinLockObjectPool};
use perfkit::mem::{BlockPool, BufferPool, ObjectPool};

const SIZE: usize = 4096;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
}

/// Runs `op` `iters` times on each of `threads` threads started together; returns the wall
/// time of the slowest.
fn run_threads(threads: usize, iters: u64, op: &(dyn Fn() + Sync)) -> Duration {
    if threads == 1 {
        let start = Instant::now();
        for _ in 0..iters {
            op();
        }
        return start.elapsed();
    }
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..iters {
                    op();
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

fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    threads: usize,
    op: impl Fn() + Sync,
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_threads(threads, iters, &op))
    });
}

/// An `ArrayQueue` of spare buffers: the textbook bounded lock-free pool.
struct QueuePool {
    q: ArrayQueue<Vec<u8>>,
}

impl QueuePool {
    fn new(n: usize) -> Self {
        let q = ArrayQueue::new(n);
        for _ in 0..n {
            let _ = q.push(vec![0u8; SIZE]);
        }
        Self { q }
    }
    #[inline]
    fn with(&self, f: impl FnOnce(&mut Vec<u8>)) {
        let mut v = self.q.pop().unwrap_or_else(|| vec![0u8; SIZE]);
        f(&mut v);
        let _ = self.q.push(v);
    }
}

fn touch(buf: &mut [u8]) {
    buf[0] = buf[0].wrapping_add(1);
    black_box(buf);
}

fn block_alloc_free(c: &mut Criterion) {
    for threads in [1usize, 2] {
        let mut group = c.benchmark_group(format!("mem_block_4k_{threads}t"));
        configure(&mut group);
        group.throughput(Throughput::Elements(threads as u64));

        let pool = BlockPool::builder()
            .block_size(SIZE)
            .blocks(256)
            .build()
            .unwrap();
        bench(&mut group, "perfkit BlockPool", threads, || {
            let mut b = pool.alloc().unwrap();
            touch(&mut b);
        });
        bench(&mut group, "malloc Vec::with_capacity", threads, || {
            let mut v: Vec<u8> = Vec::with_capacity(SIZE);
            v.push(1);
            touch(&mut v);
        });
        bench(&mut group, "malloc Box<[u8]> zeroed", threads, || {
            let mut b = vec![0u8; SIZE].into_boxed_slice();
            touch(&mut b);
        });
        let linear = LinearObjectPool::new(|| vec![0u8; SIZE], |_| {});
        bench(&mut group, "lockfree-object-pool Linear", threads, || {
            let mut v = linear.pull();
            touch(&mut v);
        });
        let spin = SpinLockObjectPool::new(|| vec![0u8; SIZE], |_| {});
        bench(&mut group, "lockfree-object-pool SpinLock", threads, || {
            let mut v = spin.pull();
            touch(&mut v);
        });
        let queue = QueuePool::new(256);
        bench(&mut group, "crossbeam ArrayQueue pool", threads, || {
            queue.with(|v| touch(v));
        });
        group.finish();
    }
}

fn object_get_drop(c: &mut Criterion) {
    for threads in [1usize, 2] {
        let mut group = c.benchmark_group(format!("mem_object_vec4k_{threads}t"));
        configure(&mut group);
        group.throughput(Throughput::Elements(threads as u64));

        let pool = ObjectPool::new(256, || Vec::<u8>::with_capacity(SIZE)).with_reset(Vec::clear);
        bench(&mut group, "perfkit ObjectPool", threads, || {
            let mut v = pool.get();
            v.push(1);
            touch(&mut v);
        });
        bench(&mut group, "malloc Vec::with_capacity", threads, || {
            let mut v: Vec<u8> = Vec::with_capacity(SIZE);
            v.push(1);
            touch(&mut v);
        });
        let linear = LinearObjectPool::new(|| Vec::<u8>::with_capacity(SIZE), Vec::clear);
        bench(&mut group, "lockfree-object-pool Linear", threads, || {
            let mut v = linear.pull();
            v.push(1);
            touch(&mut v);
        });
        let spin = SpinLockObjectPool::new(|| Vec::<u8>::with_capacity(SIZE), Vec::clear);
        bench(&mut group, "lockfree-object-pool SpinLock", threads, || {
            let mut v = spin.pull();
            v.push(1);
            touch(&mut v);
        });
        let queue = QueuePool::new(256);
        bench(&mut group, "crossbeam ArrayQueue pool", threads, || {
            queue.with(|v| {
                v.clear();
                v.push(1);
                touch(v);
            });
        });
        group.finish();
    }
}

fn buffer_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("mem_buffer_4k_1t");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let pool = BufferPool::builder().build().unwrap();
    group.bench_function("perfkit BufferPool get+drop", |b| {
        b.iter(|| {
            let mut buf = pool.get(black_box(SIZE));
            buf.extend_from_slice(b"x");
            black_box(&buf);
        })
    });
    group.bench_function("BytesMut::with_capacity+drop", |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(black_box(SIZE));
            buf.extend_from_slice(b"x");
            black_box(&buf);
        })
    });
    group.bench_function("perfkit BufferPool get+freeze", |b| {
        b.iter(|| {
            let mut buf = pool.get(black_box(SIZE));
            buf.extend_from_slice(b"x");
            black_box(buf.freeze())
        })
    });
    group.bench_function("BytesMut::with_capacity+freeze", |b| {
        b.iter(|| {
            let mut buf = BytesMut::with_capacity(black_box(SIZE));
            buf.extend_from_slice(b"x");
            black_box(buf.freeze())
        })
    });
    group.finish();
}

criterion_group!(benches, block_alloc_free, object_get_drop, buffer_get);
criterion_main!(benches);
