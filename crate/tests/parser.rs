//! Data-driven tests of the script front end: fixtures under `tests/data/parser/{ok,err}`, the
//! shared conformance scripts, and property tests (no panics; print/parse round trip).

use std::fmt::Write as _;
use std::path::Path;

use mm_model::script::{
    Cmp, DmaDir, Expect, GupFlags, Ident, Op, PageField, PageRange, Setting, Stmt, StmtKind,
};
use mm_model::settings::{CounterMode, FsKind, GupFastMode, KernelVersion, WritebackPolicy, Zone};
use mm_model::{parse, Duration, OpResult, SchemeKind, Script};
use proptest::prelude::*;

/// Renders every diagnostic of a parse, in order.
fn render_all(text: &str, name: &str) -> String {
    let mut out = String::new();
    for d in parse(text).diagnostics {
        out.push_str(&d.render(text, name));
        out.push('\n');
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn ok_fixtures() {
    insta::glob!("data/parser/ok/*.pin", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let res = parse(&text);
        assert!(
            res.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&text, &file_name(path))
        );
        let printed = res.script.to_string();
        let again = parse(&printed);
        assert!(
            again.diagnostics.is_empty(),
            "reprint has diagnostics:\n{}",
            render_all(&printed, "printed")
        );
        assert_eq!(
            again.script, res.script,
            "round trip changed the script:\n{printed}"
        );
        let json = serde_json::to_string_pretty(&res.script).unwrap();
        let mut snap = String::new();
        writeln!(snap, "{printed}---").unwrap();
        snap.push_str(&json);
        insta::assert_snapshot!(snap);
    });
}

#[test]
fn err_fixtures() {
    insta::glob!("data/parser/err/*.pin", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let res = parse(&text);
        assert!(
            res.has_errors(),
            "{}: expected at least one error",
            path.display()
        );
        insta::assert_snapshot!(render_all(&text, &file_name(path)));
    });
}

#[test]
fn conformance_scripts_parse_cleanly() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance"
    ));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut n_files = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "pin") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let res = parse(&text);
        assert!(
            res.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&text, &file_name(&path))
        );
        let printed = res.script.to_string();
        let again = parse(&printed);
        assert!(
            again.diagnostics.is_empty(),
            "{}: reprint:\n{}",
            path.display(),
            render_all(&printed, "printed")
        );
        assert_eq!(again.script, res.script, "{}: round trip", path.display());
        n_files += 1;
    }
    assert!(n_files > 0, "no .pin files in {}", dir.display());
}

#[test]
fn spans_lines_and_labels() {
    let text = "file A ext4 pages=2\nmmap buf A shared rw   # comment\nchild_x: irq put_page h\n";
    let res = parse(text);
    // The third line fails to resolve (unknown process), but the parse keeps every statement.
    let stmts = &res.script.stmts;
    assert_eq!(stmts.len(), 3);
    assert_eq!(stmts[1].line, 2);
    assert_eq!(&text[stmts[1].span.clone()], "mmap buf A shared rw");
    let StmtKind::Op { op, .. } = &stmts[2].kind else {
        panic!("not an op")
    };
    assert_eq!(op.to_string(), "put_page h");
    assert_eq!(stmts[2].to_string(), "child_x: irq put_page h");
    let expect = Expect::CostCompare {
        left: SchemeKind::FakeVma,
        cmp: Cmp::Gt,
        right: SchemeKind::Refcount,
        factor_milli: 1200,
    };
    assert_eq!(expect.to_string(), "expect cost fake-vma > refcount x1.2");
}

#[test]
fn values_are_exact() {
    let res = parse("cost atomic=10.5ns slab-alloc=2us fault=1ms gup-page=0.001ns\nmmap m anon pages=1 rw\nexpect cost fake-vma < refcount x1.25\n");
    assert!(res.diagnostics.is_empty(), "{:?}", res.diagnostics);
    let StmtKind::Cost(entries) = &res.script.stmts[0].kind else {
        panic!()
    };
    let ps: Vec<u64> = entries.iter().map(|(_, d)| d.0).collect();
    assert_eq!(ps, [10_500, 2_000_000, 1_000_000_000, 1]);
    let StmtKind::Expect {
        expect: Expect::CostCompare { factor_milli, .. },
        ..
    } = &res.script.stmts[2].kind
    else {
        panic!()
    };
    assert_eq!(*factor_milli, 1250);
}

