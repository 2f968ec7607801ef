//! Traces: what each step did, and the plain-text form that the CLI, the web export and the
//! snapshot tests share (at most 72 columns, fixed width, one step per line with the counter
//! changes it caused, findings on their own lines, a cost total and a grep-able verdict line),
//! and the [`Report`] of a whole run that they render. The runner (`run`) produces reports; this
//! module does not depend on it.

use std::fmt::Write as _;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::cost::{fmt_ps, CostCounts, CostTable};
use crate::invariants::{Finding, ViolationKind};
use crate::kernel::{PageSnap, Pfn};
use crate::{OpResult, SchemeKind, Settings};

/// The outcome of one expectation line under one scheme (or across schemes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectOutcome {
    /// Script line.
    pub line: u32,
    /// The expectation as written (canonical).
    pub text: String,
    /// The scheme it was checked under; `None` for cross-scheme cost comparisons.
    pub scheme: Option<SchemeKind>,
    /// Held every time it was evaluated.
    pub passed: bool,
    /// What was observed (the first failure, or the value when it held).
    pub observed: String,
}

/// Everything a run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Short content hash of the script, so readers know they ran the same thing.
    pub hash: String,
    /// The script's own scheme (the single-scheme view's default).
    pub primary: SchemeKind,
    /// Settings after the script's statements and the overrides.
    pub settings: Settings,
    /// The cost table used.
    pub costs: CostTable,
    /// One trace per scheme run, in `SchemeKind::ALL` order.
    pub traces: Vec<Trace>,
    /// Expectation outcomes.
    pub expectations: Vec<ExpectOutcome>,
}

impl Report {
    /// What `pinlab run NAME` prints, and what the page copies as email: a header line naming
    /// the script and its hash, then [`Report::text`].
    pub fn run_text(&self, name: &str) -> String {
        let tail = format!("  script {}", self.hash);
        let room = WIDTH
            .saturating_sub("pinlab run ".len() + tail.len())
            .max(4);
        format!("pinlab run {}{tail}\n{}", shorten(name, room), self.text())
    }

    /// All expectations held and no run hit the step budget.
    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|e| e.passed)
            && self.traces.iter().all(|t| t.budget_hit.is_none())
    }
    /// (held, total) expectations, for one scheme or all.
    pub fn expect_tally(&self, scheme: Option<SchemeKind>) -> (usize, usize) {
        let sel: Vec<_> = self
            .expectations
            .iter()
            .filter(|e| scheme.is_none() || e.scheme.is_none() || e.scheme == scheme)
            .collect();
        (sel.iter().filter(|e| e.passed).count(), sel.len())
    }
    /// The trace of one scheme.
    pub fn trace(&self, scheme: SchemeKind) -> Option<&Trace> {
        self.traces.iter().find(|t| t.scheme == scheme)
    }
    /// The plain-text form (every trace and the summary).
    pub fn text(&self) -> String {
        render_report(self)
    }
}

/// Width of every line of the text trace.
pub const WIDTH: usize = 72;

/// Keeps the end of a long name (`...tail`) so it fits `room` columns (at least 4).
pub fn shorten(name: &str, room: usize) -> String {
    let n = name.chars().count();
    if n <= room {
        name.to_string()
    } else {
        let keep: String = name.chars().skip(n - (room - 3)).collect();
        format!("...{keep}")
    }
}

/// One changed field of a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name (`ref`, `map`, `pin`, `dirty`, `buffers`, `wb`, `state`).
    pub field: Cow<'static, str>,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
}

/// The same change on a run of consecutive pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// First page.
    pub first: Pfn,
    /// Last page.
    pub last: Pfn,
    /// Pages in the run.
    pub pages: u32,
    /// What changed.
    pub fields: Vec<FieldChange>,
}

/// What a step was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StepKind {
    /// A declaration or an operation.
    Op,
    /// An expectation, with whether it held and what was observed.
    Expect {
        /// Held.
        passed: bool,
        /// What the model observed.
        observed: String,
    },
    /// Iterations 2..N of a `repeat` body, summarised: costs and findings of every iteration.
    Repeat {
        /// Iterations summarised.
        iterations: u64,
        /// Last step index covered.
        last_index: u64,
        /// Statements per iteration.
        body: u64,
    },
}

