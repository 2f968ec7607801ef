//! End-to-end tests of the `pinlab` binary: every command, every format, exit codes, widths.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pinlab");

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs pinlab in tests/data (so file names in the output are short and stable).
fn pinlab(args: &[&str]) -> Out {
    pinlab_stdin(args, None)
}

fn pinlab_stdin(args: &[&str], stdin: Option<&str>) -> Out {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(data())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pinlab");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(s) = stdin {
            // A usage error exits before reading standard input: a broken pipe is fine then.
            if let Err(e) = input.write_all(s.as_bytes()) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
            }
        }
    }
    let out = child.wait_with_output().expect("wait pinlab");
    Out {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn assert_width(what: &str, text: &str) {
    for (i, l) in text.lines().enumerate() {
        // A line that ends in a URL may be longer: URLs are never cut.
        let url = l.split_whitespace().last().unwrap_or("");
        assert!(
            l.chars().count() <= 72 || (url.starts_with("https://") && l.len() - url.len() <= 72),
            "{what}: line {} is {} columns: {l}",
            i + 1,
            l.chars().count()
        );
    }
}

#[test]
fn run_text() {
    let o = pinlab(&["run", "pass.pin"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("pinlab run pass.pin  script "));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn run_json() {
    let o = pinlab(&["run", "pass.pin", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("valid JSON");
    assert_eq!(v["traces"].as_array().map(Vec::len), Some(3));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn run_markdown() {
    let o = pinlab(&["run", "pass.pin", "--format=markdown"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("```text\n"));
    assert!(o.stdout.contains("| scheme | violations | cost |"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn run_stdin_with_overrides() {
    let script = std::fs::read_to_string(data().join("dir/b-irq.pin")).expect("read");
    let o = pinlab_stdin(
        &[
            "run",
            "-",
            "--scheme",
            "fake-vma",
            "--scheme=refcount",
            "--kernel",
            "5.19",
            "--set",
            "writeback=wait",
            "--set",
            "counter=exact",
            "--cost",
            "atomic=8ns",
            "--cost",
            "queue-work=0.25us",
        ],
        Some(&script),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("pinlab run <stdin>  script "));
    assert!(!o.stdout.contains("== legacy =="));
    assert!(o.stdout.contains("kernel 5.19"));
    assert!(o.stdout.contains("writeback=wait counter=exact"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn run_failing_expectation_exits_1() {
    let o = pinlab(&["run", "fail.pin"]);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("FAIL line 6"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn run_parse_error_exits_2_with_diagnostics() {
    let o = pinlab(&["run", "bad.pin"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    insta::assert_snapshot!(o.stderr);
}

#[test]
fn check_passing() {
    let o = pinlab(&["check", "dir", "pass.pin"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(o.stdout.lines().last(), Some("3 passed, 0 failed"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn check_failing() {
    let o = pinlab(&["check", "pass.pin", "fail.pin"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout.lines().last(), Some("1 passed, 1 failed"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn check_parse_error() {
    let o = pinlab(&["check", "bad.pin", "pass.pin"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.contains("ERROR   bad.pin 2:1 unknown statement"));
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn check_missing_file() {
    let o = pinlab(&["check", "no-such.pin"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.starts_with("ERROR   no-such.pin cannot read"));
    assert_eq!(o.stdout.lines().last(), Some("0 passed, 1 failed"));
}

#[test]
fn sweep_text() {
    let o = pinlab(&["sweep"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    insta::assert_snapshot!(o.stdout);
    // Jan Kara's point: fake-vma's per-page overhead over refcount shrinks as the IO grows.
    let rows: Vec<Vec<f64>> = o
        .stdout
        .lines()
        .skip(3)
        .take_while(|l| !l.starts_with("crossover"))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .map(|x| x.parse().expect("number"))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 10);
    for cols in [(1, 2), (4, 5)] {
        let gap: Vec<f64> = rows.iter().map(|r| r[cols.1] - r[cols.0]).collect();
        assert!(gap.windows(2).all(|w| w[1] <= w[0]), "{gap:?}");
        assert!(gap[0] > 4.0 * gap[9].abs().max(1.0), "{gap:?}");
    }
    // ... until, in process context, the fake VMA is cheaper per page than the counter.
    assert!(
        o.stdout
            .contains("crossover (proc): fake-vma falls below refcount at ~"),
        "{}",
        o.stdout
    );
}

#[test]
fn sweep_svg() {
    let path = std::env::temp_dir().join(format!("pinlab-sweep-{}.svg", std::process::id()));
    let p = path.to_str().expect("utf-8 path");
    let o = pinlab(&["sweep", "--svg", p]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let svg = std::fs::read_to_string(&path).expect("svg written");
    let _ = std::fs::remove_file(&path);
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 6);
    assert!(svg.contains("pages per call"));
    assert!(svg.contains("ns per page"));
    assert!(svg.contains("fake-vma irq"));
}

#[test]
fn explain_list() {
    let o = pinlab(&["explain"]);
    assert_eq!(o.code, 0);
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn explain_one() {
    let o = pinlab(&["explain", "dirty-without-buffers"]);
    assert_eq!(o.code, 0);
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn explain_every_kind_has_a_working_example() {
    let list = pinlab(&["explain"]).stdout;
    let names: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(names.len(), 20);
    for name in names {
        let o = pinlab(&["explain", name]);
        assert_eq!(o.code, 0, "{name}");
        assert_width(name, &o.stdout);
        let raised = !o.stdout.contains("raises it under no scheme");
        assert_eq!(raised, name != "pin-undetected", "{name}\n{}", o.stdout);
    }
}

#[test]
fn explain_one_at_a_release_names_its_functions() {
    let old = pinlab(&["explain", "dirty-without-buffers", "--kernel", "4.19"]);
    assert_eq!(old.code, 0);
    assert_width("explain --kernel 4.19", &old.stdout);
    let flat = old.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "kernel path (Linux 4.19): set_page_dirty_lock (now folio_mark_dirty_lock) \
             after try_to_release_page (now filemap_release_folio);"
        ),
        "{}",
        old.stdout
    );
    let new = pinlab(&["explain", "dirty-without-buffers", "--kernel", "6.13"]);
    let flat = new.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("folio_mark_dirty_lock after filemap_release_folio;"),
        "{}",
        new.stdout
    );
    assert!(!flat.contains("(now "), "{}", new.stdout);
}

#[test]
fn explain_unknown_suggests() {
    let o = pinlab(&["explain", "lost-wirte"]);
    assert_eq!(o.code, 2);
    assert!(o.stdout.is_empty());
    insta::assert_snapshot!(o.stderr);
}

#[test]
fn costs() {
    let o = pinlab(&["costs"]);
    assert_eq!(o.code, 0);
    assert_width("costs", &o.stdout);
    insta::assert_snapshot!(o.stdout);
}

#[test]
fn usage_errors() {
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["chekc", "x.pin"],
        &["run"],
        &["run", "pass.pin", "--scheme", "nope"],
        &["run", "pass.pin", "--kernel", "4.4"],
        &["run", "pass.pin", "--set", "writeback=never"],
        &["run", "pass.pin", "--set", "color=blue"],
        &["run", "pass.pin", "--cost", "atomic=fast"],
        &["run", "pass.pin", "--cost", "atomik=5ns"],
        &["run", "pass.pin", "--format", "yaml"],
        &["run", "pass.pin", "--bogus"],
        &["run", "pass.pin", "--format"],
        &["run", "missing.pin"],
        &["check"],
        &["sweep", "extra"],
        &["costs", "extra"],
        &["check", "pass.pin", "--kernel"],
        &["explain", "lost-write", "extra"],
        &["export", "--c", "pass.pin", "--fuzz", "3"],
        &["export", "--fuzz", "3"],
        &["link", "pass.pin", "--step", "two"],
        &["exercise", "show"],
        &["exercise", "frobnicate"],
        &["explore", "pass.pin", "--max-states", "0"],
        &["explore", "pass.pin", "--max-seconds", "-1"],
        &["explore", "pass.pin", "--max-schedules", "3"],
        &["completions", "tcsh"],
    ];
    let mut snap = String::new();
    for args in cases {
        let o = pinlab(args);
        assert_eq!(o.code, 2, "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: {}", o.stdout);
        assert!(!o.stderr.is_empty(), "{args:?}");
        if args.is_empty() {
            // No command: the overview, on stderr.
            assert!(o.stderr.contains("Commands:"), "{}", o.stderr);
            assert!(o.stderr.contains("Exit codes:"), "{}", o.stderr);
        } else {
            snap.push_str(&format!("$ pinlab {}\n{}\n", args.join(" "), o.stderr));
        }
    }
    insta::assert_snapshot!(snap);
}

#[test]
fn help_documents_exit_codes() {
    for cmd in [
        vec!["--help"],
        vec!["-h"],
        vec!["help"],
        vec!["help", "explore"],
        vec!["run", "--help"],
        vec!["run", "-h"],
        vec!["check", "--help"],
        vec!["sweep", "--help"],
        vec!["export", "--help"],
        vec!["link", "--help"],
        vec!["exercise", "--help"],
        vec!["exercise", "show", "--help"],
        vec!["exercise", "check", "-h"],
        vec!["exercise", "grade", "--help"],
        vec!["explore", "--help"],
        vec!["explore", "-h"],
        vec!["explain", "--help"],
        vec!["costs", "-h"],
        vec!["completions", "--help"],
    ] {
        let o = pinlab(&cmd);
        assert_eq!(o.code, 0, "{cmd:?}");
        assert!(o.stdout.contains("Exit codes:"), "{cmd:?}");
        assert!(o.stdout.contains("2  bad input or usage"), "{cmd:?}");
        assert!(o.stderr.is_empty(), "{cmd:?}: {}", o.stderr);
        assert_width(&cmd.join(" "), &o.stdout);
    }
    insta::assert_snapshot!(pinlab(&["run", "--help"]).stdout);
}

#[test]
fn version() {
    let o = pinlab(&["--version"]);
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout, format!("pinlab {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(pinlab(&["-V"]).stdout, o.stdout);
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let o = pinlab(&["completions", shell]);
        assert_eq!(o.code, 0, "{shell}: {}", o.stderr);
        assert!(o.stdout.contains("explore"), "{shell}");
        assert!(o.stdout.contains("max-states"), "{shell}");
    }
}

#[test]
fn text_outputs_fit_72_columns() {
    for args in [
        vec!["run", "pass.pin"],
        vec!["run", "fail.pin"],
        vec!["run", "dir/b-irq.pin"],
        vec!["check", "pass.pin", "fail.pin", "bad.pin", "dir"],
        vec!["sweep"],
        vec!["explain"],
        vec!["costs"],
    ] {
        assert_width(&args.join(" "), &pinlab(&args).stdout);
    }
    // A long file name is shortened in the run header.
    let long = format!("{}/pass.pin", data().display()).repeat(1);
    let o = pinlab(&["run", &long]);
    assert_width("run long name", &o.stdout);
}

#[test]
fn conformance_suite_passes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance");
    let Ok(rd) = std::fs::read_dir(dir) else {
        eprintln!("skipping: {dir} not found");
        return;
    };
    let n = rd
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "pin"))
        .count();
    let o = pinlab(&["check", dir]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(
        o.stdout.lines().last(),
        Some(format!("{n} passed, 0 failed").as_str())
    );
    assert_eq!(
        o.stdout
            .lines()
            .filter(|l| l.starts_with("ok      "))
            .count(),
        n
    );
    assert_width("check conformance", &o.stdout);
}

#[test]
fn link_round_trips_through_the_model() {
    let script = "mmap m anon pages=1 rw\nwrite m\n";
    let o = pinlab_stdin(
        &[
            "link",
            "-",
            "--scheme",
            "fake-vma",
            "--side",
            "--step",
            "2",
            "--kernel",
            "6.1",
            "--set",
            "writeback=keep-dirty",
            "--cost",
            "atomic=8ns",
            "--base",
            "https://h/p/?q=1",
        ],
        Some(script),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let url = o.stdout.trim();
    assert!(url.starts_with("https://h/p/?q=1#v1."), "{url}");
    let s = mm_model::link::Share::from_fragment(url).expect("the link decodes");
    assert_eq!(s.script, script);
    assert_eq!(s.scheme_kind(), Some(mm_model::SchemeKind::FakeVma));
    assert!(s.side);
    assert_eq!(s.step, Some(2));
    let ov = s.overrides();
    assert_eq!(ov.era.map(|v| v.to_string()).as_deref(), Some("6.1"));
    assert_eq!(
        ov.costs,
        vec![("atomic".to_string(), mm_model::Duration(8000))]
    );
    // Bad input is a usage error with a reason.
    let bad = pinlab_stdin(&["link", "-", "--scheme", "legacyy"], Some(script));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("'legacyy'") && bad.stderr.contains("not a scheme"),
        "{}",
        bad.stderr
    );
    let missing = pinlab(&["link"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn exercise_commands() {
    let l = pinlab(&["exercise", "list"]);
    assert_eq!(l.code, 0, "{}", l.stderr);
    assert!(l.stdout.starts_with("01-first-pin "), "{}", l.stdout);
    assert!(l.stdout.lines().all(|x| x.chars().count() <= 72));
    let s = pinlab(&["exercise", "show", "first-pin", "--hints", "1"]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(s.stdout.contains("Hint 1:") && !s.stdout.contains("Hint 2:"));
    assert!(
        !s.stdout.contains("ends with no pins"),
        "a hidden check leaked:\n{}",
        s.stdout
    );
    let ok = pinlab(&[
        "exercise",
        "check",
        "first-pin",
        "submissions/first-pin/alice.pin",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(
        ok.stdout.ends_with("PASS: 5 of 5 checks pass\n"),
        "{}",
        ok.stdout
    );
    let bad = pinlab(&[
        "exercise",
        "check",
        "first-pin",
        "submissions/first-pin/bob.pin",
    ]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stdout.contains("hidden checks: 0 of 2 pass"),
        "{}",
        bad.stdout
    );
    let err = pinlab(&[
        "exercise",
        "check",
        "first-pin",
        "submissions/first-pin/dave.pin",
    ]);
    assert_eq!(err.code, 2, "{}", err.stdout);
    assert_eq!(pinlab(&["exercise", "show", "no-such"]).code, 2);
}

#[test]
fn exercise_batch_grade_csv() {
    let o = pinlab(&["exercise", "grade", "first-pin", "submissions/first-pin"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    insta::assert_snapshot!(o.stdout);
}

const RACE: &str = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
    thread dio {\n  gup io buf write\n  dma io write\n  put io\n}\n\
    thread flusher {\n  read buf\n  writeback f\n}\n";

/// The totals line that ends a text report: `explored N states in S s (R states/s)`.
fn explored_states(report: &str) -> u64 {
    let last = report.lines().last().unwrap_or("");
    let rest = last.strip_prefix("explored ").expect(last);
    assert!(rest.ends_with(" states/s)"), "{last}");
    rest.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect(last)
}

#[test]
fn explore_finds_the_race_and_its_schedule() {
    // Every interleaving: 3 + 2 statements interleave in 5!/(3!2!) = 10 ways.
    let all = pinlab_stdin(
        &["explore", "-", "--scheme", "legacy", "--no-reduce"],
        Some(RACE),
    );
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.stderr.is_empty(), "no progress line when piped");
    assert!(
        all.stdout
            .contains("schedules: every interleaving\nlegacy: all 10 schedules, "),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout.contains(
            "Observation legacy lost-write Sometimes 2/10\n  schedule dio flusher flusher\n"
        ),
        "{}",
        all.stdout
    );
    assert!(explored_states(&all.stdout) > 0);
    assert_width("explore", &all.stdout);
    // With the reduction: every statement here touches the page, so no order is pruned.
    let reduced = pinlab_stdin(&["explore", "-", "--scheme", "legacy"], Some(RACE));
    assert_eq!(reduced.code, 0, "{}", reduced.stderr);
    assert!(
        reduced
            .stdout
            .contains("schedules: counted up to reordering of independent statements\n"),
        "{}",
        reduced.stdout
    );
    assert!(
        reduced
            .stdout
            .contains("Observation legacy lost-write Sometimes 2/10\n"),
        "{}",
        reduced.stdout
    );
    // A bound on states: said, not silent; exploring observes, so still exit 0.
    let cut = pinlab_stdin(&["explore", "-", "--max-states", "3"], Some(RACE));
    assert_eq!(cut.code, 0, "{}", cut.stderr);
    assert!(
        cut.stdout
            .contains("legacy: incomplete: bound hit after 3 states"),
        "{}",
        cut.stdout
    );
    let json = pinlab_stdin(
        &["explore", "-", "--json", "--scheme", "legacy"],
        Some(RACE),
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let legacy = &v["schemes"][0];
    assert_eq!(legacy["scheme"], "legacy");
    assert_eq!(legacy["schedules"], 10);
    assert!(legacy["states"].as_u64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(legacy["complete"], true);
    assert_eq!(v["complete"], true);
    let race = &legacy["observations"][0];
    assert_eq!(race["violation"], "lost-write");
    assert_eq!(race["frequency"], "Sometimes");
    assert_eq!(race["violating"], 2);
    assert_eq!(
        race["schedule"],
        serde_json::json!(["dio", "flusher", "flusher"])
    );
    let json_cut = pinlab_stdin(&["explore", "-", "--json", "--max-states", "3"], Some(RACE));
    let v: serde_json::Value = serde_json::from_str(&json_cut.stdout).expect("json");
    assert_eq!(v["complete"], false);
    assert_eq!(v["schemes"][0]["complete"], false);
    assert_eq!(v["schemes"][0]["stopped"]["states"], 3);
    let bad = pinlab_stdin(&["explore", "-"], Some("thread t {\n  wrte x\n}\n"));
    assert_eq!(bad.code, 2);
    assert!(bad.stdout.is_empty());
    assert!(bad.stderr.contains("not explored"), "{}", bad.stderr);
}

#[test]
fn explore_reduction_prunes_independent_orders() {
    let script = "mmap a anon pages=1 rw\nmmap b anon pages=1 rw\n\
                  thread t1 {\n  write a\n  write a\n}\n\
                  thread t2 {\n  write b\n  write b\n}\n";
    let all = pinlab_stdin(&["explore", "-", "--no-reduce"], Some(script));
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(
        all.stdout.contains("legacy: all 6 schedules, "),
        "{}",
        all.stdout
    );
    // The two threads touch different VMAs: every order is equivalent to one.
    let reduced = pinlab_stdin(&["explore", "-"], Some(script));
    assert_eq!(reduced.code, 0, "{}", reduced.stderr);
    assert!(
        reduced.stdout.contains("legacy: all 1 schedules, "),
        "{}",
        reduced.stdout
    );
    assert!(explored_states(&reduced.stdout) <= explored_states(&all.stdout));
}

#[test]
fn explore_time_bound() {
    // Four threads of four statements on one page: far more than a millisecond of states.
    let mut script = String::from("file f ext4 pages=1\nmmap buf f shared rw\n");
    for t in 0..4 {
        script.push_str(&format!(
            "thread t{t} {{\n  write buf\n  read buf\n  writeback f\n  write buf\n}}\n"
        ));
    }
    let o = pinlab_stdin(
        &[
            "explore",
            "-",
            "--no-reduce",
            "--scheme",
            "legacy",
            "--max-seconds",
            "0.001",
        ],
        Some(&script),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("legacy: incomplete: stopped after "),
        "{}",
        o.stdout
    );
}
