//! Exploring a script's `thread` interleavings: from the state after the statements before the
//! threads, every order in which the threads can take their next statement is run under each
//! scheme, and each violation is reported as Never / Sometimes / Always with the number of
//! schedules that raise it and the shortest `schedule` line that reproduces it (the runner goes
//! round-robin after the listed names, so a prefix often suffices).
//!
//! **Interleaving points.** A thread's statement is atomic (a `repeat` runs whole), and so is
//! every kernel operation but one: deferred work. A completion in IRQ context (and, under
//! fake-vma, every release) queues an item on the system workqueue; the explorer lets the
//! kworker run the oldest queued item at any point, as the `kworker` name in a `schedule`
//! does. So the flusher can clean a page between a DIO's completion and its deferred
//! `set_page_dirty`. The other multi-phase operations stay atomic: see docs/language.md.
//!
//! **State deduplication.** A state is the kernel (content-based `Eq`/`Hash`), each thread's
//! next statement and the violation kinds raised so far; it is kept as a 128-bit fingerprint.
//! What a state leads to (how many schedules, which raise each kind, the shortest) is computed
//! once and reused whenever another interleaving reaches the same state, so the schedule counts
//! stay exact while the work follows the number of distinct states.
//!
//! **Partial-order reduction (sleep sets).** Two statements of different threads are
//! independent when their footprints (the files, VMAs, handles they name, anonymous memory,
//! the workqueue, the pin waiters) are disjoint; `sync`, `reclaim`, `fork`, `exit`, `workqueue`
//! and the kworker touch everything. Of two orders of independent statements only one is run.
//! The schedules counted are then one per class of equivalent interleavings (the verdict is
//! the same for every member of a class); without the reduction every interleaving is counted.
//!
//! Bounds: a maximum number of distinct states and a progress callback that may cancel; either
//! ends the exploration with an explicit "incomplete" verdict, never a silent cut.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::cost::CostTable;
use crate::kernel::{Kernel, StepCx};
use crate::run::{step_lite, turn, Transition, Turn};
use crate::script::{Ident, Op, Script, Stmt, StmtKind, KWORKER};
use crate::settings::Overrides;
use crate::{SchemeKind, ViolationKind};

const _: () = assert!(ViolationKind::ALL.len() <= 32, "kind sets are u32 bit sets");

/// How often a violation happens over the explored schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    /// In no schedule.
    Never,
    /// In some.
    Sometimes,
    /// In every one.
    Always,
}

impl Frequency {
    /// `Never`, `Sometimes`, `Always`.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Never => "Never",
            Frequency::Sometimes => "Sometimes",
            Frequency::Always => "Always",
        }
    }
}

/// One violation kind under one scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The violation.
    pub kind: ViolationKind,
    /// Schedules that raise it.
    pub violating: u64,
    /// The shortest schedule prefix (thread names, `kworker`) that raises it.
    pub schedule: Vec<String>,
}

/// Why an exploration stopped before the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stop {
    /// The bound on distinct states was hit.
    States(u64),
    /// The progress callback asked to stop (a time limit, a Cancel button).
    Cancelled,
}

/// The exploration of one scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeResult {
    /// The scheme.
    pub scheme: SchemeKind,
    /// Complete schedules explored (saturating).
    pub schedules: u64,
    /// Distinct states visited.
    pub states: u64,
    /// Transitions executed (statements run by the explorer).
    pub transitions: u64,
    /// `None` when every schedule was explored.
    pub stopped: Option<Stop>,
    /// Every violation kind raised by at least one schedule, in table order.
    pub found: Vec<Found>,
}

impl SchemeResult {
    /// How often `found` happened.
    pub fn frequency(&self, found: &Found) -> Frequency {
        if found.violating == 0 {
            Frequency::Never
        } else if found.violating == self.schedules && self.stopped.is_none() {
            Frequency::Always
        } else {
            Frequency::Sometimes
        }
    }