// ---- property tests ----------------------------------------------------------------------------

/// Lines that exercise the lexer and the block structure.
fn junk_line() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,60}",
        "[ -~]{0,60}",
        "[{}a-z0-9 .:=+<>,\\[\\]#-]{0,40}",
        Just("repeat 2 {".to_string()),
        Just("thread t {".to_string()),
        Just("}".to_string()),
        Just("{{{{{{{{{{{{{{{{".to_string()),
        Just("gup io m 0..99999999999 write fast times=99999999999999999999999".to_string()),
        Just("expect cost fake-vma > refcount x1.2345 under".to_string()),
        Just("cost atomic=1.0000000000000000001ns".to_string()),
        Just("\u{0}\u{7f}\u{feff}é漢\r".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(lines in prop::collection::vec(junk_line(), 0..30)) {
        let text = lines.join("\n");
        let res = parse(&text);
        for d in &res.diagnostics {
            let _ = d.render(&text, "junk.pin");
        }
        let _ = res.script.to_string();
    }

    #[test]
    fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let res = parse(&text);
        for d in &res.diagnostics {
            let _ = d.render(&text, "bytes.pin");
        }
    }

    #[test]
    fn printed_scripts_round_trip(script in valid_script()) {
        let printed = script.to_string();
        let res = parse(&printed);
        prop_assert!(res.diagnostics.is_empty(), "{}\n{}", printed, render_all(&printed, "gen.pin"));
        prop_assert_eq!(&res.script, &script, "{}", printed);
    }
}

#[test]
fn deep_nesting_is_diagnosed_not_overflowed() {
    let depth = 10_000;
    let mut text = String::from("mmap m anon pages=1 rw\n");
    text.push_str(&"repeat 2 {\n".repeat(depth));
    text.push_str("read m\n");
    text.push_str(&"}\n".repeat(depth));
    let res = parse(&text);
    assert!(res.has_errors());
    assert_eq!(res.diagnostics.len(), 1, "{:?}", res.diagnostics);
    let unbalanced = "repeat 2 {\n".repeat(depth) + &"}\n".repeat(depth + 3);
    assert!(parse(&unbalanced).has_errors());
}

// ---- generator of valid scripts ----------------------------------------------------------------

fn id(name: &str) -> Ident {
    Ident::new(name)
}

fn stmt(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        span: 0..0,
        line: 0,
    }
}

fn op(op: Op) -> StmtKind {
    StmtKind::Op {
        proc_: None,
        irq: false,
        op,
    }
}

/// A range within a 4-page object.
fn range4() -> impl Strategy<Value = PageRange> {
    prop_oneof![
        Just(PageRange::All),
        (0u32..4).prop_map(PageRange::One),
        (0u32..4, 1u32..5)
            .prop_filter_map("empty", |(a, b)| (a < b).then_some(PageRange::Span(a, b))),
    ]
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..10_000_000_000u64).prop_map(Duration),
        (0u64..1000).prop_map(|n| Duration(n * 1_000_000))
    ]
}

fn scheme() -> impl Strategy<Value = SchemeKind> {
    prop::sample::select(SchemeKind::ALL)
}

fn settings() -> impl Strategy<Value = Vec<StmtKind>> {
    (
        scheme(),
        prop::sample::select(KernelVersion::all().collect::<Vec<_>>()),
        prop::sample::select(WritebackPolicy::ALL),
        prop::sample::select(CounterMode::ALL),
        prop::sample::select(GupFastMode::ALL),
        1u64..=1_000_000,
        duration(),
    )
        .prop_map(|(s, e, w, c, g, steps, d)| {
            vec![
                StmtKind::Scheme(s),
                StmtKind::Kernel(e),
                StmtKind::Set(Setting::Writeback(w)),
                StmtKind::Set(Setting::Counter(c)),
                StmtKind::Set(Setting::GupFast(g)),
                StmtKind::Set(Setting::Steps(steps)),
                StmtKind::Cost(vec![(id("atomic"), d), (id("gup-page"), Duration(60_000))]),
            ]
        })
}

