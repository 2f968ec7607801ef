//! Runner behaviour that the example scenarios do not show: the step budget, summaries of
//! nested repeats, thread scheduling and the end-of-script checks.

use mm_model::trace::StepKind;
use mm_model::{parse, run, Overrides, SchemeKind, ViolationKind};

fn legacy(text: &str) -> mm_model::Report {
    let p = parse(text);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    run(
        &p.script,
        &Overrides {
            schemes: vec![SchemeKind::Legacy],
            ..Default::default()
        },
    )
}

#[test]
fn step_budget_stops_with_a_message_and_keeps_the_partial_trace() {
    let r = legacy("set steps=50\nmmap m anon pages=1 rw\nrepeat 1000 {\n  read m\n}\nexpect ok\n");
    let t = &r.traces[0];
    assert_eq!(t.executed, 50);
    let msg = t.budget_hit.as_deref().expect("budget message");
    assert!(msg.contains("step budget of 50 statements"), "{msg}");
    assert!(!r.passed());
    assert!(r.text().contains("Observation") && r.text().contains("Partial"));
    // The repeat's summary counts only the iterations that ran.
    let sum = t.steps.iter().find_map(|s| match s.kind {
        StepKind::Repeat { iterations, .. } => Some(iterations),
        _ => None,
    });
    assert_eq!(sum, Some(48));
}

#[test]
fn nested_repeats_are_summarised_once_with_every_cost() {
    let r =
        legacy("mmap m anon pages=1 rw\nrepeat 3 {\n  read m\n  repeat 4 {\n    write m\n  }\n}\n");
    let t = &r.traces[0];
    assert_eq!(t.executed, 1 + 3 * 5);
    let summaries: Vec<(u64, u64)> = t
        .steps
        .iter()
        .filter_map(|s| match s.kind {
            StepKind::Repeat {
                iterations, body, ..
            } => Some((iterations, body)),
            _ => None,
        })
        .collect();
    assert_eq!(summaries, vec![(3, 1), (2, 5)]);
    let summed: u64 = t.steps.iter().map(|s| s.cost_ps).sum();
    assert_eq!(summed, t.total_ps);
}

#[test]
fn threads_follow_the_schedule_then_round_robin() {
    let r = legacy(
        "mmap m anon pages=1 rw\nthread a {\n  read m\n  write m\n}\nthread b {\n  mprotect m ro\n  mprotect m rw\n}\nschedule b b\n",
    );
    let lines: Vec<u32> = r.traces[0].steps.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![1, 7, 8, 3, 4]);
}

#[test]
fn unreleased_handles_are_reported_once_at_the_end() {
    let r = legacy("mmap m anon pages=1 rw\nwrite m\ngup p m write\nexpect violation pin-leak\n");
    assert!(r.passed(), "{:#?}", r.expectations);
    assert_eq!(r.traces[0].count(ViolationKind::PinLeak), 1);
}

#[test]
fn a_handle_leaked_inside_a_repeat_iteration_is_a_pin_leak() {
    let r = legacy("mmap m anon pages=1 rw\nwrite m\nrepeat 3 {\n  gup p m write\n}\n");
    assert_eq!(r.traces[0].count(ViolationKind::PinLeak), 3);
}

#[test]
fn a_front_end_cap_bounds_set_steps_and_says_so() {
    let p = parse("set steps=5000000\nmmap m anon pages=1 rw\nrepeat 3000000 {\n  read m\n}\n");
    let o = Overrides {
        schemes: vec![SchemeKind::Legacy],
        max_steps: Some(1000),
        ..Default::default()
    };
    let r = run(&p.script, &o);
    let t = &r.traces[0];
    assert_eq!(t.executed, 1000);
    let msg = t.budget_hit.as_deref().unwrap();
    assert!(msg.contains("this front end stops at 1000"), "{msg}");
}

#[test]
fn reports_round_trip_through_json() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let p = parse(&std::fs::read_to_string(&path).unwrap());
        let r = run(&p.script, &Overrides::default());
        let json = serde_json::to_string(&r).unwrap();
        let back: mm_model::Report =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            json,
            "{}",
            path.display()
        );
        assert_eq!(back.text(), r.text(), "{}", path.display());
    }
}

#[test]
fn kernel_states_round_trip_through_json_and_compare_equal() {
    use mm_model::run::state_at;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("repeat 100000") {
            continue; // the storm: same code paths, 400k steps
        }
        let p = parse(&text);
        for scheme in SchemeKind::ALL.iter().copied() {
            for step in [3, 6, 1000] {
                let k = state_at(&p.script, &Overrides::default(), scheme, step);
                let json = serde_json::to_string(&k).unwrap();
                let back: mm_model::Kernel = serde_json::from_str(&json)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(back, k, "{} {scheme} step {step}", path.display());
            }
        }
    }
}

/// `Duration` and `Report` moved down (to `duration.rs` and `trace.rs`); the public paths stay.
#[test]
fn moved_types_keep_their_public_paths() {
    let d: mm_model::Duration = mm_model::script::Duration(10_500);
    let e: mm_model::cost::Duration = d;
    assert_eq!(e.to_string(), "10.5ns");
    let parse = mm_model::parse("mmap m anon pages=1 rw\nexpect ok\n");
    let report: mm_model::run::Report = mm_model::run(&parse.script, &Default::default());
    let same: &mm_model::Report = &report;
    let _: &mm_model::trace::Report = same;
    let _: Option<&mm_model::run::ExpectOutcome> = same.expectations.first();
    assert!(same.passed());
}
