//! Every conformance scenario in ../shared/conformance passes, under every scheme (when the
//! directory exists: CI lays it beside the repository).

use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance"
    ))
}

#[test]
fn conformance_scripts_pass() {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        eprintln!("no ../shared/conformance: skipped");
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "pin"));
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let parse = mm_model::parse(&text);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if parse.has_errors() {
            failures.push(format!("{name}: parse errors {:?}", parse.diagnostics));
            continue;
        }
        let report = mm_model::run(&parse.script, &mm_model::Overrides::default());
        for e in report.expectations.iter().filter(|e| !e.passed) {
            let under = e.scheme.map(|s| s.to_string()).unwrap_or_default();
            failures.push(format!(
                "{name}:{} [{under}] expected {}, observed {}",
                e.line, e.text, e.observed
            ));
        }
        if std::env::var("PINLAB_DUMP").is_ok_and(|v| name.contains(&v)) {
            println!("{}", report.text());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files failing:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
