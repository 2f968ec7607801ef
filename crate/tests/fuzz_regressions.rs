//! Inputs that once crashed or hung a fuzz target (fuzz/, `make fuzz`), run through the same
//! code path as that target: every file in `fuzz/regressions/TARGET/` (scripts/fuzz.sh replays
//! them too, on the instrumented build). A hang fails here as a timeout, not a stuck test run.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use mm_model::link::{self, Share};
use mm_model::{deflate, Overrides, SchemeKind};

#[path = "../../fuzz/fuzz_targets/runnable.rs"]
mod runnable;
use runnable::runnable;

/// The `run` target's step budget (fuzz/fuzz_targets/run.rs).
const MAX_STEPS: u64 = 256;
/// Far above what any of these inputs needs (milliseconds), far below "never".
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on another thread; fails if it panics or has not finished within [`LIMIT`].
fn within_limit(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {LIMIT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// The `parse` target.
fn parse_path(text: &str) {
    let p = mm_model::parse(text);
    for d in &p.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= text.len());
        let _ = d.render(text, "fuzz.pin");
    }
    let printed = p.script.to_string();
    if p.diagnostics.is_empty() {
        let again = mm_model::parse(&printed);
        assert!(again.diagnostics.is_empty(), "{printed}");
        assert_eq!(again.script, p.script, "{printed}");
    }
    let _ = mm_model::exercise::parse("fuzz", text);
}

/// The `run` target: every scheme under a small step budget, the text trace, the C export.
fn run_path(text: &str) -> Option<mm_model::Report> {
    let p = runnable(text)?;
    let o = Overrides {
        max_steps: Some(MAX_STEPS),
        ..Overrides::default()
    };
    let report = mm_model::run(&p.script, &o);
    assert_eq!(report.traces.len(), SchemeKind::ALL.len());
    assert!(report.traces.iter().all(|t| t.executed <= MAX_STEPS));
    let _ = report.run_text("fuzz.pin");
    let _ = mm_model::export::to_c(&p.script, "fuzz");
    Some(report)
}

/// The `link` target.
fn link_path(data: &[u8]) {
    let check = |share: Share| {
        let _ = share.overrides();
        assert_eq!(Share::from_fragment(&share.fragment()), Ok(share));
    };
    let frag = |payload: &[u8]| format!("v{}.{}", link::FORMAT, link::b64_encode(payload));
    if let Ok(s) = Share::from_fragment(&String::from_utf8_lossy(data)) {
        check(s);
    }
    assert_eq!(
        link::b64_decode(&link::b64_encode(data)).as_deref(),
        Some(data)
    );
    if let Ok(s) = Share::from_fragment(&frag(data)) {
        check(s);
    }
    let packed = deflate::deflate(data);
    assert_eq!(deflate::inflate(&packed).as_deref(), Ok(data));
    if let Ok(s) = Share::from_fragment(&frag(&packed)) {
        check(s);
    }
}

/// Every input in `fuzz/regressions/TARGET/`, through `f`.
fn replay(target: &str, f: fn(Vec<u8>)) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let data = std::fs::read(&path).unwrap();
        within_limit(&path.display().to_string(), move || f(data));
    }
}

#[test]
fn parse_regressions() {
    replay("parse", |d| parse_path(&String::from_utf8_lossy(&d)));
}

#[test]
fn run_regressions() {
    replay("run", |d| {
        run_path(&String::from_utf8_lossy(&d));
    });
}

#[test]
fn link_regressions() {
    replay("link", |d| link_path(&d));
}

/// The trace of `text` under `scheme` (the `run` target's budget).
fn trace_text(text: &str, scheme: SchemeKind) -> String {
    let report = run_path(text).expect("runs");
    let t = report.trace(scheme).unwrap();
    mm_model::trace::render_trace(&report, t)
}

// Hangs the `run` target found: a `repeat` whose iterations execute no statement (an empty
// body, or only expectations skipped by `under`) spent no step of the budget, so a huge count,
// or 64 nested `repeat 2`, ran for ever. Idle iterations are now counted, not run; the trace
// still sums them up in one line.

#[test]
fn empty_repeat_with_a_huge_count_ends() {
    within_limit("repeat 2^64-1 { }", || {
        let text = trace_text(
            "repeat 18446744073709551615 {\n}\nexpect ok\n",
            SchemeKind::Refcount,
        );
        assert!(
            text.contains("18446744073709551614 more x { 0 statements }"),
            "{text}"
        );
    });
}

