//! perfkit::balance in a few lines, then the simulator's tables.
//!
//! ```text
//! cargo run --release --example balance            # 20 s of virtual time per run
//! cargo run --release --example balance -- 5       # shorter runs
//! ```

#[path = "../tests/balance/sim/mod.rs"]
mod sim;

use perfkit::balance::{Backend, Balancer, OutlierDetection, Strategy};
use perfkit::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), perfkit::balance::BalanceError> {
    // P2C over peak-EWMA latency with outlier ejection, on a clock we move by hand so the
    // demo shows in a few microseconds what a service sees over seconds.
    let clock = ManualClock::new();
    let lb = Balancer::builder()
        .strategy(Strategy::P2cPeakEwma)
        .backends([
            Backend::new("a", "10.0.0.1:80"),
            Backend::new("b", "10.0.0.2:80"),
            Backend::new("c", "10.0.0.3:80").weight(2.0),
        ])
        .p2c_default_rtt(Duration::from_millis(1))
        .p2c_decay(Duration::from_millis(200))
        .outlier_detection(OutlierDetection::new().consecutive_failures(5))
        .clock(Arc::new(clock.clone()))
        .seed(1)
        .build()?;
    for _ in 0..1000 {
        clock.advance(Duration::from_millis(1));
        let pick = lb.pick()?;
        // "b" is ten times slower: P2C learns it and sends it little.
        let latency = if pick.id() == "b" { 50 } else { 5 };
        pick.success(Duration::from_millis(latency));
    }
    for b in lb.stats().backends {
        println!(
            "{} (weight {}): {:>4} requests, latency estimate {:.1} ms",
            b.id,
            b.weight,
            b.requests,
            b.latency_ewma.as_secs_f64() * 1e3
        );
    }

    let secs = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    println!("\nSimulator ({secs} s of virtual time per run):\n");
    for scenario in sim::scenarios(secs) {
        let outcomes: Vec<_> = sim::contenders()
            .into_iter()
            .map(|c| sim::run(&scenario, c))
            .collect();
        println!("{}", sim::table(&scenario, &outcomes));
    }
    Ok(())
}
