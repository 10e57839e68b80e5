//! `register_metrics`: each primitive's stats as series in a `metrics::Registry`.

use std::time::Duration;

use perfkit::metrics::{MetricsError, Registry};
use perfkit::resilience::{
    AdaptiveLimiter, Bulkhead, BulkheadError, CircuitBreaker, KeyedRateLimiter, Retry, RetryBudget,
    Sample,
};

/// The value of the series line that starts with `series` (name and label block), if any.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(match rest {
            "NaN" => f64::NAN,
            other => other.parse().ok()?,
        })
    })
}

#[test]
fn breaker_series_follow_state_and_outcomes() {
    let registry = Registry::new();
    let breaker = CircuitBreaker::builder()
        .count_based_window(4)
        .minimum_number_of_calls(4)
        .failure_rate_threshold(50.0)
        .build()
        .unwrap();
    breaker.register_metrics(&registry, "b").unwrap();

    let text = registry.render_prometheus();
    assert_eq!(
        value(&text, "b_state{state=\"closed\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, "b_state{state=\"open\"}"), Some(0.0));
    assert!(
        value(&text, "b_failure_rate").unwrap().is_nan(),
        "too few calls to judge"
    );

    breaker.try_acquire().unwrap().success();
    breaker.try_acquire().unwrap().success();
    breaker.try_acquire().unwrap().failure();
    drop(breaker.try_acquire().unwrap()); // cancelled: neither outcome
    let text = registry.render_prometheus();
    assert_eq!(
        value(&text, "b_calls_total{outcome=\"success\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "b_calls_total{outcome=\"failure\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "b_calls_total{outcome=\"cancelled\"}"),
        Some(1.0)
    );
    assert_eq!(value(&text, "b_state{state=\"closed\"}"), Some(1.0));

    breaker.try_acquire().unwrap().failure(); // 2 of 4 failed: 50 % opens it
    let text = registry.render_prometheus();
    assert_eq!(value(&text, "b_state{state=\"open\"}"), Some(1.0), "{text}");
    assert_eq!(value(&text, "b_state{state=\"closed\"}"), Some(0.0));
    assert!(breaker.try_acquire().is_err());
    let text = registry.render_prometheus();
    assert_eq!(
        value(&text, "b_calls_total{outcome=\"rejected\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(text.matches("# TYPE b_calls_total counter").count(), 1);
}

#[test]
fn series_go_when_the_primitive_goes() {
    let registry = Registry::new();
    let breaker = CircuitBreaker::builder().build().unwrap();
    let clone = breaker.clone();
    breaker.register_metrics(&registry, "gone").unwrap();
    drop(breaker);
    assert!(
        registry.render_prometheus().contains("gone_state"),
        "a clone still lives"
    );
    drop(clone);
    assert_eq!(registry.render_prometheus(), "");
    // ... and the names are free for a new breaker under the same prefix.
    let again = CircuitBreaker::builder().build().unwrap();
    again.register_metrics(&registry, "gone").unwrap();
    assert!(
        registry
            .render_prometheus()
            .contains("gone_state{state=\"closed\"} 1")
    );
}

#[test]
fn a_bad_prefix_is_an_error_and_registers_nothing() {
    let registry = Registry::new();
    let breaker = CircuitBreaker::builder().build().unwrap();
    for prefix in ["", "9lives", "has space", "dash-ed"] {
        let err = breaker.register_metrics(&registry, prefix).unwrap_err();
        assert!(
            matches!(err, MetricsError::InvalidMetricName { .. }),
            "{prefix:?}: {err:?}"
        );
    }
    assert_eq!(registry.render_prometheus(), "");
}

#[test]
fn bulkhead_series_follow_permits_and_rejections() {
    let registry = Registry::new();
    let bulkhead = Bulkhead::new(1).unwrap();
    bulkhead.register_metrics(&registry, "bh").unwrap();
    let held = bulkhead.try_acquire().unwrap();
    assert!(matches!(bulkhead.try_acquire(), Err(BulkheadError::Full)));
    let text = registry.render_prometheus();
    assert_eq!(value(&text, "bh_limit"), Some(1.0), "{text}");
    assert_eq!(value(&text, "bh_in_use"), Some(1.0));
    assert_eq!(
        value(&text, "bh_calls_total{outcome=\"accepted\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "bh_calls_total{outcome=\"rejected\"}"),
        Some(1.0)
    );
    drop(held);
    let text = registry.render_prometheus();
    assert_eq!(value(&text, "bh_in_use"), Some(0.0));
    assert_eq!(value(&text, "bh_max_in_use"), Some(1.0));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn retry_series_count_retries_and_the_budget() {
    let registry = Registry::new();
    let budget = RetryBudget::builder()
        .min_per_second(1)
        .retry_ratio(0.0)
        .ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    let retry = Retry::constant(Duration::from_millis(1))
        .max_attempts(3)
        .budget(budget)
        .build()
        .unwrap();
    retry.register_metrics(&registry, "rt").unwrap();
    assert_eq!(
        value(&registry.render_prometheus(), "rt_budget_available"),
        Some(1.0)
    );

    // Fails twice, then works: two retries wanted, the budget holds one.
    let mut attempts = 0;
    let result: Result<(), _> = retry
        .run(|| {
            attempts += 1;
            async { Err::<(), _>("down") }
        })
        .await;
    assert!(result.is_err());
    let text = registry.render_prometheus();
    assert_eq!(value(&text, "rt_retries_total"), Some(1.0), "{text}");
    assert_eq!(
        value(&text, "rt_gave_up_total{reason=\"budget_exhausted\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "rt_gave_up_total{reason=\"attempts_exhausted\"}"),
        Some(0.0)
    );
    assert_eq!(value(&text, "rt_budget_available"), Some(0.0));
    assert_eq!(attempts, 2);
}

#[test]
fn adaptive_limit_and_keyed_table_are_gauges() {
    let registry = Registry::new();
    let limiter = AdaptiveLimiter::aimd().initial_limit(10).build().unwrap();
    limiter.register_metrics(&registry, "ad").unwrap();
    limiter.on_sample(Sample::dropped(10));
    assert_eq!(
        value(&registry.render_prometheus(), "ad_limit"),
        Some(limiter.limit() as f64)
    );
    assert!(limiter.limit() < 10);

    let keyed = KeyedRateLimiter::<u32>::per_second(1)
        .max_keys(1024)
        .build()
        .unwrap();
    keyed.register_metrics(&registry, "kr").unwrap();
    for key in 0..5 {
        assert!(keyed.check_key(&key).is_ok());
    }
    let text = registry.render_prometheus();
    assert_eq!(value(&text, "kr_tracked_keys"), Some(5.0), "{text}");
    assert_eq!(value(&text, "kr_max_keys"), Some(keyed.max_keys() as f64));
}
