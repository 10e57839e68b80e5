//! Reports: rows of checks and changes, rendered as an aligned text table or as one
//! self-contained HTML page.

use super::documented::Baseline;
use super::error::BaselineError;
use super::regression::Change;
use super::verdict::{Severity, Verdict};
use crate::fsutil::write_atomic;
use std::fmt;
use std::path::Path;

/// The status column of a report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Nothing to judge: no verdict and no comparable change.
    NotApplicable,
    /// Within the limit and no regression beyond noise.
    Pass,
    /// The measurement could not be judged (NaN, infinite, negative).
    Invalid,
    /// The worst of the row's failure and regression is [`Severity::Low`].
    Low,
    /// ... is [`Severity::Medium`].
    Medium,
    /// ... is [`Severity::High`].
    High,
    /// ... is [`Severity::Critical`].
    Critical,
}

impl Status {
    /// As shown in reports: `PASS`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`, `INVALID` or `n/a`.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotApplicable => "n/a",
            Status::Pass => "PASS",
            Status::Invalid => "INVALID",
            Status::Low => "LOW",
            Status::Medium => "MEDIUM",
            Status::High => "HIGH",
            Status::Critical => "CRITICAL",
        }
    }

    pub(crate) fn css_class(self) -> &'static str {
        match self {
            Status::NotApplicable => "na",
            Status::Pass => "pass",
            Status::Invalid => "invalid",
            Status::Low => "low",
            Status::Medium => "medium",
            Status::High => "high",
            Status::Critical => "critical",
        }
    }
}

impl From<Severity> for Status {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Low => Status::Low,
            Severity::Medium => Status::Medium,
            Severity::High => Status::High,
            Severity::Critical => Status::Critical,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One line of a report: a measurement, optionally judged against a baseline and compared
/// with the previous run.
///
/// ```
/// use perfkit::baseline::{self, compare, Direction, Row, Status};
///
/// let p95 = baseline::find("api.simple_query.p95").unwrap();
/// let row = Row::checked("api", p95, 0.320)
///     .with_change(compare(0.300, 0.320, Direction::LowerIsBetter));
/// assert_eq!(row.measured, "320 ms");
/// assert_eq!(row.target, "< 500 ms");
/// assert_eq!(row.status(), Status::Pass); // within limit, +6.7 % is noise
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Row {
    /// Grouping, e.g. `"api"` or a module name.
    pub section: String,
    /// What was measured.
    pub name: String,
    /// The measured value, ready to show.
    pub measured: String,
    /// The target, ready to show (empty when there is none).
    pub target: String,
    /// The check against a baseline, if any.
    pub verdict: Option<Verdict>,
    /// The change since the previous run, if any.
    pub change: Option<Change>,
    /// A remark (e.g. "peer: hdrhistogram 1.3× slower").
    pub note: String,
}

impl Row {
    /// A row showing `measured` as given, with no verdict or change yet.
    pub fn new(
        section: impl Into<String>,
        name: impl Into<String>,
        measured: impl Into<String>,
    ) -> Self {
        Self {
            section: section.into(),
            name: name.into(),
            measured: measured.into(),
            target: String::new(),
            verdict: None,
            change: None,
            note: String::new(),
        }
    }

    /// A row checking `measured` against `baseline`; name, measured and target are filled in
    /// from the baseline.
    pub fn checked(section: impl Into<String>, baseline: &Baseline, measured: f64) -> Self {
        let verdict = baseline.check(measured);
        Self::new(
            section,
            baseline.description,
            baseline.unit.format(measured),
        )
        .with_verdict(verdict)
    }

    /// Sets the verdict, and the target from it when no target was set.
    #[must_use]
    pub fn with_verdict(mut self, verdict: Verdict) -> Self {
        if self.target.is_empty() {
            self.target = verdict.limit.format(verdict.unit);
        }
        self.verdict = Some(verdict);
        self
    }

    /// Sets the change since the previous run.
    #[must_use]
    pub fn with_change(mut self, change: Change) -> Self {
        self.change = Some(change);
        self
    }

    /// Sets the target text.
    #[must_use]
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = target.into();
        self
    }

    /// Sets the remark.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// The worst of the verdict's and the change's severities.
    pub fn severity(&self) -> Option<Severity> {
        let v = self.verdict.and_then(|v| v.severity());
        let c = self.change.and_then(|c| c.severity);
        v.max(c)
    }

    /// The status column: the worst severity if any; else `INVALID` for a measurement that
    /// could not be judged; else `PASS` if there was anything to judge; else `n/a`.
    pub fn status(&self) -> Status {
        if let Some(s) = self.severity() {
            return s.into();
        }
        if self.verdict.is_some_and(|v| v.is_invalid()) {
            return Status::Invalid;
        }
        let judged = self.verdict.is_some() || self.change.is_some_and(|c| c.is_comparable());
        if judged {
            Status::Pass
        } else {
            Status::NotApplicable
        }
    }

