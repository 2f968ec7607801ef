//! The runner: executes a script under one scheme or several, with a step budget, `repeat`
//! blocks, `PROC:` prefixes, `irq` context and `thread` blocks; evaluates expectations where they
//! stand; and produces one [`Trace`] per scheme plus the expectations' outcomes.

use crate::cost::{CostCounts, CostTable, Primitive};
use crate::invariants::{Finding, ViolationKind};
use crate::kernel::gup::{GupCall, GupKind};
use crate::kernel::mm::ForkWait;
use crate::kernel::vmscan::ReclaimTarget;
use crate::kernel::{Backing, Context, Kernel, Pte, StepCx};
use crate::script::{
    Cmp, Expect, Ident, Op, PageField, PageRange, Script, Setting, Stmt, StmtKind, KWORKER,
};
use crate::settings::{Overrides, Settings, MAX_STEPS};
use crate::trace::{self, Step, StepKind, Trace};
pub use crate::trace::{ExpectOutcome, Report};
use crate::{OpResult, SchemeKind};

/// FNV-1a of the script's canonical text (the printer's form: comments and spacing do not
/// count), as 8 hex digits. The text rather than the AST's JSON keeps the AST's serializer out
/// of the web page's download.
fn content_hash(script: &Script) -> String {
    let text = script.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", (h ^ (h >> 32)) as u32)
}

/// The settings, cost table and primary scheme a script asks for, with overrides applied.
pub fn configure(script: &Script, o: &Overrides) -> (Settings, CostTable, SchemeKind) {
    let mut s = Settings::default();
    let mut table = CostTable::default();
    let mut primary = SchemeKind::Refcount;
    for st in &script.stmts {
        match &st.kind {
            StmtKind::Scheme(k) => primary = *k,
            StmtKind::Kernel(e) => s.era = *e,
            StmtKind::Set(Setting::Writeback(w)) => s.writeback = *w,
            StmtKind::Set(Setting::Counter(c)) => s.counter = *c,
            StmtKind::Set(Setting::GupFast(g)) => s.gup_fast = *g,
            StmtKind::Set(Setting::Steps(n)) => s.steps = *n,
            StmtKind::Cost(entries) => {
                for (name, d) in entries {
                    if let Some(p) = Primitive::from_name(&name.name) {
                        table.set(p, *d);
                    }
                }
            }
            _ => {}
        }
    }
    s.era = o.era.unwrap_or(s.era);
    s.writeback = o.writeback.unwrap_or(s.writeback);
    s.counter = o.counter.unwrap_or(s.counter);
    s.gup_fast = o.gup_fast.unwrap_or(s.gup_fast);
    s.steps_cap = o.max_steps.map_or(MAX_STEPS, |m| m.min(MAX_STEPS));
    s.steps = s.steps.min(s.steps_cap);
    for (name, d) in &o.costs {
        if let Some(p) = Primitive::from_name(name) {
            table.set(p, *d);
        }
    }
    (s, table, primary)
}

/// Runs a script under the overrides' schemes (all three when none is named).
pub fn run(script: &Script, o: &Overrides) -> Report {
    let (settings, costs, primary) = configure(script, o);
    let schemes: Vec<SchemeKind> = if o.schemes.is_empty() {
        SchemeKind::ALL.to_vec()
    } else {
        o.schemes.clone()
    };
    let mut traces = Vec::new();
    let mut expectations = Vec::new();
    let mut points: Vec<(SchemeKind, Vec<CostPoint>)> = Vec::new();
    for &scheme in SchemeKind::ALL.iter().filter(|s| schemes.contains(s)) {
        let r = run_one(script, &settings, &costs, scheme, None);
        traces.push(r.trace);
        expectations.extend(r.expectations);
        points.push((scheme, r.cost_points));
    }
    // Cross-scheme cost comparisons: the k-th evaluation is the same statement in every run.
    let mut cross: Vec<ExpectOutcome> = Vec::new();
    if let Some((_, first)) = points.first() {
        for (i, pt) in first.iter().enumerate() {
            let at = |s: SchemeKind| {
                points
                    .iter()
                    .find(|(k, _)| *k == s)
                    .and_then(|(_, v)| v.get(i))
                    .map(|p| p.total_ps)
            };
            let (Some(l), Some(r)) = (at(pt.left), at(pt.right)) else {
                continue;
            };
            let bound = r as f64 * pt.factor_milli as f64 / 1000.0;
            let passed = pt.cmp.holds(l as f64, bound);
            let observed = format!(
                "{} {} vs {} {}{}",
                pt.left,
                crate::cost::fmt_ps(l),
                pt.right,
                crate::cost::fmt_ps(r),
                if pt.factor_milli != 1000 {
                    format!(
                        " (x{} = {})",
                        pt.factor_milli as f64 / 1000.0,
                        crate::cost::fmt_ps(bound as u64)
                    )
                } else {
                    String::new()
                }
            );
            match cross.iter_mut().find(|e| e.line == pt.line) {
                Some(e) if e.passed && !passed => {
                    e.passed = false;
                    e.observed = observed;
                }
                Some(_) => {}
                None => cross.push(ExpectOutcome {
                    line: pt.line,
                    text: pt.text.clone(),
                    scheme: None,
                    passed,
                    observed,
                }),
            }
        }
    }
    for t in traces.iter_mut() {
        for s in t.steps.iter_mut() {
            if let Some(c) = cross.iter().find(|c| c.line == s.line) {
                if let StepKind::Expect { passed, observed } = &mut s.kind {
                    *passed = c.passed;
                    observed.clone_from(&c.observed);
                }
            }
        }
    }
    expectations.extend(cross);
    expectations.sort_by_key(|e| (e.line, e.scheme.map(|s| s as usize)));
    Report {
        hash: content_hash(script),
        primary,
        settings,
        costs,
        traces,
        expectations,
    }
}

