//! The Prometheus text exposition format, version 0.0.4.

use std::fmt::Write;

use super::registry::{Family, Labels, Metric, Registry};

/// The `Content-Type` to serve [`Registry::render_prometheus`] output with.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

impl Registry {
    /// Every metric in the Prometheus text format 0.0.4: `# HELP` and `# TYPE` per name, one
    /// line per series, histograms as cumulative `_bucket{le=".."}` lines (bounds from their
    /// [`HistogramOpts`](super::HistogramOpts)), `_sum` and `_count`. Names are sorted, so the
    /// output is stable.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut gone = Vec::new();
        self.visit(|name, help, family| {
            render_family(&mut out, name, help, family, &mut |labels, metric| {
                gone.push((name.to_string(), labels.clone(), metric.clone()));
            })
        });
        for (name, labels, metric) in &gone {
            self.drop_gone(name, labels, metric);
        }
        out
    }
}

/// Renders one family; callback series whose source is gone go to `on_gone` instead.
fn render_family(
    out: &mut String,
    name: &str,
    help: Option<&str>,
    family: &Family,
    on_gone: &mut dyn FnMut(&Labels, &Metric),
) {
    // Series lines first: a family whose callbacks all report their source gone prints
    // nothing, not a bare `# TYPE` line.
    let mut body = String::new();
    render_series(&mut body, name, family, on_gone);
    if body.is_empty() {
        return;
    }
    if let Some(help) = help {
        let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    }
    let _ = writeln!(out, "# TYPE {name} {}", family.kind.name());
    out.push_str(&body);
}

fn render_series(
    out: &mut String,
    name: &str,
    family: &Family,
    on_gone: &mut dyn FnMut(&Labels, &Metric),
) {
    for (labels, metric) in &family.series {
        match metric {
            Metric::CounterFn(f) => match f.read() {
                Some(v) => {
                    let _ = writeln!(out, "{name}{} {v}", label_block(labels, None));
                }
                None => on_gone(labels, metric),
            },
            Metric::GaugeFn(f) => match f.read() {
                Some(v) => {
                    let _ = writeln!(
                        out,
                        "{name}{} {}",
                        label_block(labels, None),
                        format_float(v)
                    );
                }
                None => on_gone(labels, metric),
            },
            Metric::Counter(c) => {
                let _ = writeln!(out, "{name}{} {}", label_block(labels, None), c.get());
            }
            Metric::Gauge(g) => {
                let _ = writeln!(
                    out,
                    "{name}{} {}",
                    label_block(labels, None),
                    format_float(g.get())
                );
            }
            Metric::Histogram(h) => {
                let snap = h.snapshot();
                let opts = h.opts();
                for &bound in opts.bounds() {
                    let raw = to_raw(bound, opts.scale());
                    let le = format_float(bound);
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {}",
                        label_block(labels, Some(&le)),
                        snap.count_at_or_below(raw)
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    label_block(labels, Some("+Inf")),
                    snap.count()
                );
                let _ = writeln!(
                    out,
                    "{name}_sum{} {}",
                    label_block(labels, None),
                    format_float(to_exported(snap.sum(), opts.scale()))
                );
                let _ = writeln!(
                    out,
                    "{name}_count{} {}",
                    label_block(labels, None),
                    snap.count()
                );
            }
        }
    }
}

/// Scales a raw value for export. Dividing by an integral inverse (1e9 for nanoseconds to
/// seconds) rounds correctly where multiplying by 1e-9 would print `3.7460000000000004`.
fn to_exported(raw: u64, scale: f64) -> f64 {
    if let Some(inverse) = integral_inverse(scale) {
        raw as f64 / inverse
    } else {
        raw as f64 * scale
    }
}

/// `1 / scale` when it is (to float precision) a whole number, as for 1e-3, 1e-6, 1e-9.
fn integral_inverse(scale: f64) -> Option<f64> {
    let inverse = (1.0 / scale).round();
    (inverse >= 1.0 && ((inverse * scale) - 1.0).abs() < 1e-12).then_some(inverse)
}

/// The largest raw value at or below an exported bound, forgiving the float error of the
/// conversion (0.0025 s is 2 500 000 ns, not 2 499 999).
fn to_raw(bound: f64, scale: f64) -> u64 {
    let raw = if let Some(inverse) = integral_inverse(scale) {
        bound * inverse
    } else {
        bound / scale
    };
    let nearest = raw.round();
    let raw = if (raw - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        raw.floor()
    };
    if raw >= u64::MAX as f64 {
        u64::MAX
    } else {
        raw as u64
    }
}

fn label_block(labels: &Labels, le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut s = String::from("{");
    let mut first = true;
    for (k, v) in labels {
        if !first {
            s.push(',');
        }
        first = false;
        let _ = write!(s, "{k}=\"{}\"", escape_label_value(v));
    }
    if let Some(le) = le {
        if !first {
            s.push(',');
        }
        let _ = write!(s, "le=\"{le}\"");
    }
    s.push('}');
    s
}

/// Label values escape backslash, double quote and newline.
pub(crate) fn escape_label_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// HELP text escapes backslash and newline (not quotes).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Floats as Prometheus reads them: `NaN`, `+Inf`, `-Inf`, otherwise Rust's shortest
/// round-trip form (never an exponent Prometheus could misread).
pub(crate) fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_float(0.25), "0.25");
        assert_eq!(format_float(3.0), "3");
    }

    #[test]
    fn unit_conversions_round_sensibly() {
        assert_eq!(to_exported(3_746_000_000, 1e-9), 3.746);
        assert_eq!(to_raw(0.0025, 1e-9), 2_500_000);
        assert_eq!(to_raw(0.001, 1e-9), 1_000_000);
        assert_eq!(to_raw(2.5, 1.0), 2);
        assert_eq!(to_raw(1e30, 1.0), u64::MAX);
        assert_eq!(to_exported(5, 2.0), 10.0);
    }
}
