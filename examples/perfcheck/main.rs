//! The main job: a quick measurement of every enabled perfkit module, checked against the
//! documented baselines (DESIGN.md) and the previous run.
//!
//! ```text
//! cargo run --release --example perfcheck [-- --criterion target/criterion] [--out DIR]
//! ```
//!
//! Prints a verdict table, writes `DIR/report.html` (self-contained) and `DIR/latest.json`
//! (default `DIR` = `target/perfcheck`). With `--criterion`, also reports each criterion
//! bench's median against criterion's saved baseline. Exits 1 only when something is
//! Critical (more than 25 % past its target or worse than the previous run), 2 on bad usage.

mod section;
mod sections;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use perfkit::baseline::{
    self, Direction, Measurement, Report, Row, RunRecord, Severity, Unit, compare, criterion,
};

struct Args {
    out: PathBuf,
    criterion: Option<PathBuf>,
    criterion_baseline: Option<String>,
}

const USAGE: &str = "usage: perfcheck [--out DIR] [--criterion DIR [--criterion-baseline NAME]]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("target/perfcheck"),
        criterion: None,
        criterion_baseline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--criterion" => args.criterion = Some(PathBuf::from(value("--criterion")?)),
            "--criterion-baseline" => {
                args.criterion_baseline = Some(value("--criterion-baseline")?)
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

/// The CPU model and its AVX flags: figures from different machines are not compared.
fn cpu_description() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let mut avx: Vec<&str> = info
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .map(|f| {
            f.split_whitespace()
                .filter(|f| f.starts_with("avx"))
                .collect()
        })
        .unwrap_or_default();
    avx.sort_unstable();
    avx.dedup();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "{model}, {cores} cores, {}",
        if avx.is_empty() {
            "no AVX".to_string()
        } else {
            avx.join(" ")
        }
    )
}

/// Whether a figure is on the good side of its target by at least a factor of two.
fn far_inside(fig: &section::Figure) -> bool {
    let Some(target) = fig.target else {
        return false;
    };
    let Some(fraction) = target.check(fig.value).fraction_of_limit() else {
        return false;
    };
    match target.direction() {
        Direction::LowerIsBetter => fraction < 0.5,
        Direction::HigherIsBetter => fraction > 2.0,
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build measures nothing useful; use --release");
    }
    let latest = args.out.join("latest.json");
    let cpu = cpu_description();
    let mut report = Report::new(format!("perfkit perfcheck — {cpu}"));

    // The previous run, if it is from this machine.
    let previous = match RunRecord::load(&latest) {
        Ok(Some(run)) if run.cpu == cpu => Some(run),
        Ok(Some(run)) => {
            report.note(format!(
                "previous run was on another machine ({}); not compared",
                run.cpu
            ));
            None
        }
        Ok(None) => None,
        Err(e) => {
            let kept = baseline::quarantine(&latest)
                .map(|p| format!("kept as {}", p.display()))
                .unwrap_or_else(|q| format!("could not move it aside: {q}"));
            report.note(format!("previous run unreadable ({e}); {kept}"));
            None
        }
    };

    let sections = sections::all();
    let bar = ProgressBar::new(sections.iter().map(|s| s.steps()).sum());
    bar.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut run = RunRecord::now(host_name(), cpu.clone());
    for section in &sections {
        for fig in section.run(&bar) {
            let mut row = match &fig.target {
                Some(target) => Row::checked(section.name(), target, fig.value),
                None => Row::new(section.name(), fig.name, fig.unit.format(fig.value)),
            };
            let mut notes = vec![fig.note.clone()];
            if let Some(prev) = previous.as_ref().and_then(|p| p.results.get(fig.id)) {
                let mut change = compare(prev.value, fig.value, fig.direction);
                // A figure far inside its limit (CPU at 0.2 % of a 70 % budget) moves by
                // large fractions from noise alone; show the change, judge only the limit.
                if change.severity.is_some() && far_inside(&fig) {
                    change.severity = None;
                    notes.push("far inside its limit: change shown, not judged".to_string());
                }
                row = row.with_change(change);
            }
            notes.retain(|n| !n.is_empty());
            if !notes.is_empty() {
                row = row.with_note(notes.join("; "));
            }
            report.push(row);
            run.insert(fig.id, Measurement::new(fig.value, fig.unit, fig.direction));
        }
    }
    bar.finish_and_clear();

    if let Some(dir) = &args.criterion {
        match criterion::scan(dir, args.criterion_baseline.as_deref()) {
            Ok(scan) => {
                for bench in &scan.benches {
                    let mut row = Row::new(
                        "criterion",
                        bench.id.clone(),
                        Unit::Seconds.format(bench.new_median_seconds()),
                    );
                    match bench.change {
                        Some(change) => row = row.with_change(change),
                        None => row = row.with_note("no saved baseline to compare with"),
                    }
                    report.push(row);
                }
                for skipped in &scan.skipped {
                    report.note(format!(
                        "criterion: skipped {}: {}",
                        skipped.path.display(),
                        skipped.reason
                    ));
                }
                let all_unchanged = !scan.benches.is_empty()
                    && scan
                        .benches
                        .iter()
                        .all(|b| b.change.is_some_and(|c| c.relative == Some(0.0)));
                if all_unchanged && args.criterion_baseline.is_none() {
                    report.note(
                        "criterion: every bench equals its `base` (criterion saves each run as \
                         `base`); to compare against a reference, run `cargo bench -- \
                         --save-baseline NAME` there and pass `--criterion-baseline NAME`",
                    );
                }
                if scan.benches.is_empty() {
                    report.note(format!(
                        "criterion: no bench results under {}",
                        dir.display()
                    ));
                }
            }
            Err(e) => {
                report.note(format!("criterion: {e}"));
            }
        }
    }
    report.note(format!(
        "measured in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    print!("{}", report.render_text());
    let html = args.out.join("report.html");
    if let Err(e) = report.write_html(&html) {
        eprintln!("error: cannot write {}: {e}", html.display());
        return ExitCode::FAILURE;
    }
    if let Err(e) = run.save(&latest) {
        eprintln!("error: cannot write {}: {e}", latest.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {} and {}", html.display(), latest.display());

    if report.worst() == Some(Severity::Critical) {
        eprintln!("perfcheck: a Critical regression was found");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
