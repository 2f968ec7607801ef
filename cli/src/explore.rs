//! `pinlab explore FILE`: every interleaving of the script's threads under each scheme
//! (`mm_model::explore`), each violation as Never / Sometimes / Always with its counts and the
//! shortest `schedule` line that reproduces it.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use mm_model::explore::{explore_with, Bounds, Exploration, Progress, Stop};
use mm_model::{Overrides, SchemeKind};

use crate::{display_name, parse_reporting, parse_scheme, Usage, WIDTH};

/// The text report (at most 72 columns but for long schedule lines, which stay pasteable).
pub fn render(name: &str, e: &Exploration) -> String {
    let mut out = String::new();
    let threads: Vec<String> = e.threads.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let _ = writeln!(out, "pinlab explore {name}");
    if threads.is_empty() {
        out.push_str("no thread blocks: one schedule\n");
    } else {
        let _ = writeln!(out, "threads: {} (statements each)", threads.join(", "));
        // Said once: on the scheme lines it would pass 72 columns.
        out.push_str(if e.reduced {
            "schedules: counted up to reordering of independent statements\n"
        } else {
            "schedules: every interleaving\n"
        });
    }
    for s in &e.schemes {
        let _ = match s.stopped {
            None => writeln!(
                out,
                "{}: all {} schedules, {} states",
                s.scheme.name(),
                s.schedules,
                s.states
            ),
            Some(Stop::States(n)) => writeln!(
                out,
                "{}: incomplete: bound hit after {n} states ({} schedules)",
                s.scheme.name(),
                s.schedules
            ),
            Some(Stop::Cancelled) => writeln!(
                out,
                "{}: incomplete: stopped after {} states ({} schedules)",
                s.scheme.name(),
                s.states,
                s.schedules
            ),
        };
        if s.found.is_empty() {
            out.push_str(if s.complete() {
                "  no violation in any schedule\n"
            } else {
                "  no violation in the schedules explored\n"
            });
        }
        for f in &s.found {
            let _ = writeln!(
                out,
                "Observation {} {} {} {}/{}",
                s.scheme.name(),
                f.kind.name(),
                s.frequency(f).name(),
                f.violating,
                s.schedules
            );
            if f.schedule.is_empty() {
                out.push_str(
                    "  (no schedule line needed: the default round-robin order raises it)\n",
                );
            } else {
                let _ = writeln!(out, "  schedule {}", f.schedule.join(" "));
            }
        }
    }
    out
}

fn json(e: &Exploration) -> String {
    let schemes: Vec<serde_json::Value> = e
        .schemes
        .iter()
        .map(|s| {
            serde_json::json!({
                "scheme": s.scheme.name(),
                "complete": s.complete(),
                "stopped": match s.stopped {
                    None => serde_json::Value::Null,
                    Some(Stop::States(n)) => serde_json::json!({"states": n}),
                    Some(Stop::Cancelled) => serde_json::json!("cancelled"),
                },
                "schedules": s.schedules,
                "states": s.states,
                "transitions": s.transitions,
                "observations": s.found.iter().map(|f| serde_json::json!({
                    "violation": f.kind.name(),
                    "frequency": s.frequency(f).name(),
                    "violating": f.violating,
                    "schedule": f.schedule,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "threads": e.threads.iter().map(|(n, c)| serde_json::json!({"name": n, "statements": c})).collect::<Vec<_>>(),
        "reduced": e.reduced,
        "complete": e.complete(),
        "schemes": schemes,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `pinlab explore FILE|- [--scheme S]... [--max-states N] [--no-reduce] [--max-seconds SECS]
/// [--json]`
#[derive(clap::Args)]
pub struct ExploreArgs {
    /// The script; - reads standard input
    #[arg(value_name = "FILE")]
    file: String,
    /// Explore under SCHEME only: legacy | refcount | fake-vma
    /// (repeatable; default all three)
    #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
    scheme: Vec<SchemeKind>,
    /// Stop a scheme's exploration after N distinct states
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    #[arg(default_value_t = Bounds::default().max_states)]
    max_states: u64,
    /// Turn the partial-order reduction off: run and count every
    /// interleaving
    #[arg(long)]
    no_reduce: bool,
    /// Stop after SECS seconds (e.g. 2.5)
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    #[arg(allow_negative_numbers = true)]
    max_seconds: Option<Duration>,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
}

fn parse_positive(v: &str) -> Result<u64, String> {
    v.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "not a positive whole number".to_string())
}

fn parse_seconds(v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| "not a positive number of seconds".to_string())
}

/// Rate per second, for display.
fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-6)
}

/// The progress line: on stderr when it is a terminal, redrawn in place at most ten times a
/// second; also the time bound.
struct Meter {
    start: Instant,
    max: Option<Duration>,
    tty: bool,
    drawn: Option<Instant>,
    scheme: (usize, Instant),
}

impl Meter {
    fn new(max: Option<Duration>) -> Meter {
        let now = Instant::now();
        Meter {
            start: now,
            max,
            tty: std::io::stderr().is_terminal(),
            drawn: None,
            scheme: (0, now),
        }
    }

    /// Draws `p` if it is time to; false when the time bound is up.
    fn update(&mut self, p: &Progress) -> bool {
        let now = Instant::now();
        if p.scheme_index != self.scheme.0 {
            self.scheme = (p.scheme_index, now);
        }
        let due = self
            .drawn
            .is_none_or(|t| now - t >= Duration::from_millis(100));
        if self.tty && due {
            let line = format!(
                "{} {}/{}: {} states, {} schedules, {:.0} states/s",
                p.scheme.name(),
                p.scheme_index + 1,
                p.schemes,
                p.states,
                p.schedules,
                per_second(p.states, now - self.scheme.1)
            );
            let line: String = line.chars().take(WIDTH).collect();
            eprint!("\r{line:<WIDTH$}");
            self.drawn = Some(now);
        }
        self.max.is_none_or(|m| now - self.start < m)
    }

    /// Clears the progress line.
    fn clear(&self) {
        if self.drawn.is_some() {
            eprint!("\r{:WIDTH$}\r", "");
        }
    }
}

pub fn cmd_explore(a: &ExploreArgs) -> Result<u8, Usage> {
    let o = Overrides {
        schemes: a.scheme.clone(),
        ..Overrides::default()
    };
    let bounds = Bounds {
        max_states: a.max_states,
        reduce: !a.no_reduce,
    };
    let name = display_name(&a.file);
    let Some(parse) = parse_reporting(&a.file, "explored")? else {
        return Ok(2);
    };
    let mut meter = Meter::new(a.max_seconds);
    let e = explore_with(&parse.script, &o, bounds, &mut |p| meter.update(p));
    meter.clear();
    if a.json {
        print!("{}", json(&e));
    } else {
        let elapsed = meter.start.elapsed();
        let states: u64 = e.schemes.iter().map(|s| s.states).sum();
        print!("{}", render(name, &e));
        println!(
            "explored {states} states in {:.2} s ({:.0} states/s)",
            elapsed.as_secs_f64(),
            per_second(states, elapsed)
        );
    }
    Ok(0)
}
