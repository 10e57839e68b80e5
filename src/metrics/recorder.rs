//! A recorder for the [`metrics`](https://docs.rs/metrics) facade, so `metrics::counter!` and
//! friends in any crate land in a perfkit [`Registry`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics_facade as facade;

use super::counter::CounterCore;
use super::gauge::GaugeCore;
use super::histogram::HistogramOpts;
use super::registry::{valid_label_name, valid_metric_name};
use super::{Histogram, MetricsError, Registry};

/// Routes the `metrics` facade's macros into a [`Registry`].
///
/// Names and label names that Prometheus would reject (`http.requests`, `status-code`) have
/// each bad character replaced by `_`, as the Prometheus exporter for the facade does.
/// Histograms of the facade record `f64` values in seconds by default (exported as seconds,
/// kept at nanosecond resolution); pick other options with
/// [`with_histogram_opts`](Self::with_histogram_opts). A facade call that clashes with an
/// existing metric of another kind gets a no-op handle and is counted in
/// [`errors`](Self::errors), never a panic.
///
/// ```
/// use perfkit::metrics::{FacadeRecorder, Registry};
///
/// let registry = Registry::new();
/// let recorder = FacadeRecorder::new(registry.clone());
/// perfkit::metrics::facade::with_local_recorder(&recorder, || {
///     perfkit::metrics::facade::counter!("orders.placed", "region" => "eu").increment(3);
///     perfkit::metrics::facade::histogram!("order_latency_seconds").record(0.020);
/// });
/// let text = registry.render_prometheus();
/// assert!(text.contains("orders_placed{region=\"eu\"} 3"));
/// assert!(text.contains("order_latency_seconds_count 1"));
/// ```
///
/// (`perfkit::metrics::facade` re-exports the `metrics` crate this recorder is built for; in
/// your code it is usually plain `metrics::counter!`.)
#[derive(Debug, Clone)]
pub struct FacadeRecorder {
    registry: Registry,
    histogram_opts: HistogramOpts,
    errors: Arc<AtomicU64>,
}

impl FacadeRecorder {
    /// A recorder writing into `registry`.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            histogram_opts: HistogramOpts::latency(),
            errors: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Export options for histograms the facade creates (default: values in seconds,
    /// [`HistogramOpts::latency`]).
    #[must_use]
    pub fn with_histogram_opts(mut self, opts: HistogramOpts) -> Self {
        self.histogram_opts = opts;
        self
    }

    /// Installs this recorder as the process-wide recorder of the `metrics` facade. Only one
    /// recorder can ever be installed per process.
    pub fn install(self) -> Result<(), MetricsError> {
        facade::set_global_recorder(self).map_err(|_| MetricsError::RecorderAlreadyInstalled)
    }

    /// Facade registrations that could not be honoured (a name already used by another kind
    /// of metric), each served a no-op handle instead.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Replaces every character Prometheus rejects with `_`, and prefixes a `_` where the first
/// character may not start a name.
fn sanitize(name: &str, valid: fn(&str) -> bool, allow_colon: bool) -> String {
    if valid(name) {
        return name.to_string();
    }
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || (allow_colon && c == ':') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    // Label names starting with `__` are reserved for Prometheus itself.
    if !allow_colon && out.starts_with("__") {
        out.replace_range(0..2, "x_");
    }
    out
}

fn key_parts(key: &facade::Key) -> (String, Vec<(String, String)>) {
    let name = sanitize(key.name(), valid_metric_name, true);
    let labels = key
        .labels()
        .map(|l| {
            (
                sanitize(l.key(), valid_label_name, false),
                l.value().to_string(),
            )
        })
        .collect();
    (name, labels)
}

fn borrowed(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

impl facade::CounterFn for CounterCore {
    fn increment(&self, value: u64) {
        self.add(value);
    }

    fn absolute(&self, value: u64) {
        self.raise_to(value);
    }
}

impl facade::GaugeFn for GaugeCore {
    fn increment(&self, value: f64) {
        self.add(value);
    }

    fn decrement(&self, value: f64) {
        self.add(-value);
    }

    fn set(&self, value: f64) {
        GaugeCore::set(self, value);
    }
}

/// The facade's histogram handle: values arrive as `f64` in exported units.
#[derive(Debug)]
struct FacadeHistogram(Histogram);

impl facade::HistogramFn for FacadeHistogram {
    #[inline]
    fn record(&self, value: f64) {
        self.0.record_scaled(value);
    }
}

impl facade::Recorder for FacadeRecorder {
    fn describe_counter(
        &self,
        key: facade::KeyName,
        _unit: Option<facade::Unit>,
        description: facade::SharedString,
    ) {
        let name = sanitize(key.as_str(), valid_metric_name, true);
        self.registry.describe(&name, &description);
    }

    fn describe_gauge(
        &self,
        key: facade::KeyName,
        _unit: Option<facade::Unit>,
        description: facade::SharedString,
    ) {
        let name = sanitize(key.as_str(), valid_metric_name, true);
        self.registry.describe(&name, &description);
    }

    fn describe_histogram(
        &self,
        key: facade::KeyName,
        _unit: Option<facade::Unit>,
        description: facade::SharedString,
    ) {
        let name = sanitize(key.as_str(), valid_metric_name, true);
        self.registry.describe(&name, &description);
    }

    fn register_counter(&self, key: &facade::Key, _: &facade::Metadata<'_>) -> facade::Counter {
        let (name, labels) = key_parts(key);
        match self.registry.counter(&name, &borrowed(&labels)) {
            Ok(c) => facade::Counter::from_arc(Arc::clone(c.core())),
            Err(_) => {
                self.failed();
                facade::Counter::noop()
            }
        }
    }

    fn register_gauge(&self, key: &facade::Key, _: &facade::Metadata<'_>) -> facade::Gauge {
        let (name, labels) = key_parts(key);
        match self.registry.gauge(&name, &borrowed(&labels)) {
            Ok(g) => facade::Gauge::from_arc(Arc::clone(g.core())),
            Err(_) => {
                self.failed();
                facade::Gauge::noop()
            }
        }
    }

    fn register_histogram(&self, key: &facade::Key, _: &facade::Metadata<'_>) -> facade::Histogram {
        let (name, labels) = key_parts(key);
        match self
            .registry
            .histogram_with(&name, &borrowed(&labels), self.histogram_opts.clone())
        {
            Ok(h) => facade::Histogram::from_arc(Arc::new(FacadeHistogram(h))),
            Err(_) => {
                self.failed();
                facade::Histogram::noop()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_names() {
        assert_eq!(
            sanitize("http.requests", valid_metric_name, true),
            "http_requests"
        );
        assert_eq!(sanitize("9lives", valid_metric_name, true), "_9lives");
        assert_eq!(sanitize("a:b", valid_metric_name, true), "a:b");
        assert_eq!(
            sanitize("status-code", valid_label_name, false),
            "status_code"
        );
        assert_eq!(sanitize("__x", valid_label_name, false), "x_x");
        assert_eq!(sanitize("", valid_label_name, false), "_");
    }
}
