//! `run`: any bytes, read as (lossy) UTF-8 and parsed. A script with errors loses the lines the
//! errors point at and is parsed again (a few rounds), so that mutated inputs still reach the
//! runner; a script without errors runs under all three schemes with a small step budget (so
//! one input stays fast), its report renders as the text trace, and the C exporter (the kernel
//! oracle's input) reads it. Must never panic, and must end well inside the hang timeout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mm_model::{Overrides, Parse};

/// Executed statements per scheme: enough for `repeat`, threads and several iterations,
/// small enough that a run takes milliseconds. A front end's cap, like the web page's.
const MAX_STEPS: u64 = 256;

/// Parses `text`; while it has errors (at most 3 more rounds), drops the lines they point at.
fn runnable(text: &str) -> Option<Parse> {
    let mut p = mm_model::parse(text);
    let mut text = text.to_string();
    for _ in 0..3 {
        if !p.has_errors() {
            return Some(p);
        }
        let bad: Vec<u32> = p
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.line)
            .collect();
        text = text
            .split('\n')
            .enumerate()
            .filter(|(i, _)| !bad.contains(&(*i as u32 + 1)))
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
            .join("\n");
        p = mm_model::parse(&text);
    }
    (!p.has_errors()).then_some(p)
}

fuzz_target!(|data: &[u8]| {
    let Some(p) = runnable(&String::from_utf8_lossy(data)) else {
        return;
    };
    let o = Overrides {
        max_steps: Some(MAX_STEPS),
        ..Overrides::default()
    };
    let report = mm_model::run(&p.script, &o);
    assert_eq!(report.traces.len(), mm_model::SchemeKind::ALL.len());
    for t in &report.traces {
        assert!(
            t.executed <= MAX_STEPS,
            "{} executed {} statements, over the budget of {MAX_STEPS}",
            t.scheme,
            t.executed
        );
    }
    let _ = report.run_text("fuzz.pin");
    let _ = report.passed();
    let _ = mm_model::export::to_c(&p.script, "fuzz");
});
