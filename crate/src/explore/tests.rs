use super::*;
use proptest::prelude::*;

const RACE: &str = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
                    thread dio {\n  gup io buf write\n  dma io write\n  put io\n}\n\
                    thread flusher {\n  writeback f\n  sync\n}\n";

fn parse(text: &str) -> Script {
    let p = crate::parse(text);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    p.script
}

fn run_explore(text: &str, bounds: Bounds) -> Exploration {
    explore_with(&parse(text), &Overrides::default(), bounds, &mut |_| true)
}

fn plain() -> Bounds {
    Bounds {
        reduce: false,
        ..Bounds::default()
    }
}

fn kinds(s: &SchemeResult) -> Vec<ViolationKind> {
    s.found.iter().map(|f| f.kind).collect()
}

/// Per scheme: the schedules, and per violation kind how many raise it.
type Tally = (SchemeKind, u64, Vec<(ViolationKind, u64)>);

/// The oracle: every schedule (thread turns, and kworker turns while work is queued), each run
/// as a whole script with that `schedule` line by the ordinary runner; per scheme the number of
/// schedules and, per violation kind, how many raise it.
fn enumerate(script: &Script) -> Vec<Tally> {
    fn dfs(
        shape: &Shape<'_>,
        script: &Script,
        table: &CostTable,
        k: &Kernel,
        pcs: &mut Vec<usize>,
        path: &mut Vec<String>,
        out: &mut (u64, Vec<(ViolationKind, u64)>),
    ) {
        let threads = &shape.threads;
        if pcs.iter().zip(threads).all(|(pc, t)| *pc == t.body.len()) {
            let o = Overrides {
                schemes: vec![k.scheme],
                ..Overrides::default()
            };
            out.0 += 1;
            let report = crate::run(&with_schedule(script, path), &o);
            for (kind, _) in report.traces[0].violations() {
                match out.1.iter_mut().find(|e| e.0 == kind) {
                    Some(e) => e.1 += 1,
                    None => out.1.push((kind, 1)),
                }
            }
        }
        for t in 0..=threads.len() {
            let mut k = k.clone();
            let mut moved = true;
            match threads.get(t) {
                Some(th) if pcs[t] < th.body.len() => {
                    let st = &th.body[pcs[t]];
                    match turn(&k, st) {
                        Turn::Waits => continue,
                        Turn::ForkBegin => moved = false,
                        Turn::ForkFinish | Turn::Whole => {}
                    }
                    step_lite(&mut k, table, Transition::Stmt(st), &mut StepCx::default());
                    if moved {
                        pcs[t] += 1;
                    }
                }
                None if !k.workqueue.is_empty() => {
                    step_lite(&mut k, table, Transition::Kworker, &mut StepCx::default());
                }
                _ => continue,
            }
            path.push(shape.name(t).to_string());
            dfs(shape, script, table, &k, pcs, path, out);
            path.pop();
            if t < threads.len() && moved {
                pcs[t] -= 1;
            }
        }
    }
    let shape = Shape::of(script);
    let (settings, table, _) = crate::run::configure(script, &Overrides::default());
    SchemeKind::ALL
        .iter()
        .map(|&scheme| {
            let mut k = Kernel::new(scheme, settings.clone());
            step_lite(
                &mut k,
                &table,
                Transition::Head(&shape.head),
                &mut StepCx::default(),
            );
            let mut out = (0, Vec::new());
            let mut pcs = vec![0; shape.threads.len()];
            dfs(
                &shape,
                script,
                &table,
                &k,
                &mut pcs,
                &mut Vec::new(),
                &mut out,
            );
            out.1.sort_by_key(|(k, _)| *k as usize);
            (scheme, out.0, out.1)
        })
        .collect()
}

#[test]
fn counts_every_interleaving_without_the_reduction() {
    // Every statement touches the same VMA, so no two commute: C(5, 2) = 10 schedules.
    let text = "mmap a anon pages=1 rw\n\
                thread one {\n  write a\n  read a\n  write a\n}\n\
                thread two {\n  read a\n  write a\n}\n";
    for bounds in [plain(), Bounds::default()] {
        let e = run_explore(text, bounds);
        for s in &e.schemes {
            assert_eq!((s.schedules, s.stopped), (10, None), "{s:?}");
        }
    }
    // 6! / (2! 2! 2!) = 90 for three threads of two dependent statements.
    let three = "mmap a anon pages=1 rw\n\
                 thread x {\n  write a\n  read a\n}\nthread y {\n  write a\n  read a\n}\n\
                 thread z {\n  write a\n  read a\n}\n";
    let e = run_explore(three, plain());
    assert_eq!(e.schemes[0].schedules, 90);
}

