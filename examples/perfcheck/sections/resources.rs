//! Process resources while instrumented work runs at the documented peak rate (200 rps):
//! RSS, virtual size, CPU average and peak, memory growth.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use perfkit::baseline::{self, memory_growth_per_hour};
use perfkit::metrics::{ProcessSampler, Registry, RollingHistogram};

use crate::section::{Figure, Section};

pub struct Resources;

const RATE: u32 = 200;
const WARM_UP: Duration = Duration::from_secs(1);
const STEADY: Duration = Duration::from_secs(8);
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

fn documented(id: &str) -> baseline::Baseline {
    *baseline::find(id).expect("perfcheck names documented baselines that exist")
}

impl Section for Resources {
    fn name(&self) -> &'static str {
        "resources"
    }

    fn steps(&self) -> u64 {
        (WARM_UP + STEADY).as_secs()
    }

    fn run(&self, progress: &ProgressBar) -> Vec<Figure> {
        progress.set_message("resources: 200 rps of instrumented requests");
        let registry = Registry::new();
        let requests = registry
            .counter("requests_total", &[("route", "/check")])
            .expect("valid name");
        let latency = registry
            .histogram("request_duration_seconds", &[("route", "/check")])
            .expect("valid name");
        let recent = RollingHistogram::new(Duration::from_secs(60), 6).expect("valid window");

        let mut sampler = ProcessSampler::new();
        let mut samples = Vec::new();
        let mut cpu = Vec::new();
        let start = Instant::now();
        let period = Duration::from_secs(1) / RATE;
        let mut next_request = start;
        let mut next_sample = start + WARM_UP;
        let mut next_tick = start + Duration::from_secs(1);
        let mut served = 0u64;
        while start.elapsed() < WARM_UP + STEADY {
            let now = Instant::now();
            if now >= next_request {
                let began = Instant::now();
                requests.inc();
                // A spread of latencies that repeats every 100 requests, so the warm-up has
                // already touched every bucket the steady phase will use.
                let spent = began.elapsed() + Duration::from_micros((served * 53) % 100 * 50);
                latency.record_duration(spent);
                recent.record_duration(spent);
                served += 1;
                next_request += period;
            }
            if now >= next_sample {
                match sampler.sample() {
                    Ok(s) => {
                        samples.push((now - start, s.resident_bytes));
                        if let Some(p) = s.cpu_percent {
                            cpu.push((p / 100.0, s));
                        }
                    }
                    Err(e) => {
                        progress.println(format!("resources: {e}"));
                        return Vec::new();
                    }
                }
                next_sample += SAMPLE_EVERY;
            }
            if now >= next_tick {
                progress.inc(1);
                next_tick += Duration::from_secs(1);
            }
            let wake = next_request.min(next_sample).min(next_tick);
            if let Some(wait) = wake.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }

        let last = match cpu.last() {
            Some((_, s)) => *s,
            None => return Vec::new(),
        };
        let avg = cpu.iter().map(|(p, _)| p).sum::<f64>() / cpu.len() as f64;
        let peak = cpu.iter().map(|(p, _)| *p).fold(0.0, f64::max);
        let p95 = latency.snapshot().quantile(0.95);
        let note = format!("{served} requests served, p95 {} µs", p95 / 1000);
        let mut out = vec![
            Figure::checked(
                "resources.rss",
                documented("resources.rss"),
                last.resident_bytes as f64,
                note,
            ),
            Figure::checked(
                "resources.virtual",
                documented("resources.virtual"),
                last.virtual_bytes as f64,
                String::new(),
            ),
            Figure::checked(
                "resources.cpu.average",
                documented("resources.cpu.average"),
                avg,
                format!(
                    "{} samples every {} ms",
                    cpu.len(),
                    SAMPLE_EVERY.as_millis()
                ),
            ),
            Figure::checked(
                "resources.cpu.peak",
                documented("resources.cpu.peak"),
                peak,
                String::new(),
            ),
        ];
        match memory_growth_per_hour(&samples) {
            Ok(growth) => out.push(Figure::checked(
                "resources.memory_growth",
                documented("resources.memory_growth"),
                growth,
                format!(
                    "least-squares slope over {} s, extrapolated",
                    STEADY.as_secs()
                ),
            )),
            Err(e) => progress.println(format!("resources: memory growth: {e}")),
        }
        out
    }
}
