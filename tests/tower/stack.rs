use std::time::Duration;

use crate::next;
use perfkit::resilience::{
    AdaptiveLimitLayer, AdaptiveLimiter, Bulkhead, BulkheadLayer, CircuitBreaker,
    CircuitBreakerLayer, Jitter, RateLimitLayer, RateLimiter, Retry, RetryLayer,
};
use tower::{ServiceBuilder, ServiceExt};
use tower_test::mock;

#[tokio::test(start_paused = true)]
async fn all_five_layers_compose_and_serve() {
    let breaker = CircuitBreaker::builder().build().unwrap();
    let limiter = AdaptiveLimiter::aimd().initial_limit(4).build().unwrap();
    let bulkhead = Bulkhead::builder(2)
        .max_wait(Duration::MAX)
        .build()
        .unwrap();
    let retry = Retry::constant(Duration::from_millis(5))
        .jitter(Jitter::None)
        .max_attempts(2)
        .build()
        .unwrap();
    let (mock, mut handle) = mock::pair::<String, String>();
    let svc = ServiceBuilder::new()
        .layer(RetryLayer::new(retry.clone()))
        .layer(CircuitBreakerLayer::new(breaker.clone()))
        .layer(RateLimitLayer::new(
            RateLimiter::per_second(100).build().unwrap(),
        ))
        .layer(BulkheadLayer::new(bulkhead.clone()))
        .layer(AdaptiveLimitLayer::new(limiter.clone()).unwrap())
        .service(mock);

    let call = tokio::spawn(svc.clone().oneshot("ping".to_owned()));
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, "ping");
    respond.send_error("flaky");
    let (req, respond) = next(&mut handle).await;
    assert_eq!(req, "ping", "retried through the whole stack");
    respond.send_response("pong".to_owned());
    assert_eq!(call.await.unwrap().unwrap(), "pong");

    let stats = breaker.stats();
    assert_eq!((stats.failures, stats.successes), (1, 1));
    assert_eq!(retry.stats().recovered, 1);
    assert_eq!(bulkhead.stats().accepted, 2);
    assert_eq!(bulkhead.stats().in_use, 0);
}