/// State deduplication: many interleavings reach the same state, so the states visited are far
/// fewer than the schedules counted (pinned: a regression in the dedup shows here).
#[test]
fn states_are_deduplicated_and_pinned() {
    let three = "mmap a anon pages=1 rw\nmmap b anon pages=1 rw\nmmap c anon pages=1 rw\n\
                 thread x {\n  write a\n  read a\n}\nthread y {\n  write b\n  read b\n}\n\
                 thread z {\n  write c\n  read c\n}\n";
    let e = run_explore(three, plain());
    let s = &e.schemes[0];
    assert_eq!(s.schedules, 90);
    // 3x3x3 thread positions; the faults make different orders different states (the pfns
    // are allocated in fault order), so more than 27 but far fewer than the 90 x 6 steps.
    assert!(s.states < 90 * 6, "{s:?}");
    let pinned = (s.states, s.transitions);
    assert_eq!(run_explore(three, plain()).schemes[0].states, pinned.0);
    // With the reduction, three independent threads are one class of schedules.
    let r = run_explore(three, Bounds::default());
    let s = &r.schemes[0];
    assert_eq!(s.schedules, 1, "{s:?}");
    // Sleep sets prune transitions, not states: every state is still reached, by one
    // transition each instead of the plain search's several.
    assert_eq!((s.states, s.transitions), (27, 27), "{s:?}");
    assert_eq!(pinned, (79, 144), "plain: {pinned:?}");
}

/// The flusher cleaning the page between the pin and the DMA loses the write: only some
/// schedules do that.
#[test]
fn a_race_only_some_schedules_lose() {
    let e = run_explore(RACE, Bounds::default());
    let all = run_explore(RACE, plain());
    assert_eq!(e.schemes.len(), 3);
    for (s, p) in e.schemes.iter().zip(&all.schemes) {
        assert_eq!(p.schedules, 10, "C(5, 2)");
        assert_eq!(kinds(s), kinds(p), "{}", s.scheme);
        let lw = s
            .found
            .iter()
            .find(|f| f.kind == ViolationKind::LostWrite)
            .unwrap_or_else(|| panic!("{}: no lost-write in {:?}", s.scheme, s.found));
        assert_eq!(
            s.frequency(lw),
            Frequency::Sometimes,
            "{}: {lw:?}",
            s.scheme
        );
        let plain_lw = p.found.iter().find(|f| f.kind == lw.kind).expect("plain");
        assert!(
            plain_lw.violating > 0 && plain_lw.violating < 10,
            "{plain_lw:?}"
        );
        // The minimal schedule reproduces it when pasted back.
        let line = if lw.schedule.is_empty() {
            String::new() // the default round-robin order raises it
        } else {
            format!("schedule {}\n", lw.schedule.join(" "))
        };
        let text = format!("{RACE}{line}expect violation lost-write\n");
        let o = Overrides {
            schemes: vec![s.scheme],
            ..Overrides::default()
        };
        assert!(
            crate::run(&parse(&text), &o).passed(),
            "{}: {lw:?}",
            s.scheme
        );
    }
}

/// A schedule that must be spelled out: round-robin starts with dio, which loses nothing here;
/// the flusher must clean the page between the pin and the DMA.
#[test]
fn the_shortest_schedule_is_spelled_out_when_needed() {
    let text = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
                thread dio {\n  gup io buf write\n  dma io write\n  put io\n}\n\
                thread flusher {\n  read buf\n  writeback f\n}\n";
    let e = run_explore(text, Bounds::default());
    let s = &e.schemes[0];
    let lw = s
        .found
        .iter()
        .find(|f| f.kind == ViolationKind::LostWrite)
        .expect("lost-write");
    assert_eq!(s.frequency(lw), Frequency::Sometimes);
    assert_eq!(lw.schedule, ["dio", "flusher", "flusher"], "{lw:?}");
    // No shorter prefix reproduces it.
    let only = Overrides {
        schemes: vec![s.scheme],
        ..Overrides::default()
    };
    let short = &lw.schedule[..lw.schedule.len() - 1];
    assert!(!raises(
        &parse(text),
        &only,
        short,
        ViolationKind::LostWrite
    ));
}

