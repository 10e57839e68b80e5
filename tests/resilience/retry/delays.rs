//! The delay schedule through `Retry::delays`, with and without jitter.

use super::ms;
use perfkit::resilience::{Jitter, Retry};
use std::collections::HashSet;
use std::time::Duration;

fn ms_list(retry: &Retry) -> Vec<u128> {
    retry.delays().map(|d| d.as_millis()).collect()
}

#[test]
fn exponential_doubles_up_to_max_delay() {
    let retry = Retry::exponential(ms(100))
        .max_delay(ms(1000))
        .jitter(Jitter::None)
        .max_attempts(7)
        .build()
        .unwrap();
    assert_eq!(ms_list(&retry), [100, 200, 400, 800, 1000, 1000]);
}

#[test]
fn exponential_with_custom_multiplier() {
    let retry = Retry::exponential(ms(10))
        .multiplier(3.0)
        .max_delay(ms(200))
        .jitter(Jitter::None)
        .max_attempts(6)
        .build()
        .unwrap();
    assert_eq!(ms_list(&retry), [10, 30, 90, 200, 200]);
    // A fractional multiplier, exact in nanoseconds.
    let retry = Retry::exponential(ms(100))
        .multiplier(1.5)
        .jitter(Jitter::None)
        .max_attempts(4)
        .build()
        .unwrap();
    assert_eq!(ms_list(&retry), [100, 150, 225]);
}

#[test]
fn constant_is_constant_and_capped() {
    let retry = Retry::constant(ms(250))
        .jitter(Jitter::None)
        .max_attempts(5)
        .build()
        .unwrap();
    assert_eq!(ms_list(&retry), [250, 250, 250, 250]);
    // A base above max_delay is clamped, not rejected.
    let retry = Retry::constant(ms(250))
        .max_delay(ms(100))
        .jitter(Jitter::None)
        .build()
        .unwrap();
    assert_eq!(ms_list(&retry), [100, 100]);
}

#[test]
fn delays_count_is_attempts_minus_one() {
    for n in [1u32, 2, 3, 10] {
        let retry = Retry::constant(ms(1)).max_attempts(n).build().unwrap();
        assert_eq!(retry.delays().len(), (n - 1) as usize);
        assert_eq!(retry.delays().count(), (n - 1) as usize);
    }
    // next_delay keeps going past the limit, at the cap.
    let retry = Retry::exponential(ms(1))
        .max_delay(ms(8))
        .jitter(Jitter::None)
        .max_attempts(1)
        .build()
        .unwrap();
    let mut b = retry.delays();
    assert_eq!(b.next(), None);
    let got: Vec<_> = (0..6).map(|_| b.next_delay()).collect();
    assert_eq!(got, [ms(1), ms(2), ms(4), ms(8), ms(8), ms(8)]);
}

#[test]
fn extreme_values_saturate_without_panic() {
    let cap = Duration::from_nanos(u64::MAX);
    for jitter in [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ] {
        for (base, mult) in [
            (Duration::MAX, f64::MAX),
            (Duration::from_nanos(1), f64::MAX),
            (Duration::from_secs(1), 1e300),
            (Duration::ZERO, 2.0),
        ] {
            let retry = Retry::exponential(base)
                .multiplier(mult)
                .max_delay(Duration::MAX)
                .jitter(jitter)
                .max_attempts(200)
                .seed(1)
                .build()
                .unwrap();
            let delays: Vec<_> = retry.delays().collect();
            assert_eq!(delays.len(), 199);
            assert!(delays.iter().all(|d| *d <= cap), "{jitter:?} {base:?}");
            if jitter == Jitter::None && base > Duration::ZERO {
                // Past the first, every delay is at the saturated cap.
                assert_eq!(delays[5], cap, "{base:?} x {mult}");
            }
            if base == Duration::ZERO && jitter != Jitter::Decorrelated {
                assert!(delays.iter().all(|d| d.is_zero()));
            }
        }
    }
}

