use perfkit::balance::{Backend, Strategy};
use perfkit::metrics::Registry;

#[test]
fn series_follow_the_balancer_and_its_backends() {
    let registry = Registry::new();
    let lb = crate::builder(2)
        .strategy(Strategy::RoundRobin)
        .build()
        .unwrap();
    lb.register_metrics(&registry, "lb").unwrap();
    crate::ok(lb.pick().unwrap());
    lb.pick().unwrap().failure();
    let held = lb.pick().unwrap();
    let text = registry.render_prometheus();
    assert!(
        text.contains("lb_requests_total{backend=\"b0\",outcome=\"success\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("lb_requests_total{backend=\"b1\",outcome=\"failure\"} 1"),
        "{text}"
    );
    assert!(text.contains("lb_in_flight{backend=\"b0\"} 1"), "{text}");
    assert!(
        text.contains("lb_health_score{backend=\"b1\"} 80"),
        "{text}"
    );
    assert!(text.contains("lb_backends 2"), "{text}");
    drop(held);
    // A backend that leaves takes its series with it.
    lb.set_backends([Backend::new("b0", 0)]).unwrap();
    let text = registry.render_prometheus();
    assert!(!text.contains("backend=\"b1\""), "{text}");
    assert!(
        text.contains("lb_requests_total{backend=\"b0\",outcome=\"cancelled\"} 1"),
        "{text}"
    );
    // The registry keeps nothing alive.
    drop(lb);
    assert!(!registry.render_prometheus().contains("lb_"));
}
