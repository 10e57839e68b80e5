use perfkit::baseline::{self, Area, Limit, Unit};
use std::collections::HashSet;

const MIB: f64 = 1024.0 * 1024.0;

/// The design document's table, row by row: (id, area, limit, unit).
const EXPECTED: &[(&str, Area, Limit, Unit)] = &[
    (
        "api.simple_query.p95",
        Area::Api,
        Limit::Below(0.5),
        Unit::Seconds,
    ),
    (
        "api.simple_query.p99",
        Area::Api,
        Limit::Below(1.0),
        Unit::Seconds,
    ),
    (
        "api.complex_analysis.p95",
        Area::Api,
        Limit::Below(2.0),
        Unit::Seconds,
    ),
    (
        "api.complex_analysis.p99",
        Area::Api,
        Limit::Below(5.0),
        Unit::Seconds,
    ),
    (
        "api.bulk_operation.p95",
        Area::Api,
        Limit::Below(5.0),
        Unit::Seconds,
    ),
    (
        "api.bulk_operation.p99",
        Area::Api,
        Limit::Below(10.0),
        Unit::Seconds,
    ),
    (
        "api.error_rate",
        Area::Api,
        Limit::Below(0.001),
        Unit::Ratio,
    ),
    (
        "database.simple_select.p95",
        Area::Database,
        Limit::Below(0.05),
        Unit::Seconds,
    ),
    (
        "database.complex_join.p95",
        Area::Database,
        Limit::Below(0.2),
        Unit::Seconds,
    ),
    (
        "database.bulk_insert.p95",
        Area::Database,
        Limit::Below(1.0),
        Unit::SecondsPerThousand,
    ),
    (
        "database.connection_acquire.p95",
        Area::Database,
        Limit::Below(0.01),
        Unit::Seconds,
    ),
    (
        "database.max_connections",
        Area::Database,
        Limit::AtMost(20.0),
        Unit::Count,
    ),
    (
        "cache.hit_ratio",
        Area::Cache,
        Limit::Above(0.85),
        Unit::Ratio,
    ),
    (
        "cache.miss.p95",
        Area::Cache,
        Limit::Below(0.1),
        Unit::Seconds,
    ),
    (
        "throughput.api.sustained",
        Area::Throughput,
        Limit::AtLeast(50.0),
        Unit::PerSecond,
    ),
    (
        "throughput.api.peak",
        Area::Throughput,
        Limit::AtLeast(200.0),
        Unit::PerSecond,
    ),
    (
        "throughput.records",
        Area::Throughput,
        Limit::AtLeast(1000.0),
        Unit::PerSecond,
    ),
    (
        "throughput.analyses",
        Area::Throughput,
        Limit::AtLeast(100.0),
        Unit::PerMinute,
    ),
    (
        "resources.rss",
        Area::Resources,
        Limit::Below(256.0 * MIB),
        Unit::Bytes,
    ),
    (
        "resources.virtual",
        Area::Resources,
        Limit::Below(512.0 * MIB),
        Unit::Bytes,
    ),
    (
        "resources.memory_growth",
        Area::Resources,
        Limit::Below(10.0 * MIB),
        Unit::BytesPerHour,
    ),
    (
        "resources.cpu.average",
        Area::Resources,
        Limit::Below(0.7),
        Unit::Ratio,
    ),
    (
        "resources.cpu.peak",
        Area::Resources,
        Limit::Below(0.9),
        Unit::Ratio,
    ),
    (
        "security.overhead",
        Area::Security,
        Limit::Below(0.06),
        Unit::Ratio,
    ),
];

#[test]
fn every_table_row_is_present_with_its_limit_and_unit() {
    for &(id, area, limit, unit) in EXPECTED {
        let b = baseline::find(id).unwrap_or_else(|| panic!("missing baseline {id}"));
        assert_eq!(b.area, area, "{id}");
        assert_eq!(b.limit, limit, "{id}");
        assert_eq!(b.unit, unit, "{id}");
        assert!(!b.description.is_empty(), "{id}");
    }
    assert_eq!(
        baseline::documented().len(),
        EXPECTED.len(),
        "documented() has rows the table does not"
    );
}

