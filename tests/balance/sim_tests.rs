//! The simulator's claims, on short runs (5 s of virtual time each).

use perfkit::balance::Strategy;

use crate::sim::{self, Contender};

const SECS: u64 = 5;

fn scenario(i: usize) -> sim::Scenario {
    sim::scenarios(SECS).swap_remove(i)
}

#[test]
fn slow_backend_p2c_tail_halves_round_robin_and_matches_tower() {
    let s = scenario(0);
    let rr = sim::run(&s, Contender::PlainRoundRobin);
    let ours = sim::run(&s, Contender::Ours(Strategy::P2cPeakEwma));
    let tower = sim::run(&s, Contender::TowerP2c);
    assert!(
        ours.p99 * 2 <= rr.p99,
        "ours {:?} vs round robin {:?}",
        ours.p99,
        rr.p99
    );
    // Virtual time moves in 1 ms steps: allow one step.
    assert!(
        ours.p99 <= tower.p99 + std::time::Duration::from_millis(1),
        "ours {:?} vs tower {:?}",
        ours.p99,
        tower.p99
    );
    assert!(ours.shares[3] < 0.02, "{:?}", ours.shares);
}

#[test]
fn weights_are_honoured_within_two_percent() {
    let s = scenario(2);
    let total: f64 = s.backends.iter().map(|b| b.weight).sum();
    // Smooth WRR is exact; weighted random is a draw per request (12 500 of them here, so a
    // 10 % share has a standard error of 2.7 % of itself: 3 sigma is 8 %).
    for (strategy, tolerance) in [
        (Strategy::WeightedRoundRobin, 0.02),
        (Strategy::WeightedRandom, 0.08),
    ] {
        let o = sim::run(&s, Contender::Ours(strategy));
        for (b, share) in s.backends.iter().zip(&o.shares) {
            let want = b.weight / total;
            assert!(
                (share - want).abs() / want < tolerance,
                "{strategy:?}: {:?}",
                o.shares
            );
        }
    }
}

#[test]
fn failing_backend_is_ejected_and_errors_drop() {
    let s = scenario(1);
    let rr = sim::run(&s, Contender::PlainRoundRobin);
    for strategy in [Strategy::WeightedRoundRobin, Strategy::LeastConnections] {
        let o = sim::run(&s, Contender::Ours(strategy));
        assert!(o.ejections >= 1, "{strategy:?}");
        assert!(
            o.error_rate < rr.error_rate / 2.0,
            "{strategy:?}: {} vs {}",
            o.error_rate,
            rr.error_rate
        );
    }
}

#[test]
fn restart_costs_fewer_errors_than_round_robin() {
    let s = scenario(3);
    let rr = sim::run(&s, Contender::PlainRoundRobin);
    let ours = sim::run(&s, Contender::Ours(Strategy::P2cPeakEwma));
    assert!(ours.error_rate < rr.error_rate / 4.0);
    assert!(ours.p99 < rr.p99);
}

#[test]
fn runs_replay_exactly() {
    let s = scenario(1);
    for c in [Contender::Ours(Strategy::P2cPeakEwma), Contender::TowerP2c] {
        let (a, b) = (sim::run(&s, c), sim::run(&s, c));
        assert_eq!(
            (a.p50, a.p99, a.p999, a.requests),
            (b.p50, b.p99, b.p999, b.requests)
        );
        assert_eq!(a.shares, b.shares);
    }
}

#[test]
fn flash_crowd_p2c_tail_no_worse_than_round_robin() {
    let s = scenario(4);
    let rr = sim::run(&s, Contender::PlainRoundRobin);
    let ours = sim::run(&s, Contender::Ours(Strategy::P2cPeakEwma));
    assert!(
        ours.p99 <= rr.p99,
        "ours {:?} vs round robin {:?}",
        ours.p99,
        rr.p99
    );
    assert_eq!(ours.error_rate, 0.0);
}
