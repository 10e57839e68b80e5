use std::task::Poll;
use std::time::Duration;

use crate::next;
use perfkit::resilience::{Bulkhead, BulkheadError, BulkheadLayer};
use tower::Layer;
use tower_test::mock::{self, Spawn};

use crate::{has_request, settle};

#[tokio::test(start_paused = true)]
async fn limits_in_flight_requests_and_frees_on_response() {
    let bulkhead = Bulkhead::builder(2)
        .max_wait(Duration::MAX)
        .build()
        .unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let svc = BulkheadLayer::new(bulkhead.clone()).layer(mock);
    let mut a = Spawn::new(svc.clone());
    let mut b = Spawn::new(svc.clone());
    let mut c = Spawn::new(svc);

    assert!(matches!(a.poll_ready(), Poll::Ready(Ok(()))));
    let fa = tokio::spawn(a.call(1));
    assert!(matches!(b.poll_ready(), Poll::Ready(Ok(()))));
    let fb = tokio::spawn(b.call(2));
    assert!(c.poll_ready().is_pending(), "a third request must wait");
    assert_eq!(bulkhead.stats().in_use, 2);

    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 1);
    settle().await;
    assert!(!c.is_woken(), "nothing freed while the response is pending");
    respond.send_response(10);
    assert_eq!(fa.await.unwrap().unwrap(), 10);

    assert!(c.is_woken(), "a completed response frees its slot");
    assert!(matches!(c.poll_ready(), Poll::Ready(Ok(()))));
    let fc = tokio::spawn(c.call(3));
    assert_eq!(bulkhead.stats().in_use, 2);
    assert_eq!(bulkhead.stats().max_in_use, 2);

    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 2);
    respond.send_response(20);
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 3);
    respond.send_error("boom");
    assert_eq!(fb.await.unwrap().unwrap(), 20);
    assert_eq!(fc.await.unwrap().unwrap_err().to_string(), "boom");
    assert_eq!(bulkhead.stats().in_use, 0);
}

#[tokio::test(start_paused = true)]
async fn a_clone_does_not_carry_the_slot() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::MAX)
        .build()
        .unwrap();
    let (mock, _handle) = mock::pair::<u32, u32>();
    let mut a = Spawn::new(BulkheadLayer::new(bulkhead.clone()).layer(mock));
    assert!(a.poll_ready().is_ready());
    let mut b = Spawn::new(a.get_ref().clone());
    assert!(
        b.poll_ready().is_pending(),
        "the clone must not share a's slot"
    );
    drop(a); // a ready service dropped without a call gives its slot back
    assert!(b.is_woken());
    assert!(b.poll_ready().is_ready());
    assert_eq!(bulkhead.stats().in_use, 1);
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_the_response_and_the_inner_service_is_not_called() {
    let bulkhead = Bulkhead::new(1).unwrap(); // max_wait zero: full means refused
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let svc = BulkheadLayer::new(bulkhead.clone()).layer(mock);
    let mut a = Spawn::new(svc.clone());
    let mut b = Spawn::new(svc);

    assert!(a.poll_ready().is_ready());
    let fa = tokio::spawn(a.call(1));
    assert!(matches!(b.poll_ready(), Poll::Ready(Ok(()))));
    let err = b.call(2).await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<BulkheadError>(),
        Some(&BulkheadError::Full)
    );
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 1);
    assert!(
        !has_request(&mut handle),
        "the refused request reached the service"
    );
    assert_eq!(bulkhead.stats().rejected, 1);

    // The service stays usable once a slot frees.
    respond.send_response(1);
    fa.await.unwrap().unwrap();
    assert!(b.poll_ready().is_ready());
    let fb = tokio::spawn(b.call(3));
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, 3);
    respond.send_response(3);
    assert_eq!(fb.await.unwrap().unwrap(), 3);
}

