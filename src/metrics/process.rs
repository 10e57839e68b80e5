//! Resource figures of the running process: resident and virtual memory, CPU use.

use std::time::{Duration, Instant};

use super::{Gauge, MetricsError, Registry};

/// One reading of the process's resources.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ProcessSample {
    /// Resident set size, bytes.
    pub resident_bytes: u64,
    /// Virtual memory size, bytes.
    pub virtual_bytes: u64,
    /// CPU time (user + system) used since the process started.
    pub cpu_time: Duration,
    /// CPU use since the previous sample, as a percentage of the whole machine (all cores
    /// together = 100 %); `None` on the first sample.
    pub cpu_percent: Option<f64>,
    /// The same CPU use as a percentage of one core (one busy thread = 100 %).
    pub cpu_percent_one_core: Option<f64>,
}

/// Reads the process's memory and CPU use from `/proc/self` (Linux only).
///
/// Each [`sample`](Self::sample) reports CPU use since the previous one, so sample on a fixed
/// interval to get an average over that interval.
///
/// ```
/// use perfkit::metrics::ProcessSampler;
///
/// let mut sampler = ProcessSampler::new();
/// match sampler.sample() {
///     Ok(first) => {
///         assert!(first.resident_bytes > 0);
///         assert!(first.virtual_bytes >= first.resident_bytes);
///         assert!(first.cpu_percent.is_none());
///     }
///     // Not Linux: a typed error, not a panic.
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
#[derive(Debug)]
pub struct ProcessSampler {
    previous: Option<(Instant, Duration)>,
    cores: usize,
}

/// Linux reports `utime`/`stime` in "USER_HZ" ticks, which the kernel fixes at 100 per
/// second for userspace on every mainstream architecture (it is not the scheduler's HZ).
const USER_HZ: u64 = 100;

impl ProcessSampler {
    /// A sampler; the first sample has no CPU percentage.
    pub fn new() -> Self {
        Self {
            previous: None,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Reads the current figures.
    pub fn sample(&mut self) -> Result<ProcessSample, MetricsError> {
        if !cfg!(target_os = "linux") {
            return Err(MetricsError::Unsupported {
                what: "process sampling (reads /proc)",
            });
        }
        let status = read("/proc/self/status")?;
        let resident_bytes = status_kib(&status, "VmRSS:")? * 1024;
        let virtual_bytes = status_kib(&status, "VmSize:")? * 1024;
        let cpu_time = cpu_time(&read("/proc/self/stat")?)?;
        let now = Instant::now();
        let (cpu_percent, cpu_percent_one_core) = match self.previous {
            Some((then, used)) => {
                let wall = now.duration_since(then).as_secs_f64();
                if wall > 0.0 {
                    let one = cpu_time.saturating_sub(used).as_secs_f64() / wall * 100.0;
                    (Some(one / self.cores as f64), Some(one))
                } else {
                    (None, None)
                }
            }
            None => (None, None),
        };
        self.previous = Some((now, cpu_time));
        Ok(ProcessSample {
            resident_bytes,
            virtual_bytes,
            cpu_time,
            cpu_percent,
            cpu_percent_one_core,
        })
    }

    /// Samples and publishes the standard Prometheus process metrics in `registry`:
    /// `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
    /// `process_cpu_time_seconds` (user + system CPU time, a gauge: it is read from the kernel, not counted here).
    pub fn publish(&mut self, registry: &Registry) -> Result<ProcessSample, MetricsError> {
        let s = self.sample()?;
        let set = |name: &str, help: &str, v: f64| -> Result<Gauge, MetricsError> {
            registry.describe(name, help);
            let g = registry.gauge(name, &[])?;
            g.set(v);
            Ok(g)
        };
        set(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            s.resident_bytes as f64,
        )?;
        set(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            s.virtual_bytes as f64,
        )?;
        set(
            "process_cpu_time_seconds",
            "Total user and system CPU time spent in seconds.",
            s.cpu_time.as_secs_f64(),
        )?;
        Ok(s)
    }
}

impl Default for ProcessSampler {
    fn default() -> Self {
        Self::new()
    }
}

fn read(path: &'static str) -> Result<String, MetricsError> {
    std::fs::read_to_string(path).map_err(|e| MetricsError::Process {
        reason: format!("{path}: {e}"),
    })
}

/// A `Key:   1234 kB` line of `/proc/self/status`.
fn status_kib(status: &str, key: &str) -> Result<u64, MetricsError> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| MetricsError::Process {
            reason: format!("/proc/self/status has no readable {key} line"),
        })
}

/// `utime + stime` from `/proc/self/stat`. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn cpu_time(stat: &str) -> Result<Duration, MetricsError> {
    let bad = || MetricsError::Process {
        reason: "/proc/self/stat is not in the expected format".to_string(),
    };
    let rest = stat.rfind(')').map(|i| &stat[i + 1..]).ok_or_else(bad)?;
    // After the name: state is field 3, utime field 14, stime field 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields
        .get(11)
        .and_then(|f| f.parse().ok())
        .ok_or_else(bad)?;
    let stime: u64 = fields
        .get(12)
        .and_then(|f| f.parse().ok())
        .ok_or_else(bad)?;
    let ticks = utime.saturating_add(stime);
    Ok(Duration::from_millis(ticks.saturating_mul(1000 / USER_HZ)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_name() {
        let stat = "4242 (my (odd) prog) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_time(stat).unwrap(), Duration::from_secs(3));
        assert!(cpu_time("garbage").is_err());
        assert!(cpu_time("1 (x) S 1 2").is_err());
    }

    #[test]
    fn parses_status_lines() {
        let status = "Name:\tx\nVmSize:\t  2048 kB\nVmRSS:\t   512 kB\n";
        assert_eq!(status_kib(status, "VmRSS:").unwrap(), 512);
        assert_eq!(status_kib(status, "VmSize:").unwrap(), 2048);
        assert!(status_kib(status, "VmSwap:").is_err());
    }
}
