use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

use super::histogram::{Histogram, HistogramOpts};
use super::{Counter, Gauge, MetricsError};

/// A set of named, labelled metrics that renders as Prometheus text.
///
/// Asking for a metric that exists returns a handle to the same one (get-or-create), so code
/// can look handles up once and keep them: a handle is an `Arc`, cheap to clone, and
/// recording through it never touches the registry again.
///
/// ```
/// use perfkit::metrics::Registry;
///
/// let registry = Registry::new();
/// registry.describe("jobs_done_total", "Jobs finished, by queue.");
/// let fast = registry.counter("jobs_done_total", &[("queue", "fast")]).unwrap();
/// let again = registry.counter("jobs_done_total", &[("queue", "fast")]).unwrap();
/// fast.inc();
/// again.inc();
/// assert_eq!(fast.get(), 2);
///
/// // One name, one kind.
/// assert!(registry.gauge("jobs_done_total", &[]).is_err());
///
/// let text = registry.render_prometheus();
/// assert!(text.contains("# TYPE jobs_done_total counter"));
/// assert!(text.contains("jobs_done_total{queue=\"fast\"} 2"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    families: RwLock<BTreeMap<String, Family>>,
    help: RwLock<HashMap<String, String>>,
}

/// A label set in canonical (sorted by name) order.
pub(crate) type Labels = Vec<(String, String)>;

#[derive(Debug, Clone)]
pub(crate) struct Family {
    pub(crate) kind: Kind,
    pub(crate) series: BTreeMap<Labels, Metric>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Metric {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
    CounterFn(Callback<u64>),
    GaugeFn(Callback<f64>),
}

impl Metric {
    fn kind(&self) -> Kind {
        match self {
            Metric::Counter(_) | Metric::CounterFn(_) => Kind::Counter,
            Metric::Gauge(_) | Metric::GaugeFn(_) => Kind::Gauge,
            Metric::Histogram(_) => Kind::Histogram,
        }
    }

    fn style(&self) -> &'static str {
        match self {
            Metric::CounterFn(_) | Metric::GaugeFn(_) => "callback",
            _ => "handle",
        }
    }
}

/// A value read when the registry renders; `None` means its source is gone.
pub(crate) struct Callback<T>(Arc<dyn Fn() -> Option<T> + Send + Sync>);

impl<T> Callback<T> {
    pub(crate) fn read(&self) -> Option<T> {
        (self.0)()
    }

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Clone for Callback<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> fmt::Debug for Callback<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Callback")
    }
}

/// Whether `name` is a valid Prometheus metric name.
pub(crate) fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a valid label name that is not reserved (`__` prefix) nor `le`/`quantile`
/// (which the exposition format itself uses).
pub(crate) fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with("__")
}