/// One operation over the fixed declarations of `valid_script` (file `F` of 4 pages, VMAs `a`
/// and `m` of 4 pages each, handle `h` acquired first).
fn body_op() -> impl Strategy<Value = StmtKind> {
    let flags =
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(write, fast, longterm)| {
            GupFlags {
                write,
                fast,
                longterm,
            }
        });
    prop_oneof![
        range4().prop_map(|range| op(Op::Read {
            vma: id("a"),
            range
        })),
        range4().prop_map(|range| op(Op::Write {
            vma: id("m"),
            range
        })),
        (range4(), flags.clone(), 1u64..5).prop_map(|(range, flags, times)| op(Op::Gup {
            handle: id("h"),
            vma: id("m"),
            range,
            flags,
            times
        })),
        (range4(), flags).prop_map(|(range, flags)| op(Op::Get {
            handle: id("g"),
            vma: id("a"),
            range,
            flags: GupFlags {
                longterm: false,
                ..flags
            },
            times: 1
        })),
        range4().prop_map(|range| op(Op::Vmsplice {
            handle: id("p"),
            vma: id("m"),
            range
        })),
        (0u32..4, -2000i64..2000).prop_map(|(page, delta)| op(Op::Refs {
            vma: id("m"),
            page,
            delta
        })),
        (any::<bool>(), range4()).prop_map(|(r, range)| op(Op::Dma {
            handle: id("h"),
            dir: if r { DmaDir::Read } else { DmaDir::Write },
            range
        })),
        any::<bool>().prop_map(|dirty| op(Op::Put {
            handle: id("h"),
            dirty
        })),
        Just(op(Op::PutPage { handle: id("h") })),
        any::<bool>().prop_map(|dirty| StmtKind::Op {
            proc_: None,
            irq: false,
            op: Op::Complete {
                handle: id("h"),
                dirty
            }
        }),
        Just(op(Op::Workqueue)),
        (range4(), any::<bool>(), any::<bool>()).prop_map(|(range, sync, hold)| op(
            Op::Writeback {
                file: id("F"),
                range,
                sync,
                hold
            }
        )),
        Just(op(Op::WritebackDone { file: id("F") })),
        Just(op(Op::Sync)),
        Just(op(Op::Reclaim {
            target: None,
            range: PageRange::All
        })),
        range4().prop_map(|range| op(Op::Reclaim {
            target: Some(id("F")),
            range
        })),
        range4().prop_map(|range| op(Op::Reclaim {
            target: Some(id("m")),
            range
        })),
        range4().prop_map(|range| op(Op::Migrate {
            vma: id("m"),
            range
        })),
        (0u32..=4).prop_map(|pages| op(Op::Truncate {
            file: id("F"),
            pages
        })),
        range4().prop_map(|range| op(Op::Punch {
            file: id("F"),
            range
        })),
        any::<bool>().prop_map(|writable| op(Op::Mprotect {
            vma: id("a"),
            writable
        })),
        (any::<bool>(), any::<bool>()).prop_map(|(child, irq)| StmtKind::Op {
            proc_: child.then(|| id("kid")),
            irq,
            op: Op::Write {
                vma: id("m"),
                range: PageRange::One(0)
            },
        }),
        expectation(),
    ]
}

fn expectation() -> impl Strategy<Value = StmtKind> {
    let names = [
        "lost-write",
        "pin-leak",
        "cow-leak",
        "deferred",
        "zombie-page",
    ];
    let kind = prop_oneof![
        Just(Expect::Ok),
        prop::sample::select(names.to_vec()).prop_map(|n| Expect::Violation { name: id(n) }),
        prop::sample::select(names.to_vec()).prop_map(|n| Expect::NoViolation { name: id(n) }),
        prop::sample::select(OpResult::ALL).prop_map(|result| Expect::Result { result }),
        (0u32..4, any::<bool>()).prop_map(|(page, pinned)| Expect::Pinned {
            vma: id("m"),
            page,
            pinned
        }),
        (
            0u32..4,
            -5i64..2000,
            any::<bool>(),
            prop::sample::subsequence(vec![0, 1, 2, 3], 1..=4)
        )
            .prop_map(|(page, n, d, which)| {
                let fields = which
                    .into_iter()
                    .map(|i| match i {
                        0 => PageField::Refcount(n),
                        1 => PageField::Mapcount(n - 1),
                        2 => PageField::Pincount(n + 1),
                        _ => PageField::Dirty(d),
                    })
                    .collect();
                Expect::Page {
                    vma: id("a"),
                    page,
                    fields,
                }
            }),
        (any::<bool>(), duration()).prop_map(|(lt, bound)| Expect::CostTotal {
            cmp: if lt { Cmp::Lt } else { Cmp::Gt },
            bound
        }),
        (scheme(), scheme(), any::<bool>(), 0u64..100_000).prop_filter_map(
            "same",
            |(left, right, lt, factor_milli)| {
                (left != right).then_some(Expect::CostCompare {
                    left,
                    cmp: if lt { Cmp::Lt } else { Cmp::Gt },
                    right,
                    factor_milli,
                })
            }
        ),
    ];
    (
        kind,
        prop::sample::subsequence(SchemeKind::ALL.to_vec(), 0..=3),
    )
        .prop_map(|(expect, under)| StmtKind::Expect { expect, under })
}

