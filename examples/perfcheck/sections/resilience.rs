//! perfkit::resilience: what the breaker and the rate limiter add to every call.

use std::hint::black_box;
use std::time::Instant;

use indicatif::ProgressBar;
use perfkit::baseline::{self, Direction, Unit};
use perfkit::resilience::{CircuitBreaker, RateLimiter};

use crate::section::{Figure, Section, median};

pub struct Resilience;

const BATCHES: usize = 15;
const CALLS: usize = 200_000;

/// Seconds per call of `f`, minus the same loop around an empty call; batches interleaved.
fn overhead(mut f: impl FnMut()) -> f64 {
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..CALLS {
            f();
        }
        with.push(start.elapsed().as_secs_f64() / CALLS as f64);
        let start = Instant::now();
        for i in 0..CALLS {
            black_box(i);
        }
        without.push(start.elapsed().as_secs_f64() / CALLS as f64);
    }
    (median(&mut with) - median(&mut without)).max(0.0)
}

impl Section for Resilience {
    fn name(&self) -> &'static str {
        "resilience"
    }

    fn steps(&self) -> u64 {
        2
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        let mut out = Vec::new();

        progress.set_message("resilience: circuit breaker, closed");
        let breaker = CircuitBreaker::builder()
            .build()
            .expect("default settings are valid");
        let per_call = overhead(|| {
            if let Ok(permit) = breaker.try_acquire() {
                permit.success();
            }
        });
        out.push(Figure::tracked(
            "resilience.breaker_closed_call",
            "circuit breaker, closed: acquire + success",
            per_call,
            Unit::Seconds,
            Direction::LowerIsBetter,
            String::new(),
        ));
        progress.inc(1);

        progress.set_message("resilience: rate limiter check");
        // A quota no check can exhaust, so every call takes the admitting path.
        let limiter = RateLimiter::per_second(u32::MAX)
            .burst(u32::MAX)
            .build()
            .expect("a large quota is valid");
        let check = overhead(|| {
            let _ = black_box(limiter.check());
        });
        // The documented hot-path budget for security measures (rate limit, auth cache) is
        // 4-6 % of throughput; here, the share of a 1 µs handler that one check takes.
        let target = *baseline::find("security.overhead").expect("documented baseline");
        out.push(Figure::checked(
            "resilience.rate_limit_share_of_1us_handler",
            target,
            check / 1e-6,
            format!(
                "rate limiter check {:.1} ns against a 1 µs handler",
                check * 1e9
            ),
        ));
        progress.inc(1);
        out
    }
}
