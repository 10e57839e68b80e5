//! The documented baselines: the targets perfkit was specified with, as typed data.

use super::regression::Direction;
use super::unit::Unit;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The part of a system a baseline is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Area {
    /// Request latency and error rate of an API.
    Api,
    /// Database queries and the connection pool.
    Database,
    /// Caching.
    Cache,
    /// Sustained and peak rates.
    Throughput,
    /// Memory and CPU of the process.
    Resources,
    /// The cost of security measures on the hot path.
    Security,
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Area::Api => "API",
            Area::Database => "database",
            Area::Cache => "cache",
            Area::Throughput => "throughput",
            Area::Resources => "resources",
            Area::Security => "security",
        })
    }
}

/// Which side of a threshold a measurement must be on.
///
/// `Below` and `Above` are strict (`<`, `>`), as the documented table writes them;
/// `AtMost` and `AtLeast` include the threshold (`≤`, `≥`), for caps and for rates a system
/// must reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The measurement must be strictly below the threshold.
    Below(f64),
    /// The measurement must be strictly above the threshold.
    Above(f64),
    /// The measurement must not exceed the threshold.
    AtMost(f64),
    /// The measurement must reach at least the threshold.
    AtLeast(f64),
}

impl Limit {
    /// The threshold value, whatever the side.
    pub fn threshold(self) -> f64 {
        match self {
            Limit::Below(t) | Limit::Above(t) | Limit::AtMost(t) | Limit::AtLeast(t) => t,
        }
    }

    /// Whether smaller or larger measurements are the good side of this limit.
    pub fn direction(self) -> Direction {
        match self {
            Limit::Below(_) | Limit::AtMost(_) => Direction::LowerIsBetter,
            Limit::Above(_) | Limit::AtLeast(_) => Direction::HigherIsBetter,
        }
    }

    /// The comparison sign: `<`, `>`, `≤` or `≥`.
    pub fn symbol(self) -> &'static str {
        match self {
            Limit::Below(_) => "<",
            Limit::Above(_) => ">",
            Limit::AtMost(_) => "≤",
            Limit::AtLeast(_) => "≥",
        }
    }

    /// The limit written for people, e.g. `< 500 ms` or `> 85 %`.
    pub fn format(self, unit: Unit) -> String {
        format!("{} {}", self.symbol(), unit.format(self.threshold()))
    }
}

/// One performance target: what is measured, in which unit, and where the line is.
///
/// ```
/// use perfkit::baseline::{self, Limit, Unit};
///
/// let b = baseline::find("api.simple_query.p95").unwrap();
/// assert_eq!(b.limit, Limit::Below(0.5));
/// assert_eq!(b.unit, Unit::Seconds);
/// assert_eq!(b.target(), "< 500 ms");
/// assert!(b.check(0.3).passed());
/// assert!(!b.check(0.7).passed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Baseline {
    /// Stable dotted identifier, e.g. `"cache.hit_ratio"`. Never renamed once published,
    /// so it can key stored history.
    pub id: &'static str,
    /// The part of the system it is about.
    pub area: Area,
    /// What is measured, for people.
    pub description: &'static str,
    /// Where the line is.
    pub limit: Limit,
    /// The unit of the limit and of the measurements checked against it.
    pub unit: Unit,
}

impl Baseline {
    /// A baseline of your own, e.g. a stricter service-level objective.
    ///
    /// ```
    /// use perfkit::baseline::{Area, Baseline, Limit, Unit};
    ///
    /// const CHECKOUT_P99: Baseline =
    ///     Baseline::new("shop.checkout.p99", Area::Api, "checkout p99", Limit::Below(0.25), Unit::Seconds);
    /// assert!(CHECKOUT_P99.check(0.2).passed());
    /// ```
    pub const fn new(
        id: &'static str,
        area: Area,
        description: &'static str,
        limit: Limit,
        unit: Unit,
    ) -> Self {
        Self {
            id,
            area,
            description,
            limit,
            unit,
        }
    }

    /// The limit written for people, e.g. `< 500 ms`.
    pub fn target(&self) -> String {
        self.limit.format(self.unit)
    }

    /// Whether smaller or larger measurements are better against this baseline.
    pub fn direction(&self) -> Direction {
        self.limit.direction()
    }
}

const MIB: f64 = 1024.0 * 1024.0;

