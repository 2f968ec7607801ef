//! `run`: any bytes, read as (lossy) UTF-8 and parsed. A script with errors loses the lines the
//! errors point at and is parsed again (a few rounds), so that mutated inputs still reach the
//! runner; a script without errors runs under all three schemes with a small step budget (so
//! one input stays fast), its report renders as the text trace, and the C exporter (the kernel
//! oracle's input) reads it. Must never panic, and must end well inside the hang timeout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mm_model::Overrides;

#[path = "runnable.rs"]
mod runnable;
use runnable::runnable;

/// Executed statements per scheme: enough for `repeat`, threads and several iterations,
/// small enough that a run takes milliseconds. A front end's cap, like the web page's.
const MAX_STEPS: u64 = 256;

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
