use perfkit::baseline::{
    BaselineError, Direction, History, Measurement, RunRecord, Severity, Unit, quarantine,
};
use std::fs;

fn sample_run(ts: u64) -> RunRecord {
    let mut run = RunRecord::new(ts, "host-1", "AMD EPYC 9R14");
    run.insert(
        "api.simple_query.p95",
        Measurement::new(0.321, Unit::Seconds, Direction::LowerIsBetter),
    );
    run.insert(
        "cache.hit_ratio",
        Measurement::new(0.91, Unit::Ratio, Direction::HigherIsBetter),
    );
    run.insert(
        "resources.rss",
        Measurement::new(123_456_789.0, Unit::Bytes, Direction::LowerIsBetter),
    );
    run
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/run.json");
    let run = sample_run(1_700_000_000_123);
    run.save(&path).unwrap();
    let back = RunRecord::load(&path).unwrap().expect("saved file loads");
    assert_eq!(back, run);
    // Written atomically: no temporary file is left beside it.
    let names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["run.json"]);
}

#[test]
fn json_is_readable_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    sample_run(42).save(&path).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["timestamp_unix_ms"], 42);
    assert_eq!(v["host"], "host-1");
    assert_eq!(v["results"]["cache.hit_ratio"]["unit"], "ratio");
    assert_eq!(
        v["results"]["cache.hit_ratio"]["direction"],
        "higher_is_better"
    );
}

#[test]
fn non_finite_values_survive_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let mut run = RunRecord::new(1, "h", "c");
    run.insert(
        "broken",
        Measurement::new(f64::NAN, Unit::Seconds, Direction::LowerIsBetter),
    );
    run.insert(
        "inf",
        Measurement::new(f64::INFINITY, Unit::Seconds, Direction::LowerIsBetter),
    );
    run.save(&path).unwrap();
    let back = RunRecord::load(&path).unwrap().unwrap();
    assert!(back.results["broken"].value.is_nan());
    assert!(back.results["inf"].value.is_nan());
}

#[test]
fn missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        RunRecord::load(dir.path().join("absent.json")).unwrap(),
        None
    );
}

#[test]
fn corrupt_json_is_a_corrupt_error_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad: [&[u8]; 6] = [
        b"",
        b"{ \"timestamp_unix_ms\": ",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b"{\"timestamp_unix_ms\": -5}",
        b"{\"timestamp_unix_ms\": 1, \"results\": {\"x\": {\"value\": 1.0, \"unit\": \"furlongs\", \"direction\": \"lower_is_better\"}}}",
    ];
    for (i, bytes) in bad.iter().enumerate() {
        let path = dir.path().join(format!("bad-{i}.json"));
        fs::write(&path, bytes).unwrap();
        match RunRecord::load(&path) {
            Err(BaselineError::Corrupt { path: p, reason }) => {
                assert_eq!(p, path);
                assert!(!reason.is_empty());
            }
            other => panic!("case {i}: expected Corrupt, got {other:?}"),
        }
    }
}

#[test]
fn a_directory_in_the_way_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = RunRecord::load(dir.path()).unwrap_err();
    assert!(matches!(err, BaselineError::Io { .. }), "{err:?}");
}

#[test]
fn quarantine_keeps_the_bytes_and_frees_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let bytes = b"{\"timestamp_unix_ms\": 12, \"resu";
    fs::write(&path, bytes).unwrap();
    assert!(matches!(
        RunRecord::load(&path),
        Err(BaselineError::Corrupt { .. })
    ));

    let kept = quarantine(&path).unwrap();
    assert_eq!(fs::read(&kept).unwrap(), bytes);
    assert!(!path.exists());
    assert_eq!(kept.parent(), path.parent());
    let name = kept.file_name().unwrap().to_string_lossy().into_owned();
    let suffix = name.strip_prefix("run.json.corrupt-").expect(&name);
    assert!(suffix.chars().all(|c| c.is_ascii_digit()), "{name}");

    // The next save starts afresh and does not touch the quarantined copy.
    sample_run(1).save(&path).unwrap();
    assert_eq!(fs::read(&kept).unwrap(), bytes);
}

#[test]
fn quarantine_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let mut kept = Vec::new();
    for i in 0..5u8 {
        fs::write(&path, [b'x', i]).unwrap();
        kept.push(quarantine(&path).unwrap());
    }
    for (i, k) in kept.iter().enumerate() {
        assert_eq!(fs::read(k).unwrap(), [b'x', i as u8], "{}", k.display());
    }
}

#[test]
fn quarantine_of_a_missing_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        quarantine(dir.path().join("nope.json")),
        Err(BaselineError::NotFound { .. })
    ));
}

#[test]
fn changes_since_previous_run() {
    let before = sample_run(1);
    let mut after = sample_run(2);
    after.insert(
        "api.simple_query.p95",
        Measurement::new(0.45, Unit::Seconds, Direction::LowerIsBetter),
    );
    after.insert(
        "cache.hit_ratio",
        Measurement::new(0.80, Unit::Ratio, Direction::HigherIsBetter),
    );
    after.insert(
        "resources.rss",
        Measurement::new(1.0, Unit::Count, Direction::LowerIsBetter),
    );
    after.insert(
        "new.metric",
        Measurement::new(1.0, Unit::Count, Direction::LowerIsBetter),
    );
    let changes = after.changes_since(&before);
    assert_eq!(
        changes["api.simple_query.p95"].severity,
        Some(Severity::Critical)
    ); // +40 %
    assert_eq!(changes["cache.hit_ratio"].severity, Some(Severity::Medium)); // -12 %
    assert!(!changes.contains_key("resources.rss"), "unit changed");
    assert!(!changes.contains_key("new.metric"));
}

#[test]
fn history_is_bounded_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    let mut h = History::load(&path, 3).unwrap();
    assert!(h.is_empty());
    assert!(h.latest().is_none() && h.previous().is_none());
    for ts in 1..=5 {
        h.push(sample_run(ts));
    }
    assert_eq!(h.len(), 3);
    h.save(&path).unwrap();

    let back = History::load(&path, 3).unwrap();
    assert_eq!(back, h);
    let ts: Vec<_> = back.runs().map(|r| r.timestamp_unix_ms).collect();
    assert_eq!(ts, [3, 4, 5]);
    assert_eq!(back.previous().unwrap().timestamp_unix_ms, 4);

    // A smaller capacity on load keeps the newest.
    let small = History::load(&path, 1).unwrap();
    assert_eq!(small.latest().unwrap().timestamp_unix_ms, 5);
    assert_eq!(small.len(), 1);
    assert_eq!(History::new(0).capacity(), 1);
}

#[test]
fn corrupt_history_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    fs::write(&path, "{\"runs\": [ {\"timestamp_unix_ms\": 1}, nul").unwrap();
    assert!(matches!(
        History::load(&path, 10),
        Err(BaselineError::Corrupt { .. })
    ));
}