#[tokio::test(start_paused = true)]
async fn max_wait_elapsed_becomes_a_timed_out_error() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::from_millis(50))
        .build()
        .unwrap();
    let (mock, _handle) = mock::pair::<u32, u32>();
    let svc = BulkheadLayer::new(bulkhead).layer(mock);
    let mut a = Spawn::new(svc.clone());
    let mut b = Spawn::new(svc);
    assert!(a.poll_ready().is_ready());
    let _held = a.call(1);
    assert!(b.poll_ready().is_pending());
    tokio::time::advance(Duration::from_millis(51)).await;
    assert!(b.is_woken());
    assert!(b.poll_ready().is_ready());
    let err = b.call(2).await.unwrap_err();
    assert!(matches!(
        err.downcast_ref::<BulkheadError>(),
        Some(BulkheadError::TimedOut { .. })
    ));
}

/// Calling before `poll_ready` is a contract breach that tower's own services panic on; ours
/// answer with `LayerError::NotReady` and never reach the inner service.
#[tokio::test]
async fn call_before_poll_ready_is_an_error_not_a_panic() {
    use perfkit::resilience::{LayerError, RateLimitLayer, RateLimiter};
    use tower::Service;

    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = BulkheadLayer::new(Bulkhead::new(1).unwrap()).layer(mock);
    let err = svc.call(1).await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<LayerError>(),
        Some(&LayerError::NotReady)
    );

    let limiter = RateLimiter::per_second(10).build().unwrap();
    let (mock2, mut handle2) = mock::pair::<u32, u32>();
    let mut svc = RateLimitLayer::new(limiter).layer(mock2);
    let err = svc.call(1).await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<LayerError>(),
        Some(&LayerError::NotReady)
    );

    // Neither request reached its inner service.
    handle.allow(1);
    handle2.allow(1);
    assert!(
        tokio::time::timeout(Duration::from_millis(10), handle.next_request())
            .await
            .is_err()
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(10), handle2.next_request())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_dropped_response_gives_its_slot_back() {
    let bulkhead = Bulkhead::new(1).unwrap();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(BulkheadLayer::new(bulkhead.clone()).layer(mock));
    assert!(matches!(svc.poll_ready(), Poll::Ready(Ok(()))));
    let fut = svc.call(1);
    assert_eq!(bulkhead.stats().in_use, 1);
    assert!(crate::has_request(&mut handle));
    drop(fut);
    assert_eq!(
        bulkhead.stats().in_use,
        0,
        "the slot rode in the dropped future"
    );
    assert!(matches!(svc.poll_ready(), Poll::Ready(Ok(()))));
}

#[tokio::test]
async fn a_response_future_polled_again_after_it_completed_is_an_error() {
    use perfkit::resilience::{CircuitBreaker, CircuitBreakerLayer, LayerError};
    use std::future::{Future, poll_fn, ready};
    use tower::{Service, service_fn};

    let echo = service_fn(|x: u32| ready(Ok::<_, std::convert::Infallible>(x)));
    let mut breaker =
        CircuitBreakerLayer::new(CircuitBreaker::builder().build().unwrap()).layer(echo);
    let mut bulkhead = BulkheadLayer::new(Bulkhead::new(1).unwrap()).layer(echo);
    assert!(matches!(poll_fn(|cx| breaker.poll_ready(cx)).await, Ok(())));
    assert!(matches!(
        poll_fn(|cx| bulkhead.poll_ready(cx)).await,
        Ok(())
    ));

    let mut a = std::pin::pin!(breaker.call(1));
    assert_eq!((&mut a).await.unwrap(), 1);
    let again = poll_fn(|cx| a.as_mut().poll(cx)).await.unwrap_err();
    assert!(
        matches!(
            again.downcast_ref(),
            Some(LayerError::PolledAfterCompletion)
        ),
        "{again}"
    );

    let mut b = std::pin::pin!(bulkhead.call(2));
    assert_eq!((&mut b).await.unwrap(), 2);
    let again = poll_fn(|cx| b.as_mut().poll(cx)).await.unwrap_err();
    assert!(
        matches!(
            again.downcast_ref(),
            Some(LayerError::PolledAfterCompletion)
        ),
        "{again}"
    );
}
