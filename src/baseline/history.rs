//! Run history on disk: the previous run to compare against, kept as JSON.

use super::error::BaselineError;
use super::regression::{Change, Direction, compare};
use super::unit::Unit;
use crate::fsutil::write_atomic;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// One measured value of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Measurement {
    /// The value, in `unit`'s base. NaN and infinities are stored as JSON `null` (JSON has
    /// no such numbers) and read back as NaN.
    #[serde(with = "nan_as_null")]
    pub value: f64,
    /// The unit of `value`.
    pub unit: Unit,
    /// Which way is better, for regression checks.
    pub direction: Direction,
}

impl Measurement {
    /// A measurement.
    pub fn new(value: f64, unit: Unit, direction: Direction) -> Self {
        Self {
            value,
            unit,
            direction,
        }
    }
}

/// The results of one run, with enough context (time, host, CPU) to tell whether two runs
/// are comparable.
///
/// ```
/// use perfkit::baseline::{Direction, Measurement, RunRecord, Unit};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("last-run.json");
/// assert!(RunRecord::load(&path).unwrap().is_none()); // first run: nothing to compare
///
/// let mut run = RunRecord::new(1_700_000_000_000, "ci-1", "AMD EPYC");
/// run.insert("histogram_record.p95", Measurement::new(21e-9, Unit::Seconds, Direction::LowerIsBetter));
/// run.save(&path).unwrap();
///
/// let back = RunRecord::load(&path).unwrap().unwrap();
/// assert_eq!(back, run);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunRecord {
    /// When the run happened, in milliseconds since the Unix epoch.
    pub timestamp_unix_ms: u64,
    /// The machine it ran on.
    #[serde(default)]
    pub host: String,
    /// The CPU model it ran on.
    #[serde(default)]
    pub cpu: String,
    /// Results by metric name.
    #[serde(default)]
    pub results: BTreeMap<String, Measurement>,
}

impl RunRecord {
    /// An empty record.
    pub fn new(timestamp_unix_ms: u64, host: impl Into<String>, cpu: impl Into<String>) -> Self {
        Self {
            timestamp_unix_ms,
            host: host.into(),
            cpu: cpu.into(),
            results: BTreeMap::new(),
        }
    }

    /// An empty record stamped with the current wall-clock time.
    pub fn now(host: impl Into<String>, cpu: impl Into<String>) -> Self {
        Self::new(unix_ms_now(), host, cpu)
    }

    /// Adds or replaces the result for `metric`.
    pub fn insert(&mut self, metric: impl Into<String>, measurement: Measurement) {
        self.results.insert(metric.into(), measurement);
    }

    /// Reads a record. A missing file is `Ok(None)` (the first run has nothing to compare
    /// against).
    ///
    /// Contents that are not a record (not UTF-8, not JSON, wrong shape) give
    /// [`BaselineError::Corrupt`] with the path, never a panic: pass the path to
    /// [`quarantine`] to keep the bad file aside and start afresh. An operating-system
    /// failure (permissions, a directory in the way) gives [`BaselineError::Io`].
    pub fn load(path: impl AsRef<Path>) -> Result<Option<Self>, BaselineError> {
        read_json(path.as_ref())
    }

    /// Writes the record as pretty JSON, atomically: a crash leaves the old file or the new
    /// one, never half of one. Missing parent directories are created.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), BaselineError> {
        write_json(path.as_ref(), self)
    }

    /// The change of every metric present in both runs with the same unit, with this run as
    /// the current one; the direction is this run's. Metrics new in this run, gone from it, or
    /// whose unit changed are left out: there is nothing meaningful to compare.
    ///
    /// ```
    /// use perfkit::baseline::{Direction, Measurement, RunRecord, Severity, Unit};
    ///
    /// let m = |v| Measurement::new(v, Unit::Seconds, Direction::LowerIsBetter);
    /// let mut before = RunRecord::new(1, "h", "c");
    /// before.insert("query.p95", m(0.100));
    /// let mut after = RunRecord::new(2, "h", "c");
    /// after.insert("query.p95", m(0.130));
    /// let changes = after.changes_since(&before);
    /// assert_eq!(changes["query.p95"].severity, Some(Severity::Critical)); // +30 %
    /// ```
    pub fn changes_since(&self, previous: &RunRecord) -> BTreeMap<String, Change> {
        self.results
            .iter()
            .filter_map(|(name, cur)| {
                let prev = previous.results.get(name)?;
                (prev.unit == cur.unit)
                    .then(|| (name.clone(), compare(prev.value, cur.value, cur.direction)))
            })
            .collect()
    }
}

