//! Rate limiters: the cost of a `check`, perfkit beside governor 0.10, same quotas, same keys.
//!
//! - `direct/*/pass`: a quota so large (one cell per ns, burst u32::MAX) that every check
//!   passes: the fast path. `direct/*/deny`: one cell per minute, already spent, so every
//!   check is refused (and computes its wait).
//! - `keyed_1000/*`: the same pass-always quota per key, cycling through 1 000 pre-built `u64`
//!   keys; governor's `RateLimiter::keyed` (dashmap store, std `RandomState` hasher).
//! - A check is dominated by the clock read. Both perfkit's default clock and governor's read
//!   the TSC through quanta (perfkit reads raw ticks and scales them itself, with no `Duration`
//!   in between). `*_tsc_clock` rows give perfkit governor's own quanta clock injected through
//!   `.clock(..)`, i.e. behind a `dyn Clock` call and a `Duration`: what an injected clock
//!   costs. `*_coarse_clock` rows use perfkit's opt-in `CoarseClock` (one atomic load, not
//!   exact), and `clock/*` rows measure `Instant::now()` and quanta's clock alone.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use governor::clock::{Clock as _, QuantaClock, QuantaInstant, Reference as _};
use governor::{Quota, RateLimiter as Governor};
use perfkit::clock::Clock;
use perfkit::resilience::{CoarseClock, KeyedRateLimiter, RateLimiter};

/// governor's quanta (TSC) clock as a perfkit `Clock`.
#[derive(Debug)]
struct TscClock {
    clock: QuantaClock,
    origin: QuantaInstant,
}

impl TscClock {
    fn new() -> Self {
        let clock = QuantaClock::default();
        let origin = clock.now();
        Self { clock, origin }
    }
}

impl Clock for TscClock {
    #[inline]
    fn now(&self) -> Duration {
        self.clock.now().duration_since(self.origin).into()
    }
}

const KEYS: u64 = 1_000;

fn pass_quota() -> Quota {
    Quota::per_second(NonZeroU32::MAX).allow_burst(NonZeroU32::MAX)
}

fn ours_pass() -> perfkit::resilience::RateLimiterBuilder {
    RateLimiter::per_second(u32::MAX).burst(u32::MAX)
}

fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("rate_limiter_check");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // Clock reads alone.
    let origin = Instant::now();
    g.bench_function("clock/instant_now", |b| {
        b.iter(|| black_box(origin.elapsed()))
    });
    let tsc = TscClock::new();
    g.bench_function("clock/quanta_now", |b| b.iter(|| black_box(tsc.now())));

    // Direct, every check passes.
    let gov = Governor::direct(pass_quota());
    g.bench_function("direct/governor/pass", |b| {
        b.iter(|| black_box(gov.check().is_ok()))
    });
    let ours = ours_pass().build().expect("valid quota");
    g.bench_function("direct/perfkit/pass", |b| {
        b.iter(|| black_box(ours.check().is_ok()))
    });
    let ours_tsc = ours_pass()
        .clock(Arc::new(TscClock::new()))
        .build()
        .expect("valid quota");
    g.bench_function("direct/perfkit/pass_tsc_clock", |b| {
        b.iter(|| black_box(ours_tsc.check().is_ok()))
    });

    let coarse = CoarseClock::start(Duration::from_millis(1)).expect("valid resolution");
    let ours_coarse = ours_pass()
        .clock(Arc::new(coarse.clone()))
        .build()
        .expect("valid quota");
    g.bench_function("direct/perfkit/pass_coarse_clock", |b| {
        b.iter(|| black_box(ours_coarse.check().is_ok()))
    });

    // Direct, saturated: every check is refused.
    let gov_deny = Governor::direct(Quota::per_minute(NonZeroU32::MIN));
    assert!(gov_deny.check().is_ok());
    g.bench_function("direct/governor/deny", |b| {
        b.iter(|| black_box(gov_deny.check().is_err()))
    });
    let ours_deny = RateLimiter::per_minute(1).build().expect("valid quota");
    assert!(ours_deny.check().is_ok());
    g.bench_function("direct/perfkit/deny", |b| {
        b.iter(|| black_box(ours_deny.check().is_err()))
    });

    // Keyed over 1 000 keys, every check passes.
    let keys: Vec<u64> = (0..KEYS)
        .map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let gov_keyed: governor::DefaultKeyedRateLimiter<u64> = Governor::keyed(pass_quota());
    let mut i = 0usize;
    g.bench_function("keyed_1000/governor/pass", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(gov_keyed.check_key(&keys[i]).is_ok())
        })
    });
    let ours_keyed = KeyedRateLimiter::<u64>::per_second(u32::MAX)
        .burst(u32::MAX)
        .build()
        .expect("valid quota");
    let mut i = 0usize;
    g.bench_function("keyed_1000/perfkit/pass", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(ours_keyed.check_key(&keys[i]).is_ok())
        })
    });
    let ours_keyed_tsc = KeyedRateLimiter::<u64>::per_second(u32::MAX)
        .burst(u32::MAX)
        .clock(Arc::new(TscClock::new()))
        .build()
        .expect("valid quota");
    let mut i = 0usize;
    g.bench_function("keyed_1000/perfkit/pass_tsc_clock", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(ours_keyed_tsc.check_key(&keys[i]).is_ok())
        })
    });
    let ours_keyed_coarse = KeyedRateLimiter::<u64>::per_second(u32::MAX)
        .burst(u32::MAX)
        .clock(Arc::new(coarse))
        .build()
        .expect("valid quota");
    let mut i = 0usize;
    g.bench_function("keyed_1000/perfkit/pass_coarse_clock", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(ours_keyed_coarse.check_key(&keys[i]).is_ok())
        })
    });
    g.finish();
}

criterion_group!(benches, check);
