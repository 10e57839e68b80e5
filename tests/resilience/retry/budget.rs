//! `RetryBudget`: the bound during an outage, recovery, sharing, and concurrent deposits.

use super::{manual, ms};
use perfkit::clock::ManualClock;
use perfkit::resilience::{Jitter, Retry, RetryBudget, StopReason};
use std::time::Duration;

const REQUESTS: u64 = 1000;
const RATIO: f64 = 0.2;
const FLOOR: u32 = 10;
const TTL_SECS: u64 = 10;
const ATTEMPTS: u32 = 3;

fn budget(clock: &ManualClock) -> RetryBudget {
    let _ = clock;
    RetryBudget::builder()
        .retry_ratio(RATIO)
        .min_per_second(FLOOR)
        .ttl(Duration::from_secs(TTL_SECS))
        .clock(std::sync::Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn policy(budget: Option<RetryBudget>) -> Retry {
    let b = Retry::constant(Duration::ZERO)
        .jitter(Jitter::None)
        .max_attempts(ATTEMPTS);
    match budget {
        Some(budget) => b.budget(budget),
        None => b,
    }
    .build()
    .unwrap()
}

/// Runs `REQUESTS` always-failing requests, moving the clock by `gap` before each, and
/// returns the retries made (calls beyond the first of each run).
async fn outage(retry: &Retry, clock: &ManualClock, gap: Duration) -> u64 {
    let mut calls = 0u64;
    for _ in 0..REQUESTS {
        clock.advance(gap);
        let _ = retry
            .run(|| {
                calls += 1;
                async { Err::<(), _>("down") }
            })
            .await;
    }
    calls - REQUESTS
}

#[tokio::test(start_paused = true)]
async fn budget_stops_retries_in_a_burst_outage() {
    let (clock, _) = manual();
    let retry = policy(Some(budget(&clock)));
    let retries = outage(&retry, &clock, Duration::ZERO).await;
    // Everything inside one window: the reserve (floor × ttl = 100) plus 20 % of the
    // deposits (200). Integer units make this exact, so no slack is needed.
    let bound = (RATIO * REQUESTS as f64) as u64 + u64::from(FLOOR) * TTL_SECS;
    assert!(retries <= bound, "{retries} > {bound}");
    // ...and the budget is used, not refused wholesale: each run deposits before it draws,
    // so all of it can be spent.
    assert!(
        retries >= bound - 1,
        "{retries} retries, budget allowed {bound}"
    );
    let stats = retry.stats();
    assert_eq!(stats.retries, retries);
    assert!(stats.budget_refusals > 0);

    // The same outage without a budget: every request is multiplied by max_attempts.
    let unbudgeted = policy(None);
    let retries = outage(&unbudgeted, &clock, Duration::ZERO).await;
    assert_eq!(retries, REQUESTS * u64::from(ATTEMPTS - 1));
}

#[tokio::test(start_paused = true)]
async fn budget_stops_retries_in_a_long_outage() {
    let (clock, _) = manual();
    let retry = policy(Some(budget(&clock)));
    // 1000 requests over 50 s.
    let gap = ms(50);
    let retries = outage(&retry, &clock, gap).await;
    let secs = REQUESTS * 50 / 1000;
    // Per window of ttl, at most the reserve plus 20 % of the window's deposits; the outage
    // spans secs / ttl windows and reaches into one more (the window it started in is a
    // full reserve by itself), hence floor × (secs + ttl).
    let bound = (RATIO * REQUESTS as f64) as u64 + u64::from(FLOOR) * (secs + TTL_SECS);
    assert!(retries <= bound, "{retries} > {bound}");
    assert!(retries < REQUESTS * u64::from(ATTEMPTS - 1) / 2);
}

#[tokio::test(start_paused = true)]
async fn budget_recovers_as_requests_succeed() {
    let (clock, shared) = manual();
    let budget = RetryBudget::builder()
        .retry_ratio(0.5)
        .min_per_second(0)
        .clock(shared)
        .build()
        .unwrap();
    let retry = policy(Some(budget.clone()));
    let fail = || async { Err::<(), _>("down") };

    // Nothing deposited yet but this run's half: no retry.
    let err = retry.run(fail).await.unwrap_err();
    assert_eq!(err.reason(), StopReason::BudgetExhausted);
    assert_eq!(err.attempts(), 1);
    // Three successes deposit 1.5 retries; with the two failing runs' halves, 2.5.
    for _ in 0..3 {
        retry.run(|| async { Ok::<_, ()>(()) }).await.unwrap();
    }
    let err = retry.run(fail).await.unwrap_err();
    assert_eq!(
        err.reason(),
        StopReason::AttemptsExhausted,
        "both retries allowed"
    );
    assert_eq!(retry.stats().retries, 2);
    // Half a retry is left; one more request makes it whole.
    assert_eq!(budget.available(), 0);
    budget.deposit();
    assert!(budget.withdraw());
    assert!(!budget.withdraw());

    // Let the window forget the withdrawals (and the deposits).
    clock.advance(Duration::from_secs(11));
    assert_eq!(budget.available(), 0);
    budget.deposit();
    budget.deposit();
    assert!(budget.withdraw());
}

#[tokio::test(start_paused = true)]
async fn floor_refills_with_time() {
    let (clock, shared) = manual();
    let budget = RetryBudget::builder()
        .retry_ratio(0.0)
        .min_per_second(2)
        .ttl(Duration::from_secs(5))
        .clock(shared)
        .build()
        .unwrap();
    assert_eq!(budget.available(), 10);
    for _ in 0..10 {
        assert!(budget.withdraw());
    }
    assert!(!budget.withdraw());
    // Half a window later the withdrawals still count.
    clock.advance(Duration::from_millis(2500));
    assert!(!budget.withdraw());
    // A full window later they have expired.
    clock.advance(Duration::from_millis(2600));
    assert_eq!(budget.available(), 10);
}

#[tokio::test(start_paused = true)]
async fn budget_is_shared_between_policies() {
    let (_clock, shared) = manual();
    let budget = RetryBudget::builder()
        .retry_ratio(0.0)
        .min_per_second(1)
        .ttl(Duration::from_secs(1))
        .clock(shared)
        .build()
        .unwrap();
    let a = policy(Some(budget.clone()));
    let b = policy(Some(budget.clone()));
    let fail = || async { Err::<(), _>(()) };
    // One retry in the reserve: `a` takes it, `b` is refused.
    assert_eq!(a.run(fail).await.unwrap_err().attempts(), 2);
    let err = b.run(fail).await.unwrap_err();
    assert_eq!(
        (err.reason(), err.attempts()),
        (StopReason::BudgetExhausted, 1)
    );
    assert_eq!(b.stats().budget_refusals, 1);
}

#[test]
fn ratio_extremes() {
    let (_clock, shared) = manual();
    let none = RetryBudget::builder()
        .retry_ratio(0.0)
        .min_per_second(0)
        .clock(shared.clone())
        .build()
        .unwrap();
    for _ in 0..100 {
        none.deposit();
    }
    assert!(!none.withdraw());
    let tenfold = RetryBudget::builder()
        .retry_ratio(10.0)
        .min_per_second(0)
        .clock(shared)
        .build()
        .unwrap();
    tenfold.deposit();
    for _ in 0..10 {
        assert!(tenfold.withdraw());
    }
    assert!(!tenfold.withdraw());
}

#[test]
fn concurrent_deposits_are_all_counted() {
    let (_clock, shared) = manual();
    let budget = RetryBudget::builder()
        .retry_ratio(0.1)
        .min_per_second(0)
        .clock(shared)
        .build()
        .unwrap();
    const THREADS: u64 = 4;
    const EACH: u64 = 25_000;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..EACH {
                    budget.deposit();
                }
            });
        }
    });
    assert_eq!(budget.available(), THREADS * EACH / 10);
}

#[test]
fn real_clock_budget_works() {
    // The default (TSC) clock: a fresh budget has its reserve, and deposits count.
    let budget = RetryBudget::builder()
        .retry_ratio(1.0)
        .min_per_second(0)
        .build()
        .unwrap();
    assert!(!budget.withdraw());
    budget.deposit();
    assert!(budget.withdraw());
    let floor = RetryBudget::builder().build().unwrap();
    assert_eq!(floor.available(), 100, "10/s over 10 s");
}