    /// Whether every schedule was explored.
    pub fn complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// What exploring a script found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// The threads, in script order, with their statement counts.
    pub threads: Vec<(String, usize)>,
    /// Whether the partial-order reduction was on.
    pub reduced: bool,
    /// Per scheme run.
    pub schemes: Vec<SchemeResult>,
}

impl Exploration {
    /// Whether every scheme's exploration ran to the end.
    pub fn complete(&self) -> bool {
        self.schemes.iter().all(SchemeResult::complete)
    }
}

/// Limits and switches.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Stop after this many distinct states per scheme.
    pub max_states: u64,
    /// Sleep-set partial-order reduction.
    pub reduce: bool,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_states: 1_000_000,
            reduce: true,
        }
    }
}

/// Where an exploration is, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// The scheme being explored.
    pub scheme: SchemeKind,
    /// Its index among the schemes explored, and their number.
    pub scheme_index: usize,
    /// The number of schemes.
    pub schemes: usize,
    /// Distinct states so far (this scheme).
    pub states: u64,
    /// Transitions executed so far (this scheme).
    pub transitions: u64,
    /// Complete schedules accounted for so far (this scheme): at the end, all of them.
    pub schedules: u64,
}

/// How often the progress callback is called, in new states.
const PROGRESS_EVERY: u64 = 256;

/// Explores `script` under the schemes `o` asks for (all three when none), at most
/// `max_states` states each, with the reduction on.
pub fn explore(script: &Script, o: &Overrides, max_states: u64) -> Exploration {
    let bounds = Bounds {
        max_states,
        ..Bounds::default()
    };
    explore_with(script, o, bounds, &mut |_| true)
}

/// Explores `script`; `progress` is called every few hundred new states and stops the
/// exploration (incomplete, [`Stop::Cancelled`]) when it returns false.
pub fn explore_with(
    script: &Script,
    o: &Overrides,
    bounds: Bounds,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Exploration {
    let shape = Shape::of(script);
    // Sleep sets are u64 bit sets over the threads and the kworker.
    let bounds = Bounds {
        reduce: bounds.reduce && shape.threads.len() < 64,
        ..bounds
    };
    let (settings, table, _) = crate::run::configure(script, o);
    let kinds: Vec<SchemeKind> = SchemeKind::ALL
        .iter()
        .copied()
        .filter(|s| o.schemes.is_empty() || o.schemes.contains(s))
        .collect();
    let mut schemes = Vec::new();
    let mut cancelled = false;
    for (i, &scheme) in kinds.iter().enumerate() {
        let mut k = Kernel::new(scheme, settings.clone());
        let head_bits = step_lite(
            &mut k,
            &table,
            Transition::Head(&shape.head),
            &mut StepCx::default(),
        );
        let mut search = Search {
            shape: &shape,
            table: &table,
            bounds,
            memo: KeyMap::default(),
            states: KeySet::default(),
            transitions: 0,
            stopped: cancelled.then_some(Stop::Cancelled),
            progress: &mut *progress,
            at: Progress {
                scheme,
                scheme_index: i,
                schemes: kinds.len(),
                states: 0,
                transitions: 0,
                schedules: 0,
            },
            cx: StepCx::default(),
        };
        let root = Node {
            k,
            pcs: vec![0; shape.threads.len()],
            seen: head_bits,
        };
        let sum = if search.stopped.is_some() {
            Rc::new(Sum::default())
        } else {
            search.run(root)
        };
        let (states, transitions, stopped) = (
            search.states.len() as u64,
            search.transitions,
            search.stopped,
        );
        cancelled |= stopped == Some(Stop::Cancelled);
        let found = sum
            .kinds
            .iter()
            .filter(|(kind, _, _)| !ViolationKind::ALL[*kind as usize].informational())
            .map(|(kind, violating, path)| {
                let kind = ViolationKind::ALL[*kind as usize];
                let full = shape.names(path);
                Found {
                    kind,
                    violating: *violating,
                    schedule: shortest_prefix(script, o, scheme, kind, full),
                }
            })
            .collect();
        schemes.push(SchemeResult {
            scheme,
            schedules: sum.total,
            states,
            transitions,
            stopped,
            found,
        });
    }
    Exploration {
        threads: shape
            .threads
            .iter()
            .map(|t| (t.name.clone(), t.body.len()))
            .collect(),
        reduced: bounds.reduce,
        schemes,
    }
}

/// The script cut for the explorer: the statements before the threads, the threads with each
/// statement's footprint, and the rest.
struct Shape<'s> {
    head: Vec<Stmt>,
    threads: Vec<Thread<'s>>,
    tail: Vec<Stmt>,
}