fn valid_script() -> impl Strategy<Value = Script> {
    let body = prop::collection::vec(body_op(), 0..12);
    let repeat = (
        1u64..1000,
        prop::collection::vec(body_op(), 0..4),
        prop::collection::vec(body_op(), 0..3),
    )
        .prop_map(|(count, outer, inner)| {
            let mut body: Vec<Stmt> = outer.into_iter().map(stmt).collect();
            body.push(stmt(StmtKind::Repeat {
                count: 2,
                body: inner.into_iter().map(stmt).collect(),
            }));
            StmtKind::Repeat { count, body }
        });
    let threads = prop::collection::vec(prop::collection::vec(body_op(), 0..4), 0..3);
    (
        settings(),
        any::<bool>(),
        prop::sample::select(FsKind::ALL),
        prop::sample::select(Zone::ALL),
        body,
        repeat,
        threads,
    )
        .prop_map(|(settings, huge, fs, zone, body, repeat, threads)| {
            let mut stmts: Vec<Stmt> = settings.into_iter().map(stmt).collect();
            stmts.push(stmt(StmtKind::File {
                name: id("F"),
                fs,
                pages: 4,
                zone,
            }));
            stmts.push(stmt(StmtKind::MmapFile {
                vma: id("a"),
                file: id("F"),
                range: PageRange::All,
                shared: true,
                writable: true,
            }));
            stmts.push(stmt(StmtKind::MmapFile {
                vma: id("b"),
                file: id("F"),
                range: PageRange::Span(1, 3),
                shared: false,
                writable: false,
            }));
            stmts.push(stmt(StmtKind::MmapAnon {
                vma: id("m"),
                pages: 4,
                writable: true,
                huge,
                zone,
            }));
            stmts.push(stmt(op(Op::Gup {
                handle: id("h"),
                vma: id("m"),
                range: PageRange::All,
                flags: GupFlags::default(),
                times: 1,
            })));
            stmts.push(stmt(op(Op::Get {
                handle: id("g"),
                vma: id("m"),
                range: PageRange::All,
                flags: GupFlags::default(),
                times: 1,
            })));
            stmts.push(stmt(op(Op::Vmsplice {
                handle: id("p"),
                vma: id("m"),
                range: PageRange::All,
            })));
            stmts.push(stmt(op(Op::Fork { child: id("kid") })));
            stmts.extend(body.into_iter().map(stmt));
            stmts.push(stmt(repeat));
            let n_threads = threads.len();
            for (i, body) in threads.into_iter().enumerate() {
                stmts.push(stmt(StmtKind::Thread {
                    name: id(&format!("t{i}")),
                    body: body.into_iter().map(stmt).collect(),
                }));
            }
            if n_threads > 0 {
                stmts.push(stmt(StmtKind::Schedule(
                    (0..n_threads).rev().map(|i| id(&format!("t{i}"))).collect(),
                )));
            }
            stmts.push(stmt(op(Op::Munmap { vma: id("b") })));
            stmts.push(stmt(StmtKind::Op {
                proc_: Some(id("kid")),
                irq: false,
                op: Op::Exit,
            }));
            Script { stmts }
        })
}

#[test]
fn many_errors_and_long_lines_stay_linear() {
    // An error on each of 20,000 lines, a 600,000-character line of junk and 100,000 junk lines:
    // each diagnostic must find its line without rescanning the text.
    let typo = "mmap m anon pages=1 rw\n".to_string() + &"put nothing_here\n".repeat(20_000);
    assert_eq!(parse(&typo).diagnostics.len(), 20_000);
    let junk = "a\u{e9}".repeat(300_000) + "\n" + &"\u{e9}\n".repeat(100_000);
    let res = parse(&junk);
    assert!(res.has_errors());
    assert!(res.diagnostics.len() <= 100_010);
}