static DOCUMENTED: [Baseline; 24] = [
    // API
    Baseline::new(
        "api.simple_query.p95",
        Area::Api,
        "simple query p95",
        Limit::Below(0.5),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.simple_query.p99",
        Area::Api,
        "simple query p99",
        Limit::Below(1.0),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.complex_analysis.p95",
        Area::Api,
        "complex analysis p95",
        Limit::Below(2.0),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.complex_analysis.p99",
        Area::Api,
        "complex analysis p99",
        Limit::Below(5.0),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.bulk_operation.p95",
        Area::Api,
        "bulk operation p95",
        Limit::Below(5.0),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.bulk_operation.p99",
        Area::Api,
        "bulk operation p99",
        Limit::Below(10.0),
        Unit::Seconds,
    ),
    Baseline::new(
        "api.error_rate",
        Area::Api,
        "error rate",
        Limit::Below(0.001),
        Unit::Ratio,
    ),
    // Database
    Baseline::new(
        "database.simple_select.p95",
        Area::Database,
        "simple select p95",
        Limit::Below(0.05),
        Unit::Seconds,
    ),
    Baseline::new(
        "database.complex_join.p95",
        Area::Database,
        "complex join p95",
        Limit::Below(0.2),
        Unit::Seconds,
    ),
    Baseline::new(
        "database.bulk_insert.p95",
        Area::Database,
        "bulk insert p95, per 1000 records",
        Limit::Below(1.0),
        Unit::SecondsPerThousand,
    ),
    Baseline::new(
        "database.connection_acquire.p95",
        Area::Database,
        "connection acquisition p95",
        Limit::Below(0.01),
        Unit::Seconds,
    ),
    Baseline::new(
        "database.max_connections",
        Area::Database,
        "max connections",
        Limit::AtMost(20.0),
        Unit::Count,
    ),
    // Cache
    Baseline::new(
        "cache.hit_ratio",
        Area::Cache,
        "hit ratio",
        Limit::Above(0.85),
        Unit::Ratio,
    ),
    Baseline::new(
        "cache.miss.p95",
        Area::Cache,
        "miss p95",
        Limit::Below(0.1),
        Unit::Seconds,
    ),
    // Throughput
    Baseline::new(
        "throughput.api.sustained",
        Area::Throughput,
        "API sustained rate",
        Limit::AtLeast(50.0),
        Unit::PerSecond,
    ),
    Baseline::new(
        "throughput.api.peak",
        Area::Throughput,
        "API peak rate for 1 min",
        Limit::AtLeast(200.0),
        Unit::PerSecond,
    ),
    Baseline::new(
        "throughput.records",
        Area::Throughput,
        "records processed",
        Limit::AtLeast(1000.0),
        Unit::PerSecond,
    ),
    Baseline::new(
        "throughput.analyses",
        Area::Throughput,
        "analyses",
        Limit::AtLeast(100.0),
        Unit::PerMinute,
    ),
    // Resources
    Baseline::new(
        "resources.rss",
        Area::Resources,
        "resident memory",
        Limit::Below(256.0 * MIB),
        Unit::Bytes,
    ),
    Baseline::new(
        "resources.virtual",
        Area::Resources,
        "virtual memory",
        Limit::Below(512.0 * MIB),
        Unit::Bytes,
    ),
    Baseline::new(
        "resources.memory_growth",
        Area::Resources,
        "memory growth",
        Limit::Below(10.0 * MIB),
        Unit::BytesPerHour,
    ),
    Baseline::new(
        "resources.cpu.average",
        Area::Resources,
        "CPU average",
        Limit::Below(0.7),
        Unit::Ratio,
    ),
    Baseline::new(
        "resources.cpu.peak",
        Area::Resources,
        "CPU peak",
        Limit::Below(0.9),
        Unit::Ratio,
    ),
    // Security
    Baseline::new(
        "security.overhead",
        Area::Security,
        "hot-path overhead of rate limiting and auth cache",
        Limit::Below(0.06),
        Unit::Ratio,
    ),
];

/// The documented baselines, in the order of the table in the design document.
///
/// The "regression" row of that table is not a baseline but the severity thresholds; see
/// [`Severity`](crate::baseline::Severity).
///
/// ```
/// use perfkit::baseline::{self, Area};
///
/// let db: Vec<_> = baseline::documented().iter().filter(|b| b.area == Area::Database).collect();
/// assert!(db.iter().any(|b| b.id == "database.connection_acquire.p95"));
/// ```
pub fn documented() -> &'static [Baseline] {
    &DOCUMENTED
}

/// The documented baseline with this id, if there is one.
///
/// ```
/// use perfkit::baseline;
///
/// assert!(baseline::find("cache.hit_ratio").is_some());
/// assert!(baseline::find("no.such.metric").is_none());
/// ```
pub fn find(id: &str) -> Option<&'static Baseline> {
    DOCUMENTED.iter().find(|b| b.id == id)
}
