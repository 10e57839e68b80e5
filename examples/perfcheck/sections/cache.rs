//! perfkit::cache: hit ratio on a real trace against the documented > 85 %, the miss path's
//! own latency against the documented p95 < 100 ms, and a memory hit through `TieredCache`.

use std::hint::black_box;
use std::time::Instant;

use indicatif::ProgressBar;
use perfkit::baseline::{self, Direction, Unit};
use perfkit::cache::{MemoryCache, TieredCache};

use crate::section::{Figure, Section, median};

// The trace readers the cache bench uses, shared by path.
#[path = "../../../benches/cache/traces.rs"]
mod traces;

pub struct Cache;

/// The trace and capacity held to the hit-ratio baseline: a file server's requests
/// (`lirs/sprite`), where even the optimal policy tops out at 93 % with 1 000 entries, so a
/// ratio above 85 % says the policy is doing its job, not that the trace is trivial.
const TRACE: &str = "lirs/sprite.trace";
const CAPACITY: u64 = 1_000;
/// Its reference ratios from the traces README (exact LRU, Belady's OPT).
const LRU_REF: f64 = 0.9064;
const OPT_REF: f64 = 0.9324;

fn replay(keys: &[u64], capacity: u64) -> f64 {
    let cache = MemoryCache::<u64, ()>::new(capacity).expect("capacity above zero");
    let mut hits = 0u64;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.insert(k, ());
        }
    }
    hits as f64 / keys.len().max(1) as f64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// Seconds per `get_or_load` of a new key whose loader answers at once: what the cache adds
/// to every miss (lookup, single-flight bookkeeping, the load task, the insert), as p95 and
/// median over 20 000 misses.
fn miss_path() -> (f64, f64) {
    let rt = runtime();
    rt.block_on(async {
        let cache: TieredCache<u64, u64> = TieredCache::builder()
            .memory_capacity(100_000)
            .build()
            .await
            .expect("valid settings");
        let mut samples = Vec::with_capacity(20_000);
        for k in 0..20_000u64 {
            let start = Instant::now();
            let v = cache
                .get_or_load(k, |k| async move { Ok::<_, std::io::Error>(k) })
                .await
                .expect("the loader does not fail");
            samples.push(start.elapsed().as_secs_f64());
            black_box(v);
        }
        samples.sort_by(f64::total_cmp);
        (
            samples[samples.len() * 95 / 100],
            samples[samples.len() / 2],
        )
    })
}

/// Seconds per memory hit through `TieredCache::get` and through `MemoryCache::get` with
/// the same time to live (the tiered default, 5 minutes, so both read the clock on a hit),
/// median of batches.
fn hit_path() -> (f64, f64) {
    const KEYS: u64 = 1_000;
    const ROUNDS: u64 = 100;
    let rt = runtime();
    let tiered = rt.block_on(async {
        let cache: TieredCache<u64, u64> = TieredCache::builder()
            .memory_capacity(10_000)
            .build()
            .await
            .expect("valid settings");
        for k in 0..KEYS {
            cache.insert(k, k).await.expect("memory only");
        }
        let mut per = Vec::new();
        for _ in 0..15 {
            let start = Instant::now();
            for _ in 0..ROUNDS {
                for k in 0..KEYS {
                    black_box(cache.get(&k).await);
                }
            }
            per.push(start.elapsed().as_secs_f64() / (KEYS * ROUNDS) as f64);
        }
        median(&mut per)
    });
    let memory = MemoryCache::<u64, u64>::builder()
        .max_entries(10_000)
        .time_to_live(std::time::Duration::from_secs(300))
        .build()
        .expect("valid settings");
    for k in 0..KEYS {
        memory.insert(k, k);
    }
    let mut per = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            for k in 0..KEYS {
                black_box(memory.get(&k));
            }
        }
        per.push(start.elapsed().as_secs_f64() / (KEYS * ROUNDS) as f64);
    }
    (tiered, median(&mut per))
}

impl Section for Cache {
    fn name(&self) -> &'static str {
        "cache"
    }

    fn steps(&self) -> u64 {
        3
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        let mut out = Vec::new();
        progress.set_message("cache: hit ratio on a real trace");
        match traces::dir_or_skip().map(|d| traces::read(&d.join(TRACE))) {
            Some(Ok(keys)) => {
                let ratio = replay(&keys, CAPACITY);
                let target = baseline::find("cache.hit_ratio").expect("a documented baseline");
                out.push(Figure::checked(
                    "cache.hit_ratio",
                    *target,
                    ratio,
                    format!(
                        "MemoryCache on {TRACE}, {CAPACITY} entries, {} requests; \
                         exact LRU {:.1} %, OPT {:.1} %",
                        keys.len(),
                        LRU_REF * 100.0,
                        OPT_REF * 100.0
                    ),
                ));
            }
            Some(Err(e)) => eprintln!("cache: cannot read {TRACE}: {e}; hit ratio skipped"),
            None => {}
        }
        progress.inc(1);

        progress.set_message("cache: miss path, loader answering at once");
        let (p95, p50) = miss_path();
        let target = baseline::find("cache.miss.p95").expect("a documented baseline");
        out.push(Figure::checked(
            "cache.miss.p95",
            *target,
            p95,
            format!(
                "the cache's own share of a miss (the loader answers at once; a real miss adds \
                 the backend's time); median {:.1} µs",
                p50 * 1e6
            ),
        ));
        progress.inc(1);

        progress.set_message("cache: memory hit, TieredCache vs MemoryCache");
        let (tiered, memory) = hit_path();
        out.push(Figure::tracked(
            "cache.tiered_get_hit",
            "TieredCache::get, memory hit, 1 000 hot keys",
            tiered,
            Unit::Seconds,
            Direction::LowerIsBetter,
            format!(
                "MemoryCache::get alone, same 5-minute TTL: {:.1} ns (the async facade adds {:.2}×)",
                memory * 1e9,
                tiered / memory.max(1e-12)
            ),
        ));
        progress.inc(1);
        out
    }
}
