//! What the `run` fuzz target runs: shared, through `#[path]`, with the regression test that
//! replays its inputs (crate/tests/fuzz_regressions.rs), so both take the same code path.

use mm_model::Parse;

/// Parses `text`; while it has errors (at most 3 more rounds), drops the lines they point at.
pub fn runnable(text: &str) -> Option<Parse> {
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