/// One step of a trace.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    /// Executed-statement number (1-based).
    pub index: u64,
    /// Script line.
    pub line: u32,
    /// The statement as canonical text (with `PROC:` / `irq` prefixes).
    pub text: String,
    /// What kind of step.
    #[serde(flatten)]
    pub kind: StepKind,
    /// Result.
    pub result: OpResult,
    /// Page changes.
    pub changes: Vec<Change>,
    /// Other changes worth reading.
    pub notes: Vec<String>,
    /// Primitives charged.
    pub costs: CostCounts,
    /// Cost in picoseconds.
    pub cost_ps: u64,
    /// Violations and events raised (for summaries: the first of each kind).
    pub findings: Vec<Finding>,
    /// For summaries: how many of each kind were raised.
    pub finding_counts: Vec<(ViolationKind, u64)>,
    /// Findings raised past the ones listed, by kind (a step lists at most
    /// [`crate::kernel::LISTED_PER_KIND`] of a kind).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unlisted: Vec<(ViolationKind, u64)>,
}

impl Step {
    /// The finding lines under a step, as the text trace and the page show them: `! ` for a
    /// violation, `~ ` for an event, with a summary's count, then a line per kind with unlisted
    /// findings.
    pub fn finding_lines(&self) -> impl Iterator<Item = (ViolationKind, String)> + '_ {
        let mark = |k: ViolationKind| if k.informational() { "~ " } else { "! " };
        let listed = self.findings.iter().map(move |f| {
            let count = self
                .finding_counts
                .iter()
                .find(|(k, _)| *k == f.kind)
                .filter(|(_, n)| *n > 1)
                .map(|(_, n)| format!(" (x{n})"))
                .unwrap_or_default();
            (
                f.kind,
                format!("{}{}{count}: {}", mark(f.kind), f.kind.name(), f.detail),
            )
        });
        let more = self.unlisted.iter().map(move |&(k, n)| {
            (
                k,
                format!("{}{}: {n} more in this step, not listed", mark(k), k.name()),
            )
        });
        listed.chain(more)
    }
}

/// The run of one script under one scheme.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trace {
    /// Scheme.
    pub scheme: SchemeKind,
    /// Settings.
    pub settings: Settings,
    /// Steps in order (repeats summarised).
    pub steps: Vec<Step>,
    /// Total primitives charged.
    pub total: CostCounts,
    /// Total cost in picoseconds.
    pub total_ps: u64,
    /// How many times each kind was raised.
    pub counts: Vec<(ViolationKind, u64)>,
    /// First step that raised each kind.
    pub first_step: Vec<(ViolationKind, u64)>,
    /// Statements executed.
    pub executed: u64,
    /// Set when the step budget stopped the run: the message.
    pub budget_hit: Option<String>,
}

impl Trace {
    /// Violations (not informational events) raised, with counts, in table order.
    pub fn violations(&self) -> impl Iterator<Item = (ViolationKind, u64)> + '_ {
        self.counts
            .iter()
            .copied()
            .filter(|(k, n)| !k.informational() && *n > 0)
    }
    /// The violations as `name` or `name xN`, joined by `sep`; `-` when there are none.
    pub fn violation_list(&self, sep: &str) -> String {
        let v: Vec<String> = self
            .violations()
            .map(|(k, n)| {
                if n > 1 {
                    format!("{k} x{n}")
                } else {
                    k.to_string()
                }
            })
            .collect();
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(sep)
        }
    }
    /// How often `kind` was raised.
    pub fn count(&self, kind: ViolationKind) -> u64 {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |&(_, n)| n)
    }
    /// The step that first raised `kind`.
    pub fn first(&self, kind: ViolationKind) -> Option<u64> {
        self.first_step
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|&(_, s)| s)
    }
}

/// The field-level differences between two snapshots of a page.
pub fn diff(old: &PageSnap, new: &PageSnap) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut num = |field, a: i64, b: i64| {
        if a != b {
            out.push(FieldChange {
                field: Cow::Borrowed(field),
                old: a.to_string(),
                new: b.to_string(),
            });
        }
    };
    num("ref", old.refcount, new.refcount);
    num("map", old.mapcount, new.mapcount);
    num("pin", old.pincount, new.pincount);
    num("dirty", i64::from(old.dirty), i64::from(new.dirty));
    num("buffers", i64::from(old.buffers), i64::from(new.buffers));
    num("wb", i64::from(old.writeback), i64::from(new.writeback));
    if old.state != new.state {
        out.push(FieldChange {
            field: Cow::Borrowed("state"),
            old: old.state.name().into(),
            new: new.state.name().into(),
        });
    }
    out
}

