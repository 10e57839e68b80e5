//! Reading criterion's saved results (`target/criterion`) and comparing them with a
//! criterion baseline.
//!
//! criterion keeps, for every benchmark, a directory (its path mirrors the benchmark id,
//! `group/function/parameter`) holding `new/estimates.json` for the latest run,
//! `base/estimates.json` for the run before it, and `<name>/estimates.json` for each baseline
//! saved with `--save-baseline <name>`. perfkit reads the **median** point estimate from
//! these files: criterion stores no percentiles such as p95, and the median is the estimate
//! it is most robust about.
//!
//! ```
//! use perfkit::baseline::criterion;
//! use std::fs;
//!
//! let root = tempfile::tempdir().unwrap();
//! let est = |ns: f64| format!(r#"{{"median":{{"point_estimate":{ns}}}}}"#);
//! let bench = root.path().join("histogram_record/perfkit");
//! fs::create_dir_all(bench.join("new")).unwrap();
//! fs::create_dir_all(bench.join("base")).unwrap();
//! fs::write(bench.join("new/estimates.json"), est(24.0)).unwrap();
//! fs::write(bench.join("base/estimates.json"), est(20.0)).unwrap();
//!
//! let results = criterion::read_dir(root.path()).unwrap();
//! assert_eq!(results[0].id, "histogram_record/perfkit");
//! assert_eq!(results[0].new_median_ns, 24.0);
//! assert_eq!(results[0].severity(), Some(perfkit::baseline::Severity::High)); // +20 %
//! ```

use super::error::BaselineError;
use super::regression::{Change, Direction, compare};
use super::verdict::Severity;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Directory names criterion uses for its own data, never part of a benchmark id.
const RESERVED: [&str; 4] = ["report", "new", "base", "change"];

/// Benchmark ids are at most a few levels deep; the limit only guards against pathological
/// trees (bind mounts looping back), since symbolic links are not followed anyway.
const MAX_DEPTH: usize = 32;

/// One benchmark's latest median and, when a baseline was saved, the change against it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BenchComparison {
    /// The benchmark's directory relative to the criterion directory, with `/` separators,
    /// e.g. `histogram_record/perfkit`.
    pub id: String,
    /// Median time per iteration of the latest run (`new/`), in nanoseconds.
    pub new_median_ns: f64,
    /// Median of the baseline run, in nanoseconds, when one was saved.
    pub base_median_ns: Option<f64>,
    /// The change from the baseline to the latest run (lower is better).
    pub change: Option<Change>,
}

impl BenchComparison {
    /// The regression severity against the baseline; `None` without a baseline, for an
    /// improvement or for a change within 10 % (noise).
    pub fn severity(&self) -> Option<Severity> {
        self.change.and_then(|c| c.severity)
    }

    /// The latest median in seconds, the base unit of [`Unit::Seconds`](super::Unit::Seconds).
    pub fn new_median_seconds(&self) -> f64 {
        self.new_median_ns * 1e-9
    }
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The unreadable or corrupt `estimates.json`.
    pub path: PathBuf,
    /// What was wrong.
    pub reason: String,
}

/// The result of a lenient [`scan`]: what could be read, and what could not.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Scan {
    /// Benchmarks read, sorted by id.
    pub benches: Vec<BenchComparison>,
    /// Benchmarks left out because a file was corrupt or unreadable, sorted by path.
    pub skipped: Vec<Skipped>,
}

/// Reads every benchmark under `dir` (usually `target/criterion`), comparing with
/// criterion's automatic baseline (`base/`, the run before the latest).
///
/// Strict: the first corrupt `estimates.json` is an error ([`BaselineError::Corrupt`] with
/// its path). Use [`scan`] to read the rest and list the bad ones instead. A missing `dir`
/// is [`BaselineError::NotFound`].
pub fn read_dir(dir: &Path) -> Result<Vec<BenchComparison>, BaselineError> {
    strict(scan(dir, None)?)
}