fn canonical_labels(labels: &[(&str, &str)]) -> Result<Labels, MetricsError> {
    let mut out: Labels = Vec::with_capacity(labels.len());
    for (k, v) in labels {
        if !valid_label_name(k) {
            return Err(MetricsError::InvalidLabelName {
                name: (*k).to_string(),
            });
        }
        out.push(((*k).to_string(), (*v).to_string()));
    }
    out.sort();
    if let Some(w) = out.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(MetricsError::DuplicateLabel {
            name: w[0].0.clone(),
        });
    }
    Ok(out)
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the `# HELP` text of a metric name (before or after it is created).
    pub fn describe(&self, name: &str, help: &str) {
        self.inner
            .help
            .write()
            .insert(name.to_string(), help.to_string());
    }

    /// The counter `name` with `labels`, created at zero if new.
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> Result<Counter, MetricsError> {
        match self.get_or_create(name, labels, Kind::Counter, None, || {
            Metric::Counter(Counter::new())
        })? {
            Metric::Counter(c) => Ok(c),
            // get_or_create checked the family's kind; a different metric cannot come back.
            other => Err(mismatch(name, other.kind(), Kind::Counter)),
        }
    }

    /// The gauge `name` with `labels`, created at 0.0 if new.
    pub fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Result<Gauge, MetricsError> {
        match self.get_or_create(name, labels, Kind::Gauge, None, || {
            Metric::Gauge(Gauge::new())
        })? {
            Metric::Gauge(g) => Ok(g),
            // get_or_create checked the family's kind; a different metric cannot come back.
            other => Err(mismatch(name, other.kind(), Kind::Gauge)),
        }
    }

    /// The histogram `name` with `labels`, created empty with [`HistogramOpts::latency`]
    /// (record nanoseconds, exported as seconds) if new.
    pub fn histogram(
        &self,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Histogram, MetricsError> {
        self.histogram_with(name, labels, HistogramOpts::latency())
    }

    /// The histogram `name` with `labels`, created with `opts` if new. All series of one name
    /// share their options; asking with different ones is [`MetricsError::OptionsMismatch`].
    pub fn histogram_with(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        opts: HistogramOpts,
    ) -> Result<Histogram, MetricsError> {
        let wanted = opts.clone();
        match self.get_or_create(name, labels, Kind::Histogram, Some(&wanted), move || {
            Metric::Histogram(Histogram::with_opts(opts))
        })? {
            Metric::Histogram(h) => Ok(h),
            // get_or_create checked the family's kind; a different metric cannot come back.
            other => Err(mismatch(name, other.kind(), Kind::Histogram)),
        }
    }

    /// Registers a counter whose value is read from `f` each time the registry renders, for
    /// totals a component already keeps (a pool's creations, a cache's hits) so nothing is
    /// counted twice.
    ///
    /// Return `None` once the source is gone: the series is then dropped at that render.
    /// Capturing a [`Weak`](std::sync::Weak) of the source keeps the registry from holding
    /// it alive. Registering the same name and labels again replaces the earlier callback, so
    /// a component that is rebuilt can register under its old name. The callback runs outside
    /// the registry's locks and may itself use the registry. A name holds one kind; a series
    /// that exists as a handle ([`Registry::counter`]) is [`MetricsError::StyleMismatch`].
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let hits = Arc::new(AtomicU64::new(0));
    /// let registry = Registry::new();
    /// let source = Arc::downgrade(&hits);
    /// registry
    ///     .counter_fn("cache_hits_total", &[("tier", "memory")], move || {
    ///         source.upgrade().map(|h| h.load(Ordering::Relaxed))
    ///     })
    ///     .unwrap();
    ///
    /// hits.fetch_add(3, Ordering::Relaxed);
    /// assert!(registry.render_prometheus().contains("cache_hits_total{tier=\"memory\"} 3"));
    ///
    /// drop(hits); // the source is gone, and so is its series
    /// assert!(!registry.render_prometheus().contains("cache_hits_total"));
    /// ```
    pub fn counter_fn<F>(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        f: F,
    ) -> Result<(), MetricsError>
    where
        F: Fn() -> Option<u64> + Send + Sync + 'static,
    {
        self.set_callback(
            name,
            labels,
            Kind::Counter,
            Metric::CounterFn(Callback(Arc::new(f))),
        )
    }

    /// Registers a gauge whose value is read from `f` each time the registry renders; the
    /// rules are those of [`Registry::counter_fn`].
    ///
    /// ```
    /// use perfkit::metrics::Registry;
    ///
    /// let registry = Registry::new();
    /// registry.gauge_fn("pool_idle", &[], || Some(4.0)).unwrap();
    /// assert!(registry.render_prometheus().contains("pool_idle 4"));
    /// ```
    pub fn gauge_fn<F>(&self, name: &str, labels: &[(&str, &str)], f: F) -> Result<(), MetricsError>
    where
        F: Fn() -> Option<f64> + Send + Sync + 'static,
    {
        self.set_callback(
            name,
            labels,
            Kind::Gauge,
            Metric::GaugeFn(Callback(Arc::new(f))),
        )
    }

    fn set_callback(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
        metric: Metric,
    ) -> Result<(), MetricsError> {
        if !valid_metric_name(name) {
            return Err(MetricsError::InvalidMetricName {
                name: name.to_string(),
            });
        }
        let labels = canonical_labels(labels)?;
        let mut families = self.inner.families.write();
        let family = families.entry(name.to_string()).or_insert_with(|| Family {
            kind,
            series: BTreeMap::new(),
        });
        if family.kind != kind {
            return Err(mismatch(name, family.kind, kind));
        }
        if let Some(existing) = family.series.get(&labels)
            && existing.style() != metric.style()
        {
            return Err(style_mismatch(name, existing.style(), metric.style()));
        }
        family.series.insert(labels, metric);
        Ok(())
    }

    fn get_or_create(
        &self,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
        opts: Option<&HistogramOpts>,
        make: impl FnOnce() -> Metric,
    ) -> Result<Metric, MetricsError> {
        if !valid_metric_name(name) {
            return Err(MetricsError::InvalidMetricName {
                name: name.to_string(),
            });
        }
        let labels = canonical_labels(labels)?;
        let check = |family: &Family| -> Result<Option<Metric>, MetricsError> {
            if family.kind != kind {
                return Err(mismatch(name, family.kind, kind));
            }
            if let (Some(wanted), Some(Metric::Histogram(h))) =
                (opts, family.series.values().next())
                && h.opts() != wanted
            {
                return Err(MetricsError::OptionsMismatch {
                    name: name.to_string(),
                });
            }
            match family.series.get(&labels) {
                Some(found @ (Metric::CounterFn(_) | Metric::GaugeFn(_))) => {
                    Err(style_mismatch(name, found.style(), "handle"))
                }
                found => Ok(found.cloned()),
            }
        };
        if let Some(family) = self.inner.families.read().get(name)
            && let Some(found) = check(family)?
        {
            return Ok(found);
        }
        let mut families = self.inner.families.write();
        let family = families.entry(name.to_string()).or_insert_with(|| Family {
            kind,
            series: BTreeMap::new(),
        });
        // Someone may have created it between our read and write locks.
        if let Some(found) = check(family)? {
            return Ok(found);
        }
        let metric = make();
        family.series.insert(labels, metric.clone());
        Ok(metric)
    }

    /// Removes every series of `name`; handles already given out keep working but are no
    /// longer rendered. Returns whether the name existed.
    pub fn remove(&self, name: &str) -> bool {
        self.inner.families.write().remove(name).is_some()
    }

    /// Calls `f` with each family, in name order, on a copy taken under the read lock: the
    /// copy holds handles (`Arc`s), so values are current, and callbacks run with no lock held.
    pub(crate) fn visit(&self, mut f: impl FnMut(&str, Option<&str>, &Family)) {
        let families: Vec<(String, Option<String>, Family)> = {
            let families = self.inner.families.read();
            let help = self.inner.help.read();
            families
                .iter()
                .map(|(name, family)| (name.clone(), help.get(name).cloned(), family.clone()))
                .collect()
        };
        for (name, help, family) in &families {
            f(name, help.as_deref(), family);
        }
    }

    /// Drops a callback series whose source reported itself gone, unless it was replaced
    /// in the meantime; a family left empty goes too, so its name is free again.
    pub(crate) fn drop_gone(&self, name: &str, labels: &Labels, gone: &Metric) {
        let mut families = self.inner.families.write();
        let Some(family) = families.get_mut(name) else {
            return;
        };
        let same = match (family.series.get(labels), gone) {
            (Some(Metric::CounterFn(a)), Metric::CounterFn(b)) => a.same(b),
            (Some(Metric::GaugeFn(a)), Metric::GaugeFn(b)) => a.same(b),
            _ => false,
        };
        if same {
            family.series.remove(labels);
            if family.series.is_empty() {
                families.remove(name);
            }
        }
    }
}

fn mismatch(name: &str, existing: Kind, requested: Kind) -> MetricsError {
    MetricsError::TypeMismatch {
        name: name.to_string(),
        existing: existing.name(),
        requested: requested.name(),
    }
}

fn style_mismatch(name: &str, existing: &'static str, requested: &'static str) -> MetricsError {
    MetricsError::StyleMismatch {
        name: name.to_string(),
        existing,
        requested,
    }
}

/// The process-wide registry, created empty on first use.
///
/// ```
/// let hits = perfkit::metrics::global().counter("doc_global_hits_total", &[]).unwrap();
/// hits.inc();
/// assert!(perfkit::metrics::global().render_prometheus().contains("doc_global_hits_total 1"));
/// ```
pub fn global() -> &'static Registry {
    static GLOBAL: OnceLock<Registry> = OnceLock::new();
    GLOBAL.get_or_init(Registry::new)
}
