//! perfkit::balance: what a pick costs, and what P2C does to the tail with one slow backend.

use std::hint::black_box;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use perfkit::balance::{Backend, Balancer, Strategy};
use perfkit::baseline::{Direction, Unit};

use crate::section::{Figure, Section, median};

// The simulator the tests and the bench run, shared by path.
#[path = "../../../tests/balance/sim/mod.rs"]
mod sim;

pub struct Balance;

const BATCHES: usize = 15;
const PICKS: usize = 100_000;

/// Seconds per pick + success on a 10-backend balancer, median of interleaved batches.
fn pick_finish(strategy: Strategy) -> f64 {
    let lb = Balancer::builder()
        .strategy(strategy)
        .backends((0..10).map(|i| Backend::new(format!("b{i}"), i)))
        .seed(1)
        .build()
        .expect("valid settings");
    let mut per = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..PICKS {
            let p = lb.pick().expect("backends are up");
            black_box(*p);
            p.success(Duration::from_micros(250));
        }
        per.push(start.elapsed().as_secs_f64() / PICKS as f64);
    }
    median(&mut per)
}

impl Section for Balance {
    fn name(&self) -> &'static str {
        "balance"
    }

    fn steps(&self) -> u64 {
        3
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        let mut out = Vec::new();
        progress.set_message("balance: pick + finish, round robin");
        let rr = pick_finish(Strategy::RoundRobin);
        out.push(Figure::tracked(
            "balance.pick_finish_round_robin",
            "balancer pick + success, round robin, 10 backends",
            rr,
            Unit::Seconds,
            Direction::LowerIsBetter,
            "target ≤ 100 ns".into(),
        ));
        progress.inc(1);

        progress.set_message("balance: pick + finish, P2C peak-EWMA");
        let p2c = pick_finish(Strategy::P2cPeakEwma);
        out.push(Figure::tracked(
            "balance.pick_finish_p2c",
            "balancer pick + success, P2C peak-EWMA, 10 backends",
            p2c,
            Unit::Seconds,
            Direction::LowerIsBetter,
            "target ≤ 100 ns; tower's p2c is in benches/balance.rs".into(),
        ));
        progress.inc(1);

        progress.set_message("balance: simulated p99, one slow backend of 10");
        let scenario = sim::scenarios(5).swap_remove(0);
        let rr = sim::run(&scenario, sim::Contender::PlainRoundRobin);
        let ours = sim::run(&scenario, sim::Contender::Ours(Strategy::P2cPeakEwma));
        let tower = sim::run(&scenario, sim::Contender::TowerP2c);
        out.push(Figure::tracked(
            "balance.sim_slow_backend_p99_vs_round_robin",
            "simulated p99, one slow backend of 10: P2C ÷ round robin",
            ours.p99.as_secs_f64() / rr.p99.as_secs_f64().max(1e-9),
            Unit::Ratio,
            Direction::LowerIsBetter,
            format!(
                "target ≤ 0.5; p99 P2C {:?}, round robin {:?}, tower p2c {:?} (5 s virtual)",
                ours.p99, rr.p99, tower.p99
            ),
        ));
        progress.inc(1);
        out
    }
}