#[test]
fn a_safe_script_is_never_violated() {
    let safe = "mmap a anon pages=1 rw\nmmap b anon pages=1 rw\n\
                thread one {\n  write a\n  read a\n}\nthread two {\n  write b\n  read b\n}\n";
    let e = run_explore(safe, plain());
    for s in &e.schemes {
        assert_eq!((s.schedules, s.stopped), (6, None));
        assert!(s.found.is_empty(), "{s:?}");
    }
}

#[test]
fn an_always_race() {
    // Both orders of an unpinned DMA after a put are a DMA into a freed page.
    let text = "mmap a anon pages=1 rw\nwrite a\ngup io a write\nput io\n\
                thread one {\n  dma io write\n}\nthread two {\n  read a\n}\n";
    let e = run_explore(text, plain());
    for s in &e.schemes {
        assert_eq!(s.schedules, 2);
        for f in &s.found {
            assert_eq!(s.frequency(f), Frequency::Always, "{}: {f:?}", s.scheme);
        }
    }
}

#[test]
fn the_bounds_are_reported() {
    let e = run_explore(
        RACE,
        Bounds {
            max_states: 4,
            reduce: false,
        },
    );
    for s in &e.schemes {
        assert_eq!(s.stopped, Some(Stop::States(4)));
        assert!(!s.complete());
    }
    // A script without threads is one schedule.
    let none = run_explore("mmap a anon pages=1 rw\nwrite a\n", Bounds::default());
    assert_eq!(none.schemes[0].schedules, 1);
    assert!(none.complete());
    // Cancelling from the progress callback stops every scheme.
    let many = "mmap a anon pages=1 rw\n\
                thread x {\n  write a\n  read a\n  write a\n  read a\n  write a\n}\n\
                thread y {\n  write a\n  read a\n  write a\n  read a\n  write a\n}\n\
                thread z {\n  write a\n  read a\n  write a\n  read a\n  write a\n}\n";
    let mut calls = 0;
    let e = explore_with(&parse(many), &Overrides::default(), plain(), &mut |p| {
        calls += 1;
        assert!(p.states > 0);
        false
    });
    assert_eq!(calls, 1);
    assert!(e.schemes.iter().all(|s| s.stopped == Some(Stop::Cancelled)));
}

/// Deferred work is an interleaving point: the completion in IRQ context leaves the dirtying
/// to the kworker, and reclaim can strip the page's buffers before it runs.
#[test]
fn the_kworker_interleaves() {
    let text = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
                thread dio {\n  gup io buf write\n  writeback f\n  dma io write\n  complete io dirty\n}\n\
                thread vm {\n  reclaim f\n}\n";
    let e = run_explore(text, Bounds::default());
    let legacy = &e.schemes[0];
    let f = legacy
        .found
        .iter()
        .find(|f| f.kind == ViolationKind::DirtyWithoutBuffers)
        .unwrap_or_else(|| panic!("{legacy:?}"));
    assert!(f.schedule.iter().any(|n| n == KWORKER), "{f:?}");
    let line = format!("{text}schedule {}\n", f.schedule.join(" "));
    let o = Overrides {
        schemes: vec![legacy.scheme],
        ..Overrides::default()
    };
    let report = crate::run(&parse(&line), &o);
    assert!(report.traces[0]
        .violations()
        .any(|(k, _)| k == ViolationKind::DirtyWithoutBuffers));
    // Without the kworker's turn, the deferred dirtying never runs.
    assert!(!raises(
        &parse(text),
        &o,
        &[],
        ViolationKind::DirtyWithoutBuffers
    ));
}