    pub(crate) fn change_text(&self) -> String {
        self.change.map_or_else(String::new, |c| c.to_string())
    }
}

/// A titled list of rows and notes, rendered as text or HTML.
///
/// ```
/// use perfkit::baseline::{self, Report, Row, Severity};
///
/// let mut report = Report::new("nightly <perf>");
/// report.push(Row::checked("cache", baseline::find("cache.hit_ratio").unwrap(), 0.91));
/// report.push(Row::checked("api", baseline::find("api.simple_query.p95").unwrap(), 0.62));
/// report.note("2-core shared runner; expect ±5 % noise");
///
/// assert_eq!(report.worst(), Some(Severity::High)); // 620 ms against < 500 ms: +24 %
/// let text = report.render_text();
/// assert!(text.contains("HIGH") && text.contains("PASS"));
/// let html = report.render_html();
/// assert!(html.contains("nightly &lt;perf&gt;") && !html.contains("<script"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    title: String,
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    /// An empty report.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Row) -> &mut Self {
        self.rows.push(row);
        self
    }

    /// Appends a free-form note, shown after the table.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The rows, in the order pushed.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The notes, in the order added.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The worst severity of any row; `None` when nothing failed or regressed. Invalid rows
    /// carry no severity: check [`Report::invalid`] too when gating on a report.
    pub fn worst(&self) -> Option<Severity> {
        self.rows.iter().filter_map(Row::severity).max()
    }

    /// How many rows hold a measurement that could not be judged.
    pub fn invalid(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status() == Status::Invalid)
            .count()
    }

    /// How many rows have a severity (failed a baseline or regressed beyond noise).
    pub fn failing(&self) -> usize {
        self.rows.iter().filter(|r| r.severity().is_some()).count()
    }

    /// The report as an aligned plain-text table, followed by a summary and the notes.
    pub fn render_text(&self) -> String {
        const HEADER: [&str; 6] = ["SECTION", "NAME", "MEASURED", "TARGET", "CHANGE", "STATUS"];
        let cells: Vec<[String; 6]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    one_line(&r.section),
                    one_line(&r.name),
                    one_line(&r.measured),
                    one_line(&r.target),
                    r.change_text(),
                    r.status().label().to_owned(),
                ]
            })
            .collect();
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let title = one_line(&self.title);
        let mut out = String::new();
        out.push_str(&title);
        out.push('\n');
        out.push_str(&"=".repeat(title.chars().count()));
        out.push_str("\n\n");
        let header = HEADER.map(str::to_owned);
        for (i, row) in std::iter::once(&header).chain(&cells).enumerate() {
            let mut line = String::new();
            for (j, (cell, w)) in row.iter().zip(widths).enumerate() {
                if j > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.push_str(&" ".repeat(w.saturating_sub(cell.chars().count())));
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if i == 0 {
                let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        let notes: Vec<&Row> = self.rows.iter().filter(|r| !r.note.is_empty()).collect();
        if !self.notes.is_empty() || !notes.is_empty() {
            out.push_str("\nNotes:\n");
            for r in notes {
                out.push_str(&format!("- {}: {}\n", one_line(&r.name), one_line(&r.note)));
            }
            for n in &self.notes {
                out.push_str(&format!("- {}\n", one_line(n)));
            }
        }
        out
    }

    /// The report as one self-contained HTML page: inline CSS, an inline SVG bar chart of
    /// each judged measurement as a fraction of its limit, and the table. No scripts, fonts,
    /// images or links to anything outside the page; every caller-supplied string is
    /// HTML-escaped.
    pub fn render_html(&self) -> String {
        super::html::render(self)
    }

    /// Writes [`render_html`](Report::render_html) to `path` atomically.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<(), BaselineError> {
        let path = path.as_ref();
        write_atomic(path, self.render_html().as_bytes()).map_err(|e| BaselineError::io(path, e))
    }

    /// Writes [`render_text`](Report::render_text) to `path` atomically.
    pub fn write_text(&self, path: impl AsRef<Path>) -> Result<(), BaselineError> {
        let path = path.as_ref();
        write_atomic(path, self.render_text().as_bytes()).map_err(|e| BaselineError::io(path, e))
    }

    /// One line: the worst status and the counts.
    pub(crate) fn summary(&self) -> String {
        let worst = self.worst().map_or("none", Severity::label);
        format!(
            "Worst: {worst}. {} rows, {} failing or regressed, {} invalid.",
            self.rows.len(),
            self.failing(),
            self.invalid()
        )
    }
}

/// Control characters (line breaks above all) would break the table's alignment.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
