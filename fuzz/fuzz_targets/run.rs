//! `run`: any bytes, read as (lossy) UTF-8 and parsed. A script with errors loses the lines the
//! errors point at and is parsed again (a few rounds), so that mutated inputs still reach the
//! runner; a script without errors runs under all three schemes with a small step budget (so
//! one input stays fast), its report renders as the text trace, and the C exporter (the kernel
//! oracle's input) reads it. Must never panic, and must end well inside the hang timeout.
//!
//! A script that declares more than [`MAX_PAGES`] pages is not run: its time is the model's
//! per-page work (linear, measured by the benches), and a corpus full of 512,512-page mappings
//! ran at a quarter of the rate. A quadratic scan over 16,384 pages still takes seconds, so
//! the hangs that large mappings found (fuzz/regressions/run/timeout-*) would still be found;
//! those inputs are replayed whole by crate/tests/fuzz_regressions.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mm_model::script::{Stmt, StmtKind};
use mm_model::Overrides;

#[path = "runnable.rs"]
mod runnable;
use runnable::runnable;

/// Executed statements per scheme: enough for `repeat`, threads and several iterations,
/// small enough that a run takes milliseconds. A front end's cap, like the web page's.
const MAX_STEPS: u64 = 256;

/// The most pages a run script may declare (files, anonymous mappings, truncates).
const MAX_PAGES: u64 = 16_384;

/// Pages the statements declare, wherever they stand (a `repeat` counts once).
fn declared_pages(stmts: &[Stmt]) -> u64 {
    stmts
        .iter()
        .map(|st| match &st.kind {
            StmtKind::File { pages, .. } | StmtKind::MmapAnon { pages, .. } => u64::from(*pages),
            StmtKind::Op {
                op: mm_model::script::Op::Truncate { pages, .. },
                ..
            } => u64::from(*pages),
            StmtKind::Repeat { body, .. } | StmtKind::Thread { body, .. } => declared_pages(body),
            _ => 0,
        })
        .sum()
}

fuzz_target!(|data: &[u8]| {
    let Some(p) = runnable(&String::from_utf8_lossy(data)) else {
        return;
    };
    if declared_pages(&p.script.stmts) > MAX_PAGES {
        return;
    }
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
