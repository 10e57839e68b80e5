use perfkit::balance::{
    Backend, BalanceError, Balancer, HashRing, OutlierDetection, SlowStart, Strategy,
};
use std::time::Duration;

#[test]
fn no_backends_is_a_typed_error() {
    for s in [
        Strategy::RoundRobin,
        Strategy::P2cPeakEwma,
        Strategy::ConsistentHash,
    ] {
        let lb: Balancer<u8> = Balancer::new([], s).unwrap();
        assert_eq!(lb.pick().unwrap_err(), BalanceError::NoBackends);
        assert_eq!(lb.pick_by_key("k").unwrap_err(), BalanceError::NoBackends);
        assert!(lb.is_empty());
    }
}

#[test]
fn bad_weights_are_rejected_and_nothing_changes() {
    for w in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err =
            Balancer::new([Backend::new("a", 1).weight(w)], Strategy::WeightedRandom).unwrap_err();
        assert!(matches!(err, BalanceError::InvalidWeight { .. }), "{w}");
        let lb = crate::builder(2)
            .strategy(Strategy::WeightedRandom)
            .build()
            .unwrap();
        assert!(lb.set_backends([Backend::new("x", 9).weight(w)]).is_err());
        assert!(lb.set_weight("b0", w).is_err());
        assert_eq!(lb.ids(), ["b0", "b1"]);
    }
}

#[test]
fn duplicate_and_unknown_ids() {
    let err = Balancer::new(
        [Backend::new("a", 1), Backend::new("a", 2)],
        Strategy::RoundRobin,
    )
    .unwrap_err();
    assert_eq!(err, BalanceError::DuplicateId("a".into()));
    let lb = crate::builder(1).build().unwrap();
    assert_eq!(
        lb.set_weight("zz", 1.0).unwrap_err(),
        BalanceError::UnknownId("zz".into())
    );
    assert_eq!(
        lb.set_healthy("zz", false).unwrap_err(),
        BalanceError::UnknownId("zz".into())
    );
}

#[test]
fn bad_settings_are_typed_errors() {
    let cases: Vec<perfkit::balance::BalancerBuilder<u8>> = vec![
        Balancer::builder().panic_threshold(-1.0),
        Balancer::builder().panic_threshold(f64::NAN),
        Balancer::builder().health_score_threshold(101),
        Balancer::builder().p2c_decay(Duration::ZERO),
        Balancer::builder().hash_ring(HashRing::Ring { vnodes: 0 }),
        Balancer::builder().hash_ring(HashRing::Maglev { table_size: 65_536 }),
        Balancer::builder().hash_ring(HashRing::Maglev { table_size: 0 }),
        Balancer::builder()
            .outlier_detection(OutlierDetection::new().failure_rate_threshold(f64::NAN)),
        Balancer::builder().outlier_detection(OutlierDetection::new().window(Duration::ZERO)),
        Balancer::builder().outlier_detection(
            OutlierDetection::new()
                .base_ejection_time(Duration::from_secs(10))
                .max_ejection_time(Duration::from_secs(1)),
        ),
        Balancer::builder().outlier_detection(OutlierDetection::new().max_ejection_percent(101.0)),
        Balancer::builder().slow_start(SlowStart::new(Duration::ZERO)),
        Balancer::builder().slow_start(SlowStart::new(Duration::from_secs(1)).aggression(f64::NAN)),
        Balancer::builder()
            .slow_start(SlowStart::new(Duration::from_secs(1)).min_weight_percent(0.0)),
    ];
    for b in cases {
        let dbg = format!("{b:?}");
        assert!(
            matches!(b.build(), Err(BalanceError::InvalidConfig { .. })),
            "{dbg}"
        );
    }
}

#[test]
fn extreme_inputs_do_not_panic() {
    let lb = Balancer::builder()
        .strategy(Strategy::P2cPeakEwma)
        .backends([
            Backend::new("tiny", 0).weight(f64::MIN_POSITIVE),
            Backend::new("huge", 1).weight(f64::MAX),
        ])
        .build()
        .unwrap();
    for _ in 0..100 {
        lb.pick().unwrap().success(Duration::MAX);
        lb.pick().unwrap().success(Duration::ZERO);
        lb.pick().unwrap().failure();
    }
    for s in [
        Strategy::RoundRobin,
        Strategy::WeightedRoundRobin,
        Strategy::LeastConnections,
        Strategy::WeightedRandom,
        Strategy::HealthScore,
        Strategy::ConsistentHash,
    ] {
        let lb = Balancer::builder()
            .strategy(s)
            .backends([
                Backend::new("tiny", 0).weight(1e-300),
                Backend::new("huge", 1).weight(1e300),
            ])
            .hash_ring(HashRing::Ring { vnodes: 10_000 })
            .build()
            .unwrap();
        for _ in 0..100 {
            lb.pick().unwrap().success(Duration::MAX);
            drop(lb.pick_by_key(&[0u8; 0][..]).unwrap());
        }
    }
}