/// A fork in a thread takes two turns, and GUP-fast can pin between them: on 5.10 the pin is
/// taken after fork's check and before its write-protect, so the page ends up shared with the
/// child and the parent's next write moves away from it (the race 57efa1fe5957 closed in
/// 5.11, where GUP-fast sees `write_protect_seq` odd and the slow path waits for fork).
#[test]
fn gup_fast_races_fork_between_its_phases() {
    let race = |kernel: &str| {
        format!(
            "kernel {kernel}\nmmap heap anon pages=1 rw\nwrite heap\n\
             thread forker {{\n  fork child\n}}\n\
             thread pinner {{\n  gup io heap write fast\n  write heap\n  dma io write\n  put io dirty\n}}\n"
        )
    };
    let o = Overrides {
        schemes: vec![SchemeKind::Refcount],
        ..Overrides::default()
    };
    let explore = |text: &str, bounds| {
        explore_with(&parse(text), &o, bounds, &mut |_| true)
            .schemes
            .remove(0)
    };
    // 5.10: two turns for the fork and four statements: C(6, 2) = 15 interleavings; only the
    // one with the GUP between the phases and the write before the put loses the pin.
    let old = explore(&race("5.10"), plain());
    assert_eq!(old.schedules, 15);
    let lost = old
        .found
        .iter()
        .find(|f| f.kind == ViolationKind::PinLostByCow)
        .unwrap_or_else(|| panic!("{old:?}"));
    assert_eq!(lost.violating, 1);
    assert_eq!(old.frequency(lost), Frequency::Sometimes);
    assert_eq!(
        explore(&race("5.10"), Bounds::default()).found[0].kind,
        ViolationKind::PinLostByCow
    );
    // The schedule replays in the runner, and the trace shows both phases.
    let line = format!("{}schedule forker pinner forker\n", race("5.10"));
    let report = crate::run(&parse(&line), &o);
    let t = &report.traces[0];
    assert!(t
        .violations()
        .any(|(k, _)| k == ViolationKind::PinLostByCow));
    let texts: Vec<&str> = t.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts[2..5],
        [
            "fork child (first phase: copy, write_protect_seq odd)",
            "gup io heap write fast",
            "fork child (second phase: share, write_protect_seq even)",
        ]
    );
    // 5.11: the GUP cannot run between the phases, and the same schedule's GUP turn is a
    // wait; nothing is lost. The parent's store to its still-writable PTE needs no fault, so
    // it can run between them: 4 of the 15 orders are gone (the GUP between the phases).
    let new = explore(&race("5.11"), plain());
    assert_eq!(new.schedules, 11);
    assert!(new.found.is_empty(), "{new:?}");
    let line = format!("{}schedule forker pinner forker\n", race("5.11"));
    let report = crate::run(&parse(&line), &o);
    let t = &report.traces[0];
    assert_eq!(t.violations().count(), 0);
    assert_eq!(t.steps[3].text, "gup io heap write fast (waits)");
    assert!(t.steps[3].notes[0].contains("waits: fork of main holds mmap_lock"));
    // FOLL_GET GUP-fast has no sequence check on any release: it still gets in between.
    let get = race("6.1").replace("gup io heap write fast", "get io heap write fast");
    let line = format!("{get}schedule forker pinner forker\n");
    let report = crate::run(&parse(&line), &o);
    assert_eq!(
        report.traces[0].steps[3].text, "get io heap write fast",
        "{report:?}"
    );
    // Outside threads a fork stays one step.
    let flat = "kernel 5.10\nmmap heap anon pages=1 rw\nwrite heap\nfork child\n";
    let report = crate::run(&parse(flat), &o);
    assert_eq!(report.traces[0].steps[2].text, "fork child");
}

/// Reclaim may swap a page out between a fork's phases (it takes no lock fork holds): the
/// second phase gives the child the swap entry, so the child reads the parent's data back,
/// not a fresh zero page.
#[test]
fn a_page_swapped_out_between_fork_phases_reaches_the_child() {
    let text = "kernel 6.1\nmmap heap anon pages=1 rw\nwrite heap\n\
                thread forker {\n  fork child\n}\nthread vm {\n  reclaim\n}\n\
                schedule forker vm forker\nchild: read heap\n";
    let script = parse(text);
    let o = Overrides::default();
    let k = crate::run::state_at(&script, &o, SchemeKind::Refcount, u64::MAX);
    let child = k.proc_id("child").expect("the child exists");
    let v = k.vma_id(child, "heap").expect("the child has heap");
    let Some(crate::kernel::Pte::Present { pfn, .. }) = k.vmas[v as usize].ptes[0] else {
        panic!(
            "the child's heap is not mapped: {:?}",
            k.vmas[v as usize].ptes[0]
        );
    };
    let page = &k.pages[pfn as usize];
    assert!(!page.is_zero(), "the child got the zero page");
    assert_eq!(page.version, 1, "the child reads the parent's write");
}