/// The number of violation kinds (the runner's tallies are arrays, not allocations).
const KINDS: usize = ViolationKind::ALL.len();

/// A running cost total captured at a cross-scheme `expect cost A > B` statement.
#[derive(Clone, Debug)]
pub struct CostPoint {
    line: u32,
    text: String,
    left: SchemeKind,
    cmp: Cmp,
    right: SchemeKind,
    factor_milli: u64,
    total_ps: u64,
}

/// What one scheme's run produced.
pub struct OneRun {
    /// The trace.
    pub trace: Trace,
    /// Expectation outcomes of this scheme.
    pub expectations: Vec<ExpectOutcome>,
    /// The state at the end (or at the step the run stopped at).
    pub kernel: Kernel,
    cost_points: Vec<CostPoint>,
}

/// Runs a script under one scheme; stops after step `stop_after` when given (time travel).
pub fn run_one(
    script: &Script,
    settings: &Settings,
    table: &CostTable,
    scheme: SchemeKind,
    stop_after: Option<u64>,
) -> OneRun {
    let mut kernel = Kernel::new(scheme, settings.clone());
    let mut r = Runner::new(&mut kernel, table, stop_after, false);
    r.script(script);
    let counts = ViolationKind::ALL
        .iter()
        .map(|&k| (k, r.counts[k as usize]))
        .filter(|&(_, n)| n > 0)
        .collect();
    let first = ViolationKind::ALL
        .iter()
        .filter_map(|&k| r.first[k as usize].map(|s| (k, s)))
        .collect();
    r.trace.counts = counts;
    r.trace.first_step = first;
    let (trace, expectations, cost_points) = (r.trace, r.expectations, r.cost_points);
    OneRun {
        trace,
        expectations,
        kernel,
        cost_points,
    }
}

/// What a thread's turn at its next statement does. A `fork` in a thread takes two turns
/// (`Kernel::fork_begin`, `Kernel::fork_finish`); between them, work that needs the forking
/// process's mmap_lock waits (`Kernel::waits_for_fork`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// The statement must wait: the thread cannot take a turn now.
    Waits,
    /// A fork's first phase: the thread stays at the statement.
    ForkBegin,
    /// A fork's second phase: the thread moves past the statement.
    ForkFinish,
    /// The statement runs whole.
    Whole,
}

/// What a turn of a thread whose next statement is `st` does in state `k`.
pub(crate) fn turn(k: &Kernel, st: &Stmt) -> Turn {
    let waits = |st: &Stmt| stmt_waits(k, st);
    match &st.kind {
        StmtKind::Op {
            proc_,
            op: Op::Fork { child },
            ..
        } => {
            let Some(p) = live_proc(k, proc_.as_ref()) else {
                return Turn::Whole;
            };
            match &k.procs[p as usize].forking {
                Some(f) if k.procs[f.child as usize].name == child.name => Turn::ForkFinish,
                _ if waits(st) => Turn::Waits,
                _ => Turn::ForkBegin,
            }
        }
        _ if waits(st) => Turn::Waits,
        _ => Turn::Whole,
    }
}

fn live_proc(k: &Kernel, proc_: Option<&Ident>) -> Option<u32> {
    match proc_ {
        None => Some(0),
        Some(p) => k.proc_id(&p.name).filter(|&id| k.procs[id as usize].live),
    }
}

