//! Criterion benchmarks of the model: a large script (the 100,000-iteration small-I/O storm)
//! and the 1 GiB range case (262,144 pages pinned and released in one statement each).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mm_model::explore::{explore_with, Bounds};
use mm_model::{parse, run, Overrides, SchemeKind};

const STORM: &str = "file F ext4 pages=1\nmmap buf F shared rw\nwrite buf\nrepeat 100000 {\n  gup io buf 0 write fast\n  dma io write\n  complete io dirty\n  workqueue\n}\nexpect ok\n";
const HUGE_RANGE: &str = "mmap big anon pages=262144 rw\nwrite big\ngup mr big write longterm\ndma mr write\nput mr dirty\nexpect ok\n";
const RACE: &str = "file A ext4 pages=1\nmmap buf A shared rw\nwrite buf 0\ngup io buf 0 write fast\nwriteback A\nreclaim A\ndma io write\ncomplete io dirty\nworkqueue\nwriteback A\n";

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("model");
    g.sample_size(10);
    for (name, text) in [
        ("storm-100k", STORM),
        ("range-1GiB", HUGE_RANGE),
        ("race", RACE),
    ] {
        let script = parse(text).script;
        for scheme in SchemeKind::ALL.iter().copied() {
            let o = Overrides {
                schemes: vec![scheme],
                ..Default::default()
            };
            g.bench_function(format!("{name}/{scheme}"), |b| b.iter(|| run(&script, &o)));
        }
    }
    g.bench_function("parse-race", |b| b.iter(|| parse(RACE)));
    g.finish();
}

/// Explorer inputs: a small-state script (two threads on one anonymous page) and three threads
/// of six conflicting statements on a file page (the e2e test's "3x6").
const EXPLORE_SMALL: &str = "mmap a anon pages=1 rw\n\
    thread x {\n  write a\n  read a\n  write a\n  read a\n  write a\n  read a\n}\n\
    thread y {\n  read a\n  write a\n  read a\n  write a\n  read a\n  write a\n}\n";
const EXPLORE_3X6: &str = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
    thread a {\n  gup ia buf write\n  dma ia write\n  put ia dirty\n  write buf\n  writeback f\n  read buf\n}\n\
    thread b {\n  write buf\n  gup ib buf write\n  writeback f\n  dma ib write\n  put ib\n  read buf\n}\n\
    thread c {\n  read buf\n  writeback f\n  write buf\n  reclaim f\n  write buf\n  sync\n}\n";

/// The explorer, per scheme; throughput in distinct states (criterion prints states/s).
fn bench_explore(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore");
    g.sample_size(10);
    for (name, text) in [("small", EXPLORE_SMALL), ("3x6", EXPLORE_3X6)] {
        let script = parse(text).script;
        for scheme in SchemeKind::ALL.iter().copied() {
            let o = Overrides {
                schemes: vec![scheme],
                ..Default::default()
            };
            let states =
                explore_with(&script, &o, Bounds::default(), &mut |_| true).schemes[0].states;
            g.throughput(Throughput::Elements(states));
            g.bench_function(format!("{name}/{scheme}"), |b| {
                b.iter(|| explore_with(&script, &o, Bounds::default(), &mut |_| true))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench, bench_explore);
criterion_main!(benches);
