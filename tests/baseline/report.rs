use perfkit::baseline::{self, Direction, Report, Row, Severity, Status, compare};

fn sample() -> Report {
    let mut r = Report::new("Nightly <perf> & \"friends\"");
    r.push(Row::checked(
        "cache",
        baseline::find("cache.hit_ratio").unwrap(),
        0.91,
    ));
    r.push(Row::checked(
        "api",
        baseline::find("api.simple_query.p95").unwrap(),
        0.58,
    )); // +16 %
    r.push(
        Row::checked(
            "pg",
            baseline::find("database.connection_acquire.p95").unwrap(),
            0.004,
        )
        .with_change(compare(0.003, 0.004, Direction::LowerIsBetter)), // +33 %
    );
    r.push(Row::checked(
        "mem",
        baseline::find("resources.rss").unwrap(),
        f64::NAN,
    ));
    r.push(
        Row::new("bench", "<script>alert(1)</script>", "12 ns")
            .with_note("peer 'x' is 1.3× slower"),
    );
    r.note("runner: 2 cores <shared>");
    r
}

#[test]
fn status_of_rows() {
    let r = sample();
    let statuses: Vec<_> = r.rows().iter().map(Row::status).collect();
    assert_eq!(
        statuses,
        [
            Status::Pass,
            Status::High,
            Status::Critical,
            Status::Invalid,
            Status::NotApplicable
        ]
    );
    let labels: Vec<_> = statuses.iter().map(|s| s.label()).collect();
    assert_eq!(labels, ["PASS", "HIGH", "CRITICAL", "INVALID", "n/a"]);
}

#[test]
fn change_alone_gives_pass_or_severity() {
    let noise = Row::new("s", "n", "1").with_change(compare(1.0, 1.05, Direction::LowerIsBetter));
    assert_eq!(noise.status(), Status::Pass);
    let worse = Row::new("s", "n", "1").with_change(compare(1.0, 1.12, Direction::LowerIsBetter));
    assert_eq!(worse.status(), Status::Medium);
    let na = Row::new("s", "n", "1").with_change(compare(0.0, 1.0, Direction::LowerIsBetter));
    assert_eq!(na.status(), Status::NotApplicable);
    let low = Row::checked("s", baseline::find("api.simple_query.p95").unwrap(), 0.51);
    assert_eq!(low.status(), Status::Low);
}

#[test]
fn worst_and_counts() {
    let r = sample();
    assert_eq!(r.worst(), Some(Severity::Critical));
    assert_eq!(r.failing(), 2);
    assert_eq!(r.invalid(), 1);
    let mut more = r.clone();
    more.push(Row::checked(
        "x",
        baseline::find("cache.hit_ratio").unwrap(),
        0.99,
    ));
    assert_eq!(more.invalid(), 1);
    assert_eq!(more.failing(), 2);
    assert_eq!(Report::new("empty").worst(), None);
    let mut passing = Report::new("ok");
    passing.push(Row::checked(
        "cache",
        baseline::find("cache.hit_ratio").unwrap(),
        0.99,
    ));
    assert_eq!(passing.worst(), None);
}

#[test]
fn text_is_an_aligned_table() {
    let text = sample().render_text();
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("SECTION"))
        .expect(&text);
    let status_col = lines[header].find("STATUS").unwrap();
    let table: Vec<&str> = lines[header + 2..header + 7].to_vec();
    let want = ["PASS", "HIGH", "CRITICAL", "INVALID", "n/a"];
    for (line, status) in table.iter().zip(want) {
        // Columns are aligned by characters, not bytes.
        let col: String = line
            .chars()
            .skip(lines[header][..status_col].chars().count())
            .collect();
        assert!(col.starts_with(status), "{line:?} in\n{text}");
    }
    assert!(text.contains("91 %"), "{text}");
    assert!(text.contains("+33.33 %"), "{text}");
    assert!(text.contains("Worst: CRITICAL"), "{text}");
    assert!(
        text.contains("runner: 2 cores <shared>"),
        "notes are plain text: {text}"
    );
    assert!(text.contains("peer 'x' is 1.3× slower"), "{text}");
}

#[test]
fn text_keeps_one_row_per_line() {
    let mut r = Report::new("t");
    r.push(Row::new("a\nb", "c\rd", "1"));
    let text = r.render_text();
    assert_eq!(
        text.lines().filter(|l| l.contains("a b")).count(),
        1,
        "{text}"
    );
}

#[test]
fn html_is_self_contained_and_escaped() {
    let html = sample().render_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.to_lowercase().contains("<script"),
        "no scripts: {html}"
    );
    assert!(!html.contains("http"), "no external references");
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
    assert!(html.contains("Nightly &lt;perf&gt; &amp; &quot;friends&quot;"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("peer &#39;x&#39; is 1.3× slower"));
    assert!(html.contains("runner: 2 cores &lt;shared&gt;"));
    assert!(html.contains("<style>") && html.contains("<svg"));
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn html_chart_has_a_bar_per_judged_row() {
    let html = sample().render_html();
    // Three valid verdicts (the NaN row and the unchecked row have no bar).
    assert_eq!(html.matches("<rect").count(), 3, "{html}");
    // 0.58 s against 0.5 s is 116 % of the limit.
    assert!(html.contains("116 %"), "{html}");
    // Bars are coloured by the verdict alone: the pg row regressed (CRITICAL in the table)
    // but is well inside its limit.
    assert_eq!(html.matches("class=\"b-high\"").count(), 1, "{html}");
    assert_eq!(html.matches("class=\"b-pass\"").count(), 2, "{html}");
}

#[test]
fn html_clips_wild_values() {
    let mut r = Report::new("t");
    r.push(Row::checked(
        "api",
        baseline::find("api.simple_query.p95").unwrap(),
        50.0,
    ));
    let html = r.render_html();
    assert!(html.contains("&gt; 200 %"), "{html}");
}

#[test]
fn write_html_is_atomic_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/report.html");
    let report = sample();
    report.write_html(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        report.render_html()
    );
    let text_path = dir.path().join("out/report.txt");
    report.write_text(&text_path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&text_path).unwrap(),
        report.render_text()
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        2
    );
}

#[test]
fn write_html_into_a_file_path_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    assert!(sample().write_html(blocker.join("report.html")).is_err());
}

#[test]
fn html_chart_labels_are_truncated() {
    let mut r = Report::new("t");
    let long = "x".repeat(200);
    r.push(
        Row::new("s", long.clone(), "1 ms")
            .with_verdict(baseline::find("api.simple_query.p95").unwrap().check(0.001)),
    );
    let html = r.render_html();
    assert!(html.contains("…</text>"), "{html}");
    // The full name is still in the table and the tooltip.
    assert_eq!(html.matches(long.as_str()).count(), 2, "{html}");
}
