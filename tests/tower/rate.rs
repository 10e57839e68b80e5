use std::task::Poll;
use std::time::Duration;

use crate::next;
use perfkit::resilience::{RateLimitLayer, RateLimiter};
use tower_test::mock;

use crate::has_request;

fn layer(burst: u32) -> RateLimitLayer {
    // 10 per second: one cell every 100 ms. No jitter, so the wait is exact.
    let limiter = RateLimiter::per_second(10)
        .burst(burst)
        .jitter(Duration::ZERO)
        .build()
        .unwrap();
    RateLimitLayer::new(limiter)
}

#[tokio::test(start_paused = true)]
async fn poll_ready_is_pending_after_the_burst_and_ready_after_the_interval() {
    let (mut svc, mut handle) = mock::spawn_layer::<u32, u32, _>(layer(2));

    for i in 0..2 {
        assert!(
            matches!(svc.poll_ready(), Poll::Ready(Ok(()))),
            "burst cell {i}"
        );
        drop(svc.call(i));
    }
    assert!(
        svc.poll_ready().is_pending(),
        "third request inside the interval"
    );
    assert!(!svc.is_woken());
    // Pending, not spinning: polling again does not admit it either.
    assert!(svc.poll_ready().is_pending());

    tokio::time::advance(Duration::from_millis(50)).await;
    assert!(!svc.is_woken(), "woken before the interval");
    assert!(svc.poll_ready().is_pending());

    tokio::time::advance(Duration::from_millis(60)).await;
    assert!(svc.is_woken(), "the timer wakes the task");
    assert!(matches!(svc.poll_ready(), Poll::Ready(Ok(()))));
    drop(svc.call(2));

    for expected in 0..3 {
        let (req, _) = next(&mut handle).await;
        assert_eq!(req, expected);
    }
}

#[tokio::test(start_paused = true)]
async fn readiness_is_held_until_call_and_not_cloned() {
    let (mut svc, mut handle) = mock::spawn_layer::<u32, u32, _>(layer(1));
    assert!(svc.poll_ready().is_ready());
    // Polling again spends no second cell.
    assert!(svc.poll_ready().is_ready());
    // A clone starts without the cell: the only one is taken.
    let mut clone = tower_test::mock::Spawn::new(svc.get_ref().clone());
    assert!(clone.poll_ready().is_pending());
    drop(svc.call(7));
    assert_eq!(next(&mut handle).await.0, 7);

    tokio::time::advance(Duration::from_millis(101)).await;
    assert!(clone.poll_ready().is_ready());
    assert!(!has_request(&mut handle));
}

#[tokio::test(start_paused = true)]
async fn inner_backpressure_is_honoured_after_the_cell() {
    let (mut svc, mut handle) = mock::spawn_layer::<u32, u32, _>(layer(5));
    handle.allow(0);
    assert!(svc.poll_ready().is_pending(), "inner service not ready");
    handle.allow(1);
    assert!(svc.poll_ready().is_ready());
    drop(svc.call(1));
    assert_eq!(next(&mut handle).await.0, 1);
}