/// Un-jittered delays of the schedule used by the jitter tests.
const BASE_MS: u64 = 10;
const CAP_MS: u64 = 1000;

fn jittered(jitter: Jitter, seed: u64) -> Retry {
    Retry::exponential(ms(BASE_MS))
        .max_delay(ms(CAP_MS))
        .jitter(jitter)
        .max_attempts(10)
        .seed(seed)
        .build()
        .unwrap()
}

fn schedule() -> Vec<Duration> {
    jittered(Jitter::None, 0).delays().collect()
}

const RUNS: usize = 2000;

#[test]
fn full_jitter_stays_in_zero_to_d_and_spreads() {
    let d = schedule();
    let retry = jittered(Jitter::Full, 42);
    let mut firsts = HashSet::new();
    let mut sum_ratio = 0.0;
    for _ in 0..RUNS {
        let got: Vec<_> = retry.delays().collect();
        for (g, d) in got.iter().zip(&d) {
            assert!(g <= d, "{g:?} > {d:?}");
            sum_ratio += g.as_secs_f64() / d.as_secs_f64();
        }
        firsts.insert(got[0]);
    }
    // Uniform in [0, d]: mean d/2. 18 000 samples put the mean within ±0.02 by far.
    let mean = sum_ratio / (RUNS * d.len()) as f64;
    assert!((mean - 0.5).abs() < 0.02, "mean ratio {mean}");
    assert!(
        firsts.len() > RUNS * 9 / 10,
        "only {} distinct",
        firsts.len()
    );
}

#[test]
fn equal_jitter_stays_in_half_d_to_d_and_spreads() {
    let d = schedule();
    let retry = jittered(Jitter::Equal, 43);
    let mut firsts = HashSet::new();
    let mut sum_ratio = 0.0;
    for _ in 0..RUNS {
        let got: Vec<_> = retry.delays().collect();
        for (g, d) in got.iter().zip(&d) {
            assert!(*g >= *d / 2 && g <= d, "{g:?} vs {d:?}");
            sum_ratio += g.as_secs_f64() / d.as_secs_f64();
        }
        firsts.insert(got[0]);
    }
    let mean = sum_ratio / (RUNS * d.len()) as f64;
    assert!((mean - 0.75).abs() < 0.02, "mean ratio {mean}");
    assert!(
        firsts.len() > RUNS * 9 / 10,
        "only {} distinct",
        firsts.len()
    );
}

#[test]
fn decorrelated_jitter_stays_in_base_to_three_prev_capped() {
    let retry = jittered(Jitter::Decorrelated, 44);
    let (base, cap) = (ms(BASE_MS), ms(CAP_MS));
    let mut firsts = HashSet::new();
    let mut reached_cap = false;
    for _ in 0..RUNS {
        let got: Vec<_> = retry.delays().collect();
        let mut prev = base;
        for g in &got {
            assert!(
                *g >= base && *g <= (prev * 3).min(cap),
                "{g:?} after {prev:?}"
            );
            reached_cap |= *g > cap / 2;
            prev = *g;
        }
        firsts.insert(got[0]);
    }
    assert!(reached_cap, "decorrelated never grew");
    assert!(
        firsts.len() > RUNS * 9 / 10,
        "only {} distinct",
        firsts.len()
    );
}

#[test]
fn seed_makes_jitter_reproducible() {
    let a: Vec<Vec<Duration>> = {
        let r = jittered(Jitter::Full, 7);
        (0..5).map(|_| r.delays().collect()).collect()
    };
    let b: Vec<Vec<Duration>> = {
        let r = jittered(Jitter::Full, 7);
        (0..5).map(|_| r.delays().collect()).collect()
    };
    let c: Vec<Vec<Duration>> = {
        let r = jittered(Jitter::Full, 8);
        (0..5).map(|_| r.delays().collect()).collect()
    };
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Successive runs of one policy are spread differently.
    assert_ne!(a[0], a[1]);
}
