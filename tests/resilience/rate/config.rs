//! Bad settings are `InvalidConfig` from `build()`; extreme but valid ones work without panics.

use super::{manual, ms};
use perfkit::resilience::{KeyedRateLimiter, RateLimiter, ResilienceError};
use std::time::Duration;

fn field_of(err: ResilienceError) -> &'static str {
    match err {
        ResilienceError::InvalidConfig { field, .. } => field,
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn zero_rate_is_invalid() {
    assert_eq!(
        field_of(RateLimiter::per_second(0).build().unwrap_err()),
        "rate"
    );
    assert_eq!(
        field_of(RateLimiter::per_minute(0).burst(5).build().unwrap_err()),
        "rate"
    );
    assert_eq!(
        field_of(KeyedRateLimiter::<u64>::per_second(0).build().unwrap_err()),
        "rate"
    );
}

#[test]
fn zero_period_is_invalid() {
    assert_eq!(
        field_of(
            RateLimiter::per_period(5, Duration::ZERO)
                .build()
                .unwrap_err()
        ),
        "period"
    );
    assert_eq!(
        field_of(
            RateLimiter::with_period(Duration::ZERO)
                .build()
                .unwrap_err()
        ),
        "period"
    );
}

#[test]
fn zero_burst_is_invalid() {
    assert_eq!(
        field_of(RateLimiter::per_second(10).burst(0).build().unwrap_err()),
        "burst"
    );
    assert_eq!(
        field_of(
            KeyedRateLimiter::<u64>::per_second(10)
                .burst(0)
                .build()
                .unwrap_err()
        ),
        "burst"
    );
}

#[test]
fn window_beyond_146_years_is_invalid() {
    // One cell per u64::MAX seconds cannot be represented in nanoseconds.
    assert_eq!(
        field_of(RateLimiter::with_period(Duration::MAX).build().unwrap_err()),
        "burst"
    );
    // A representable interval with a burst that pushes the window past 2^62 ns.
    let err = RateLimiter::per_minute(1)
        .burst(u32::MAX)
        .build()
        .unwrap_err();
    assert_eq!(field_of(err.clone()), "burst");
    assert!(err.to_string().contains("146 years"), "{err}");
}

#[test]
fn huge_jitter_is_invalid() {
    assert_eq!(
        field_of(
            RateLimiter::per_second(1)
                .jitter(Duration::MAX)
                .build()
                .unwrap_err()
        ),
        "jitter"
    );
}

#[test]
fn keyed_zero_max_keys_and_zero_shards_are_invalid() {
    assert_eq!(
        field_of(
            KeyedRateLimiter::<u64>::per_second(1)
                .max_keys(0)
                .build()
                .unwrap_err()
        ),
        "max_keys"
    );
    assert_eq!(
        field_of(
            KeyedRateLimiter::<u64>::per_second(1)
                .shards(0)
                .build()
                .unwrap_err()
        ),
        "shards"
    );
}

#[test]
fn default_burst_is_the_cells_per_period() {
    let (_clock, shared) = manual();
    let l = RateLimiter::per_second(5)
        .clock(shared.clone())
        .build()
        .unwrap();
    assert_eq!(l.burst(), 5);
    for _ in 0..5 {
        l.check().unwrap();
    }
    assert_eq!(l.check().unwrap_err().retry_after(), ms(200));

    let l = RateLimiter::with_period(ms(50))
        .clock(shared)
        .build()
        .unwrap();
    assert_eq!(l.burst(), 1);
    assert_eq!(l.emission_interval(), ms(50));
    l.check().unwrap();
    assert_eq!(l.check().unwrap_err().retry_after(), ms(50));
}

#[test]
fn interval_rounds_up_so_the_rate_is_never_exceeded() {
    // 3 per second: 333_333_333.3 ns, rounded up.
    let l = RateLimiter::per_second(3).build().unwrap();
    assert_eq!(l.emission_interval(), Duration::from_nanos(333_333_334));
}

#[test]
fn extreme_valid_settings_do_not_panic() {
    let (clock, shared) = manual();
    // Above one cell per nanosecond: capped at one per nanosecond.
    let l = RateLimiter::per_second(u32::MAX)
        .burst(u32::MAX)
        .clock(shared.clone())
        .build()
        .unwrap();
    assert_eq!(l.emission_interval(), Duration::from_nanos(1));
    l.check_n(u32::MAX).unwrap();
    assert!(l.check().is_err());
    // A clock at the end of representable time: arithmetic saturates instead of overflowing.
    clock.advance(Duration::MAX);
    let _ = l.check();
    let _ = l.check_n(u32::MAX);
    let k = KeyedRateLimiter::<u64>::per_second(u32::MAX)
        .burst(u32::MAX)
        .clock(shared)
        .build()
        .unwrap();
    let _ = k.check_key(&1);
    let _ = k.check_key_n(&1, u32::MAX);
    assert!(k.check_key_n(&1, 0).is_ok());
}

#[test]
fn tiny_max_keys_uses_fewer_shards_and_still_bounds() {
    let (_clock, shared) = manual();
    let k = KeyedRateLimiter::<u64>::per_minute(1)
        .max_keys(3)
        .clock(shared)
        .build()
        .unwrap();
    assert!(k.max_keys() >= 1 && k.max_keys() <= 3, "{}", k.max_keys());
    for key in 0..100 {
        k.check_key(&key).unwrap(); // fresh keys are always admitted
        assert!(k.tracked_keys() <= k.max_keys());
    }
}