#[test]
fn documented_is_in_table_order() {
    let ids: Vec<_> = baseline::documented().iter().map(|b| b.id).collect();
    let expected: Vec<_> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(ids, expected);
}

#[test]
fn ids_are_unique_dotted_and_lowercase() {
    let mut seen = HashSet::new();
    for b in baseline::documented() {
        assert!(seen.insert(b.id), "duplicate id {}", b.id);
        assert!(b.id.contains('.'), "{}", b.id);
        assert!(
            b.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'),
            "{}",
            b.id
        );
        assert!(
            b.id.starts_with(&b.area.to_string().to_lowercase()),
            "{}",
            b.id
        );
    }
}

#[test]
fn regression_row_is_not_a_baseline() {
    assert!(
        baseline::documented()
            .iter()
            .all(|b| !b.id.starts_with("regression"))
    );
}

#[test]
fn find_unknown_id_is_none() {
    assert!(baseline::find("").is_none());
    assert!(baseline::find("api.simple_query").is_none());
    assert!(baseline::find("API.SIMPLE_QUERY.P95").is_none());
}

#[test]
fn targets_render_human_readable() {
    let t = |id| baseline::find(id).unwrap().target();
    assert_eq!(t("api.simple_query.p95"), "< 500 ms");
    assert_eq!(t("api.simple_query.p99"), "< 1 s");
    assert_eq!(t("api.error_rate"), "< 0.1 %");
    assert_eq!(t("database.connection_acquire.p95"), "< 10 ms");
    assert_eq!(t("database.bulk_insert.p95"), "< 1 s / 1000");
    assert_eq!(t("database.max_connections"), "≤ 20");
    assert_eq!(t("cache.hit_ratio"), "> 85 %");
    assert_eq!(t("throughput.api.peak"), "≥ 200/s");
    assert_eq!(t("throughput.analyses"), "≥ 100/min");
    assert_eq!(t("resources.rss"), "< 256 MiB");
    assert_eq!(t("resources.virtual"), "< 512 MiB");
    assert_eq!(t("resources.memory_growth"), "< 10 MiB/h");
    assert_eq!(t("resources.cpu.average"), "< 70 %");
    assert_eq!(t("security.overhead"), "< 6 %");
}

#[test]
fn unit_formatting_picks_scales() {
    assert_eq!(Unit::Seconds.format(0.0), "0 s");
    assert_eq!(Unit::Seconds.format(2.5), "2.5 s");
    assert_eq!(Unit::Seconds.format(0.0123), "12.3 ms");
    assert_eq!(Unit::Seconds.format(21e-9), "21 ns");
    assert_eq!(Unit::Seconds.format(1.5e-6), "1.5 µs");
    assert_eq!(Unit::Bytes.format(512.0), "512 B");
    assert_eq!(Unit::Bytes.format(1536.0), "1.5 KiB");
    assert_eq!(Unit::Bytes.format(3.0 * 1024.0 * MIB), "3 GiB");
    assert_eq!(Unit::BytesPerHour.format(-2.0 * MIB), "-2 MiB/h");
    assert_eq!(Unit::Ratio.format(0.853), "85.3 %");
    assert_eq!(Unit::Count.format(20.0), "20");
    assert_eq!(Unit::PerSecond.format(1234.0), "1234/s");
    assert!(Unit::Seconds.format(f64::NAN).contains("NaN"));
}

#[test]
fn limit_direction_follows_side() {
    use perfkit::baseline::Direction;
    assert_eq!(Limit::Below(1.0).direction(), Direction::LowerIsBetter);
    assert_eq!(Limit::AtMost(1.0).direction(), Direction::LowerIsBetter);
    assert_eq!(Limit::Above(1.0).direction(), Direction::HigherIsBetter);
    assert_eq!(Limit::AtLeast(1.0).direction(), Direction::HigherIsBetter);
}