/// A small random threaded script over two files, two anonymous VMAs and two handles.
fn script_strategy() -> impl Strategy<Value = String> {
    let stmt = prop_oneof![
        Just("read a"),
        Just("write a"),
        Just("read b"),
        Just("write b"),
        Just("read m"),
        Just("write m"),
        Just("read n"),
        Just("gup h3 n fast"),
        Just("put h3"),
        Just("gup h1 a write"),
        Just("gup h2 m write fast"),
        Just("dma h1 write"),
        Just("dma h2 write"),
        Just("put h1 dirty"),
        Just("put h2"),
        Just("writeback f"),
        Just("writeback g"),
        Just("reclaim f"),
        Just("sync"),
        Just("truncate g 0"),
        Just("mprotect m ro"),
        Just("fork child"),
    ];
    let thread = proptest::collection::vec(stmt, 1..4);
    // 5.10 lets a FOLL_PIN GUP-fast run between a fork's phases; 6.1 makes it wait.
    let kernel = prop_oneof![Just("5.10"), Just("6.1")];
    (kernel, proptest::collection::vec(thread, 2..4))
        .prop_map(|(kernel, threads)| {
            let mut text = format!(
                "kernel {kernel}\nfile f ext4 pages=1\nfile g xfs pages=1\nmmap a f shared rw\n\
             mmap b g shared rw\nmmap m anon pages=1 rw\nmmap n anon pages=1 rw\n\
             write a\nwrite b\n",
            );
            for (i, body) in threads.iter().enumerate() {
                text.push_str(&format!("thread t{i} {{\n"));
                for st in body {
                    text.push_str(&format!("  {st}\n"));
                }
                text.push_str("}\n");
            }
            text
        })
        .prop_filter("a handle used before any GUP names it", |t| {
            !crate::parse(t).has_errors()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The reduction and the deduplication find what running every interleaving finds.
    #[test]
    fn reduction_finds_what_enumeration_finds(text in script_strategy()) {
        let script = parse(&text);
        let oracle = enumerate(&script);
        let full = explore_with(&script, &Overrides::default(), plain(), &mut |_| true);
        let reduced = explore_with(&script, &Overrides::default(), Bounds::default(), &mut |_| true);
        for ((s, r), (scheme, total, found)) in full.schemes.iter().zip(&reduced.schemes).zip(&oracle) {
            prop_assert_eq!(s.scheme, *scheme);
            let want: Vec<ViolationKind> = found.iter().map(|f| f.0).collect();
            prop_assert_eq!(kinds(r), want.clone(), "reduced, {}", scheme);
            prop_assert_eq!(kinds(s), want, "deduplicated, {}", scheme);
            // Deduplication keeps the counts exact.
            prop_assert_eq!(s.schedules, *total, "{}", scheme);
            let counts: Vec<(ViolationKind, u64)> =
                s.found.iter().map(|f| (f.kind, f.violating)).collect();
            prop_assert_eq!(&counts, found, "{}", scheme);
            prop_assert!(r.schedules <= s.schedules);
            prop_assert!(r.states <= s.states);
        }
    }
}

/// Progress counts schedules as they are accounted for: never more than the final count, and
/// never going back.
#[test]
fn progress_counts_schedules_monotonically() {
    let body = "  write a\n  read a\n".repeat(4);
    let many = format!(
        "mmap a anon pages=1 rw\nthread x {{\n{body}}}\nthread y {{\n{body}}}\nthread z {{\n{body}}}\n"
    );
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let o = Overrides {
        schemes: vec![SchemeKind::Refcount],
        ..Overrides::default()
    };
    let e = explore_with(&parse(&many), &o, plain(), &mut |p| {
        seen.push((p.states, p.schedules));
        true
    });
    let total = e.schemes[0].schedules;
    assert_eq!(total, 9_465_511_770, "24! / (8! 8! 8!)");
    assert!(seen.len() > 1, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "{seen:?}");
    assert!(seen.iter().all(|(_, s)| *s <= total), "{seen:?}");
    assert!(seen.last().is_some_and(|(_, s)| *s > 0), "{seen:?}");
}