/// Must `st` wait for a fork between its phases? (A `repeat` waits if anything in it would.)
fn stmt_waits(k: &Kernel, st: &Stmt) -> bool {
    if k.procs.iter().all(|p| p.forking.is_none()) {
        return false;
    }
    let (proc_, op) = match &st.kind {
        StmtKind::Op { proc_, op, .. } => (proc_, op),
        StmtKind::Repeat { body, .. } => return body.iter().any(|s| stmt_waits(k, s)),
        _ => return false,
    };
    let Some(p) = live_proc(k, proc_.as_ref()) else {
        return false;
    };
    let vma_range = |vma: &Ident, range: &PageRange| {
        let v = k.vma_id(p, &vma.name)?;
        Some((v, range.resolve(k.vmas[v as usize].pages)?))
    };
    let what = match op {
        Op::Read { vma, range } | Op::Write { vma, range } => match vma_range(vma, range) {
            Some((v, r)) => {
                let write = matches!(op, Op::Write { .. });
                return k.waits_for_fork(
                    p,
                    ForkWait::Access {
                        vma: v,
                        range: &r,
                        write,
                    },
                );
            }
            None => return false,
        },
        Op::Gup {
            vma, range, flags, ..
        }
        | Op::Get {
            vma, range, flags, ..
        } if flags.fast => {
            return vma_range(vma, range)
                .and_then(|(v, r)| gup_call(op, p, v, r, false))
                .is_some_and(|call| k.waits_for_fork(p, ForkWait::GupFast(&call)));
        }
        Op::Gup { .. }
        | Op::Get { .. }
        | Op::Vmsplice { .. }
        | Op::Refs { .. }
        | Op::Migrate { .. }
        | Op::Fork { .. }
        | Op::Munmap { .. }
        | Op::Mprotect { .. }
        | Op::Exit => ForkWait::Locked,
        Op::Reclaim {
            target: Some(t), ..
        } if k.file_id(&t.name).is_none() => ForkWait::Locked,
        Op::Dma { .. }
        | Op::Put { .. }
        | Op::PutPage { .. }
        | Op::Complete { .. }
        | Op::Workqueue
        | Op::Writeback { .. }
        | Op::WritebackDone { .. }
        | Op::Sync
        | Op::Reclaim { .. }
        | Op::Truncate { .. }
        | Op::Punch { .. } => return false,
    };
    k.waits_for_fork(p, what)
}

/// Pin or get: which GUP a `gup` / `get` statement is.
fn gup_kind(op: &Op) -> GupKind {
    if matches!(op, Op::Gup { .. }) {
        GupKind::Pin
    } else {
        GupKind::Get
    }
}

/// The GUP call a `gup` / `get` statement of process `proc_` makes on pages `r` of VMA `v`.
fn gup_call(
    op: &Op,
    proc_: u32,
    v: u32,
    r: std::ops::Range<u32>,
    scoped: bool,
) -> Option<GupCall<'_>> {
    let (Op::Gup {
        handle,
        flags,
        times,
        ..
    }
    | Op::Get {
        handle,
        flags,
        times,
        ..
    }) = op
    else {
        return None;
    };
    Some(GupCall {
        name: &handle.name,
        proc_,
        vma: v,
        range: r,
        flags: *flags,
        times: (*times).max(1),
        kind: gup_kind(op),
        scoped,
    })
}

