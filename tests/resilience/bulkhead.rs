//! `Bulkhead`: the exact admission count, immediate and timed rejection on paused Tokio time,
//! FIFO service, the queue bound, cancellation without leaks, and counts under concurrency.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use perfkit::resilience::{Bulkhead, BulkheadError, DEFAULT_MAX_QUEUE, ResilienceError};
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Lets spawned tasks run until `cond` holds (paused time: no real waiting).
async fn until(mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never held");
}

#[test]
fn admits_exactly_max_concurrent() {
    let bulkhead = Bulkhead::new(3).unwrap();
    let held: Vec<_> = (0..3).map(|_| bulkhead.try_acquire().unwrap()).collect();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    let stats = bulkhead.stats();
    assert_eq!(
        (
            stats.limit,
            stats.in_use,
            stats.max_in_use,
            stats.accepted,
            stats.rejected
        ),
        (3, 3, 3, 3, 1)
    );
    drop(held);
    assert_eq!(bulkhead.stats().in_use, 0);
    // All three slots came back, and no more than three.
    let again: Vec<_> = (0..3).map(|_| bulkhead.try_acquire().unwrap()).collect();
    assert!(bulkhead.try_acquire().is_err());
    drop(again);
}

#[test]
fn clones_share_slots() {
    let a = Bulkhead::new(1).unwrap();
    let b = a.clone();
    let _p = a.try_acquire().unwrap();
    assert_eq!(b.try_acquire().unwrap_err(), BulkheadError::Full);
}

#[test]
fn owned_permit_moves_into_another_thread_and_releases_there() {
    let bulkhead = Bulkhead::new(1).unwrap();
    let permit = bulkhead.try_acquire_owned().unwrap();
    assert_eq!(
        bulkhead.try_acquire_owned().unwrap_err(),
        BulkheadError::Full
    );
    std::thread::spawn(move || drop(permit)).join().unwrap();
    assert!(bulkhead.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn zero_max_wait_rejects_at_once() {
    let bulkhead = Bulkhead::new(1).unwrap();
    let _held = bulkhead.acquire().await.unwrap();
    let start = Instant::now();
    assert_eq!(bulkhead.acquire().await.unwrap_err(), BulkheadError::Full);
    assert_eq!(start.elapsed(), Duration::ZERO);
    let stats = bulkhead.stats();
    assert_eq!((stats.rejected, stats.waiting, stats.timed_out), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn times_out_after_max_wait() {
    let bulkhead = Bulkhead::builder(1).max_wait(ms(100)).build().unwrap();
    let _held = bulkhead.acquire().await.unwrap();
    let start = Instant::now();
    let err = bulkhead.acquire().await.unwrap_err();
    assert_eq!(err, BulkheadError::TimedOut { waited: ms(100) });
    assert_eq!(start.elapsed(), ms(100));
    let stats = bulkhead.stats();
    assert_eq!((stats.timed_out, stats.waiting, stats.rejected), (1, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn waiter_gets_the_slot_released_within_max_wait() {
    let bulkhead = Bulkhead::builder(1).max_wait(ms(100)).build().unwrap();
    let held = bulkhead.acquire_owned().await.unwrap();
    tokio::spawn(async move {
        tokio::time::sleep(ms(30)).await;
        drop(held);
    });
    let start = Instant::now();
    let permit = bulkhead.acquire().await.unwrap();
    assert_eq!(start.elapsed(), ms(30));
    assert_eq!(bulkhead.stats().in_use, 1);
    drop(permit);
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::from_secs(60))
        .build()
        .unwrap();
    let held = bulkhead.acquire().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for id in 0..6 {
        let (b, order) = (bulkhead.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let permit = b.acquire().await.unwrap();
            order.lock().unwrap().push(id);
            tokio::time::sleep(ms(1)).await;
            drop(permit);
        }));
        // Each waiter is in line before the next one arrives.
        until(|| bulkhead.stats().waiting == id + 1).await;
    }
    // A newcomer cannot jump the line, even when a slot frees up first.
    drop(held);
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
}

#[tokio::test(start_paused = true)]
async fn queue_bound_rejects_with_queue_full() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::from_secs(1))
        .max_queue(2)
        .build()
        .unwrap();
    let held = bulkhead.acquire().await.unwrap();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let b = bulkhead.clone();
            tokio::spawn(async move { b.acquire().await.map(drop) })
        })
        .collect();
    until(|| bulkhead.stats().waiting == 2).await;
    let start = Instant::now();
    assert_eq!(
        bulkhead.acquire().await.unwrap_err(),
        BulkheadError::QueueFull
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    drop(held);
    for w in waiters {
        w.await.unwrap().unwrap();
    }
    let stats = bulkhead.stats();
    assert_eq!((stats.queue_full, stats.accepted, stats.waiting), (1, 3, 0));
}

#[test]
fn default_queue_bound_is_documented_value() {
    assert_eq!(DEFAULT_MAX_QUEUE, 1024);
}

#[tokio::test(start_paused = true)]
async fn aborted_waiter_leaves_the_line_without_a_slot() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::from_secs(3600))
        .build()
        .unwrap();
    let held = bulkhead.acquire().await.unwrap();
    let b = bulkhead.clone();
    let waiter = tokio::spawn(async move { b.acquire().await.map(drop) });
    until(|| bulkhead.stats().waiting == 1).await;
    waiter.abort();
    assert!(waiter.await.unwrap_err().is_cancelled());
    let stats = bulkhead.stats();
    assert_eq!((stats.waiting, stats.cancelled), (0, 1));
    drop(held);
    // The one slot is free again, and there is still only one.
    let p = bulkhead.try_acquire().unwrap();
    assert_eq!(bulkhead.try_acquire().unwrap_err(), BulkheadError::Full);
    drop(p);
}