struct Thread<'s> {
    name: String,
    body: &'s [Stmt],
    footprints: Vec<Footprint>,
}

/// What a statement may touch: a set of resources, or everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Footprint {
    Some(u64),
    All,
}

impl Footprint {
    fn union(self, other: Footprint) -> Footprint {
        match (self, other) {
            (Footprint::Some(a), Footprint::Some(b)) => Footprint::Some(a | b),
            _ => Footprint::All,
        }
    }
    fn independent(self, other: Footprint) -> bool {
        matches!((self, other), (Footprint::Some(a), Footprint::Some(b)) if a & b == 0)
    }
}

impl<'s> Shape<'s> {
    fn of(script: &'s Script) -> Shape<'s> {
        let mut head = Vec::new();
        let mut tail = Vec::new();
        let mut bodies = Vec::new();
        for st in &script.stmts {
            match &st.kind {
                StmtKind::Thread { name, body } => bodies.push((name.name.clone(), body)),
                StmtKind::Schedule(_) => {}
                _ if bodies.is_empty() => head.push(st.clone()),
                _ => tail.push(st.clone()),
            }
        }
        let mut res = Resources::new(script);
        let threads = bodies
            .into_iter()
            .map(|(name, body)| Thread {
                name,
                body,
                footprints: body.iter().map(|st| res.footprint(st)).collect(),
            })
            .collect();
        Shape {
            head,
            threads,
            tail,
        }
    }

    /// The transition `t` (a thread index, or the kworker after the threads) as a name.
    fn name(&self, t: usize) -> &str {
        self.threads.get(t).map_or(KWORKER, |th| &th.name)
    }

    fn names(&self, path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = path.as_ref();
        while let Some(cell) = at {
            out.push(self.name(cell.transition as usize).to_string());
            at = cell.rest.as_ref();
        }
        out
    }
}

/// Interned resource names and what each VMA name and handle name stands for.
struct Resources<'s> {
    script: &'s Script,
    names: Vec<String>,
}

impl<'s> Resources<'s> {
    fn new(script: &'s Script) -> Self {
        Resources {
            script,
            names: Vec::new(),
        }
    }

    fn id(&mut self, name: String) -> Footprint {
        let i = match self.names.iter().position(|n| *n == name) {
            Some(i) => i,
            None => {
                self.names.push(name);
                self.names.len() - 1
            }
        };
        if i < 64 {
            Footprint::Some(1 << i)
        } else {
            Footprint::All
        }
    }