#[test]
fn nested_empty_repeats_end() {
    within_limit("64 nested repeat 2", || {
        let text = "repeat 2 {\n".repeat(64) + &"}\n".repeat(64);
        let report = run_path(&text).expect("runs");
        assert!(report.passed());
    });
}

#[test]
fn repeat_of_expectations_for_another_scheme_ends() {
    within_limit("repeat 2^64-1 { expect ... under legacy }", || {
        let text =
            "mmap m anon pages=1 rw\nrepeat 18446744073709551615 {\n  expect ok under legacy\n}\n";
        // Under legacy every iteration is a step: the budget stops it.
        let report = run_path(text).expect("runs");
        let legacy = report.trace(SchemeKind::Legacy).unwrap();
        assert!(legacy.budget_hit.is_some());
        // Under the others no iteration is: they end at once, with no budget hit.
        for s in [SchemeKind::Refcount, SchemeKind::FakeVma] {
            let t = report.trace(s).unwrap();
            assert!(t.budget_hit.is_none(), "{s}");
            assert_eq!(t.executed, 1, "{s}");
        }
    });
}

#[test]
fn idle_iterations_are_summed_up_as_before() {
    // Small counts: the summary line is what running every iteration gives.
    let text = trace_text(
        "mmap m anon pages=1 rw\nwrite m\nrepeat 3 {\n  gup h m write\n  repeat 5 {\n  }\n  put h\n}\n",
        SchemeKind::Refcount,
    );
    assert!(text.contains("4 more x { 0 statements }"), "{text}");
    assert!(text.contains("2 more x { 2 statements }"), "{text}");
}

// A crash the `run` target found: under fake-vma a `gup` with a huge `times=` multiplied the
// calls by the interval-tree visits of an insertion (and by the slab objects per fake VMA, and
// at removal by the visits again) and overflowed. Costs now saturate, as `CostCounts` already
// does when it adds them up.

#[test]
fn huge_times_under_fake_vma_saturates_its_costs() {
    let report =
        run_path("mmap m anon pages=1 rw\ngup i m times=8446744073709551616\n").expect("runs");
    let t = report.trace(SchemeKind::FakeVma).unwrap();
    assert_eq!(t.total.get(mm_model::Primitive::ItreeNode), u64::MAX);
}

// A crash the `run` target found: a `gup` whose `times=` did not all fit under a counter's limit
// (refcount-overflow, ENOMEM) took only the calls that fit, but its handle kept the `times`
// asked for, so `put` dropped all of them: refcounts went negative and, for a huge `times=`,
// the multiplication overflowed. The handle now holds the calls that fit, and the ledger audit
// balances after every step.

#[test]
fn release_of_a_clamped_gup_drops_what_it_took() {
    let text = "mmap m anon pages=1 rw\nwrite m\ngup io m times=3000000\n\
                expect result ENOMEM under refcount\nexpect result ok under legacy, fake-vma\n\
                put io\nexpect page m 0 refcount=1\nexpect no-violation unbalanced-release\n";
    let report = run_path(text).expect("runs");
    assert!(report.passed(), "{}", report.text());
    let p = mm_model::parse(text);
    let (settings, table, _) = mm_model::run::configure(&p.script, &Overrides::default());
    for &scheme in SchemeKind::ALL {
        let n = mm_model::run_one(&p.script, &settings, &table, scheme, None)
            .trace
            .executed;
        for step in 1..=n {
            let k = mm_model::run_one(&p.script, &settings, &table, scheme, Some(step)).kernel;
            assert_eq!(
                k.audit(),
                Vec::<String>::new(),
                "{scheme} after step {step}"
            );
        }
    }
}

// A crash the `run` target found (in its parse): a duration's fraction was scaled to
// picoseconds by multiplying it by the unit first, which overflowed u128 for a fraction of
// some 30 digits or more (fewer than the 38 that fit). The check is now a division by a power
// of ten; the results and messages for everything that did not overflow are the same.

