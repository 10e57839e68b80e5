use perfkit::balance::{Backend, Balancer, HashRing, Strategy};
use std::collections::HashMap;

const KEYS: u32 = 20_000;

fn lb(ids: &[String], ring: HashRing) -> Balancer<String> {
    Balancer::builder()
        .strategy(Strategy::ConsistentHash)
        .hash_ring(ring)
        .backends(ids.iter().map(|id| Backend::new(id.clone(), id.clone())))
        .build()
        .unwrap()
}

fn owners(lb: &Balancer<String>) -> Vec<String> {
    (0..KEYS)
        .map(|k| {
            let p = lb.pick_by_key(&format!("key-{k}")).unwrap();
            (*p).clone()
        })
        .collect()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("10.0.0.{i}:80")).collect()
}

fn moved(a: &[String], b: &[String]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / a.len() as f64
}

fn check_disruption(ring: HashRing) {
    let n = 10;
    let before = owners(&lb(&ids(n), ring));
    // Add an 11th backend: about 1/11 of keys move, all of them to the new one.
    let after_add = owners(&lb(&ids(n + 1), ring));
    let f = moved(&before, &after_add);
    let ideal = 1.0 / (n + 1) as f64;
    assert!(
        f > ideal * 0.6 && f < ideal * 1.6,
        "{ring:?}: add moved {f}, ideal {ideal}"
    );
    let new_id = format!("10.0.0.{n}:80");
    let between_old = before
        .iter()
        .zip(&after_add)
        .filter(|(x, y)| x != y && **y != new_id)
        .count() as f64
        / before.len() as f64;
    if matches!(ring, HashRing::Ring { .. }) {
        assert_eq!(
            between_old, 0.0,
            "on a ring, keys move only to the new backend"
        );
    } else {
        // Maglev trades a little extra churn for its even shares.
        assert!(between_old < 0.03, "{between_old}");
    }
    // Remove one of 10: about 1/10 move, and only keys that were on the removed one...
    let mut fewer = ids(n);
    let gone = fewer.remove(3);
    let after_remove = owners(&lb(&fewer, ring));
    let f = moved(&before, &after_remove);
    let ideal = 1.0 / n as f64;
    assert!(
        f > ideal * 0.6 && f < ideal * 1.6,
        "{ring:?}: remove moved {f}, ideal {ideal}"
    );
    if matches!(ring, HashRing::Ring { .. }) {
        // ...exactly, on a ring (Maglev may shuffle a few slots more).
        for (x, y) in before.iter().zip(&after_remove) {
            if x != y {
                assert_eq!(x, &gone);
            }
        }
    }
}

#[test]
fn ring_disruption_is_about_one_in_n() {
    check_disruption(HashRing::Ring { vnodes: 160 });
}

#[test]
fn maglev_disruption_is_about_one_in_n() {
    check_disruption(HashRing::Maglev { table_size: 65_537 });
}

fn shares(ring: HashRing, weights: &[f64]) -> Vec<f64> {
    let lb = Balancer::builder()
        .strategy(Strategy::ConsistentHash)
        .hash_ring(ring)
        .backends(
            weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Backend::new(format!("node-{i}"), i).weight(w)),
        )
        .build()
        .unwrap();
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for k in 0..KEYS {
        *counts.entry(*lb.pick_by_key(&k).unwrap()).or_default() += 1;
    }
    (0..weights.len())
        .map(|i| counts.get(&i).copied().unwrap_or(0) as f64 / KEYS as f64)
        .collect()
}

#[test]
fn maglev_shares_follow_weights() {
    let w = [1.0, 1.0, 2.0, 4.0];
    let s = shares(HashRing::Maglev { table_size: 65_537 }, &w);
    for (i, share) in s.iter().enumerate() {
        let want = w[i] / 8.0;
        assert!((share - want).abs() < 0.02, "{s:?}");
    }
}

#[test]
fn ring_shares_are_roughly_even() {
    let s = shares(HashRing::Ring { vnodes: 160 }, &[1.0; 5]);
    for share in &s {
        assert!((share - 0.2).abs() < 0.05, "{s:?}");
    }
}

#[test]
fn same_key_same_backend_and_failover_to_next() {
    let lb = Balancer::builder()
        .strategy(Strategy::ConsistentHash)
        .backends(crate::backends(5))
        .build()
        .unwrap();
    let home = lb.pick_by_key("user-7").unwrap().id().to_owned();
    for _ in 0..10 {
        assert_eq!(lb.pick_by_key("user-7").unwrap().id(), home);
    }
    lb.set_healthy(&home, false).unwrap();
    let other = lb.pick_by_key("user-7").unwrap().id().to_owned();
    assert_ne!(other, home);
    // Stable while it is away, back home when it returns.
    assert_eq!(lb.pick_by_key("user-7").unwrap().id(), other);
    lb.set_healthy(&home, true).unwrap();
    assert_eq!(lb.pick_by_key("user-7").unwrap().id(), home);
}