/// What the explorer runs as one transition (`crate::explore`).
pub(crate) enum Transition<'s> {
    /// A thread's turn at its next statement (a `repeat` runs whole; see [`turn`]).
    Stmt(&'s Stmt),
    /// The kworker runs the oldest queued work item.
    Kworker,
    /// The top-level statements after the threads, then the end-of-script checks.
    Tail(&'s [Stmt]),
    /// The top-level statements before the threads.
    Head(&'s [Stmt]),
}

/// Runs one transition on `k` without a trace or expectations; returns the violation kinds it
/// raised as a bit set over [`ViolationKind::ALL`]. `cx` is scratch space the caller keeps
/// across transitions, so a step allocates nothing for it.
pub(crate) fn step_lite(
    k: &mut Kernel,
    table: &CostTable,
    what: Transition<'_>,
    cx: &mut StepCx,
) -> u32 {
    let mut r = Runner::new(k, table, None, true);
    r.cx = std::mem::take(cx);
    match what {
        Transition::Stmt(st) => {
            r.turn(st, false);
        }
        Transition::Kworker => r.kworker(0),
        Transition::Head(stmts) => stmts.iter().for_each(|st| r.stmt(st)),
        Transition::Tail(stmts) => {
            stmts.iter().for_each(|st| r.stmt(st));
            if !r.stop {
                r.end_of_script();
            }
        }
    }
    *cx = std::mem::take(&mut r.cx);
    r.counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .fold(0, |bits, (i, _)| bits | 1 << i)
}

struct Summary {
    index: u64,
    line: u32,
    iterations: u64,
    body: u64,
    costs: CostCounts,
    cost_ps: u64,
    findings: Vec<Finding>,
    counts: Vec<(ViolationKind, u64)>,
}

impl Summary {
    /// The summary of a repeat's iterations from step `index` on.
    fn new(index: u64, line: u32, body: u64) -> Self {
        Summary {
            index,
            line,
            iterations: 0,
            body,
            costs: CostCounts::default(),
            cost_ps: 0,
            findings: Vec::new(),
            counts: Vec::new(),
        }
    }
}

struct Runner<'a> {
    k: &'a mut Kernel,
    table: &'a CostTable,
    cx: StepCx,
    trace: Trace,
    counts: [u64; KINDS],
    first: [Option<u64>; KINDS],
    last_result: OpResult,
    expectations: Vec<ExpectOutcome>,
    cost_points: Vec<CostPoint>,
    summary: Option<Summary>,
    stop: bool,
    stop_after: Option<u64>,
    scoped: u32,
    /// Driven by the explorer: no trace steps, no expectations, only the violation counts.
    lite: bool,
}

/// Where a top-level unit of execution ends.
enum Unit<'s> {
    Stmt(&'s Stmt),
    Threads(Vec<(&'s Ident, &'s [Stmt])>, Option<(&'s [Ident], u32)>),
}

impl<'a> Runner<'a> {
    /// A runner over `k`, with an empty trace.
    fn new(k: &'a mut Kernel, table: &'a CostTable, stop_after: Option<u64>, lite: bool) -> Self {
        Runner {
            table,
            cx: StepCx::default(),
            trace: Trace {
                scheme: k.scheme,
                settings: k.settings.clone(),
                steps: Vec::new(),
                total: CostCounts::default(),
                total_ps: 0,
                counts: Vec::new(),
                first_step: Vec::new(),
                executed: 0,
                budget_hit: None,
            },
            counts: [0; KINDS],
            first: [None; KINDS],
            last_result: OpResult::Ok,
            expectations: Vec::new(),
            cost_points: Vec::new(),
            summary: None,
            stop: false,
            stop_after,
            scoped: 0,
            lite,
            k,
        }
    }

    fn script(&mut self, script: &Script) {
        // Statements before the first thread block, the threads, then the rest.
        let mut units: Vec<Unit<'_>> = Vec::new();
        let mut threads = Vec::new();
        let mut schedule = None;
        let mut thread_pos = None;
        for st in &script.stmts {
            match &st.kind {
                StmtKind::Thread { name, body } => {
                    thread_pos.get_or_insert(units.len());
                    threads.push((name, body.as_slice()));
                }
                StmtKind::Schedule(names) => schedule = Some((names.as_slice(), st.line)),
                _ => units.push(Unit::Stmt(st)),
            }
        }
        if let Some(pos) = thread_pos {
            units.insert(pos, Unit::Threads(threads, schedule));
        }
        let last_op = units.iter().rposition(|u| match u {
            Unit::Stmt(st) => !matches!(st.kind, StmtKind::Expect { .. }),
            Unit::Threads(..) => true,
        });
        for (i, u) in units.iter().enumerate() {
            if self.stop {
                return;
            }
            match u {
                Unit::Stmt(st) => self.stmt(st),
                Unit::Threads(ts, sched) => self.threads(ts, *sched),
            }
            if Some(i) == last_op && !self.stop {
                self.end_of_script();
            }
        }
        if last_op.is_none() && !self.stop {
            self.end_of_script();
        }
    }

    fn threads(&mut self, ts: &[(&Ident, &[Stmt])], schedule: Option<(&[Ident], u32)>) {
        let mut next = vec![0usize; ts.len()];
        if let Some((order, line)) = schedule {
            for name in order {
                if let Some(t) = ts.iter().position(|(n, _)| n.name == name.name) {
                    if let Some(st) = ts[t].1.get(next[t]) {
                        if self.turn(st, true) {
                            next[t] += 1;
                        }
                    }
                } else if name.name == KWORKER {
                    self.kworker(line);
                }
            }
        }
        // Then round robin; a thread whose statement waits lets the others go first (the
        // thread that forked never waits, so this ends).
        loop {
            let mut progressed = false;
            for (t, (_, body)) in ts.iter().enumerate() {
                if self.stop {
                    return;
                }
                if let Some(st) = body.get(next[t]) {
                    if turn(self.k, st) == Turn::Waits {
                        continue;
                    }
                    progressed = true;
                    if self.turn(st, false) {
                        next[t] += 1;
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// A thread's turn at `st` (see [`turn`]); returns whether the thread moves past it. A turn
    /// the schedule gives to a thread that must wait is a step of its own when `show_wait`.
    fn turn(&mut self, st: &Stmt, show_wait: bool) -> bool {
        let t = turn(self.k, st);
        if t == Turn::Whole {
            self.stmt(st);
            return true;
        }
        if (t == Turn::Waits && !show_wait) || !self.budget_ok(st.line) {
            return false;
        }
        self.begin_step();
        let p = match &st.kind {
            StmtKind::Op { proc_, .. } => live_proc(self.k, proc_.as_ref()).unwrap_or(0),
            _ => 0,
        };
        let phase = match (t, &st.kind) {
            (
                Turn::ForkBegin,
                StmtKind::Op {
                    op: Op::Fork { child },
                    ..
                },
            ) => {
                self.k.fork_begin(&mut self.cx, p, &child.name);
                "first phase: copy, write_protect_seq odd"
            }
            (Turn::ForkFinish, _) => {
                self.k.fork_finish(&mut self.cx, p);
                "second phase: share, write_protect_seq even"
            }
            _ => {
                let name = &self.k.procs[p as usize].name;
                let forking = self
                    .k
                    .procs
                    .iter()
                    .find(|q| q.forking.is_some())
                    .map_or("", |q| q.name.as_str());
                self.cx.note(|| {
                    format!(
                        "{name} waits: fork of {forking} holds mmap_lock; this turn does nothing"
                    )
                });
                "waits"
            }
        };
        self.k.check_touched(&mut self.cx);
        self.last_result = self.cx.result;
        self.record(st.line, || format!("{st} ({phase})"), StepKind::Op);
        t == Turn::ForkFinish
    }

    /// `kworker` in a schedule: the system workqueue's kworker runs its next pending item (a
    /// no-op, not a step, when nothing is queued).
    fn kworker(&mut self, line: u32) {
        if self.k.workqueue.is_empty() || !self.budget_ok(line) {
            return;
        }
        self.begin_step();
        self.k.run_one_work(&mut self.cx);
        self.k.check_touched(&mut self.cx);
        self.last_result = self.cx.result;
        self.record(line, || KWORKER.to_string(), StepKind::Op);
    }

    /// Starts recording a step; notes are skipped while a repeat is being summarised.
    fn begin_step(&mut self) {
        self.cx.reset();
        self.cx.quiet = self.summary.is_some() || self.lite;
    }

    fn budget_ok(&mut self, line: u32) -> bool {
        if self.stop {
            return false;
        }
        if self.trace.executed >= self.k.settings.steps {
            self.stop = true;
            let st = &self.k.settings;
            let how = if st.steps < st.steps_cap {
                format!("raise it with `set steps=N`, at most {}", st.steps_cap)
            } else if st.steps_cap < MAX_STEPS {
                format!(
                    "this front end stops at {}; the CLI runs up to {MAX_STEPS}",
                    st.steps_cap
                )
            } else {
                "that is the runner's limit".to_string()
            };
            self.trace.budget_hit = Some(format!(
                "step budget of {} statements reached at line {line}: the trace is partial ({how})",
                st.steps
            ));
            return false;
        }
        if self.stop_after.is_some_and(|s| self.trace.executed >= s) {
            self.stop = true;
            return false;
        }
        self.trace.executed += 1;
        true
    }

    fn stmt(&mut self, st: &Stmt) {
        match &st.kind {
            StmtKind::Scheme(_)
            | StmtKind::Kernel(_)
            | StmtKind::Set(_)
            | StmtKind::Cost(_)
            | StmtKind::Schedule(_) => {}
            StmtKind::Thread { body, .. } => {
                for s in body {
                    self.stmt(s);
                }
            }
            StmtKind::Repeat { count, body } => self.repeat(st, *count, body),
            StmtKind::Expect { .. } if self.lite => {}
            StmtKind::Expect { expect, under } => {
                if !under.is_empty() && !under.contains(&self.k.scheme) {
                    return;
                }
                if !self.budget_ok(st.line) {
                    return;
                }
                self.expect(st, expect);
            }
            _ => {
                if !self.budget_ok(st.line) {
                    return;
                }
                self.begin_step();
                self.exec(st);
                self.k.check_touched(&mut self.cx);
                self.last_result = self.cx.result;
                self.record(st.line, || st.to_string(), StepKind::Op);
            }
        }
    }

    fn repeat(&mut self, st: &Stmt, count: u64, body: &[Stmt]) {
        let body_len = count_stmts(body);
        // Iterations 2..N are summarised into one step, unless an outer repeat already is.
        let mut mine = false;
        for i in 0..count {
            if self.stop {
                break;
            }
            if i == 1 && self.summary.is_none() {
                mine = true;
                self.summary = Some(Summary::new(self.trace.executed + 1, st.line, body_len));
            }
            let executed = self.trace.executed;
            self.scoped += 1;
            for s in body {
                self.stmt(s);
            }
            self.scoped -= 1;
            self.begin_step();
            self.k.end_iteration(&mut self.cx);
            if !self.cx.findings.is_empty() {
                self.record(
                    st.line,
                    || "(end of repeat iteration)".to_string(),
                    StepKind::Op,
                );
            }
            // An iteration that ran no statement (an empty body, or only expectations `under`
            // other schemes) and raised nothing changed nothing, and neither would the ones after
            // it: they are counted, not run, so `repeat 2^64 { }` or 64 nested `repeat 2` end at
            // once instead of never (the step budget sees no step). Found by fuzzing.
            let idle = !self.stop && self.trace.executed == executed && self.cx.findings.is_empty();
            if idle && i + 1 < count {
                if self.summary.is_none() {
                    mine = true;
                    self.summary = Some(Summary::new(self.trace.executed + 1, st.line, body_len));
                }
                if mine {
                    if let Some(mut sm) = self.summary.take() {
                        sm.iterations += count - 1 - i + u64::from(i > 0);
                        self.push_summary(sm);
                    }
                }
                break;
            }
            if mine {
                if let Some(sm) = self.summary.as_mut().filter(|_| !self.stop) {
                    sm.iterations += 1;
                }
                if i + 1 == count || self.stop {
                    if let Some(sm) = self.summary.take() {
                        self.push_summary(sm);
                    }
                }
            }
        }
    }

    fn push_summary(&mut self, sm: Summary) {
        let last = self.trace.executed;
        self.trace.steps.push(Step {
            index: sm.index,
            line: sm.line,
            text: String::new(),
            kind: StepKind::Repeat {
                iterations: sm.iterations,
                last_index: last,
                body: sm.body,
            },
            result: OpResult::Ok,
            changes: Vec::new(),
            notes: Vec::new(),
            costs: sm.costs,
            cost_ps: sm.cost_ps,
            findings: sm.findings,
            finding_counts: sm.counts,
            unlisted: Vec::new(),
        });
    }

    /// Records the step just executed from `self.cx` (into the summary when summarising).
    fn record(&mut self, line: u32, text: impl FnOnce() -> String, kind: StepKind) {
        let cost_ps = self.table.time(&self.cx.costs);
        self.trace.total.add_all(&self.cx.costs, 1);
        self.trace.total_ps = self.trace.total_ps.saturating_add(cost_ps);
        let index = self.trace.executed;
        for (kind, n) in self.cx.raised() {
            let i = kind as usize;
            self.counts[i] += n;
            self.first[i].get_or_insert(index);
        }
        if self.lite {
            self.cx.findings.clear();
            return;
        }
        if let Some(sm) = &mut self.summary {
            sm.costs.add_all(&self.cx.costs, 1);
            sm.cost_ps = sm.cost_ps.saturating_add(cost_ps);
            for f in self.cx.findings.drain(..) {
                match sm.counts.iter_mut().find(|(k, _)| *k == f.kind) {
                    Some((_, n)) => *n += 1,
                    None => {
                        sm.counts.push((f.kind, 1));
                        sm.findings.push(f);
                    }
                }
            }
            // Only kinds that listed LISTED_PER_KIND findings have unlisted ones: already counted.
            for &(kind, more) in &self.cx.unlisted {
                if let Some((_, n)) = sm.counts.iter_mut().find(|(k, _)| *k == kind) {
                    *n += more;
                }
            }
            return;
        }
        let k = &self.k;
        let changes = trace::group(&mut self.cx.before, |pfn| k.snap(pfn));
        let mut notes = std::mem::take(&mut self.cx.notes);
        if self.cx.unlisted_notes > 0 {
            notes.push(format!("... {} more notes", self.cx.unlisted_notes));
        }
        self.trace.steps.push(Step {
            index,
            line,
            text: text(),
            kind,
            result: self.cx.result,
            changes,
            notes,
            costs: self.cx.costs.clone(),
            cost_ps,
            findings: std::mem::take(&mut self.cx.findings),
            finding_counts: Vec::new(),
            unlisted: std::mem::take(&mut self.cx.unlisted),
        });
    }

    fn end_of_script(&mut self) {
        self.begin_step();
        self.k.end_of_script(&mut self.cx);
        if !self.cx.findings.is_empty() {
            self.record(0, || "end-of-script checks".to_string(), StepKind::Op);
        }
    }

    fn proc_of(&mut self, st: &Stmt) -> Option<u32> {
        let StmtKind::Op { proc_, .. } = &st.kind else {
            return Some(0);
        };
        live_proc(self.k, proc_.as_ref())
    }

    fn vma(&self, proc_: u32, name: &Ident) -> Option<u32> {
        self.k.vma_id(proc_, &name.name)
    }

    fn exec(&mut self, st: &Stmt) {
        let cx = &mut self.cx;
        match &st.kind {
            StmtKind::File {
                name,
                fs,
                pages,
                zone,
            } => self.k.add_file(&name.name, *fs, *pages, *zone),
            StmtKind::MmapFile {
                vma,
                file,
                range,
                shared,
                writable,
            } => {
                let Some(f) = self.k.file_id(&file.name) else {
                    return cx.fail(OpResult::Einval);
                };
                let Some(r) = range.resolve(self.k.files[f as usize].size) else {
                    return cx.fail(OpResult::Einval);
                };
                let backing = Backing::File {
                    file: f,
                    pgoff: r.start,
                    shared: *shared,
                };
                self.k
                    .mmap(cx, 0, &vma.name, backing, r.len() as u32, *writable);
            }
            StmtKind::MmapAnon {
                vma,
                pages,
                writable,
                huge,
                zone,
            } => {
                self.k.mmap(
                    cx,
                    0,
                    &vma.name,
                    Backing::Anon {
                        huge: *huge,
                        zone: *zone,
                    },
                    *pages,
                    *writable,
                );
            }
            StmtKind::Op { irq, op, .. } => {
                let Some(proc_) = self.proc_of(st) else {
                    return self.cx.fail(OpResult::Einval);
                };
                let saved = self.k.ctx;
                if *irq {
                    self.k.ctx = Context::HardIrq;
                }
                self.op(proc_, op);
                self.k.ctx = saved;
            }
            _ => {}
        }
    }

    fn range(
        &mut self,
        proc_: u32,
        vma: &Ident,
        range: PageRange,
    ) -> Option<(u32, std::ops::Range<u32>)> {
        let Some(v) = self.vma(proc_, vma) else {
            self.cx.fail(OpResult::Efault);
            return None;
        };
        match range.resolve(self.k.vmas[v as usize].pages) {
            Some(r) => Some((v, r)),
            None => {
                self.cx.fail(OpResult::Einval);
                None
            }
        }
    }

    fn op(&mut self, proc_: u32, op: &Op) {
        let scoped = self.scoped > 0;
        match op {
            Op::Read { vma, range } => {
                if let Some((v, r)) = self.range(proc_, vma, *range) {
                    self.k.op_read(&mut self.cx, v, r);
                }
            }
            Op::Write { vma, range } => {
                if let Some((v, r)) = self.range(proc_, vma, *range) {
                    self.k.op_write(&mut self.cx, v, r);
                }
            }
            Op::Gup {
                vma, range, flags, ..
            }
            | Op::Get {
                vma, range, flags, ..
            } => {
                if let Err(e) = self.k.gup_args_valid(gup_kind(op), *flags) {
                    self.cx.fail(e);
                } else if let Some((v, r)) = self.range(proc_, vma, *range) {
                    if let Some(call) = gup_call(op, proc_, v, r, scoped) {
                        self.k.gup(&mut self.cx, call);
                    }
                }
            }
            Op::Vmsplice { handle, vma, range } => {
                if let Some((v, r)) = self.range(proc_, vma, *range) {
                    let flags = crate::script::GupFlags::default();
                    let call = GupCall {
                        name: &handle.name,
                        proc_,
                        vma: v,
                        range: r,
                        flags,
                        times: 1,
                        kind: GupKind::Vmsplice,
                        scoped,
                    };
                    self.k.gup(&mut self.cx, call);
                }
            }
            Op::Refs { vma, page, delta } => {
                if let Some((v, _)) = self.range(proc_, vma, PageRange::One(*page)) {
                    self.k.refs(&mut self.cx, v, *page, *delta);
                }
            }
            Op::Dma { handle, dir, range } => self.k.dma(&mut self.cx, &handle.name, *dir, *range),
            Op::Put { handle, dirty } => self.k.put(&mut self.cx, &handle.name, *dirty),
            Op::PutPage { handle } => self.k.put_page(&mut self.cx, &handle.name),
            Op::Complete { handle, dirty } => self.k.complete(&mut self.cx, &handle.name, *dirty),
            Op::Workqueue => self.k.run_workqueue(&mut self.cx),
            Op::Writeback {
                file,
                range,
                sync,
                hold,
            } => {
                if let Some((f, r)) = self.file_range(file, *range) {
                    self.k.writeback(&mut self.cx, f, r, *sync, *hold);
                }
            }
            Op::WritebackDone { file } => match self.k.file_id(&file.name) {
                Some(f) => self.k.writeback_done(&mut self.cx, f),
                None => self.cx.fail(OpResult::Einval),
            },
            Op::Sync => self.k.sync(&mut self.cx),
            Op::Reclaim { target, range } => {
                let t = match target {
                    None => Some(ReclaimTarget::All),
                    Some(name) => {
                        if self.k.file_id(&name.name).is_some() {
                            self.file_range(name, *range)
                                .map(|(f, r)| ReclaimTarget::File(f, r))
                        } else {
                            self.range(proc_, name, *range)
                                .map(|(v, r)| ReclaimTarget::Vma(v, r))
                        }
                    }
                };
                if let Some(t) = t {
                    self.k.reclaim(&mut self.cx, t);
                }
            }
            Op::Migrate { vma, range } => {
                if let Some((v, r)) = self.range(proc_, vma, *range) {
                    self.k.migrate(&mut self.cx, v, r);
                }
            }
            Op::Truncate { file, pages } => match self.k.file_id(&file.name) {
                Some(f) => self.k.truncate(&mut self.cx, f, *pages),
                None => self.cx.fail(OpResult::Einval),
            },
            Op::Punch { file, range } => {
                if let Some((f, r)) = self.file_range(file, *range) {
                    self.k.punch(&mut self.cx, f, r);
                }
            }
            Op::Fork { child } => self.k.fork(&mut self.cx, proc_, &child.name),
            Op::Munmap { vma } => match self.vma(proc_, vma) {
                Some(v) => self.k.munmap(&mut self.cx, v),
                None => self.cx.fail(OpResult::Einval),
            },
            Op::Mprotect { vma, writable } => match self.vma(proc_, vma) {
                Some(v) => self.k.mprotect(&mut self.cx, v, *writable),
                None => self.cx.fail(OpResult::Einval),
            },
            Op::Exit => self.k.exit(&mut self.cx, proc_),
        }
    }

    fn file_range(
        &mut self,
        file: &Ident,
        range: PageRange,
    ) -> Option<(u32, std::ops::Range<u32>)> {
        let Some(f) = self.k.file_id(&file.name) else {
            self.cx.fail(OpResult::Einval);
            return None;
        };
        // Past the current end of the file there is nothing to write back, punch or reclaim:
        // the range is cut at i_size (fallocate and sync_file_range succeed there).
        let size = self.k.files[f as usize].size;
        let r = match range {
            PageRange::All => 0..size,
            PageRange::One(p) => p..p.saturating_add(1),
            PageRange::Span(a, b) => a..b,
        };
        Some((f, r.start.min(size)..r.end.min(size)))
    }

    /// The VMA (of `main`) and the page mapped at `idx`.
    fn page_at(&self, vma: &Ident, idx: u32) -> Result<(u32, u32), String> {
        let v = self
            .k
            .vma_id(0, &vma.name)
            .ok_or_else(|| format!("{} is not mapped", vma.name))?;
        match self.k.vmas[v as usize].ptes.get(idx as usize) {
            Some(Some(Pte::Present { pfn, .. })) => Ok((v, *pfn)),
            Some(Some(Pte::Swap { pfn: Some(pfn), .. })) => Ok((v, *pfn)),
            _ => Err(format!("{} page {idx} is not present", vma.name)),
        }
    }

    fn expect(&mut self, st: &Stmt, e: &Expect) {
        let text = e.to_string();
        let (passed, observed) = match e {
            Expect::Ok => {
                let v: Vec<String> = ViolationKind::ALL
                    .iter()
                    .filter(|k| !k.informational() && self.counts[**k as usize] > 0)
                    .map(|k| k.to_string())
                    .collect();
                (
                    v.is_empty(),
                    if v.is_empty() {
                        "no violation".into()
                    } else {
                        format!("violations: {}", v.join(", "))
                    },
                )
            }
            Expect::Violation { name } | Expect::NoViolation { name } => {
                let want = matches!(e, Expect::Violation { .. });
                match ViolationKind::from_name(&name.name) {
                    Some(k) => {
                        let n = self.counts[k as usize];
                        let obs = if n == 0 {
                            format!("{k} not raised")
                        } else {
                            format!(
                                "{k} raised {n} time(s), first at step {}",
                                self.first[k as usize].unwrap_or(0)
                            )
                        };
                        ((n > 0) == want, obs)
                    }
                    None => (false, format!("unknown violation '{}'", name.name)),
                }
            }
            Expect::Result { result } => (
                self.last_result == *result,
                format!("result {}", self.last_result),
            ),
            Expect::Pinned { vma, page, pinned } => match self.page_at(vma, *page) {
                Ok((_, pfn)) => {
                    let ans = self.k.maybe_dma_pinned(pfn);
                    let obs = match ans {
                        None => "the scheme cannot tell (treated as not pinned)".to_string(),
                        Some(true) => format!("pinned (p{pfn})"),
                        Some(false) => format!("not pinned (p{pfn})"),
                    };
                    (ans.unwrap_or(false) == *pinned, obs)
                }
                Err(msg) => (false, msg),
            },
            Expect::Page { vma, page, fields } => match self.page_at(vma, *page) {
                Ok((vma_id, pfn)) => {
                    let p = &self.k.pages[pfn as usize];
                    let mut ok = true;
                    let mut obs = Vec::new();
                    let yes_no = |b: bool| if b { "yes" } else { "no" };
                    for f in fields {
                        let (got, want) = match *f {
                            PageField::Refcount(n) => {
                                (format!("refcount={}", p.refcount), n == p.refcount)
                            }
                            PageField::Mapcount(n) => {
                                let m = self.k.page_mapcount(vma_id, *page, pfn);
                                (format!("mapcount={m}"), n == m)
                            }
                            PageField::Pincount(n) => {
                                (format!("pincount={}", p.pincount), n == p.pincount)
                            }
                            PageField::Dirty(d) => (
                                format!("dirty={}", yes_no(p.flags.dirty)),
                                d == p.flags.dirty,
                            ),
                            PageField::Zeropage(z) => (
                                format!("zeropage={}", yes_no(p.is_zero())),
                                z == p.is_zero(),
                            ),
                        };
                        ok &= want;
                        obs.push(got);
                    }
                    (ok, obs.join(" "))
                }
                Err(msg) => (false, msg),
            },
            Expect::CostTotal { cmp, bound } => {
                let t = self.trace.total_ps;
                (
                    cmp.holds(t, bound.0),
                    format!("cost {}", crate::cost::fmt_ps(t)),
                )
            }
            Expect::CostCompare {
                left,
                cmp,
                right,
                factor_milli,
            } => {
                self.cost_points.push(CostPoint {
                    line: st.line,
                    text: text.clone(),
                    left: *left,
                    cmp: *cmp,
                    right: *right,
                    factor_milli: *factor_milli,
                    total_ps: self.trace.total_ps,
                });
                (true, "compared across schemes".into())
            }
        };
        let cross = matches!(e, Expect::CostCompare { .. });
        if !cross {
            match self.expectations.iter_mut().find(|o| o.line == st.line) {
                Some(o) => {
                    if o.passed && !passed {
                        o.passed = false;
                        o.observed.clone_from(&observed);
                    }
                }
                None => self.expectations.push(ExpectOutcome {
                    line: st.line,
                    text: text.clone(),
                    scheme: Some(self.k.scheme),
                    passed,
                    observed: observed.clone(),
                }),
            }
        }
        self.begin_step();
        self.record(
            st.line,
            || st.to_string(),
            StepKind::Expect { passed, observed },
        );
    }
}

fn count_stmts(body: &[Stmt]) -> u64 {
    body.iter()
        .map(|s| match &s.kind {
            StmtKind::Repeat { count, body } => count.saturating_mul(count_stmts(body)),
            _ => 1,
        })
        .fold(0u64, u64::saturating_add)
}

/// The kernel state after step `index` of a scheme's run (time travel for the stepper).
pub fn state_at(script: &Script, o: &Overrides, scheme: SchemeKind, index: u64) -> Kernel {
    let (settings, table, _) = configure(script, o);
    run_one(script, &settings, &table, scheme, Some(index)).kernel
}