#[test]
fn a_long_fraction_of_a_duration_is_checked_without_overflow() {
    let diags = |text: &str| {
        mm_model::parse(text)
            .diagnostics
            .into_iter()
            .map(|d| d.message)
            .collect::<Vec<_>>()
    };
    let long = format!("1.{}1ms", "7".repeat(29));
    assert_eq!(
        diags(&format!("cost atomic={long}\n")),
        [format!(
            "duration `{long}` is more precise than a picosecond"
        )]
    );
    // Trailing zeros are exact, however many.
    let zeros = format!("1.5{}ms", "0".repeat(30));
    let p = mm_model::parse(&format!("cost atomic={zeros}\n"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(
        p.script.to_string(),
        mm_model::parse("cost atomic=1.5ms\n").script.to_string()
    );
    assert!(run_path(&format!("cost atomic={zeros}\n")).is_some());
}

// A crash the `run` target found: under fake-vma the rmap walk of a page visits each fake VMA
// once per call it stands for, and three `gup ... times=2^63-ish` on one page summed past
// u64. The visits saturate now, like the costs they are charged to.

#[test]
fn rmap_walk_over_huge_fake_vmas_saturates() {
    let report = run_path(
        "mmap m anon pages=1 rw\nrepeat 3 {\n  gup i m times=9223370198870275808\n}\n\
         write m\nreclaim\n",
    )
    .expect("runs");
    let t = report.trace(SchemeKind::FakeVma).unwrap();
    assert_eq!(t.total.get(mm_model::Primitive::RmapVma), u64::MAX);
}

// A hang the `run` target found: reclaim swapping out an anonymous page scanned every PTE of
// every VMA (twice) for the page's swap entries, so reclaiming a large anonymous mapping took
// pages x PTEs steps: 7 s for 65,536 pages in a release build, hours for the 1,048,576 a
// mapping may have. Reclaim now finds the swap entries once per statement and keeps them up
// to date; the traces are the same (checked on the whole fuzz corpus).

#[test]
fn reclaim_of_a_large_anonymous_mapping_is_linear() {
    within_limit("reclaim of 65,536 anonymous pages", || {
        let report = run_path("mmap heap anon pages=65536 rw\nwrite heap\nreclaim\nexpect ok\n")
            .expect("runs");
        assert!(report.passed(), "{}", report.text());
    });
}

// A hang the `run` target found: each swap-in fault looked for the page's other swap entries
// in every PTE of every VMA, so faulting a large swapped-out mapping back in took pages x PTEs
// steps. The entries of an anonymous page can only be in the pages its folio covers (where
// reclaim unmapped it, or fork copied them), which is all it reads now; the traces are the
// same (checked on the whole fuzz corpus).

#[test]
fn swap_in_of_a_large_anonymous_mapping_is_linear() {
    within_limit("swap-in of 65,536 anonymous pages", || {
        let report =
            run_path("mmap heap anon pages=65536 rw\nwrite heap\nreclaim\nread heap\nexpect ok\n")
                .expect("runs");
        assert!(report.passed(), "{}", report.text());
    });
}

// A timeout the `run` target found: a statement over 512,512 pages printed a note and a finding
// per page, a 237 MB trace. A step now lists the first notes and findings of a kind and counts
// the rest; the totals still count every one.

#[test]
fn a_step_over_half_a_million_pages_lists_a_bounded_number_of_lines() {
    let text = "kernel 6.1\nmmap heap anon pages=512512 rw huge\nwrite heap\nfork child\n\
                gup io2 heap\nvmsplice pipe heap\nwrite heap\n";
    let report = run_path(text).expect("runs");
    // Legacy: the write COWs every page away from the pins (refcount unshared them at GUP).
    let t = report.trace(SchemeKind::Legacy).unwrap();
    let rendered = mm_model::trace::render_trace(&report, t);
    assert!(rendered.len() < 20_000, "{} bytes", rendered.len());
    let write = t.steps.iter().rfind(|s| s.text == "write heap").unwrap();
    assert_eq!(write.notes.len(), mm_model::kernel::LISTED_NOTES + 1);
    assert!(
        write.notes.last().unwrap().ends_with("more notes"),
        "{rendered}"
    );
    let lost = mm_model::ViolationKind::PinLostByCow;
    let listed = write.findings.iter().filter(|f| f.kind == lost).count() as u64;
    let unlisted = write
        .unlisted
        .iter()
        .find(|(k, _)| *k == lost)
        .map_or(0, |&(_, n)| n);
    assert_eq!(listed, mm_model::kernel::LISTED_PER_KIND as u64);
    // Every page of both handles lost its pin, and the totals say so.
    assert_eq!(t.count(lost), listed + unlisted);
    assert!(t.count(lost) >= 2 * 512_000, "{}", t.count(lost));
    assert!(
        rendered.contains("more in this step, not listed"),
        "{rendered}"
    );
}
