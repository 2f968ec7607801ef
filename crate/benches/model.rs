//! Criterion benchmarks of the model: a large script (the 100,000-iteration small-I/O storm)
//! and the 1 GiB range case (262,144 pages pinned and released in one statement each).

use criterion::{criterion_group, criterion_main, Criterion};
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

criterion_group!(benches, bench);
criterion_main!(benches);
