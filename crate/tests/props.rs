//! Property tests over random operation sequences: the model never panics, runs are
//! deterministic, and every counter equals what the live handles and mappings account for
//! (the ledger audit, after every step).

use mm_model::run::run_one;
use mm_model::settings::{CounterMode, KernelVersion, Settings, WritebackPolicy};
use mm_model::{parse, CostTable, SchemeKind};
use proptest::prelude::*;

const VMAS: [&str; 3] = ["f", "a", "h"];
const HANDLES: [&str; 3] = ["x", "y", "z"];

fn flag(on: bool, word: &str) -> &str {
    if on {
        word
    } else {
        ""
    }
}

fn op() -> impl Strategy<Value = String> {
    let vma = prop::sample::select(&VMAS[..]);
    let h = prop::sample::select(&HANDLES[..]);
    let page = 0u32..4;
    prop_oneof![
        (vma.clone(), page.clone()).prop_map(|(v, p)| format!("write {v} {p}")),
        (vma.clone(), page.clone()).prop_map(|(v, p)| format!("read {v} {p}")),
        (
            h.clone(),
            vma.clone(),
            page.clone(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(h, v, p, w, f, l)| format!(
                "gup {h} {v} {p}..4 {} {} {}",
                flag(w, "write"),
                flag(f, "fast"),
                flag(l, "longterm")
            )),
        (h.clone(), vma.clone(), page.clone())
            .prop_map(|(h, v, p)| format!("get {h} {v} {p} times=3")),
        (h.clone(), vma.clone()).prop_map(|(h, v)| format!("vmsplice {h} {v} 0")),
        h.clone().prop_map(|h| format!("dma {h} write")),
        (h.clone(), any::<bool>()).prop_map(|(h, d)| format!("put {h} {}", flag(d, "dirty"))),
        (h.clone(), any::<bool>()).prop_map(|(h, d)| format!("irq put {h} {}", flag(d, "dirty"))),
        h.clone().prop_map(|h| format!("put_page {h}")),
        (h.clone(), any::<bool>()).prop_map(|(h, d)| format!("complete {h} {}", flag(d, "dirty"))),
        Just("workqueue".to_string()),
        (any::<bool>(), any::<bool>()).prop_map(|(s, hold)| format!(
            "writeback F {} {}",
            flag(s, "sync"),
            flag(hold, "hold")
        )),
        Just("writeback-done F".to_string()),
        Just("sync".to_string()),
        prop_oneof![Just("reclaim"), Just("reclaim F"), Just("reclaim a")].prop_map(String::from),
        vma.clone().prop_map(|v| format!("migrate {v}")),
        (0u32..4).prop_map(|n| format!("truncate F {n}")),
        (vma.clone(), any::<bool>())
            .prop_map(|(v, w)| format!("mprotect {v} {}", if w { "rw" } else { "ro" })),
        (vma.clone(), 0u32..4, 1i64..3).prop_map(|(v, p, n)| format!("refs {v} {p} +{n}")),
        Just("fork child".to_string()),
        Just("child: write a".to_string()),
        Just("child: exit".to_string()),
        vma.clone().prop_map(|v| format!("munmap {v}")),
        (0u32..3).prop_map(|p| format!("punch F {p}..{}", p + 1)),
    ]
}

fn script(ops: &[String]) -> String {
    script_on("ext4", ops)
}

fn script_on(fs: &str, ops: &[String]) -> String {
    let mut s = format!(
        "file F {fs} pages=4\nmmap f F shared rw\nmmap a anon pages=4 rw\nmmap h anon pages=4 rw huge zone=movable\n\
         get x a 0\nget y f 0\nget z h 0\n",
    );
    let mut forked = false;
    for op in ops {
        // One fork at most: the name must stay unique.
        if op == "fork child" {
            if forked {
                continue;
            }
            forked = true;
        }
        s.push_str(op.trim_end());
        s.push('\n');
    }
    s
}

fn settings(era: usize, wb: usize, exact: bool) -> Settings {
    Settings {
        era: KernelVersion::all()
            .nth(era % KernelVersion::all().count())
            .unwrap(),
        writeback: WritebackPolicy::ALL[wb % WritebackPolicy::ALL.len()],
        counter: if exact {
            CounterMode::Exact
        } else {
            CounterMode::Bias
        },
        ..Settings::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random operation sequences never panic, and after every step the ledger balances.
    #[test]
    fn ledger_balances_after_every_step(ops in prop::collection::vec(op(), 1..24), era in 0usize..50, wb in 0usize..4, exact: bool, fs in prop::sample::select(&["ext4", "dax", "tmpfs", "btrfs"][..])) {
        let text = script_on(fs, &ops);
        let parse = parse(&text);
        prop_assume!(!parse.has_errors());
        let s = settings(era, wb, exact);
        let table = CostTable::default();
        for scheme in SchemeKind::ALL.iter().copied() {
            let full = run_one(&parse.script, &s, &table, scheme, None);
            for step in 1..=full.trace.executed {
                let k = run_one(&parse.script, &s, &table, scheme, Some(step)).kernel;
                let audit = k.audit();
                prop_assert!(audit.is_empty(), "{scheme} after step {step}: {audit:?}\nscript:\n{text}");
            }
        }
    }

    /// The same script and settings give the same trace, always.
    #[test]
    fn runs_are_deterministic(ops in prop::collection::vec(op(), 1..30), era in 0usize..50) {
        let text = script(&ops);
        let parse = parse(&text);
        prop_assume!(!parse.has_errors());
        let o = mm_model::Overrides { era: KernelVersion::all().nth(era), ..Default::default() };
        let a = mm_model::run(&parse.script, &o);
        let b = mm_model::run(&parse.script, &o);
        prop_assert_eq!(a.text(), b.text());
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// Scripts with nested `repeat` blocks, `thread` blocks and a `schedule` never panic the
    /// runner, and every thread statement runs exactly once.
    #[test]
    fn blocks_and_threads_never_panic(
        a in prop::collection::vec(op(), 1..6),
        b in prop::collection::vec(op(), 1..6),
        inner in prop::collection::vec(op(), 1..4),
        n in 1u64..5,
        order in prop::collection::vec(any::<bool>(), 0..10),
    ) {
        let mut text = script(&[]);
        text.push_str(&format!("repeat {n} {{\n"));
        for op in &inner {
            if op != "fork child" {
                text.push_str(&format!("  repeat 2 {{\n    {}\n  }}\n", op.trim_end()));
            }
        }
        text.push_str("}\n");
        for (name, ops) in [("t1", &a), ("t2", &b)] {
            text.push_str(&format!("thread {name} {{\n"));
            for op in ops.iter().filter(|o| *o != "fork child") {
                text.push_str(&format!("  {}\n", op.trim_end()));
            }
            text.push_str("}\n");
        }
        let sched: Vec<&str> = order.iter().map(|&x| if x { "t1" } else { "t2" }).collect();
        if !sched.is_empty() {
            text.push_str(&format!("schedule {}\n", sched.join(" ")));
        }
        text.push_str("sync\nexpect ok\n");
        let parse = parse(&text);
        prop_assume!(!parse.has_errors());
        let report = mm_model::run(&parse.script, &mm_model::Overrides::default());
        let a_n = a.iter().filter(|o| *o != "fork child").count() as u64;
        let b_n = b.iter().filter(|o| *o != "fork child").count() as u64;
        let inner_n = inner.iter().filter(|o| *o != "fork child").count() as u64;
        let expected = 7 + n * inner_n * 2 + a_n + b_n + 2;
        for t in &report.traces {
            prop_assert_eq!(t.executed, expected, "{}", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// The explorer never panics on threaded scripts of any operation (IRQ completions, forks,
    /// `kworker` turns in the schedule), stays within its bound, and is deterministic.
    #[test]
    fn exploring_never_panics(
        a in prop::collection::vec(op(), 1..5),
        b in prop::collection::vec(op(), 1..4),
        kworker: bool,
        reduce: bool,
    ) {
        let mut text = script(&[]);
        for (name, ops) in [("t1", &a), ("t2", &b)] {
            text.push_str(&format!("thread {name} {{\n"));
            for op in ops {
                text.push_str(&format!("  {}\n", op.trim_end()));
            }
            text.push_str("}\n");
        }
        if kworker {
            text.push_str("schedule t1 kworker t2\n");
        }
        text.push_str("workqueue\nexpect ok\n");
        let parse = parse(&text);
        prop_assume!(!parse.has_errors());
        let bounds = mm_model::explore::Bounds { max_states: 3_000, reduce };
        let o = mm_model::Overrides::default();
        let e = mm_model::explore::explore_with(&parse.script, &o, bounds, &mut |_| true);
        let again = mm_model::explore::explore_with(&parse.script, &o, bounds, &mut |_| true);
        prop_assert_eq!(&e, &again);
        for s in &e.schemes {
            prop_assert!(s.states <= 3_000 || s.stopped.is_some(), "{:?}", s);
            for f in &s.found {
                prop_assert!(f.violating >= 1 && f.violating <= s.schedules, "{:?}", f);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// A `fork` in a thread takes two turns. Whatever runs between them, including the turns a
    /// schedule gives to threads that must wait, never panics and leaves the ledger balanced
    /// after every step, on every release; every other thread statement runs once.
    #[test]
    fn forks_in_threads_keep_the_ledger(
        a in prop::collection::vec(op(), 0..5),
        at in 0usize..5,
        b in prop::collection::vec(op(), 1..5),
        order in prop::collection::vec(any::<bool>(), 0..12),
        era in 0usize..50,
        exact: bool,
    ) {
        let mut t1: Vec<String> = a.into_iter().filter(|o| o != "fork child").collect();
        t1.insert(at.min(t1.len()), "fork child".into());
        let t2: Vec<String> = b.into_iter().filter(|o| o != "fork child").collect();
        let mut text = script(&[]);
        for (name, ops) in [("t1", &t1), ("t2", &t2)] {
            text.push_str(&format!("thread {name} {{\n"));
            for op in ops {
                text.push_str(&format!("  {}\n", op.trim_end()));
            }
            text.push_str("}\n");
        }
        let sched: Vec<&str> = order.iter().map(|&x| if x { "t1" } else { "t2" }).collect();
        if !sched.is_empty() {
            text.push_str(&format!("schedule {}\n", sched.join(" ")));
        }
        let parse = parse(&text);
        prop_assume!(!parse.has_errors());
        let s = settings(era, 0, exact);
        let table = CostTable::default();
        for scheme in SchemeKind::ALL.iter().copied() {
            let full = run_one(&parse.script, &s, &table, scheme, None);
            let waits = full.trace.steps.iter().filter(|st| st.text.ends_with("(waits)")).count();
            // The 7 declarations of `script`, each thread statement once, the fork twice.
            let expected = 7 + t1.len() + 1 + t2.len() + waits;
            prop_assert_eq!(full.trace.executed, expected as u64, "{}", text);
            for step in 1..=full.trace.executed {
                let k = run_one(&parse.script, &s, &table, scheme, Some(step)).kernel;
                let audit = k.audit();
                prop_assert!(audit.is_empty(), "{scheme} after step {step}: {audit:?}\nscript:\n{text}");
            }
        }
    }
}