/// Groups the pages a step touched (their snapshots before it, and `now`) into runs of consecutive pages with the same
/// change; the field text is built once per run, so a 262,144-page step stays cheap.
pub fn group(before: &mut [PageSnap], now: impl Fn(Pfn) -> PageSnap) -> Vec<Change> {
    before.sort_unstable_by_key(|b| b.pfn);
    let strip = |s: &PageSnap| PageSnap { pfn: 0, ..*s };
    let mut out: Vec<Change> = Vec::new();
    let mut prev: Option<(PageSnap, PageSnap)> = None;
    for &b in before.iter() {
        let a = now(b.pfn);
        if b == a {
            prev = None;
            continue;
        }
        let key = (strip(&b), strip(&a));
        match (out.last_mut(), prev) {
            (Some(c), Some(p)) if c.last + 1 == b.pfn && p == key => {
                c.last = b.pfn;
                c.pages += 1;
            }
            _ => out.push(Change {
                first: b.pfn,
                last: b.pfn,
                pages: 1,
                fields: diff(&b, &a),
            }),
        }
        prev = Some(key);
    }
    out
}

fn wrap_into(out: &mut String, indent: usize, first: &str, text: &str) {
    let pad = " ".repeat(indent);
    let mut line = format!("{pad}{first}");
    let cont = " ".repeat(indent + first.len().min(4));
    for word in text.split(' ') {
        if line.len() + 1 + word.len() > WIDTH && line.trim().len() > first.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = cont.clone();
        }
        if !line.ends_with(' ') && !line.is_empty() && line.len() > indent {
            line.push(' ');
        }
        // A single word longer than a line is cut, never overflowing the width.
        if cont.len() + word.len() > WIDTH {
            line.push_str(
                &word[..word
                    .char_indices()
                    .map(|(i, _)| i)
                    .take_while(|&i| i < WIDTH - cont.len())
                    .last()
                    .unwrap_or(0)],
            );
        } else {
            line.push_str(word);
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

impl std::fmt::Display for Change {
    /// `p3 ref 3->1027 map 1->2`, or `p0..p511 (512) ...` for a run of pages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pages == 1 {
            write!(f, "p{}", self.first)?;
        } else {
            write!(f, "p{}..p{} ({})", self.first, self.last, self.pages)?;
        }
        for c in &self.fields {
            write!(f, " {} {}->{}", c.field, c.old, c.new)?;
        }
        Ok(())
    }
}

