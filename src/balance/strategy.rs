/// How a [`Balancer`](super::Balancer) chooses a backend.
///
/// Costs are per pick for `n` backends; all skip backends that are ejected, marked unhealthy
/// or (under [`HealthScore`](Strategy::HealthScore)) below the score threshold, unless the
/// balancer is in panic mode.
///
/// ```
/// use perfkit::balance::{Backend, Balancer, Strategy};
///
/// let lb = Balancer::new((0..3).map(|i| Backend::new(format!("b{i}"), i)), Strategy::RoundRobin)?;
/// let order: Vec<i32> = (0..6).map(|_| *lb.pick().unwrap()).collect();
/// assert_eq!(order, [0, 1, 2, 0, 1, 2]);
/// # Ok::<(), perfkit::balance::BalanceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Strategy {
    /// Each backend in turn, ignoring weights. O(1) (one shared atomic counter).
    RoundRobin,
    /// nginx's smooth weighted round robin: every pick adds each backend's weight to its
    /// current score, takes the highest, and subtracts the total from it, so weights 5, 1, 1
    /// give `a a b a c a a` rather than `a a a a a b c`. O(n) under a short mutex.
    WeightedRoundRobin,
    /// The backend with the fewest requests in flight per unit of weight, ties broken at
    /// random. O(n).
    LeastConnections,
    /// A random backend with probability proportional to its weight. O(log n) expected.
    WeightedRandom,
    /// Weighted random over weight × score / 100, where each backend's score (0–100, starting
    /// at 100) gains 10 on a success and loses 20 on a failure; backends below the threshold
    /// are skipped until the cooldown lets them back in at the threshold.
    HealthScore,
    /// Power of two choices over a peak-sensitive EWMA of latency × (in flight + 1) ÷ weight
    /// (Finagle / tower / Linkerd), so weights work. O(1).
    P2cPeakEwma,
    /// A consistent-hash table (ring with virtual nodes, or Maglev: see
    /// [`HashRing`](super::HashRing)) looked up by [`Balancer::pick_by_key`](super::Balancer::pick_by_key).
    /// An unavailable backend's keys go to the next backend of the table. [`pick`](super::Balancer::pick)
    /// uses a random key.
    ConsistentHash,
}
