//! Alerts, where they go, and the cooldown that keeps them from flooding.

use super::error::BaselineError;
use super::verdict::Severity;
use crate::clock::{Clock, MonotonicClock};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// One alert about one metric.
///
/// ```
/// use perfkit::baseline::{Alert, Severity};
///
/// let a = Alert::new("api.simple_query.p95", Severity::High, "p95 620 ms (< 500 ms)");
/// assert_eq!(a.to_string(), "[HIGH] api.simple_query.p95: p95 620 ms (< 500 ms)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Alert {
    /// The metric it is about; the cooldown is kept per metric.
    pub metric: String,
    /// How bad it is.
    pub severity: Severity,
    /// What happened, for people.
    pub message: String,
}

impl Alert {
    /// An alert about `metric`.
    pub fn new(metric: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            metric: metric.into(),
            severity,
            message: message.into(),
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.metric, self.message)
    }
}

/// Somewhere alerts go: a terminal, a chat hook, a pager.
///
/// Implementations must be cheap to call from any thread; a failed delivery is reported as
/// [`BaselineError::Notify`] (or any other variant) and the [`Alerter`] does not count it as
/// sent.
pub trait Notifier: Send + Sync {
    /// Delivers one alert.
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError>;
}

impl<N: Notifier + ?Sized> Notifier for Arc<N> {
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError> {
        (**self).notify(alert)
    }
}

impl<N: Notifier + ?Sized> Notifier for Box<N> {
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError> {
        (**self).notify(alert)
    }
}

/// Writes each alert as one line on standard error.
///
/// Line breaks and other control characters inside the metric or message are replaced by
/// spaces, so one alert is always one line for log collectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrNotifier;

impl Notifier for StderrNotifier {
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError> {
        let line: String = alert
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        writeln!(std::io::stderr().lock(), "{line}").map_err(|e| BaselineError::Notify {
            reason: e.to_string(),
        })
    }
}

/// Keeps alerts in memory, for tests and for showing them in a report afterwards.
///
/// Clones share the same storage, so keep one clone and hand the other to an [`Alerter`].
///
/// ```
/// use perfkit::baseline::{Alert, MemoryNotifier, Notifier, Severity};
///
/// let sink = MemoryNotifier::new();
/// sink.clone().notify(&Alert::new("cache.hit_ratio", Severity::Medium, "80 %")).unwrap();
/// assert_eq!(sink.alerts().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryNotifier {
    alerts: Arc<Mutex<Vec<Alert>>>,
}

impl MemoryNotifier {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every alert received so far, oldest first.
    pub fn alerts(&self) -> Vec<Alert> {
        lock(&self.alerts).clone()
    }

    /// How many alerts were received.
    pub fn len(&self) -> usize {
        lock(&self.alerts).len()
    }

    /// Whether no alert was received.
    pub fn is_empty(&self) -> bool {
        lock(&self.alerts).is_empty()
    }

    /// Forgets every alert received so far.
    pub fn clear(&self) {
        lock(&self.alerts).clear();
    }
}

impl Notifier for MemoryNotifier {
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError> {
        lock(&self.alerts).push(alert.clone());
        Ok(())
    }
}

// A panic elsewhere while holding one of these locks leaves plain data that is still
// consistent (a pushed alert or an updated timestamp), so poisoning is ignored rather than
// turned into a second panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LastSent {
    at: Duration,
    severity: Severity,
}

/// Above this many remembered metrics, entries whose cooldown is over are dropped, so a
/// stream of distinct metric names cannot grow memory without bound.
const PRUNE_ABOVE: usize = 1024;