/// Renders one step.
pub fn render_step(out: &mut String, s: &Step) {
    let (result, cost) = match &s.kind {
        StepKind::Expect { passed, .. } => (
            (if *passed { "pass" } else { "FAIL" }).to_string(),
            String::new(),
        ),
        _ => (
            s.result.name().to_string(),
            if s.cost_ps > 0 {
                fmt_ps(s.cost_ps)
            } else {
                String::new()
            },
        ),
    };
    let idx = match &s.kind {
        StepKind::Repeat { last_index, .. } => format!("{}..{}", s.index, last_index),
        // End-of-script checks are not a statement: they have no line and no index of their own.
        _ if s.line == 0 => "end".to_string(),
        _ => s.index.to_string(),
    };
    let text = match &s.kind {
        StepKind::Repeat {
            iterations, body, ..
        } => format!(
            "{iterations} more x {{ {body} statements }} (line {})",
            s.line
        ),
        _ => s.text.clone(),
    };
    let head = format!("{idx:>4} ");
    let room = WIDTH - head.len() - 1 - 9 - 1 - 9;
    if text.len() <= room {
        let line = format!("{head}{text:<room$} {result:<9} {cost:>9}");
        let _ = writeln!(out, "{}", line.trim_end());
    } else {
        wrap_into(out, 0, &head, &text);
        let line = format!("{:>w$} {result:<9} {cost:>9}", "", w = WIDTH - 20);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if let StepKind::Expect {
        passed: false,
        observed,
    } = &s.kind
    {
        wrap_into(out, 7, "observed: ", observed);
    }
    for c in &s.changes {
        wrap_into(out, 7, "", &c.to_string());
    }
    for n in &s.notes {
        wrap_into(out, 7, ". ", n);
    }
    for (_, line) in s.finding_lines() {
        let (mark, text) = line.split_at(2);
        wrap_into(out, 7, mark, text);
    }
}

/// The rule line.
pub fn rule() -> String {
    "-".repeat(WIDTH)
}

/// Renders one scheme's trace: header, steps, totals and the verdict line.
pub fn render_trace(report: &Report, t: &Trace) -> String {
    let mut out = String::new();
    let s = &t.settings;
    let _ = writeln!(
        out,
        "== {} == script {}  kernel {}",
        t.scheme, report.hash, s.era
    );
    let _ = writeln!(
        out,
        "   writeback={} counter={} gup-fast={}",
        s.writeback, s.counter, s.gup_fast
    );
    out.push_str(&rule());
    out.push('\n');
    for step in &t.steps {
        render_step(&mut out, step);
    }
    out.push_str(&rule());
    out.push('\n');
    if let Some(msg) = &t.budget_hit {
        wrap_into(&mut out, 0, "!! ", msg);
    }
    let v: Vec<String> = t
        .violations()
        .map(|(k, n)| {
            let first = t.first(k).unwrap_or(0);
            if n > 1 {
                format!("{} x{n} (first step {first})", k.name())
            } else {
                format!("{} (step {first})", k.name())
            }
        })
        .collect();
    wrap_into(
        &mut out,
        0,
        "violations: ",
        &if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        },
    );
    let costs: Vec<String> = t.total.iter().map(|(p, n)| format!("{p} {n}")).collect();
    wrap_into(
        &mut out,
        0,
        "cost: ",
        &format!(
            "{} ({})",
            fmt_ps(t.total_ps),
            if costs.is_empty() {
                "nothing charged".into()
            } else {
                costs.join(", ")
            }
        ),
    );
    out.push_str(&verdict(report, t));
    out.push('\n');
    out
}

/// The grep-able verdict line, in the spirit of herd7's `Observation` line:
/// `Observation HASH SCHEME Clean|Violated N expect P/T`.
pub fn verdict(report: &Report, t: &Trace) -> String {
    let n: u64 = t.violations().map(|(_, n)| n).sum();
    let (p, total) = report.expect_tally(Some(t.scheme));
    let state = if t.budget_hit.is_some() {
        "Partial"
    } else if n == 0 {
        "Clean"
    } else {
        "Violated"
    };
    format!(
        "Observation {} {} {state} {n} expect {p}/{total}",
        report.hash, t.scheme
    )
}

/// Renders a whole report: every scheme's trace, then the side-by-side summary.
pub fn render_report(report: &Report) -> String {
    let mut out = String::new();
    for t in &report.traces {
        out.push_str(&render_trace(report, t));
        out.push('\n');
    }
    out.push_str(&render_summary(report));
    out
}

/// The compact side-by-side summary of the schemes: violations and cost totals.
pub fn render_summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<10} {:<49} {:>11}", "scheme", "violations", "cost");
    for t in &report.traces {
        // Violation names wrapped into a 49-column cell; scheme and cost on the first row only.
        let mut rows: Vec<String> = vec![String::new()];
        for word in t.violation_list(" ").split(' ') {
            let last = rows.last_mut().expect("rows is never empty");
            if !last.is_empty() && last.len() + 1 + word.len() > 49 {
                rows.push(word.to_string());
            } else {
                if !last.is_empty() {
                    last.push(' ');
                }
                last.push_str(word);
            }
        }
        for (i, row) in rows.iter().enumerate() {
            let (name, cost) = if i == 0 {
                (t.scheme.name(), fmt_ps(t.total_ps))
            } else {
                ("", String::new())
            };
            let _ = writeln!(out, "{name:<10} {row:<49} {cost:>11}");
        }
    }
    let fails: Vec<&ExpectOutcome> = report.expectations.iter().filter(|e| !e.passed).collect();
    let (p, total) = report.expect_tally(None);
    let _ = writeln!(out, "expectations: {p}/{total} hold");
    for e in fails {
        let under = e.scheme.map(|s| format!(" under {s}")).unwrap_or_default();
        wrap_into(
            &mut out,
            0,
            "FAIL ",
            &format!(
                "line {}{under}: expected {}, observed {}",
                e.line, e.text, e.observed
            ),
        );
    }
    out
}
