//! The kernel's own tests as an oracle: `oracle/selftests/NAME-6.1.tap` is what the mm selftest
//! NAME (`cow`, `gup_longterm`) printed on Linux 6.1 (recorded by `make kernel-selftests`), and
//! each script in `oracle/selftests/NAME/` repeats one of its test cases in pinlab's language,
//! with expect lines that state what the selftest checks. Under the pin counter on 6.1 a
//! script's expectations must hold exactly when the kernel passed that case; on the release
//! whose fixes the selftest was written for, they must all hold.

use std::fs;
use std::path::{Path, PathBuf};

use mm_model::{parse, Overrides, SchemeKind};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../oracle/selftests");

/// The result line (`ok ...` / `not ok ...`) that follows `# [RUN] desc` in the TAP output.
fn kernel_result<'a>(tap: &'a str, desc: &str) -> Option<&'a str> {
    let run = format!("# [RUN] {desc}");
    let mut lines = tap.lines().skip_while(|l| *l != run).skip(1);
    lines.find(|l| l.starts_with("ok ") || l.starts_with("not ok "))
}

fn cases(selftest: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = fs::read_dir(Path::new(DIR).join(selftest))
        .unwrap_or_else(|e| panic!("oracle/selftests/{selftest}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pin"))
        .collect();
    files.sort();
    files
}

/// Do `text`'s expectations hold under the pin counter, with its `kernel 6.1` replaced by
/// `kernel`?
fn holds(text: &str, kernel: &str) -> bool {
    let text = text.replace("kernel 6.1\n", &format!("kernel {kernel}\n"));
    let p = parse(&text);
    assert!(!p.has_errors(), "{:?}\n{text}", p.diagnostics);
    let o = Overrides {
        schemes: vec![SchemeKind::Refcount],
        ..Overrides::default()
    };
    mm_model::run(&p.script, &o).passed()
}

/// Every case of `selftest` agrees with the kernel's recorded result; returns how many cases
/// the kernel passed and failed.
fn agrees_with_6_1(selftest: &str, at_least: usize) -> (usize, usize) {
    let tap = fs::read_to_string(Path::new(DIR).join(format!("{selftest}-6.1.tap")))
        .expect("the recorded TAP");
    let files = cases(selftest);
    assert!(files.len() >= at_least, "only {} cases", files.len());
    let header = format!("# selftest {selftest}: ");
    let (mut passed, mut failed, mut wrong) = (0, 0, Vec::new());
    for file in &files {
        let text = fs::read_to_string(file).expect("case");
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let desc = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix(header.as_str()))
            .unwrap_or_else(|| panic!("{name}: no `{header}` line"));
        let result = kernel_result(&tap, desc)
            .unwrap_or_else(|| panic!("{name}: `{desc}` is not in {selftest}-6.1.tap"));
        assert!(
            !result.contains("# SKIP"),
            "{name}: the kernel skipped it: {result}"
        );
        let kernel_ok = result.starts_with("ok ") && !result.contains("# XFAIL");
        let model_ok = holds(&text, "6.1");
        if model_ok != kernel_ok {
            wrong.push(format!(
                "{name}: kernel `{result}`, pinlab's expectations hold: {model_ok}"
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
        "pinlab disagrees with Linux 6.1 on {selftest}:\n{}",
        wrong.join("\n")
    );
    (passed, failed)
}

/// How many of `selftest`'s cases fail in pinlab under `kernel`.
fn failing_on(selftest: &str, kernel: &str) -> usize {
    cases(selftest)
        .iter()
        .filter(|f| !holds(&fs::read_to_string(f).expect("case"), kernel))
        .count()
}

#[test]
fn pinlab_agrees_with_the_cow_selftest_on_6_1() {
    let (passed, failed) = agrees_with_6_1("cow", 48);
    // Both outcomes are covered: 6.1 fails the R/O longterm pins in private mappings.
    assert!(
        passed > 0 && failed > 0,
        "{passed} passed, {failed} failed on 6.1"
    );
}

#[test]
fn pinlab_agrees_with_the_gup_longterm_selftest_on_6_1() {
    let (passed, failed) = agrees_with_6_1("gup_longterm", 24);
    // 6.1 still pins shared ext4 pages R/W for the long term, which the selftest (6.5's
    // rules) counts as a failure.
    assert!(
        passed > 0 && failed > 0,
        "{passed} passed, {failed} failed on 6.1"
    );
}

/// The cases discriminate: where the selftests' fixes are, they all hold (cow: 6.2, with
/// 84209e87c696; gup_longterm: 6.5, with the LONGTERM write refusal), and on the releases
/// before those fixes many fail (the vmsplice leak before 5.8, the R/O pins before 5.19).
#[test]
fn the_selftest_cases_follow_the_releases() {
    for kernel in ["6.2", "6.18"] {
        assert_eq!(failing_on("cow", kernel), 0, "cow on {kernel}");
    }
    for kernel in ["6.5", "6.18"] {
        assert_eq!(
            failing_on("gup_longterm", kernel),
            0,
            "gup_longterm on {kernel}"
        );
    }
    for (kernel, at_least) in [("4.19", 10), ("5.18", 15)] {
        let n = failing_on("cow", kernel);
        assert!(n >= at_least, "cow on {kernel}: only {n} cases fail");
    }
}