/// Sends alerts through a [`Notifier`], at most one per metric per cooldown.
///
/// The rule, per metric name:
///
/// - the first alert is sent;
/// - a later alert within `cooldown` of the last one *sent* is suppressed, **unless its
///   severity is strictly higher** than that last one, because an escalation (say `Medium`
///   to `Critical`) is news the on-call person must not miss;
/// - once `cooldown` has passed, the next alert is sent whatever its severity.
///
/// Every sent alert restarts that metric's cooldown. Suppressed alerts are only counted
/// ([`Alerter::suppressed`]). Time comes from a [`Clock`], the real monotonic one unless
/// [`Alerter::with_clock`] says otherwise, so tests can drive it by hand.
///
/// ```
/// use perfkit::baseline::{Alert, Alerter, MemoryNotifier, Severity};
/// use perfkit::clock::ManualClock;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let sink = MemoryNotifier::new();
/// let clock = ManualClock::new();
/// let alerter = Alerter::new(sink.clone(), Duration::from_secs(300))
///     .with_clock(Arc::new(clock.clone()));
///
/// let high = Alert::new("api.simple_query.p95", Severity::High, "p95 620 ms");
/// assert!(alerter.raise(&high).unwrap());   // first: sent
/// assert!(!alerter.raise(&high).unwrap());  // repeat within 5 min: suppressed
/// let critical = Alert::new("api.simple_query.p95", Severity::Critical, "p95 900 ms");
/// assert!(alerter.raise(&critical).unwrap()); // escalation: sent
/// clock.advance(Duration::from_secs(300));
/// assert!(alerter.raise(&high).unwrap());   // cooldown over: sent
/// assert_eq!(sink.len(), 3);
/// assert_eq!(alerter.suppressed(), 1);
/// ```
pub struct Alerter {
    notifier: Box<dyn Notifier>,
    cooldown: Duration,
    clock: Arc<dyn Clock>,
    last: Mutex<HashMap<String, LastSent>>,
    sent: AtomicU64,
    suppressed: AtomicU64,
}

impl fmt::Debug for Alerter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alerter")
            .field("cooldown", &self.cooldown)
            .field("clock", &self.clock)
            .field("sent", &self.sent())
            .field("suppressed", &self.suppressed())
            .finish_non_exhaustive()
    }
}

impl Alerter {
    /// An alerter sending through `notifier`, with at most one alert per metric per
    /// `cooldown` (escalations excepted). A zero cooldown sends everything.
    pub fn new(notifier: impl Notifier + 'static, cooldown: Duration) -> Self {
        Self {
            notifier: Box::new(notifier),
            cooldown,
            clock: Arc::new(MonotonicClock::new()),
            last: Mutex::new(HashMap::new()),
            sent: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Uses `clock` instead of the real monotonic clock (default).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cooldown per metric.
    pub fn cooldown(&self) -> Duration {
        self.cooldown
    }

    /// Sends `alert` unless the cooldown rule (see [`Alerter`]) suppresses it.
    ///
    /// Returns `Ok(true)` when it was sent, `Ok(false)` when it was suppressed. When the
    /// notifier fails the error is returned and the alert does not count as sent, so the
    /// next attempt is not held back by a cooldown for an alert nobody saw.
    pub fn raise(&self, alert: &Alert) -> Result<bool, BaselineError> {
        let now = self.clock.now();
        let mine = LastSent {
            at: now,
            severity: alert.severity,
        };
        // Reserve the slot before notifying, and notify without the lock held, so a slow
        // notifier (a webhook) does not stall alerts for other metrics, and two threads
        // raising the same alert at once send it once.
        let before = {
            let mut last = lock(&self.last);
            let before = last.get(&alert.metric).copied();
            if let Some(prev) = before {
                let within = now.saturating_sub(prev.at) < self.cooldown;
                if within && alert.severity <= prev.severity {
                    self.suppressed.fetch_add(1, Ordering::Relaxed);
                    return Ok(false);
                }
            }
            if last.len() >= PRUNE_ABOVE {
                let cooldown = self.cooldown;
                last.retain(|_, l| now.saturating_sub(l.at) < cooldown);
            }
            last.insert(alert.metric.clone(), mine);
            before
        };
        match self.notifier.notify(alert) {
            Ok(()) => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Err(e) => {
                let mut last = lock(&self.last);
                // Roll back only our own reservation; a later alert may have replaced it.
                if last.get(&alert.metric) == Some(&mine) {
                    match before {
                        Some(prev) => last.insert(alert.metric.clone(), prev),
                        None => last.remove(&alert.metric),
                    };
                }
                Err(e)
            }
        }
    }

    /// How many alerts were sent.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// How many alerts the cooldown suppressed.
    pub fn suppressed(&self) -> u64 {
        self.suppressed.load(Ordering::Relaxed)
    }
}
