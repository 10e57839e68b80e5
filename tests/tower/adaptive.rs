use std::task::Poll;
use std::time::Duration;

use crate::next;
use perfkit::resilience::{AdaptiveLimitLayer, AdaptiveLimiter};
use tower::{BoxError, Layer};
use tower_test::mock::{self, Spawn};

fn limiter() -> AdaptiveLimiter {
    AdaptiveLimiter::aimd()
        .initial_limit(1)
        .min_limit(1)
        .max_limit(10)
        .backoff_ratio(0.5)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_follows_the_limiter() {
    let limiter = limiter();
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let svc = AdaptiveLimitLayer::new(limiter.clone())
        .unwrap()
        .layer(mock);
    let mut a = Spawn::new(svc.clone());
    let mut b = Spawn::new(svc.clone());
    let mut c = Spawn::new(svc);

    assert!(matches!(a.poll_ready(), Poll::Ready(Ok(()))));
    let fa = tokio::spawn(a.call(1));
    assert!(
        b.poll_ready().is_pending(),
        "limit 1: a second request waits"
    );

    let (_, respond) = next(&mut handle).await;
    tokio::time::advance(Duration::from_millis(5)).await;
    respond.send_response(1);
    fa.await.unwrap().unwrap();
    // A success at the limit: AIMD adds one.
    assert_eq!(limiter.limit(), 2);

    assert!(b.is_woken());
    assert!(b.poll_ready().is_ready());
    let fb = tokio::spawn(b.call(2));
    assert!(
        c.poll_ready().is_ready(),
        "limit 2: a second request in flight"
    );
    let fc = tokio::spawn(c.call(3));
    let mut waiting = Spawn::new(c.get_ref().clone());
    assert!(waiting.poll_ready().is_pending(), "limit 2: a third waits");

    // A failed response is a drop: AIMD halves the limit.
    let (_, respond) = next(&mut handle).await;
    respond.send_error("overloaded");
    assert!(fb.await.unwrap().is_err());
    assert_eq!(limiter.limit(), 1);
    assert!(
        waiting.poll_ready().is_pending(),
        "one in flight at limit 1: still no room"
    );

    let (_, respond) = next(&mut handle).await;
    respond.send_response(3);
    fc.await.unwrap().unwrap();
    assert!(waiting.poll_ready().is_ready());
}

#[tokio::test(start_paused = true)]
async fn errors_outside_the_drop_predicate_are_not_drops() {
    let limiter = limiter();
    let layer = AdaptiveLimitLayer::new(limiter.clone())
        .unwrap()
        .drop_if(|e: &BoxError| e.to_string() == "timeout");
    let (mock, mut handle) = mock::pair::<u32, u32>();
    let mut svc = Spawn::new(layer.layer(mock));

    assert!(svc.poll_ready().is_ready());
    let f = tokio::spawn(svc.call(1));
    let (_, respond) = next(&mut handle).await;
    respond.send_error("not found");
    assert!(f.await.unwrap().is_err());
    assert_eq!(limiter.limit(), 2, "a non-drop error counts as a success");

    assert!(svc.poll_ready().is_ready());
    let f = tokio::spawn(svc.call(2));
    let (_, respond) = next(&mut handle).await;
    respond.send_error("timeout");
    assert!(f.await.unwrap().is_err());
    assert_eq!(limiter.limit(), 1, "a drop halves the limit");
}
