//! The example scenarios in `examples/` (domain §7's canonical scenarios, written for the 2018
//! rules unless a file says otherwise): every expectation holds, and the plain-text trace of all
//! three schemes is pinned by a snapshot.

#[test]
fn examples_hold_and_traces_match_snapshots() {
    insta::glob!("../../examples", "*.pin", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let parse = mm_model::parse(&text);
        assert!(
            !parse.has_errors(),
            "{}: {:?}",
            path.display(),
            parse.diagnostics
        );
        let report = mm_model::run(&parse.script, &mm_model::Overrides::default());
        let failed: Vec<_> = report.expectations.iter().filter(|e| !e.passed).collect();
        assert!(failed.is_empty(), "{}: {failed:#?}", path.display());
        let trace = report.text();
        for line in trace.lines() {
            assert!(
                line.chars().count() <= mm_model::trace::WIDTH,
                "{}: line too long: {line}",
                path.display()
            );
        }
        insta::assert_snapshot!(trace);
    });
}