/// Like [`read_dir`], but compares with the baseline saved as `name`
/// (`cargo bench -- --save-baseline <name>`), which must be a plain directory name.
pub fn read_dir_against(dir: &Path, name: &str) -> Result<Vec<BenchComparison>, BaselineError> {
    strict(scan(dir, Some(name))?)
}

/// Reads every benchmark under `dir`, comparing with the saved baseline `baseline`
/// (`None` = criterion's `base/`), and lists corrupt files instead of failing on them.
/// A benchmark whose latest or baseline estimates are corrupt is left out entirely.
pub fn scan(dir: &Path, baseline: Option<&str>) -> Result<Scan, BaselineError> {
    let base_name = match baseline {
        None => "base",
        Some(name) => {
            validate_name(name)?;
            name
        }
    };
    let meta = std::fs::metadata(dir).map_err(|e| BaselineError::io(dir, e))?;
    if !meta.is_dir() {
        return Err(BaselineError::InvalidArgument {
            reason: format!("{} is not a directory", dir.display()),
        });
    }
    let mut out = Scan::default();
    walk(dir, dir, base_name, 0, &mut out)?;
    out.benches.sort_by(|a, b| a.id.cmp(&b.id));
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn strict(scan: Scan) -> Result<Vec<BenchComparison>, BaselineError> {
    match scan.skipped.into_iter().next() {
        Some(s) => Err(BaselineError::Corrupt {
            path: s.path,
            reason: s.reason,
        }),
        None => Ok(scan.benches),
    }
}

fn validate_name(name: &str) -> Result<(), BaselineError> {
    // "base" is reserved but is also criterion's own baseline, so naming it is fine.
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !RESERVED.contains(&name);
    let ok = plain || name == "base";
    if ok {
        Ok(())
    } else {
        Err(BaselineError::InvalidArgument {
            reason: format!("{name:?} is not a usable criterion baseline name"),
        })
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    base_name: &str,
    depth: usize,
    out: &mut Scan,
) -> Result<(), BaselineError> {
    let new_est = dir.join("new").join("estimates.json");
    if dir != root && new_est.is_file() {
        read_bench(root, dir, &new_est, base_name, out);
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| BaselineError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BaselineError::io(dir, e))?;
        // DirEntry::file_type does not follow symbolic links, so a link cycle cannot trap us.
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !is_dir || RESERVED.contains(&name.as_ref()) || name == base_name {
            continue;
        }
        walk(root, &entry.path(), base_name, depth + 1, out)?;
    }
    Ok(())
}

fn read_bench(root: &Path, dir: &Path, new_est: &Path, base_name: &str, out: &mut Scan) {
    let new = match read_median(new_est) {
        Ok(v) => v,
        Err(s) => return out.skipped.push(s),
    };
    let base_est = dir.join(base_name).join("estimates.json");
    let base = if base_est.is_file() {
        match read_median(&base_est) {
            Ok(v) => Some(v),
            Err(s) => return out.skipped.push(s),
        }
    } else {
        None
    };
    out.benches.push(BenchComparison {
        id: relative_id(root, dir),
        new_median_ns: new,
        base_median_ns: base,
        change: base.map(|b| compare(b, new, Direction::LowerIsBetter)),
    });
}

fn relative_id(root: &Path, dir: &Path) -> String {
    let rel = dir.strip_prefix(root).unwrap_or(dir);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

fn read_median(path: &Path) -> Result<f64, Skipped> {
    let skipped = |reason: String| Skipped {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| skipped(e.to_string()))?;
    let est: Estimates = serde_json::from_slice(&bytes).map_err(|e| skipped(e.to_string()))?;
    let m = est.median.point_estimate;
    if m.is_finite() && m >= 0.0 {
        Ok(m)
    } else {
        Err(skipped(format!("median point estimate {m} is not a time")))
    }
}