    /// Every statement of the script, nested ones included.
    fn all_stmts(&self) -> Vec<&'s Stmt> {
        fn walk<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a Stmt>) {
            for st in stmts {
                out.push(st);
                if let StmtKind::Repeat { body, .. } | StmtKind::Thread { body, .. } = &st.kind {
                    walk(body, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.script.stmts, &mut out);
        out
    }

    /// A VMA name: itself, the file every `mmap` of that name maps, and, when the script
    /// forks, anonymous memory (a fork shares the anonymous pages of private and anonymous
    /// mappings between processes).
    fn vma(&mut self, vma: &Ident) -> Footprint {
        let mut fp = self.id(format!("vma {}", vma.name));
        let mut declared = false;
        let forks = self.all_stmts().iter().any(|st| {
            matches!(
                st.kind,
                StmtKind::Op {
                    op: Op::Fork { .. },
                    ..
                }
            )
        });
        for st in self.all_stmts() {
            match &st.kind {
                StmtKind::MmapFile {
                    vma: v,
                    file,
                    shared,
                    ..
                } if v.name == vma.name => {
                    declared = true;
                    fp = fp.union(self.id(format!("file {}", file.name)));
                    if !*shared && forks {
                        fp = fp.union(self.id("anon".into()));
                    }
                }
                StmtKind::MmapAnon { vma: v, .. } if v.name == vma.name => {
                    declared = true;
                    if forks {
                        fp = fp.union(self.id("anon".into()));
                    }
                }
                _ => {}
            }
        }
        if declared {
            fp
        } else {
            Footprint::All
        }
    }

    /// A handle name: itself and the VMAs every GUP of that name pins from.
    fn handle(&mut self, handle: &Ident) -> Footprint {
        let mut fp = self.id(format!("handle {}", handle.name));
        let mut pinned = false;
        for st in self.all_stmts() {
            if let StmtKind::Op {
                op:
                    Op::Gup { handle: h, vma, .. }
                    | Op::Get { handle: h, vma, .. }
                    | Op::Vmsplice { handle: h, vma, .. },
                ..
            } = &st.kind
            {
                if h.name == handle.name {
                    pinned = true;
                    fp = fp.union(self.vma(vma));
                }
            }
        }
        if pinned {
            fp
        } else {
            Footprint::All
        }
    }

    fn footprint(&mut self, st: &Stmt) -> Footprint {
        match &st.kind {
            StmtKind::Expect { .. }
            | StmtKind::Scheme(_)
            | StmtKind::Kernel(_)
            | StmtKind::Set(_)
            | StmtKind::Cost(_)
            | StmtKind::Schedule(_) => Footprint::Some(0),
            StmtKind::Repeat { body, .. } | StmtKind::Thread { body, .. } => body
                .iter()
                .fold(Footprint::Some(0), |fp, s| fp.union(self.footprint(s))),
            StmtKind::File { .. } => Footprint::All,
            StmtKind::MmapFile { vma, .. } | StmtKind::MmapAnon { vma, .. } => self.vma(vma),
            StmtKind::Op { op, .. } => self.op(op),
        }
    }

    fn op(&mut self, op: &Op) -> Footprint {
        // Releases may wake pin waiters and queue deferred work.
        let release = |r: &mut Self, h: &Ident| {
            r.handle(h)
                .union(r.id("workqueue".into()))
                .union(r.id("waiters".into()))
        };
        let file = |r: &mut Self, f: &Ident| {
            r.id(format!("file {}", f.name))
                .union(r.id("waiters".into()))
        };
        match op {
            Op::Read { vma, .. }
            | Op::Write { vma, .. }
            | Op::Refs { vma, .. }
            | Op::Migrate { vma, .. }
            | Op::Munmap { vma }
            | Op::Mprotect { vma, .. } => self.vma(vma),
            Op::Gup { handle, vma, .. }
            | Op::Get { handle, vma, .. }
            | Op::Vmsplice { handle, vma, .. } => self.vma(vma).union(self.handle(handle)),
            Op::Dma { handle, .. } => self.handle(handle),
            Op::Put { handle, .. } | Op::PutPage { handle } | Op::Complete { handle, .. } => {
                release(self, handle)
            }
            Op::Writeback { file: f, .. }
            | Op::WritebackDone { file: f }
            | Op::Truncate { file: f, .. }
            | Op::Punch { file: f, .. } => file(self, f),
            Op::Workqueue | Op::Sync | Op::Reclaim { .. } | Op::Fork { .. } | Op::Exit => {
                Footprint::All
            }
        }
    }
}

/// A state of the search.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Node {
    k: Kernel,
    /// Each thread's next statement.
    pcs: Vec<usize>,
    /// Violation kinds raised so far.
    seen: u32,
}