/// A bounded list of runs in one JSON file, oldest first.
///
/// ```
/// use perfkit::baseline::{History, RunRecord};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("history.json");
/// let mut history = History::load(&path, 2).unwrap(); // missing file: empty
/// for t in 1..=3 {
///     history.push(RunRecord::new(t, "host", "cpu"));
/// }
/// history.save(&path).unwrap();
///
/// let back = History::load(&path, 2).unwrap();
/// assert_eq!(back.len(), 2); // the oldest run was dropped
/// assert_eq!(back.latest().unwrap().timestamp_unix_ms, 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    runs: VecDeque<RunRecord>,
    capacity: usize,
}

#[derive(Serialize, Deserialize)]
struct HistoryFile {
    runs: VecDeque<RunRecord>,
}

impl History {
    /// An empty history keeping at most `capacity` runs (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            runs: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Reads a history, keeping the newest `capacity` runs. A missing file is an empty
    /// history; corrupt contents are [`BaselineError::Corrupt`], as for [`RunRecord::load`].
    pub fn load(path: impl AsRef<Path>, capacity: usize) -> Result<Self, BaselineError> {
        let mut history = Self::new(capacity);
        if let Some(file) = read_json::<HistoryFile>(path.as_ref())? {
            for run in file.runs {
                history.push(run);
            }
        }
        Ok(history)
    }

    /// Writes the history atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), BaselineError> {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            runs: &'a VecDeque<RunRecord>,
        }
        write_json(path.as_ref(), &Borrowed { runs: &self.runs })
    }

    /// Appends a run, dropping the oldest when over capacity.
    pub fn push(&mut self, run: RunRecord) {
        self.runs.push_back(run);
        while self.runs.len() > self.capacity {
            self.runs.pop_front();
        }
    }

    /// The newest run.
    pub fn latest(&self) -> Option<&RunRecord> {
        self.runs.back()
    }

    /// The run before the newest one.
    pub fn previous(&self) -> Option<&RunRecord> {
        self.runs
            .len()
            .checked_sub(2)
            .and_then(|i| self.runs.get(i))
    }

    /// All runs, oldest first.
    pub fn runs(&self) -> impl ExactSizeIterator<Item = &RunRecord> + DoubleEndedIterator {
        self.runs.iter()
    }

    /// How many runs are kept.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether no run is kept.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The most runs kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Moves a (corrupt) file aside to `<name>.corrupt-<unix-ms>` in the same directory and
/// returns the new path, so its bytes are kept for inspection and the next save starts
/// afresh.
///
/// Never overwrites: if the name is taken (two quarantines in one millisecond), `-1`, `-2`,
/// ... is appended. A missing file is [`BaselineError::NotFound`].
///
/// ```
/// use perfkit::baseline::{quarantine, BaselineError, RunRecord};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("last-run.json");
/// std::fs::write(&path, b"{ not json").unwrap();
/// match RunRecord::load(&path) {
///     Err(BaselineError::Corrupt { .. }) => {
///         let kept = quarantine(&path).unwrap();
///         assert_eq!(std::fs::read(&kept).unwrap(), b"{ not json");
///     }
///     other => panic!("expected Corrupt, got {other:?}"),
/// }
/// assert!(RunRecord::load(&path).unwrap().is_none());
/// ```
pub fn quarantine(path: impl AsRef<Path>) -> Result<PathBuf, BaselineError> {
    let path = path.as_ref();
    // symlink_metadata: quarantine the link itself, and detect a missing file up front.
    std::fs::symlink_metadata(path).map_err(|e| BaselineError::io(path, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| BaselineError::InvalidArgument {
            reason: format!("{} has no file name", path.display()),
        })?
        .to_string_lossy()
        .into_owned();
    let stem = format!("{name}.corrupt-{}", unix_ms_now());
    for attempt in 0u32..10_000 {
        let candidate_name = if attempt == 0 {
            stem.clone()
        } else {
            format!("{stem}-{attempt}")
        };
        let candidate = path.with_file_name(candidate_name);
        match std::fs::symlink_metadata(&candidate) {
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::rename(path, &candidate).map_err(|e| BaselineError::io(path, e))?;
                return Ok(candidate);
            }
            Err(e) => return Err(BaselineError::io(candidate, e)),
        }
    }
    Err(BaselineError::InvalidArgument {
        reason: format!("no free quarantine name next to {}", path.display()),
    })
}

pub(crate) fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, BaselineError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BaselineError::io(path, e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| BaselineError::corrupt(path, e))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), BaselineError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| BaselineError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(|e| BaselineError::io(path, e))
}

/// JSON has no NaN or infinity; serde_json would write `null` and then refuse to read it
/// back into an `f64`, turning a saved run into a corrupt one.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
