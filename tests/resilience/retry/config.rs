//! Settings that cannot work are a typed error from `build()`, never a panic.

use super::ms;
use perfkit::resilience::{DEFAULT_MAX_ATTEMPTS, ResilienceError, Retry, RetryBudget, RetryError};
use std::time::Duration;

fn field<T: std::fmt::Debug>(r: Result<T, ResilienceError>) -> &'static str {
    match r {
        Err(ResilienceError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn zero_attempts_is_rejected() {
    assert_eq!(
        field(Retry::exponential(ms(1)).max_attempts(0).build()),
        "max_attempts"
    );
    assert_eq!(
        field(Retry::constant(ms(1)).max_attempts(0).build()),
        "max_attempts"
    );
    assert!(Retry::constant(ms(1)).max_attempts(1).build().is_ok());
    let default = Retry::constant(ms(1)).build().unwrap();
    assert_eq!(default.max_attempts(), DEFAULT_MAX_ATTEMPTS);
    assert_eq!(DEFAULT_MAX_ATTEMPTS, 3);
}

#[test]
fn multiplier_below_one_or_not_finite_is_rejected() {
    for m in [0.999, 0.0, -2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            field(Retry::exponential(ms(1)).multiplier(m).build()),
            "multiplier",
            "{m}"
        );
    }
    for m in [1.0, 1.5, f64::MAX] {
        assert!(
            Retry::exponential(ms(1)).multiplier(m).build().is_ok(),
            "{m}"
        );
    }
}

#[test]
fn budget_ratio_outside_zero_to_ten_is_rejected() {
    for r in [-0.001, 10.001, f64::NAN, f64::INFINITY] {
        assert_eq!(
            field(RetryBudget::builder().retry_ratio(r).build()),
            "retry_ratio",
            "{r}"
        );
    }
    for r in [0.0, 0.2, 10.0] {
        assert!(RetryBudget::builder().retry_ratio(r).build().is_ok(), "{r}");
    }
}

#[test]
fn ttl_below_a_millisecond_is_rejected() {
    for t in [Duration::ZERO, Duration::from_micros(999)] {
        assert_eq!(field(RetryBudget::builder().ttl(t).build()), "ttl", "{t:?}");
    }
    for t in [ms(1), Duration::MAX] {
        let b = RetryBudget::builder().ttl(t).build().unwrap();
        // A huge window must not overflow the reserve or the slot arithmetic.
        b.deposit();
        let _ = b.withdraw();
    }
}

#[test]
fn build_errors_name_the_setting() {
    let err = Retry::constant(ms(1)).max_attempts(0).build().unwrap_err();
    assert!(
        err.to_string().starts_with("invalid max_attempts:"),
        "{err}"
    );
    // RetryError is Send + Sync + 'static when the inner error is, so it boxes.
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<RetryError<std::io::Error>>();
}