impl Node {
    /// A 128-bit fingerprint of the content, in one pass.
    fn fingerprint(&self) -> u128 {
        let mut h = Fingerprint {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        };
        self.hash(&mut h);
        u128::from(h.a) << 64 | u128::from(h.b)
    }
}

/// Two 64-bit lanes, each word folded in by a 64x64->128-bit multiply (the mixer of wyhash and
/// foldhash) with its own constant: fast on the many small writes of a derived `Hash`, and 128
/// bits wide, so two distinct states share a fingerprint with negligible probability.
struct Fingerprint {
    a: u64,
    b: u64,
}

fn fold(v: u64, k: u64) -> u64 {
    let m = u128::from(v) * u128::from(k);
    m as u64 ^ (m >> 64) as u64
}

impl Fingerprint {
    fn word(&mut self, x: u64) {
        self.a = fold(self.a ^ x, 0xa076_1d64_78bd_642f);
        self.b = fold(self.b ^ x.rotate_left(32), 0xe703_7ed1_a0b4_28db);
    }
}

impl Hasher for Fingerprint {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        self.word(u64::from_le_bytes(w) ^ (bytes.len() as u64) << 56);
    }
    fn write_u8(&mut self, n: u8) {
        self.word(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.word(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.word(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.word(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.word(n as u64);
    }
    fn finish(&self) -> u64 {
        self.a
    }
}

/// The memo's and the visited set's keys are fingerprints already: their hash is a fold of
/// their bits, not another SipHash pass.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, 0x9e37_79b9_7f4a_7c15);
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64 ^ (n >> 64) as u64;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type KeyMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;
type KeySet<K> = HashSet<K, std::hash::BuildHasherDefault<KeyHasher>>;

/// The sleep-set bit of transition `t`; none past 63 (the reduction is off there, see
/// [`explore_with`]).
fn bit(t: usize) -> u64 {
    1u64.checked_shl(t as u32).unwrap_or(0)
}

/// A schedule suffix, shared between the states that lead to it.
type Path = Option<Rc<Cell>>;

/// One transition of a [`Path`] and the rest.
struct Cell {
    transition: u32,
    len: u32,
    rest: Path,
}

/// What a state leads to.
#[derive(Default)]
struct Sum {
    /// Complete schedules from here.
    total: u64,
    /// Per kind raised (by bit index): schedules raising it, and the shortest suffix that does.
    kinds: Vec<(u8, u64, Path)>,
}

fn path_len(p: &Path) -> u32 {
    p.as_ref().map_or(0, |c| c.len)
}

struct Search<'a, 's> {
    shape: &'a Shape<'s>,
    table: &'a CostTable,
    bounds: Bounds,
    /// (state fingerprint, sleep set) → what it leads to.
    memo: KeyMap<(u128, u64), Rc<Sum>>,
    states: KeySet<u128>,
    transitions: u64,
    stopped: Option<Stop>,
    progress: &'a mut dyn FnMut(&Progress) -> bool,
    at: Progress,
    /// Scratch space for every transition's step.
    cx: StepCx,
}

/// A state being expanded: the search keeps these on its own stack rather than the call
/// stack, so a long thread body cannot overflow a worker's small wasm stack.
struct Frame {
    /// The state; taken by the last transition out of it.
    node: Option<Node>,
    fp: u128,
    sleep: u64,
    /// The transitions enabled here (thread indices; the kworker is `threads.len()`).
    enabled: Vec<usize>,
    /// The next of `enabled` to take.
    next: usize,
    /// Transitions taken so far (the sleep-set bits they add to later siblings).
    done: u64,
    /// The transition whose child is being explored.
    pending: usize,
    sum: Sum,
}

impl Search<'_, '_> {
    /// Everything `root` leads to.
    fn run(&mut self, root: Node) -> Rc<Sum> {
        let mut stack: Vec<Box<Frame>> = Vec::new();
        let mut ret: Option<Rc<Sum>> = match self.enter(root, 0) {
            Ok(sum) => return sum,
            Err(frame) => {
                stack.push(frame);
                None
            }
        };
        loop {
            let Some(f) = stack.last_mut() else {
                return Rc::new(Sum::default());
            };
            if let Some(sub) = ret.take() {
                let t = f.pending;
                merge(&mut f.sum, t, &sub);
                f.done |= bit(t);
            }
            let next = if self.stopped.is_some() {
                None
            } else {
                let (sleep, enabled) = (f.sleep, &f.enabled);
                let skip = enabled[f.next..]
                    .iter()
                    .take_while(|&&t| sleep & bit(t) != 0)
                    .count();
                f.next += skip;
                enabled.get(f.next).copied()
            };
            let Some(t) = next else {
                // Every transition is taken: this state is done.
                let Some(mut f) = stack.pop() else {
                    return Rc::new(Sum::default());
                };
                f.sum.kinds.sort_by_key(|e| e.0);
                let sum = Rc::new(f.sum);
                self.memo.insert((f.fp, f.sleep), sum.clone());
                if stack.is_empty() {
                    return sum;
                }
                ret = Some(sum);
                continue;
            };
            f.next += 1;
            f.pending = t;
            let threads = &self.shape.threads;
            // The last transition taken from a state moves the state into its child instead
            // of copying it: the frame needs only its fingerprint after that.
            let last = f.enabled[f.next..].iter().all(|&u| f.sleep & bit(u) != 0);
            let parent = if last { f.node.take() } else { f.node.clone() };
            let Some(mut child) = parent else {
                f.next = f.enabled.len();
                continue;
            };
            let child_sleep = if self.bounds.reduce {
                let mine = self.footprint(&child, t);
                (0..=threads.len())
                    .filter(|&u| (f.sleep | f.done) & bit(u) != 0)
                    .filter(|&u| self.footprint(&child, u).independent(mine))
                    .fold(0, |s, u| s | bit(u))
            } else {
                0
            };
            let what = match threads.get(t) {
                Some(th) => {
                    let st = &th.body[child.pcs[t]];
                    if turn(&child.k, st) != Turn::ForkBegin {
                        child.pcs[t] += 1;
                    }
                    Transition::Stmt(st)
                }
                None => Transition::Kworker,
            };
            self.transitions += 1;
            child.seen |= step_lite(&mut child.k, self.table, what, &mut self.cx);
            match self.enter(child, child_sleep) {
                Ok(sum) => ret = Some(sum),
                Err(frame) => stack.push(frame),
            }
        }
    }

    /// Arrives at `node` with sleep set `sleep`: what it leads to when that is known at once
    /// (memoised, a bound hit, no transition enabled), else the frame to expand.
    fn enter(&mut self, node: Node, sleep: u64) -> Result<Rc<Sum>, Box<Frame>> {
        let fp = node.fingerprint();
        if let Some(s) = self.memo.get(&(fp, sleep)) {
            self.at.schedules = self.at.schedules.saturating_add(s.total);
            return Ok(s.clone());
        }
        if self.stopped.is_some() {
            return Ok(Rc::new(Sum::default()));
        }
        if self.states.insert(fp) {
            let n = self.states.len() as u64;
            if n > self.bounds.max_states {
                self.stopped = Some(Stop::States(self.bounds.max_states));
                return Ok(Rc::new(Sum::default()));
            }
            if n % PROGRESS_EVERY == 1 {
                self.at.states = n;
                self.at.transitions = self.transitions;
                if !(self.progress)(&self.at) {
                    self.stopped = Some(Stop::Cancelled);
                    return Ok(Rc::new(Sum::default()));
                }
            }
        }
        let threads = &self.shape.threads;
        let mut sum = Sum::default();
        if node
            .pcs
            .iter()
            .zip(threads)
            .all(|(pc, t)| *pc == t.body.len())
        {
            // The threads are done: the rest of the script runs, with the queued work still
            // pending (or the kworker takes its turns first).
            let mut k = node.k.clone();
            self.transitions += 1;
            let bits = node.seen
                | step_lite(
                    &mut k,
                    self.table,
                    Transition::Tail(&self.shape.tail),
                    &mut self.cx,
                );
            sum.total = 1;
            self.at.schedules = self.at.schedules.saturating_add(1);
            sum.kinds = (0..32u8)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| (i, 1, None))
                .collect();
        }
        let mut enabled: Vec<usize> = (0..threads.len())
            .filter(|&t| {
                threads[t]
                    .body
                    .get(node.pcs[t])
                    .is_some_and(|st| turn(&node.k, st) != Turn::Waits)
            })
            .collect();
        if !node.k.workqueue.is_empty() {
            enabled.push(threads.len());
        }
        if enabled.iter().all(|&t| sleep & bit(t) != 0) {
            // A stopped search's partial sums are not reused: nothing reads the memo after a
            // stop.
            let sum = Rc::new(sum);
            self.memo.insert((fp, sleep), sum.clone());
            return Ok(sum);
        }
        Err(Box::new(Frame {
            node: Some(node),
            fp,
            sleep,
            enabled,
            next: 0,
            done: 0,
            pending: 0,
            sum,
        }))
    }

    fn footprint(&self, node: &Node, t: usize) -> Footprint {
        match self.shape.threads.get(t) {
            Some(th) => th.footprints[node.pcs[t]],
            None => Footprint::All,
        }
    }
}

/// Adds what the transition `t` leads to (`sub`) to `sum`.
fn merge(sum: &mut Sum, t: usize, sub: &Sum) {
    sum.total = sum.total.saturating_add(sub.total);
    for (kind, n, path) in &sub.kinds {
        let len = path_len(path) + 1;
        let longer = || -> Path {
            Some(Rc::new(Cell {
                transition: t as u32,
                len,
                rest: path.clone(),
            }))
        };
        match sum.kinds.iter_mut().find(|e| e.0 == *kind) {
            Some(e) => {
                e.1 = e.1.saturating_add(*n);
                if len < path_len(&e.2) {
                    e.2 = longer();
                }
            }
            None => sum.kinds.push((*kind, *n, longer())),
        }
    }
}

/// The shortest prefix of `full` that, as a `schedule` line, still raises `kind` under
/// `scheme` (after the listed names the runner goes round-robin, so a prefix often suffices).
fn shortest_prefix(
    script: &Script,
    o: &Overrides,
    scheme: SchemeKind,
    kind: ViolationKind,
    full: Vec<String>,
) -> Vec<String> {
    let only = Overrides {
        schemes: vec![scheme],
        ..o.clone()
    };
    (0..full.len())
        .map(|n| &full[..n])
        .find(|prefix| raises(script, &only, prefix, kind))
        .map_or(full.clone(), <[String]>::to_vec)
}

/// Whether `script` with its `schedule` replaced by `names` raises `kind`.
fn raises(script: &Script, o: &Overrides, names: &[String], kind: ViolationKind) -> bool {
    crate::run(&with_schedule(script, names), o)
        .traces
        .iter()
        .any(|t| t.counts.iter().any(|(k, n)| *k == kind && *n > 0))
}

/// `script` with its `schedule` replaced by `names`.
pub fn with_schedule(script: &Script, names: &[String]) -> Script {
    let mut stmts: Vec<Stmt> = script
        .stmts
        .iter()
        .filter(|s| !matches!(s.kind, StmtKind::Schedule(_)))
        .cloned()
        .collect();
    if !names.is_empty() {
        let line = stmts.last().map_or(1, |s| s.line + 1);
        stmts.push(Stmt {
            kind: StmtKind::Schedule(
                names
                    .iter()
                    .map(|n| Ident {
                        name: n.clone(),
                        span: 0..0,
                    })
                    .collect(),
            ),
            span: 0..0,
            line,
        });
    }
    Script { stmts }
}

#[cfg(test)]
mod tests;
