use std::sync::Arc;
use std::time::Duration;

use crate::next;
use perfkit::clock::ManualClock;
use perfkit::resilience::{Jitter, Retry, RetryBudget, RetryLayer};
use tower::Layer;
use tower_test::mock::{self, Spawn};

use crate::has_request;

fn policy() -> perfkit::resilience::RetryBuilder {
    Retry::constant(Duration::from_millis(10))
        .jitter(Jitter::None)
        .max_attempts(3)
}

#[tokio::test(start_paused = true)]
async fn retries_a_failing_request_up_to_max_attempts() {
    let retry = policy().build().unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(RetryLayer::new(retry.clone()).layer(mock));

    assert!(svc.poll_ready().is_ready());
    let fut = tokio::spawn(svc.call(7));
    for attempt in 1..=3 {
        let (req, respond) = next(&mut handle).await;
        assert_eq!(req, 7, "attempt {attempt} resends the request");
        respond.send_error(format!("fail {attempt}"));
    }
    let err = fut.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "fail 3",
        "the last attempt's error, unchanged"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!has_request(&mut handle), "no fourth attempt");
    let stats = retry.stats();
    assert_eq!((stats.retries, stats.attempts_exhausted), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_succeeds_answers_with_the_success() {
    let retry = policy().build().unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(RetryLayer::new(retry.clone()).layer(mock));
    assert!(svc.poll_ready().is_ready());
    let start = tokio::time::Instant::now();
    let fut = tokio::spawn(svc.call(1));
    let (_, respond) = next(&mut handle).await;
    respond.send_error("flaky");
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 1);
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(10),
        "the policy's delay"
    );
    respond.send_response(42);
    assert_eq!(fut.await.unwrap().unwrap(), 42);
    assert_eq!(retry.stats().recovered, 1);
}

#[tokio::test(start_paused = true)]
async fn stops_when_the_budget_runs_out() {
    // No ratio, a floor of one retry per 1 s window: one retry in all.
    let budget = RetryBudget::builder()
        .retry_ratio(0.0)
        .min_per_second(1)
        .ttl(Duration::from_secs(1))
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let retry = policy().max_attempts(5).budget(budget).build().unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(RetryLayer::new(retry.clone()).layer(mock));

    assert!(svc.poll_ready().is_ready());
    let fut = tokio::spawn(svc.call(1));
    for _ in 0..2 {
        let (_, respond) = next(&mut handle).await;
        respond.send_error("down");
    }
    assert!(fut.await.unwrap().is_err());
    assert!(
        !has_request(&mut handle),
        "the budget allowed one retry only"
    );

    assert!(svc.poll_ready().is_ready());
    let fut = tokio::spawn(svc.call(2));
    let (_, respond) = next(&mut handle).await;
    respond.send_error("down");
    assert!(fut.await.unwrap().is_err());
    assert!(!has_request(&mut handle), "no budget left: no retry at all");

    let stats = retry.stats();
    assert_eq!((stats.retries, stats.budget_refusals), (1, 2));
    assert_eq!(stats.attempts_exhausted, 0);
}

#[tokio::test(start_paused = true)]
async fn errors_the_predicate_rejects_are_not_retried() {
    let retry = policy()
        .retry_if(|e: &tower::BoxError| e.to_string() != "bad request")
        .build()
        .unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(RetryLayer::new(retry.clone()).layer(mock));
    assert!(svc.poll_ready().is_ready());
    let fut = tokio::spawn(svc.call(1));
    let (_, respond) = next(&mut handle).await;
    respond.send_error("bad request");
    assert!(fut.await.unwrap().is_err());
    assert!(!has_request(&mut handle));
    assert_eq!(retry.stats().not_retryable, 1);
}
