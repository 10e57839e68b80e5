//! The plumbing behind every module's `register_metrics`: a component's figures as
//! pull-style series in a [`Registry`], read when the registry renders.
//!
//! Series hold a `Weak` of the component's shared state, so registering never keeps a pool,
//! breaker or balancer alive, and a dropped one's series vanish at the next render.

use std::sync::{Arc, Weak};

use crate::metrics::{MetricsError, Registry};

/// Registers series named `{prefix}_{suffix}` over one component's shared state `T`.
pub(crate) struct Exporter<'a, T> {
    registry: &'a Registry,
    prefix: &'a str,
    source: Weak<T>,
}

impl<'a, T: Send + Sync + 'static> Exporter<'a, T> {
    /// Checks `prefix` once, so a bad one fails before any series is registered.
    pub(crate) fn new(
        registry: &'a Registry,
        prefix: &'a str,
        source: &Arc<T>,
    ) -> Result<Self, MetricsError> {
        let valid = prefix
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !valid {
            return Err(MetricsError::InvalidMetricName {
                name: prefix.to_string(),
            });
        }
        Ok(Self {
            registry,
            prefix,
            source: Arc::downgrade(source),
        })
    }

    pub(crate) fn counter(
        &self,
        suffix: &str,
        labels: &[(&str, &str)],
        read: impl Fn(&Arc<T>) -> u64 + Send + Sync + 'static,
    ) -> Result<(), MetricsError> {
        let source = self.source.clone();
        self.registry
            .counter_fn(&self.name(suffix), labels, move || {
                source.upgrade().map(|s| read(&s))
            })
    }

    pub(crate) fn gauge(
        &self,
        suffix: &str,
        labels: &[(&str, &str)],
        read: impl Fn(&Arc<T>) -> f64 + Send + Sync + 'static,
    ) -> Result<(), MetricsError> {
        let source = self.source.clone();
        self.registry.gauge_fn(&self.name(suffix), labels, move || {
            source.upgrade().map(|s| read(&s))
        })
    }

    fn name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.prefix)
    }
}

#[cfg(feature = "resilience")]
/// A rate in percent, or NaN while there are too few calls to judge (Prometheus compares
/// NaN false, so an alert on the rate stays quiet until it means something).
pub(crate) fn rate_or_nan(rate: Option<f32>) -> f64 {
    rate.map_or(f64::NAN, f64::from)
}

/// A label value and how to read its figure from a stats snapshot.
pub(crate) type Field<S, V> = (&'static str, fn(&S) -> V);
