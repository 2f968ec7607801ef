//! `parse`: any bytes, read as (lossy) UTF-8, through the script parser, the diagnostics'
//! renderer, the canonical printer and the exercise-file reader. None of them may panic, and
//! a script without diagnostics must survive the printer: `parse(&script.to_string())` gives
//! an equal script with no diagnostics (the contract in crate/src/script/print.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = mm_model::parse(&text);
    for d in &p.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "diagnostic span {:?} outside a text of {} bytes: {}",
            d.span,
            text.len(),
            d.message
        );
        let _ = d.render(&text, "fuzz.pin");
    }
    let printed = p.script.to_string();
    if p.diagnostics.is_empty() {
        let again = mm_model::parse(&printed);
        assert!(
            again.diagnostics.is_empty(),
            "the canonical print has diagnostics: {:?}\n{printed}",
            again.diagnostics
        );
        assert_eq!(
            again.script, p.script,
            "round trip changed the script:\n{printed}"
        );
    }
    let _ = mm_model::exercise::parse("fuzz", &text);
});
