use std::time::Duration;

/// Counters of a [`Balancer`](super::Balancer), from [`Balancer::stats`](super::Balancer::stats).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BalancerStats {
    /// One entry per backend, in list order.
    pub backends: Vec<BackendStats>,
    /// Backends neither ejected, marked unhealthy nor below the health-score threshold.
    pub available: usize,
    /// Picks made in panic mode (over all backends, available or not).
    pub panic_picks: u64,
    /// Ejections since the balancer was built.
    pub ejections: u64,
}

/// Counters and health of one backend.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackendStats {
    /// Its id.
    pub id: String,
    /// Its configured weight.
    pub weight: f64,
    /// Its weight now, after slow start.
    pub effective_weight: f64,
    /// Picks not yet finished.
    pub in_flight: u64,
    /// Picks ever made (in flight + successes + failures + cancelled).
    pub requests: u64,
    /// Picks finished with `success`.
    pub successes: u64,
    /// Picks finished with `failure`.
    pub failures: u64,
    /// Picks dropped unfinished.
    pub cancelled: u64,
    /// The health score, 0–100.
    pub health_score: u32,
    /// Whether outlier detection has it ejected now.
    pub ejected: bool,
    /// Whether active health checks (or [`Balancer::set_healthy`](super::Balancer::set_healthy))
    /// consider it healthy.
    pub healthy: bool,
    /// The ejection multiplier (the next ejection lasts base time × (this + 1), capped).
    pub times_ejected: u32,
    /// Ejections of this backend, ever.
    pub ejections: u64,
    /// The peak-EWMA latency estimate, decayed to now (kept under `P2cPeakEwma` only).
    pub latency_ewma: Duration,
}
