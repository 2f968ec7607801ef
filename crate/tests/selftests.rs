//! The kernel's own test as an oracle: `oracle/selftests/cow-6.1.tap` is what the mm selftest
//! `cow` printed on Linux 6.1 (recorded by `make kernel-selftests`), and each script in
//! `oracle/selftests/cow/` repeats one of its test cases in pinlab's language, with expect lines
//! that state what the selftest checks. Under the pin counter on 6.1 a script's expectations
//! must hold exactly when the kernel passed that case.

use std::fs;
use std::path::Path;

use mm_model::{parse, Overrides, SchemeKind};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../oracle/selftests");

/// The result line (`ok ...` / `not ok ...`) that follows `# [RUN] desc` in the TAP output.
fn kernel_result<'a>(tap: &'a str, desc: &str) -> Option<&'a str> {
    let run = format!("# [RUN] {desc}");
    let mut lines = tap.lines().skip_while(|l| *l != run).skip(1);
    lines.find(|l| l.starts_with("ok ") || l.starts_with("not ok "))
}

#[test]
fn pinlab_agrees_with_the_cow_selftest_on_6_1() {
    let tap = fs::read_to_string(Path::new(DIR).join("cow-6.1.tap")).expect("the recorded TAP");
    let mut files: Vec<_> = fs::read_dir(Path::new(DIR).join("cow"))
        .expect("oracle/selftests/cow")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pin"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} cases", files.len());
    let o = Overrides {
        schemes: vec![SchemeKind::Refcount],
        ..Overrides::default()
    };
    let (mut passed, mut failed, mut wrong) = (0, 0, Vec::new());
    for file in &files {
        let text = fs::read_to_string(file).expect("case");
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let desc = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# selftest cow: "))
            .unwrap_or_else(|| panic!("{name}: no `# selftest cow:` line"));
        let result = kernel_result(&tap, desc)
            .unwrap_or_else(|| panic!("{name}: `{desc}` is not in cow-6.1.tap"));
        assert!(
            !result.contains("# SKIP"),
            "{name}: the kernel skipped it: {result}"
        );
        let kernel_ok = result.starts_with("ok ") && !result.contains("# XFAIL");
        let p = parse(&text);
        assert!(!p.has_errors(), "{name}: {:?}", p.diagnostics);
        let report = mm_model::run(&p.script, &o);
        if report.passed() != kernel_ok {
            wrong.push(format!(
                "{name}: kernel `{result}`, pinlab's expectations hold: {}",
                report.passed()
            ));
        }
        if kernel_ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "pinlab disagrees with Linux 6.1:\n{}",
        wrong.join("\n")
    );
    // Both outcomes are covered: the cases are not all passes.
    assert!(
        passed > 0 && failed > 0,
        "{passed} passed, {failed} failed on 6.1"
    );
}

/// The cases discriminate: on older releases, whose fixes the selftest was written for, many of
/// them fail in pinlab (the vmsplice leak before 5.8, the R/O pins before 5.19).
#[test]
fn the_cow_cases_fail_where_the_old_kernels_did() {
    let files: Vec<_> = fs::read_dir(Path::new(DIR).join("cow"))
        .expect("oracle/selftests/cow")
        .map(|e| e.expect("dir entry").path())
        .collect();
    for (kernel, at_least) in [("4.19", 10), ("5.18", 15)] {
        let failing = files
            .iter()
            .filter(|f| {
                let text = fs::read_to_string(f).expect("case");
                let text = text.replace("kernel 6.1", &format!("kernel {kernel}"));
                let o = Overrides {
                    schemes: vec![SchemeKind::Refcount],
                    ..Overrides::default()
                };
                !mm_model::run(&parse(&text).script, &o).passed()
            })
            .count();
        assert!(failing >= at_least, "{kernel}: only {failing} cases fail");
    }
}
