//! The HTML rendering of a [`Report`]: one page that opens anywhere, offline, with nothing
//! fetched from outside it.

use super::report::{Report, Status};
use std::fmt::Write;

const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1b1f23;background:#fff}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p.summary{margin:.25rem 0 1rem;color:#444}
table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.3rem .7rem;border-bottom:1px solid #e1e4e8;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status{font-weight:600;padding:.1rem .4rem;border-radius:.25rem;white-space:nowrap}
.s-pass{background:#dcffe4;color:#165c26}
.s-low{background:#fff5b1;color:#735c0f}
.s-medium{background:#ffe1c2;color:#8a4600}
.s-high{background:#ffd7d5;color:#a40e26}
.s-critical{background:#a40e26;color:#fff}
.s-invalid,.s-na{background:#eaeef2;color:#57606a}
svg text{font-size:12px;fill:#1b1f23}
svg .b-pass{fill:#2da44e}svg .b-low{fill:#d4a72c}svg .b-medium{fill:#e16f24}
svg .b-high{fill:#cf222e}svg .b-critical{fill:#82071e}svg .b-invalid,svg .b-na{fill:#8c959f}
svg .limit{stroke:#1b1f23;stroke-dasharray:4 3}
ul.notes{padding-left:1.2rem}
";

/// Bars are drawn on a scale of 0 to this multiple of the limit; longer ones are clipped
/// and marked, so one wild value does not flatten every other bar.
const SCALE_MAX: f64 = 2.0;
const LABEL_W: f64 = 300.0;
const BAR_W: f64 = 440.0;
const VALUE_W: f64 = 90.0;
const ROW_H: f64 = 22.0;
const LABEL_CHARS: usize = 44;

pub(crate) fn render(report: &Report) -> String {
    let mut h = String::with_capacity(4096);
    let title = escape(report.title());
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let worst: Status = report.worst().map_or(Status::Pass, Into::into);
    let _ = writeln!(
        h,
        "<p class=\"summary\">Worst: <span class=\"status s-{}\">{}</span> &middot; {} rows, \
         {} failing or regressed, {} invalid</p>",
        worst.css_class(),
        if report.worst().is_some() {
            worst.label()
        } else {
            "none"
        },
        report.rows().len(),
        report.failing(),
        report.invalid()
    );
    chart(&mut h, report);
    table(&mut h, report);
    notes(&mut h, report);
    h.push_str("</body>\n</html>\n");
    h
}

fn chart(h: &mut String, report: &Report) {
    let bars: Vec<_> = report
        .rows()
        .iter()
        .filter_map(|r| {
            let f = r.verdict.and_then(|v| v.fraction_of_limit())?;
            Some((r, f))
        })
        .collect();
    if bars.is_empty() {
        return;
    }
    let width = LABEL_W + BAR_W + VALUE_W;
    let height = ROW_H * bars.len() as f64 + 24.0;
    h.push_str("<h2>Measured as a share of the limit</h2>\n");
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-label=\"measured values as a share of their limits\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    for (i, (row, fraction)) in bars.iter().enumerate() {
        let y = ROW_H * i as f64;
        // The bar shows the measurement against its limit, so it takes the verdict's colour,
        // not the row's (which also reflects the change since the last run).
        let status = row
            .verdict
            .and_then(|v| v.severity())
            .map_or(Status::Pass, Status::from);
        let clipped = *fraction > SCALE_MAX;
        let shown = fraction.clamp(0.0, SCALE_MAX);
        let w = shown / SCALE_MAX * BAR_W;
        let label = truncate(&format!("{} / {}", row.section, row.name), LABEL_CHARS);
        let _ = writeln!(
            h,
            "<g><title>{} {}: {} ({})</title>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"b-{}\" x=\"{LABEL_W:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}{} %</text></g>",
            escape(&row.section),
            escape(&row.name),
            escape(&row.measured),
            escape(&row.target),
            LABEL_W - 8.0,
            y + 15.0,
            escape(&label),
            status.css_class(),
            y + 4.0,
            ROW_H - 8.0,
            LABEL_W + w + 6.0,
            y + 15.0,
            if clipped { "&gt; " } else { "" },
            super::unit::number(fraction.min(SCALE_MAX) * 100.0),
        );
    }
    let limit_x = LABEL_W + BAR_W / SCALE_MAX;
    let axis_y = ROW_H * bars.len() as f64;
    let _ = writeln!(
        h,
        "<line class=\"limit\" x1=\"{limit_x:.1}\" y1=\"0\" x2=\"{limit_x:.1}\" y2=\"{axis_y:.1}\"/>\
         <text x=\"{limit_x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">limit</text>\n</svg>",
        axis_y + 16.0
    );
}

fn table(h: &mut String, report: &Report) {
    if report.rows().is_empty() {
        h.push_str("<p>No measurements.</p>\n");
        return;
    }
    h.push_str(
        "<table>\n<thead><tr><th>Section</th><th>Name</th><th>Measured</th><th>Target</th>\
         <th>Change</th><th>Status</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for row in report.rows() {
        let status = row.status();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td><span class=\"status s-{}\">{}</span></td><td>{}</td></tr>",
            escape(&row.section),
            escape(&row.name),
            escape(&row.measured),
            escape(&row.target),
            escape(&row.change_text()),
            status.css_class(),
            escape(status.label()),
            escape(&row.note),
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn notes(h: &mut String, report: &Report) {
    if report.notes().is_empty() {
        return;
    }
    h.push_str("<h2>Notes</h2>\n<ul class=\"notes\">\n");
    for n in report.notes() {
        let _ = writeln!(h, "<li>{}</li>", escape(n));
    }
    h.push_str("</ul>\n");
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Escapes text for use in element content and in quoted attribute values alike.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
