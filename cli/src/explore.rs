//! `pinlab explore FILE`: every interleaving of the script's threads under each scheme
//! (`mm_model::explore`), each violation as Never / Sometimes / Always with its counts and the
//! shortest `schedule` line that reproduces it.

use std::fmt::Write as _;

use mm_model::explore::{explore_with, Bounds, Exploration, Stop};
use mm_model::{Overrides, SchemeKind};

use crate::{display_name, parse_reporting, parse_scheme, Usage};

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

/// `pinlab explore FILE|- [--scheme S]... [--max-states N] [--no-reduce] [--json]`
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
    let e = explore_with(&parse.script, &o, bounds, &mut |_| true);
    print!("{}", if a.json { json(&e) } else { render(name, &e) });
    Ok(0)
}
