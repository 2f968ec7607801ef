//! `pinlab explore FILE`: every interleaving of the script's threads under each scheme
//! (`mm_model::explore`), each violation as Never / Sometimes / Always with its counts and the
//! shortest `schedule` line that reproduces it.

use std::fmt::Write as _;

use mm_model::explore::{explore, Exploration, Stop};
use mm_model::{Overrides, SchemeKind};

use crate::{bad_value, display_name, parse_reporting, split_args, Usage};

/// The text report (at most 72 columns but for long schedule lines, which stay pasteable).
pub fn render(name: &str, e: &Exploration) -> String {
    let mut out = String::new();
    let threads: Vec<String> = e.threads.iter().map(|(n, c)| format!("{n} {c}")).collect();
    let _ = writeln!(out, "pinlab explore {name}");
    if threads.is_empty() {
        out.push_str("no thread blocks: one schedule\n");
    } else {
        let _ = writeln!(out, "threads: {} (statements each)", threads.join(", "));
    }
    let what = if e.reduced {
        "schedules up to reordering of independent statements"
    } else {
        "schedules"
    };
    for s in &e.schemes {
        let _ = match s.stopped {
            None => writeln!(
                out,
                "{}: all {} {what}, {} states",
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
            out.push_str("  no violation in any schedule\n");
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

/// `pinlab explore FILE|- [--scheme S] [--max-schedules N] [--json]`
pub fn cmd_explore(args: &[String]) -> Result<u8, Usage> {
    let as_json = args.iter().any(|a| a == "--json");
    let args: Vec<String> = args.iter().filter(|a| *a != "--json").cloned().collect();
    let (opts, pos) = split_args(&args, &["--scheme", "--max-schedules"])?;
    let [file] = pos.as_slice() else {
        return Err(Usage(
            "explore: exactly one FILE (or -) expected\nTry 'pinlab explore --help'.".into(),
        ));
    };
    let mut o = Overrides::default();
    let mut max = 10_000u64;
    for (k, v) in &opts {
        match k.as_str() {
            "--scheme" => {
                o.schemes.push(SchemeKind::from_name(v).ok_or_else(|| {
                    bad_value("scheme", v, SchemeKind::ALL.iter().map(|s| s.name()))
                })?)
            }
            _ => {
                max = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Usage(format!(
                        "--max-schedules wants a positive number, got `{v}`"
                    ))
                })?
            }
        }
    }
    let name = display_name(file);
    let Some(parse) = parse_reporting(file, "explored")? else {
        return Ok(2);
    };
    let e = explore(&parse.script, &o, max);
    print!("{}", if as_json { json(&e) } else { render(name, &e) });
    Ok(0)
}
