//! A client calling a flaky dependency through every perfkit resilience primitive.
//!
//! ```text
//! cargo run --example resilience
//! ```
//!
//! The "dependency" fails for 200 ms (an outage) and then recovers. The client
//! limits its own rate, caps concurrency with a bulkhead, retries within a budget, and stops
//! calling through a circuit breaker while the dependency is down. Printed at the end: what
//! each primitive did.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use perfkit::resilience::{
    BreakerError, Bulkhead, CircuitBreaker, Jitter, RateLimiter, Retry, RetryBudget, State,
};

/// Fails from 50 ms to 250 ms after `start` (the outage), succeeds otherwise, after 1 ms.
async fn dependency(calls: &AtomicU64, start: Instant) -> Result<u32, String> {
    let n = calls.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1)).await;
    let t = start.elapsed();
    if t >= Duration::from_millis(50) && t < Duration::from_millis(250) {
        Err(format!("call {n}: 503 service unavailable"))
    } else {
        Ok(200)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls = Arc::new(AtomicU64::new(0));
    let start = Instant::now();

    let limiter = RateLimiter::per_second(300).burst(5).build()?;
    let bulkhead = Bulkhead::builder(8)
        .max_wait(Duration::from_millis(50))
        .build()?;
    let budget = RetryBudget::builder()
        .retry_ratio(0.2)
        .min_per_second(5)
        .build()?;
    let retry = Retry::exponential(Duration::from_millis(2))
        .max_delay(Duration::from_millis(20))
        .jitter(Jitter::Full)
        .max_attempts(3)
        .budget(budget)
        .build()?;
    let breaker = CircuitBreaker::builder()
        .count_based_window(20)
        .minimum_number_of_calls(10)
        .failure_rate_threshold(50.0)
        .wait_duration_in_open(Duration::from_millis(100))
        .permitted_calls_in_half_open(3)
        .on_state_change(|t| println!("breaker: {} -> {}", t.from, t.to))
        .build()?;

    // With `metrics` on, the same stats are Prometheus series, read when rendered.
    #[cfg(feature = "metrics")]
    let registry = {
        let registry = perfkit::metrics::Registry::new();
        breaker.register_metrics(&registry, "dependency_breaker")?;
        retry.register_metrics(&registry, "dependency_retry")?;
        bulkhead.register_metrics(&registry, "dependency_bulkhead")?;
        registry
    };

    let (mut ok, mut failed, mut short_circuited, mut limited) = (0u32, 0u32, 0u32, 0u32);
    for _ in 0..400 {
        if limiter.check().is_err() {
            limited += 1;
            limiter.until_ready().await;
        }
        let outcome = bulkhead
            .call(breaker.call(retry.run(|| dependency(&calls, start))))
            .await?;
        match outcome {
            Ok(_) => ok += 1,
            Err(BreakerError::Inner(_)) => failed += 1,
            Err(_) => {
                short_circuited += 1;
                // Nothing to do while the breaker is open but wait a little.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }

    let b = breaker.stats();
    let r = retry.stats();
    println!();
    println!("requests: 400, succeeded {ok}, failed {failed}, short-circuited {short_circuited}");
    println!(
        "dependency saw {} calls in {:.0} ms (during the 200 ms outage the breaker and the retry \
         budget kept it from taking up to 3 attempts per request)",
        calls.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "retry: {} retries, {} requests recovered, {} refused by the budget",
        r.retries, r.recovered, r.budget_refusals
    );
    println!(
        "breaker: state {}, {} calls rejected while open",
        breaker.state(),
        b.rejected
    );
    println!("rate limiter: waited {limited} times");
    println!("bulkhead: {:?}", bulkhead.stats());
    #[cfg(feature = "metrics")]
    {
        println!();
        println!("as Prometheus series:");
        print!("{}", registry.render_prometheus());
    }
    assert_eq!(breaker.state(), State::Closed, "the dependency recovered");
    Ok(())
}
