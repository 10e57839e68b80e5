//! `register_metrics` plumbing: a pool's figures as pull-style series in a [`Registry`],
//! read when the registry renders.
//!
//! Series hold a `Weak` of the pool's shared state, so registering never keeps a pool alive,
//! and a dropped pool's series vanish at the next render.

use std::sync::{Arc, Weak};

use crate::metrics::{MetricsError, Registry};

/// Registers series named `{prefix}_{suffix}` over one pool's shared state `T`.
pub(crate) struct Exporter<'a, T> {
    registry: &'a Registry,
    prefix: &'a str,
    source: Weak<T>,
}

impl<'a, T: Send + Sync + 'static> Exporter<'a, T> {
    pub(crate) fn new(registry: &'a Registry, prefix: &'a str, source: &Arc<T>) -> Self {
        Self {
            registry,
            prefix,
            source: Arc::downgrade(source),
        }
    }

    pub(crate) fn counter(
        &self,
        suffix: &str,
        labels: &[(&str, &str)],
        read: impl Fn(&T) -> u64 + Send + Sync + 'static,
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
        read: impl Fn(&T) -> f64 + Send + Sync + 'static,
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
