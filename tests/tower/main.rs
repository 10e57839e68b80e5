//! Integration tests of the tower layers (feature `tower`), driven with `tower-test`'s mock
//! service and paused tokio time.

mod adaptive;
mod breaker;
mod bulkhead;
mod rate;
mod retry;
mod stack;

use std::task::Poll;

/// Whether the mock has received a request that was not taken yet.
fn has_request<T, U>(handle: &mut tower_test::mock::Handle<T, U>) -> bool {
    matches!(handle.poll_request(), Poll::Ready(Some(_)))
}

/// Lets spawned tasks run (the test runtime is single-threaded).
async fn settle() {
    for _ in 0..8 {
        tokio::task::yield_now().await;
    }
}

/// The mock's next request, or a panic if none comes within a minute (of paused time, so
/// at once when nothing else can happen): a broken layer fails the test instead of hanging.
async fn next<T, U>(
    handle: &mut tower_test::mock::Handle<T, U>,
) -> (T, tower_test::mock::SendResponse<U>) {
    tokio::time::timeout(std::time::Duration::from_secs(60), handle.next_request())
        .await
        .expect("no request reached the mock service")
        .expect("the mock service was dropped")
}
