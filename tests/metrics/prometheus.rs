use perfkit::metrics::{HistogramOpts, Registry};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn sample_registry() -> Registry {
    let r = Registry::new();
    r.describe(
        "http_requests_total",
        "Requests served.\nBy method and \\ code.",
    );
    let get = r
        .counter("http_requests_total", &[("method", "GET"), ("code", "200")])
        .unwrap();
    get.inc_by(7);
    r.counter(
        "http_requests_total",
        &[("method", "POST"), ("code", "500")],
    )
    .unwrap()
    .inc();
    r.describe("queue_depth", "Jobs waiting.");
    r.gauge(
        "queue_depth",
        &[("queue", "a \"quoted\" \\ name\nwith newline")],
    )
    .unwrap()
    .set(-3.5);
    r.describe("http_request_duration_seconds", "Request latency.");
    let lat = r
        .histogram("http_request_duration_seconds", &[("route", "/x")])
        .unwrap();
    for ms in [1u64, 2, 3, 40, 700, 3000] {
        lat.record_duration(Duration::from_millis(ms));
    }
    r.describe("payload_size_bytes", "Payload sizes.");
    let sizes = r
        .histogram_with(
            "payload_size_bytes",
            &[],
            HistogramOpts::new(1.0, vec![100.0, 1000.0]).unwrap(),
        )
        .unwrap();
    sizes.record(50);
    sizes.record(5000);
    r
}

#[test]
fn renders_text_format_0_0_4() {
    let text = sample_registry().render_prometheus();
    let expected_lines = [
        "# HELP http_requests_total Requests served.\\nBy method and \\\\ code.",
        "# TYPE http_requests_total counter",
        r#"http_requests_total{code="200",method="GET"} 7"#,
        r#"http_requests_total{code="500",method="POST"} 1"#,
        "# TYPE queue_depth gauge",
        r#"queue_depth{queue="a \"quoted\" \\ name\nwith newline"} -3.5"#,
        "# TYPE http_request_duration_seconds histogram",
        r#"http_request_duration_seconds_bucket{route="/x",le="0.001"} 1"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="0.005"} 3"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="0.05"} 4"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="1"} 5"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="2.5"} 5"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="5"} 6"#,
        r#"http_request_duration_seconds_bucket{route="/x",le="+Inf"} 6"#,
        r#"http_request_duration_seconds_sum{route="/x"} 3.746"#,
        r#"http_request_duration_seconds_count{route="/x"} 6"#,
        r#"payload_size_bytes_bucket{le="100"} 1"#,
        r#"payload_size_bytes_bucket{le="1000"} 1"#,
        r#"payload_size_bytes_bucket{le="+Inf"} 2"#,
        "payload_size_bytes_sum 5050",
        "payload_size_bytes_count 2",
    ];
    for line in expected_lines {
        assert!(
            text.lines().any(|l| l == line),
            "missing line {line:?} in:\n{text}"
        );
    }
    // Every family's TYPE comes before its samples, and names are sorted.
    let types: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(types, sorted);
}

/// `promtool check metrics` is the reference parser and linter for this format. The full
/// suite (`ci/test.sh`) installs it and sets `PERFKIT_REQUIRE_TOOLS=1`; a plain `cargo test`
/// on a machine without it skips with a message.
#[test]
fn promtool_accepts_the_output() {
    let required = std::env::var_os("PERFKIT_REQUIRE_TOOLS").is_some();
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!(
                "skipping: promtool not found ({e}); install with `apt-get install -y prometheus`"
            );
            return;
        }
        Err(e) => panic!("promtool is required (PERFKIT_REQUIRE_TOOLS is set) but cannot run: {e}"),
    };
    let text = sample_registry().render_prometheus();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool rejected the output:\n{}\n{}\n--- input ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_rejects_broken_input() {
    // Guards the test above: promtool must be able to fail.
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        eprintln!("skipping: promtool not found");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# TYPE x counter\nx{le=\"unterminated} 1\n")
        .unwrap();
    assert!(!child.wait().unwrap().success());
}
