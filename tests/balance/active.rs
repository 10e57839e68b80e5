//! `HealthChecker` in paused tokio time.

use perfkit::balance::{BalanceError, HealthChecker, Strategy};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

fn healthy(lb: &perfkit::balance::Balancer<usize>) -> Vec<bool> {
    lb.stats().backends.iter().map(|b| b.healthy).collect()
}

#[tokio::test(start_paused = true)]
async fn thresholds_in_a_row() {
    let lb = crate::builder(3)
        .strategy(Strategy::RoundRobin)
        .build()
        .unwrap();
    let mut hc = HealthChecker::builder(&lb)
        .unhealthy_threshold(3)
        .healthy_threshold(2)
        .build()
        .unwrap();
    let b1_up = Arc::new(AtomicBool::new(false));
    let up = Arc::clone(&b1_up);
    let probe = move |_: &str, v: &usize| {
        let ok = *v != 1 || up.load(Ordering::Relaxed);
        async move { ok }
    };
    hc.check_once(&probe).await;
    hc.check_once(&probe).await;
    assert_eq!(
        healthy(&lb),
        [true, true, true],
        "not before the 3rd failure"
    );
    hc.check_once(&probe).await;
    assert_eq!(healthy(&lb), [true, false, true]);
    for _ in 0..30 {
        assert_ne!(crate::ok(lb.pick().unwrap()), 1);
    }
    b1_up.store(true, Ordering::Relaxed);
    hc.check_once(&probe).await;
    assert_eq!(
        healthy(&lb),
        [true, false, true],
        "not before the 2nd success"
    );
    hc.check_once(&probe).await;
    assert_eq!(healthy(&lb), [true, true, true]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_probe_times_out() {
    let lb = crate::builder(2).build().unwrap();
    let mut hc = HealthChecker::builder(&lb)
        .timeout(Duration::from_secs(1))
        .unhealthy_threshold(1)
        .build()
        .unwrap();
    let probe = |_: &str, v: &usize| {
        let delay = if *v == 0 { 5 } else { 0 };
        async move {
            tokio::time::sleep(Duration::from_secs(delay)).await;
            true
        }
    };
    let start = tokio::time::Instant::now();
    hc.check_once(&probe).await;
    // Probes run concurrently and the slow one is cut at the timeout.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(healthy(&lb), [false, true]);
}

#[tokio::test(start_paused = true)]
async fn run_probes_at_the_jittered_interval() {
    let lb = crate::builder(2).build().unwrap();
    let hc = HealthChecker::builder(&lb)
        .interval(Duration::from_secs(10))
        .jitter(0.2)
        .unhealthy_threshold(2)
        .seed(3)
        .build()
        .unwrap();
    let rounds = Arc::new(AtomicU32::new(0));
    let r = Arc::clone(&rounds);
    let probe = move |id: &str, _: &usize| {
        if id == "b0" {
            r.fetch_add(1, Ordering::Relaxed);
        }
        let ok = id != "b1";
        async move { ok }
    };
    let task = tokio::spawn(hc.run(probe));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(rounds.load(Ordering::Relaxed), 1);
    assert_eq!(healthy(&lb), [true, true]);
    // The second round comes 8-12 s later.
    tokio::time::sleep(Duration::from_secs(8) - Duration::from_millis(2)).await;
    assert_eq!(rounds.load(Ordering::Relaxed), 1);
    tokio::time::sleep(Duration::from_secs(4) + Duration::from_millis(2)).await;
    assert_eq!(rounds.load(Ordering::Relaxed), 2);
    assert_eq!(healthy(&lb), [true, false]);
    // Ten more rounds take 80-120 s.
    tokio::time::sleep(Duration::from_secs(100)).await;
    let n = rounds.load(Ordering::Relaxed);
    assert!((10..=14).contains(&n), "{n}");
    task.abort();
}

#[test]
fn bad_settings() {
    let lb = crate::builder(1).build().unwrap();
    for b in [
        HealthChecker::builder(&lb).interval(Duration::ZERO),
        HealthChecker::builder(&lb).timeout(Duration::ZERO),
        HealthChecker::builder(&lb).jitter(1.0),
        HealthChecker::builder(&lb).jitter(f64::NAN),
        HealthChecker::builder(&lb).healthy_threshold(0),
    ] {
        assert!(matches!(b.build(), Err(BalanceError::InvalidConfig { .. })));
    }
}
