use perfkit::baseline::criterion::{self, Skipped};
use perfkit::baseline::{BaselineError, Severity};
use std::fs;
use std::path::Path;

/// A realistic criterion `estimates.json` with the given median (mean set elsewhere so a
/// reader using the wrong field fails).
fn estimates(median_ns: f64) -> String {
    format!(
        r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":{mean},"standard_error":0.1}},"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":{median_ns},"standard_error":0.1}},"median_abs_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":0.1,"upper_bound":0.2}},"point_estimate":0.15,"standard_error":0.01}},"slope":null,"std_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":0.1,"upper_bound":0.2}},"point_estimate":0.15,"standard_error":0.01}}}}"#,
        mean = median_ns * 3.0 + 7.0
    )
}

fn put(root: &Path, rel: &str, contents: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, contents).unwrap();
}

/// The shape `cargo bench` leaves behind: groups, functions, parameters, report dirs, and a
/// saved baseline named "main" on one bench.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    put(r, "report/index.html", "<html></html>");
    // group/function with a previous run in base/
    put(
        r,
        "histogram_record/perfkit/new/estimates.json",
        &estimates(24.0),
    );
    put(r, "histogram_record/perfkit/new/benchmark.json", "{}");
    put(
        r,
        "histogram_record/perfkit/base/estimates.json",
        &estimates(20.0),
    );
    put(
        r,
        "histogram_record/perfkit/change/estimates.json",
        "{\"mean\":{}}",
    );
    put(r, "histogram_record/perfkit/report/index.html", "");
    put(
        r,
        "histogram_record/perfkit/main/estimates.json",
        &estimates(12.0),
    );
    put(r, "histogram_record/report/index.html", "");
    // group/function without a previous run
    put(
        r,
        "histogram_record/hdrhistogram/new/estimates.json",
        &estimates(30.0),
    );
    // group/function/parameter, improved
    put(
        r,
        "quantile/perfkit/1000/new/estimates.json",
        &estimates(90.0),
    );
    put(
        r,
        "quantile/perfkit/1000/base/estimates.json",
        &estimates(100.0),
    );
    // a plain bench_function at top level
    put(r, "counter_inc/new/estimates.json", &estimates(1.5));
    put(r, "counter_inc/base/estimates.json", &estimates(1.5));
    dir
}

#[test]
fn reads_every_bench_with_and_without_base() {
    let dir = tree();
    let results = criterion::read_dir(dir.path()).unwrap();
    let ids: Vec<_> = results.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "counter_inc",
            "histogram_record/hdrhistogram",
            "histogram_record/perfkit",
            "quantile/perfkit/1000"
        ]
    );

    let perfkit = &results[2];
    assert_eq!(perfkit.new_median_ns, 24.0, "median, not mean");
    assert_eq!(perfkit.base_median_ns, Some(20.0));
    assert!((perfkit.change.unwrap().relative.unwrap() - 0.2).abs() < 1e-12);
    assert_eq!(perfkit.severity(), Some(Severity::High));
    assert!((perfkit.new_median_seconds() - 24e-9).abs() < 1e-20);

    let hdr = &results[1];
    assert_eq!(hdr.base_median_ns, None);
    assert_eq!(hdr.change, None);
    assert_eq!(hdr.severity(), None);

    let quantile = &results[3];
    assert_eq!(quantile.severity(), None, "an improvement");
    assert!(quantile.change.unwrap().relative.unwrap() < 0.0);

    assert_eq!(results[0].change.unwrap().relative, Some(0.0));
}

#[test]
fn named_baseline() {
    let dir = tree();
    let results = criterion::read_dir_against(dir.path(), "main").unwrap();
    let perfkit = results
        .iter()
        .find(|b| b.id == "histogram_record/perfkit")
        .unwrap();
    assert_eq!(perfkit.base_median_ns, Some(12.0));
    assert_eq!(perfkit.severity(), Some(Severity::Critical)); // 24 vs 12: +100 %
    // Benches without that baseline have none, even when they have base/.
    let quantile = results
        .iter()
        .find(|b| b.id == "quantile/perfkit/1000")
        .unwrap();
    assert_eq!(quantile.base_median_ns, None);
    // The saved-baseline directory is not mistaken for a bench.
    assert_eq!(results.len(), 4);
}

#[test]
fn bad_baseline_names_are_rejected() {
    let dir = tree();
    for name in ["", ".", "..", "../x", "a/b", "new", "report", "change"] {
        assert!(
            matches!(
                criterion::read_dir_against(dir.path(), name),
                Err(BaselineError::InvalidArgument { .. })
            ),
            "{name:?}"
        );
    }
    assert!(criterion::read_dir_against(dir.path(), "base").is_ok());
}

#[test]
fn corrupt_estimates_fail_strictly_with_the_path() {
    let dir = tree();
    let bad = dir
        .path()
        .join("histogram_record/hdrhistogram/new/estimates.json");
    fs::write(&bad, "{\"median\": {\"point_estim").unwrap();
    match criterion::read_dir(dir.path()) {
        Err(BaselineError::Corrupt { path, .. }) => assert_eq!(path, bad),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn scan_skips_and_reports_corrupt_files() {
    let dir = tree();
    let bad_new = dir
        .path()
        .join("histogram_record/hdrhistogram/new/estimates.json");
    fs::write(&bad_new, "not json").unwrap();
    let bad_base = dir.path().join("quantile/perfkit/1000/base/estimates.json");
    fs::write(&bad_base, "{\"median\":{\"point_estimate\":-3.0}}").unwrap();
    let wrong_shape = dir.path().join("counter_inc/new/estimates.json");
    fs::write(&wrong_shape, "{\"mean\":{\"point_estimate\":1.0}}").unwrap();

    let scan = criterion::scan(dir.path(), None).unwrap();
    let ids: Vec<_> = scan.benches.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["histogram_record/perfkit"]);
    let skipped: Vec<_> = scan
        .skipped
        .iter()
        .map(|s: &Skipped| s.path.clone())
        .collect();
    let mut want = vec![bad_new, bad_base, wrong_shape];
    want.sort();
    assert_eq!(skipped, want);
    assert!(scan.skipped.iter().all(|s| !s.reason.is_empty()));
}

#[test]
fn missing_dir_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("target/criterion");
    match criterion::read_dir(&missing) {
        Err(BaselineError::NotFound { path }) => assert_eq!(path, missing),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_file_instead_of_a_dir_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("criterion");
    fs::write(&file, "").unwrap();
    assert!(matches!(
        criterion::read_dir(&file),
        Err(BaselineError::InvalidArgument { .. })
    ));
}

#[test]
fn empty_dir_has_no_benches() {
    let dir = tempfile::tempdir().unwrap();
    assert!(criterion::read_dir(dir.path()).unwrap().is_empty());
}

#[test]
fn reserved_directory_names_are_not_bench_ids() {
    let dir = tempfile::tempdir().unwrap();
    // A "report" directory that happens to hold a new/estimates.json is still criterion's.
    put(dir.path(), "report/new/estimates.json", &estimates(1.0));
    put(dir.path(), "g/change/new/estimates.json", &estimates(1.0));
    put(dir.path(), "g/f/new/estimates.json", &estimates(2.0));
    let ids: Vec<_> = criterion::read_dir(dir.path())
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, ["g/f"]);
}

#[cfg(unix)]
#[test]
fn symlink_cycles_do_not_hang() {
    let dir = tree();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("histogram_record/loop")).unwrap();
    assert_eq!(criterion::read_dir(dir.path()).unwrap().len(), 4);
}
