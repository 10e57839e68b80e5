use std::time::Duration;

use perfkit::clock::ManualClock;
use perfkit::resilience::{CircuitBreaker, CircuitBreakerLayer, Rejected, State};
use tower::{BoxError, Layer};
use tower_test::mock::{self, Spawn};

use crate::has_request;

fn breaker(clock: &ManualClock) -> CircuitBreaker {
    CircuitBreaker::builder()
        .count_based_window(4)
        .minimum_number_of_calls(4)
        .failure_rate_threshold(50.0)
        .wait_duration_in_open(Duration::from_secs(30))
        .permitted_calls_in_half_open(1)
        .clock(clock.clone())
        .build()
        .unwrap()
}

type Svc = Spawn<perfkit::resilience::CircuitBreakerService<mock::Mock<u32, u32>>>;

/// Sends `req`, answers it with `answer` if it reaches the mock, returns the response.
async fn round_trip(
    svc: &mut Svc,
    handle: &mut mock::Handle<u32, u32>,
    req: u32,
    answer: Result<u32, &'static str>,
) -> Result<u32, BoxError> {
    assert!(
        svc.poll_ready().is_ready(),
        "an open breaker keeps the service ready"
    );
    let fut = tokio::spawn(svc.call(req));
    tokio::task::yield_now().await;
    if let std::task::Poll::Ready(Some((got, respond))) = handle.poll_request() {
        assert_eq!(got, req);
        match answer {
            Ok(v) => respond.send_response(v),
            Err(e) => respond.send_error(e),
        }
    }
    fut.await.unwrap()
}

#[tokio::test]
async fn opens_after_failures_rejects_then_half_opens_after_the_wait() {
    let clock = ManualClock::new();
    let breaker = breaker(&clock);
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(CircuitBreakerLayer::new(breaker.clone()).layer(mock));

    for i in 0..4 {
        let err = round_trip(&mut svc, &mut handle, i, Err("refused"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "refused", "inner errors pass through");
        let expected = if i < 3 { State::Closed } else { State::Open };
        assert_eq!(breaker.state(), expected, "after failure {}", i + 1);
    }

    let err = round_trip(&mut svc, &mut handle, 9, Ok(9))
        .await
        .unwrap_err();
    let rejected = err.downcast_ref::<Rejected>().expect("a breaker rejection");
    assert_eq!(rejected.state, State::Open);
    assert_eq!(rejected.retry_after, Some(Duration::from_secs(30)));
    assert!(
        !has_request(&mut handle),
        "a rejected request reached the service"
    );

    clock.advance(Duration::from_secs(30));
    // The trial call goes through and, succeeding, closes the breaker.
    assert_eq!(
        round_trip(&mut svc, &mut handle, 5, Ok(50)).await.unwrap(),
        50
    );
    assert_eq!(breaker.state(), State::Closed);
    let stats = breaker.stats();
    assert_eq!((stats.failures, stats.successes), (4, 1));
}

#[tokio::test]
async fn a_half_open_failure_opens_again() {
    let clock = ManualClock::new();
    let breaker = breaker(&clock);
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(CircuitBreakerLayer::new(breaker.clone()).layer(mock));
    for i in 0..4 {
        let _ = round_trip(&mut svc, &mut handle, i, Err("refused")).await;
    }
    clock.advance(Duration::from_secs(30));
    let err = round_trip(&mut svc, &mut handle, 4, Err("still down"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "still down");
    assert_eq!(breaker.state(), State::Open);
    let err = round_trip(&mut svc, &mut handle, 5, Ok(5))
        .await
        .unwrap_err();
    assert!(err.is::<Rejected>());
}

#[tokio::test]
async fn errors_the_predicate_excludes_count_as_successes() {
    let clock = ManualClock::new();
    let breaker = breaker(&clock);
    let layer = CircuitBreakerLayer::new(breaker.clone())
        .failure_if(|e: &BoxError| e.to_string() != "not found");
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(layer.layer(mock));
    for i in 0..6 {
        let err = round_trip(&mut svc, &mut handle, i, Err("not found"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "not found");
    }
    assert_eq!(breaker.state(), State::Closed);
    let stats = breaker.stats();
    assert_eq!((stats.failures, stats.successes), (0, 6));
}

#[tokio::test]
async fn a_dropped_response_counts_as_cancelled_not_as_an_outcome() {
    let clock = ManualClock::new();
    let b = breaker(&clock);
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(CircuitBreakerLayer::new(b.clone()).layer(mock));
    assert!(svc.poll_ready().is_ready());
    let fut = svc.call(7);
    // The inner service is called in `call`, on the readiness `poll_ready` obtained.
    assert!(
        has_request(&mut handle),
        "the request reached the inner service at call"
    );
    drop(fut);
    let stats = b.stats();
    assert_eq!((stats.calls, stats.cancelled), (0, 1), "{stats:?}");
}

#[tokio::test]
async fn a_rejection_needs_no_inner_readiness_and_reaches_no_one() {
    let clock = ManualClock::new();
    let b = breaker(&clock);
    b.force_open();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(CircuitBreakerLayer::new(b.clone()).layer(mock));
    assert!(svc.poll_ready().is_ready());
    let err = svc.call(1).await.unwrap_err();
    assert!(err.downcast_ref::<Rejected>().is_some(), "{err}");
    assert!(!has_request(&mut handle));
    assert_eq!(b.stats().rejected, 1);
    assert_eq!(b.state(), State::ForcedOpen);
}