#[tokio::test(start_paused = true)]
async fn dropped_waiter_hands_on_a_slot_assigned_to_it() {
    let bulkhead = Bulkhead::builder(1)
        .max_wait(Duration::from_secs(3600))
        .build()
        .unwrap();
    let held = bulkhead.try_acquire().unwrap();
    {
        let mut waiter = pin!(bulkhead.acquire());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        assert_eq!(bulkhead.stats().waiting, 1);
        // The release assigns the slot to the waiter, which is then dropped unpolled.
        drop(held);
    }
    assert_eq!(bulkhead.stats().cancelled, 1);
    assert!(bulkhead.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn call_runs_the_future_in_a_slot_and_gives_it_back() {
    let bulkhead = Bulkhead::builder(1).max_wait(ms(10)).build().unwrap();
    let b = bulkhead.clone();
    let out = bulkhead
        .call(async move { b.stats().in_use * 10 + 1 })
        .await
        .unwrap();
    assert_eq!(out, 11, "the future ran while holding the slot");
    assert_eq!(bulkhead.stats().in_use, 0);

    let _held = bulkhead.try_acquire().unwrap();
    let polled = AtomicBool::new(false);
    let err = bulkhead
        .call(async { polled.store(true, Ordering::Relaxed) })
        .await
        .unwrap_err();
    assert_eq!(err, BulkheadError::TimedOut { waited: ms(10) });
    assert!(
        !polled.load(Ordering::Relaxed),
        "a rejected future is not polled"
    );
}

#[test]
fn zero_concurrency_is_a_config_error() {
    for result in [
        Bulkhead::new(0),
        Bulkhead::builder(0).max_wait(ms(5)).build(),
    ] {
        match result {
            Err(ResilienceError::InvalidConfig { field, .. }) => {
                assert_eq!(field, "max_concurrent")
            }
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }
    assert!(Bulkhead::new(usize::MAX).is_err());
}

#[test]
fn errors_render_and_compare() {
    assert_eq!(BulkheadError::Full.to_string(), "bulkhead full");
    let t = BulkheadError::TimedOut { waited: ms(5) };
    assert!(t.to_string().contains("5ms"), "{t}");
    assert_ne!(BulkheadError::Full, BulkheadError::QueueFull);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_add_up_under_concurrency() {
    const LIMIT: usize = 4;
    const TASKS: usize = 64;
    const OPS: usize = 200;
    let bulkhead = Bulkhead::builder(LIMIT)
        .max_wait(Duration::from_micros(200))
        .max_queue(8)
        .build()
        .unwrap();
    // Our own count of permits held, checked against the limit at every grant.
    let held = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (b, held, peak) = (bulkhead.clone(), held.clone(), peak.clone());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = [0u64; 4]; // ok, full, queue full, timed out
            for i in 0..OPS {
                let r = if (t + i) % 3 == 0 {
                    b.try_acquire()
                } else {
                    b.acquire().await
                };
                match r {
                    Ok(p) => {
                        let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        held.fetch_sub(1, Ordering::SeqCst);
                        drop(p);
                        outcomes[0] += 1;
                    }
                    Err(BulkheadError::Full) => outcomes[1] += 1,
                    Err(BulkheadError::QueueFull) => outcomes[2] += 1,
                    Err(BulkheadError::TimedOut { .. }) => outcomes[3] += 1,
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
            outcomes
        }));
    }
    let mut total = [0u64; 4];
    for t in tasks {
        for (sum, n) in total.iter_mut().zip(t.await.unwrap()) {
            *sum += n;
        }
    }
    let stats = bulkhead.stats();
    assert_eq!(stats.accepted, total[0]);
    assert_eq!(stats.rejected, total[1]);
    assert_eq!(stats.queue_full, total[2]);
    assert_eq!(stats.timed_out, total[3]);
    assert_eq!(stats.cancelled, 0);
    assert_eq!(total.iter().sum::<u64>(), (TASKS * OPS) as u64);
    assert_eq!((stats.in_use, stats.waiting), (0, 0));
    assert!(stats.accepted > 0);
    assert!(stats.max_in_use <= LIMIT, "{stats:?}");
    assert!(peak.load(Ordering::SeqCst) <= LIMIT);
    // The bulkhead is whole afterwards: exactly LIMIT slots.
    let all: Vec<_> = (0..LIMIT)
        .map(|_| bulkhead.try_acquire().unwrap())
        .collect();
    assert!(bulkhead.try_acquire().is_err());
    drop(all);
}
