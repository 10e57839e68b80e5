use perfkit::baseline::{
    Alert, Alerter, BaselineError, MemoryNotifier, Notifier, Severity, StderrNotifier,
};
use perfkit::clock::ManualClock;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const COOLDOWN: Duration = Duration::from_secs(300);

fn setup() -> (Alerter, MemoryNotifier, ManualClock) {
    let sink = MemoryNotifier::new();
    let clock = ManualClock::new();
    let alerter = Alerter::new(sink.clone(), COOLDOWN).with_clock(Arc::new(clock.clone()));
    (alerter, sink, clock)
}

fn alert(metric: &str, severity: Severity) -> Alert {
    Alert::new(metric, severity, format!("{metric} is {severity}"))
}

#[test]
fn repeats_within_cooldown_are_suppressed() {
    let (alerter, sink, clock) = setup();
    assert!(alerter.raise(&alert("a", Severity::High)).unwrap());
    clock.advance(Duration::from_secs(10));
    assert!(!alerter.raise(&alert("a", Severity::High)).unwrap());
    clock.advance(COOLDOWN - Duration::from_secs(11));
    assert!(
        !alerter.raise(&alert("a", Severity::Medium)).unwrap(),
        "lower severity, 1 s before the end"
    );
    assert_eq!(sink.len(), 1);
    assert_eq!(alerter.sent(), 1);
    assert_eq!(alerter.suppressed(), 2);
}

#[test]
fn sends_again_once_the_cooldown_is_over() {
    let (alerter, sink, clock) = setup();
    assert!(alerter.raise(&alert("a", Severity::High)).unwrap());
    clock.advance(COOLDOWN);
    assert!(
        alerter.raise(&alert("a", Severity::Low)).unwrap(),
        "cooldown over: any severity"
    );
    // The send restarted the cooldown.
    clock.advance(Duration::from_secs(1));
    assert!(!alerter.raise(&alert("a", Severity::Low)).unwrap());
    assert_eq!(sink.len(), 2);
}

#[test]
fn a_strictly_higher_severity_breaks_through() {
    let (alerter, sink, _clock) = setup();
    assert!(alerter.raise(&alert("a", Severity::Medium)).unwrap());
    assert!(
        !alerter.raise(&alert("a", Severity::Medium)).unwrap(),
        "same severity is not news"
    );
    assert!(alerter.raise(&alert("a", Severity::High)).unwrap());
    assert!(alerter.raise(&alert("a", Severity::Critical)).unwrap());
    assert!(
        !alerter.raise(&alert("a", Severity::High)).unwrap(),
        "compared with the last sent: Critical"
    );
    let got: Vec<_> = sink.alerts().into_iter().map(|a| a.severity).collect();
    assert_eq!(got, [Severity::Medium, Severity::High, Severity::Critical]);
    assert_eq!(alerter.suppressed(), 2);
}

#[test]
fn cooldown_is_per_metric() {
    let (alerter, sink, _clock) = setup();
    assert!(alerter.raise(&alert("a", Severity::High)).unwrap());
    assert!(alerter.raise(&alert("b", Severity::High)).unwrap());
    assert!(!alerter.raise(&alert("a", Severity::High)).unwrap());
    assert_eq!(
        sink.alerts()
            .iter()
            .map(|a| a.metric.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn zero_cooldown_sends_everything() {
    let sink = MemoryNotifier::new();
    let alerter =
        Alerter::new(sink.clone(), Duration::ZERO).with_clock(Arc::new(ManualClock::new()));
    for _ in 0..3 {
        assert!(alerter.raise(&alert("a", Severity::Low)).unwrap());
    }
    assert_eq!(sink.len(), 3);
    assert_eq!(alerter.suppressed(), 0);
}

#[derive(Default)]
struct Flaky {
    fail: AtomicBool,
    inner: MemoryNotifier,
}

impl Notifier for Flaky {
    fn notify(&self, alert: &Alert) -> Result<(), BaselineError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(BaselineError::Notify {
                reason: "hook down".into(),
            });
        }
        self.inner.notify(alert)
    }
}

#[test]
fn a_failed_delivery_does_not_start_the_cooldown() {
    let flaky = Arc::new(Flaky::default());
    flaky.fail.store(true, Ordering::SeqCst);
    let alerter = Alerter::new(flaky.clone(), COOLDOWN).with_clock(Arc::new(ManualClock::new()));
    let err = alerter.raise(&alert("a", Severity::High)).unwrap_err();
    assert!(matches!(err, BaselineError::Notify { .. }), "{err}");
    assert_eq!(alerter.sent(), 0);
    flaky.fail.store(false, Ordering::SeqCst);
    assert!(
        alerter.raise(&alert("a", Severity::High)).unwrap(),
        "retry must not be suppressed"
    );
    assert_eq!(flaky.inner.len(), 1);
}

#[test]
fn a_failed_escalation_restores_the_previous_cooldown() {
    let flaky = Arc::new(Flaky::default());
    let clock = ManualClock::new();
    let alerter = Alerter::new(flaky.clone(), COOLDOWN).with_clock(Arc::new(clock.clone()));
    assert!(alerter.raise(&alert("a", Severity::Medium)).unwrap());
    flaky.fail.store(true, Ordering::SeqCst);
    assert!(alerter.raise(&alert("a", Severity::Critical)).is_err());
    flaky.fail.store(false, Ordering::SeqCst);
    assert!(
        !alerter.raise(&alert("a", Severity::Medium)).unwrap(),
        "Medium cooldown still holds"
    );
    assert!(
        alerter.raise(&alert("a", Severity::Critical)).unwrap(),
        "escalation retried"
    );
}

#[test]
fn concurrent_raises_send_once() {
    let (alerter, sink, _clock) = setup();
    let alerter = Arc::new(alerter);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let alerter = alerter.clone();
            std::thread::spawn(move || alerter.raise(&alert("a", Severity::High)).unwrap())
        })
        .collect();
    let sent = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|s| *s)
        .count();
    assert_eq!(sent, 1);
    assert_eq!(sink.len(), 1);
    assert_eq!(alerter.suppressed(), 7);
}

#[test]
fn memory_notifier_clones_share_storage() {
    let a = MemoryNotifier::new();
    let b = a.clone();
    assert!(a.is_empty());
    b.notify(&alert("x", Severity::Low)).unwrap();
    assert_eq!(a.alerts(), vec![alert("x", Severity::Low)]);
    a.clear();
    assert!(b.is_empty());
}

#[test]
fn stderr_notifier_accepts_multiline_messages() {
    StderrNotifier
        .notify(&Alert::new("m", Severity::Low, "line one\nline two"))
        .unwrap();
}

#[test]
fn alert_display() {
    assert_eq!(
        Alert::new("cache.hit_ratio", Severity::Critical, "60 %").to_string(),
        "[CRITICAL] cache.hit_ratio: 60 %"
    );
}
