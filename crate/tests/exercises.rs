//! Every exercise in `exercises/`: it parses, its model answer passes every check, its start
//! fails at least one, and it is in `exercise::BUILTIN` (so the CLI and the page have it).

use mm_model::exercise::{grade, parse, BUILTIN};
use mm_model::Overrides;

#[test]
fn every_exercise_is_sound_and_shipped() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises");
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).expect("exercises/") {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "ex") {
            names.push(path.file_stem().unwrap().to_string_lossy().to_string());
        }
    }
    names.sort();
    assert!(names.len() >= 12, "only {} exercises", names.len());
    let shipped: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    assert_eq!(shipped, names, "exercise::BUILTIN and exercises/ differ");
    let o = Overrides::default();
    let mut problems = Vec::new();
    for name in &names {
        let text = std::fs::read_to_string(format!("{dir}/{name}.ex")).unwrap();
        let ex = match parse(name, &text) {
            Ok(ex) => ex,
            Err(e) => {
                problems.push(format!(
                    "{name}: {}",
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
                continue;
            }
        };
        let answer = grade(&ex, &ex.answer, &o);
        for r in answer.results.iter().filter(|r| !r.passed) {
            problems.push(format!(
                "{name}: the answer fails `{}`: {}",
                r.check.text, r.detail
            ));
        }
        if !answer.errors.is_empty() {
            problems.push(format!(
                "{name}: the answer has errors: {:?}",
                answer.errors
            ));
        }
        if grade(&ex, &ex.start, &o).passed() {
            problems.push(format!("{name}: the starting script already passes"));
        }
        if ex.hints.is_empty() || !ex.checks.iter().any(|c| c.hidden) {
            problems.push(format!(
                "{name}: needs at least one hint and one hidden check"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
