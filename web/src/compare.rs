//! Comparing the schemes' runs of one script, browser-free so tests can target it: the scheme
//! labels a kernel developer reads right, the step x scheme grid, the first outcome and the
//! first informational difference, the per-scheme verdict, and which scheme (or side by side)
//! a script's `expect` lines are about.

use std::collections::{BTreeMap, BTreeSet};

use mm_model::script::{Expect, Script, Stmt, StmtKind};
use mm_model::trace::StepKind;
use mm_model::{OpResult, Report, SchemeKind, Step, ViolationKind};

/// The label of a scheme on the page (the script keyword stays `legacy`, `refcount`, ...).
pub fn label(k: SchemeKind) -> &'static str {
    match k {
        SchemeKind::Legacy => "get_page (legacy)",
        SchemeKind::Refcount => "pin counter (FOLL_PIN)",
        SchemeKind::FakeVma => "fake VMA (2018 proposal)",
    }
}

/// The short label, for sentences and narrow screens.
pub fn short_label(k: SchemeKind) -> &'static str {
    match k {
        SchemeKind::Legacy => "get_page",
        SchemeKind::Refcount => "pin counter",
        SchemeKind::FakeVma => "fake VMA",
    }
}

/// One line on what the scheme is (the button's tooltip).
pub fn tooltip(k: SchemeKind) -> &'static str {
    match k {
        SchemeKind::Legacy => {
            "script: legacy. get_user_pages() + put_page(), as in 4.19: a GUP reference is an \
             ordinary page reference, so nothing can tell that a page is held for DMA"
        }
        SchemeKind::Refcount => {
            "script: refcount. pin_user_pages() + unpin_user_page() (FOLL_PIN, 5.6+): each pin \
             adds GUP_PIN_COUNTING_BIAS (1024) to the refcount, so folio_maybe_dma_pinned() \
             sees it. The counter makes pins visible; what writeback then does is the \
             writeback setting"
        }
        SchemeKind::FakeVma => {
            "script: fake-vma. Jérôme Glisse's proposal (LKML, Dec 2018): GUP inserts a fake \
             VMA into the rmap (i_mmap) and raises mapcount; an allocation, a tree lock and an \
             insert per call, no GUP-fast, and its removal cannot run in IRQ context"
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One row of the comparison grid: the same statement in every lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Script line.
    pub line: u32,
    /// Per lane, the position of the row's step in that lane's steps (`None`: the lane has no
    /// such step, e.g. an `expect ... under` another scheme).
    pub cells: Vec<Option<usize>>,
}

impl Row {
    /// The first lane's step of this row.
    pub fn any<'a>(&self, lanes: &[&'a [Step]]) -> Option<&'a Step> {
        self.cells
            .iter()
            .zip(lanes)
            .find_map(|(c, l)| c.and_then(|i| l.get(i)))
    }
}

/// Aligns the lanes' steps into rows. Steps are matched by (script line, occurrence of that
/// line in the lane), not by step index: an `expect ... under X` is a step only in X's lane,
/// which shifts the later indexes of that lane. Rows keep every lane's order; a lane lacking a
/// statement gets an empty cell.
pub fn grid(lanes: &[&[Step]]) -> Vec<Row> {
    let keys: Vec<Vec<(u32, u32)>> = lanes
        .iter()
        .map(|l| {
            let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
            l.iter()
                .map(|s| {
                    let n = seen.entry(s.line).or_insert(0);
                    *n += 1;
                    (s.line, *n)
                })
                .collect()
        })
        .collect();
    let pos: Vec<BTreeMap<(u32, u32), usize>> = keys
        .iter()
        .map(|k| k.iter().enumerate().map(|(i, &key)| (key, i)).collect())
        .collect();
    let mut at = vec![0usize; lanes.len()];
    let mut rows = Vec::new();
    while let Some(first) = (0..lanes.len()).find(|&i| at[i] < keys[i].len()) {
        let mut key = keys[first][at[first]];
        // A lane that has `key` further on must emit the statements before it first. Each
        // switch moves to an earlier statement; the bound only guards inconsistent orders.
        for _ in 0..lanes.len() {
            let blocker = (0..lanes.len()).find(|&j| pos[j].get(&key).is_some_and(|&p| p > at[j]));
            match blocker {
                Some(j) => key = keys[j][at[j]],
                None => break,
            }
        }
        // `key` is the head of some lane, so at least one lane advances.
        let cells = (0..lanes.len())
            .map(|j| {
                (keys[j].get(at[j]) == Some(&key)).then(|| {
                    at[j] += 1;
                    at[j] - 1
                })
            })
            .collect();
        rows.push(Row { line: key.0, cells });
    }
    rows
}

/// A difference between the lanes at one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The grid row.
    pub row: usize,
    /// What differs, e.g. `get_page and pin counter raise dirty-without-buffers, fake VMA
    /// does not`.
    pub text: String,
}

fn kinds(s: &Step, informational: bool) -> BTreeSet<ViolationKind> {
    s.findings
        .iter()
        .map(|f| f.kind)
        .filter(|k| k.informational() == informational)
        .collect()
}

/// For each kind raised by some lanes but not all: "A and B raise K, C does not".
fn kind_difference(schemes: &[SchemeKind], steps: &[&Step], informational: bool) -> Vec<String> {
    let sets: Vec<BTreeSet<ViolationKind>> =
        steps.iter().map(|s| kinds(s, informational)).collect();
    let all: BTreeSet<ViolationKind> = sets.iter().flatten().copied().collect();
    let mut out = Vec::new();
    for k in all {
        let (has, lacks): (Vec<usize>, Vec<usize>) =
            (0..sets.len()).partition(|&i| sets[i].contains(&k));
        if lacks.is_empty() {
            continue;
        }
        let names = |ix: &[usize]| -> String {
            let v: Vec<&str> = ix.iter().map(|&i| short_label(schemes[i])).collect();
            join_and(&v)
        };
        out.push(format!(
            "{} {} {}, {} {} not",
            names(&has),
            if has.len() == 1 { "raises" } else { "raise" },
            k.name(),
            names(&lacks),
            if lacks.len() == 1 { "does" } else { "do" },
        ));
    }
    out
}

/// The result as an outcome: `fallback` (GUP-fast gave up, the slow path succeeded) is a
/// success; the lost fast path is an informational event of its own.
fn outcome(r: OpResult) -> OpResult {
    if r == OpResult::Fallback {
        OpResult::Ok
    } else {
        r
    }
}

/// "A and B return ok, C returns EFAULT" when the results differ.
fn result_difference(schemes: &[SchemeKind], steps: &[&Step]) -> Option<String> {
    if steps
        .windows(2)
        .all(|w| outcome(w[0].result) == outcome(w[1].result))
    {
        return None;
    }
    let mut groups: Vec<(OpResult, Vec<&str>)> = Vec::new();
    for (s, k) in steps.iter().zip(schemes) {
        match groups.iter_mut().find(|g| g.0 == s.result) {
            Some(g) => g.1.push(short_label(*k)),
            None => groups.push((s.result, vec![short_label(*k)])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(r, names)| {
            let verb = if names.len() == 1 {
                "returns"
            } else {
                "return"
            };
            format!("{} {verb} {}", join_and(names), r.name())
        })
        .collect();
    Some(parts.join(", "))
}

/// The first row where the outcomes differ (the result, or the violations raised) and the
/// first row where the informational events differ. Rows missing from a lane and `expect`
/// steps are not compared: they differ by construction.
pub fn first_differences(
    schemes: &[SchemeKind],
    lanes: &[&[Step]],
    rows: &[Row],
) -> (Option<Difference>, Option<Difference>) {
    let mut outcome = None;
    let mut info = None;
    for (r, row) in rows.iter().enumerate() {
        if outcome.is_some() && info.is_some() {
            break;
        }
        let steps: Option<Vec<&Step>> = row
            .cells
            .iter()
            .zip(lanes)
            .map(|(c, l)| c.and_then(|i| l.get(i)))
            .collect();
        let Some(steps) = steps else { continue };
        if steps.len() < 2
            || steps
                .iter()
                .any(|s| matches!(s.kind, StepKind::Expect { .. }))
        {
            continue;
        }
        if outcome.is_none() {
            let mut parts: Vec<String> = result_difference(schemes, &steps).into_iter().collect();
            parts.extend(kind_difference(schemes, &steps, false));
            if !parts.is_empty() {
                outcome = Some(Difference {
                    row: r,
                    text: parts.join("; "),
                });
            }
        }
        if info.is_none() {
            let parts = kind_difference(schemes, &steps, true);
            if !parts.is_empty() {
                info = Some(Difference {
                    row: r,
                    text: parts.join("; "),
                });
            }
        }
    }
    (outcome, info)
}

/// What one scheme's run comes to: the top of the results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The scheme.
    pub scheme: SchemeKind,
    /// Violations raised, with counts.
    pub violations: Vec<(ViolationKind, u64)>,
    /// Informational events raised, with counts.
    pub events: Vec<(ViolationKind, u64)>,
    /// Operations the kernel refused (errno results), with counts.
    pub refusals: Vec<(OpResult, u64)>,
    /// Total modelled cost.
    pub total_ps: u64,
    /// (held, total) expectations for this scheme.
    pub expects: (usize, usize),
    /// The step budget stopped the run.
    pub budget_hit: bool,
}

/// One verdict per scheme run, in the report's order.
pub fn verdicts(report: &Report) -> Vec<Verdict> {
    report
        .traces
        .iter()
        .map(|t| {
            let mut refusals: Vec<(OpResult, u64)> = Vec::new();
            for s in &t.steps {
                if matches!(s.kind, StepKind::Expect { .. })
                    || matches!(s.result, OpResult::Ok | OpResult::Fallback)
                {
                    continue;
                }
                match refusals.iter_mut().find(|r| r.0 == s.result) {
                    Some(r) => r.1 += 1,
                    None => refusals.push((s.result, 1)),
                }
            }
            let raised = |informational: bool| -> Vec<(ViolationKind, u64)> {
                t.counts
                    .iter()
                    .copied()
                    .filter(|(k, n)| *n > 0 && k.informational() == informational)
                    .collect()
            };
            Verdict {
                scheme: t.scheme,
                violations: raised(false),
                events: raised(true),
                refusals,
                total_ps: t.total_ps,
                expects: report.expect_tally(Some(t.scheme)),
                budget_hit: t.budget_hit.is_some(),
            }
        })
        .collect()
}

/// What a script is about: the scheme the panels follow and whether to compare side by side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Focus {
    /// The scheme to select (`None`: the script's own, `Report::primary`).
    pub scheme: Option<SchemeKind>,
    /// The expectations contrast schemes: open side by side.
    pub side: bool,
}

fn expects(stmts: &[Stmt], out: &mut Vec<(bool, Vec<SchemeKind>)>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Expect { expect, under } => {
                out.push((matches!(expect, Expect::Violation { .. }), under.clone()))
            }
            StmtKind::Repeat { body, .. } | StmtKind::Thread { body, .. } => expects(body, out),
            _ => {}
        }
    }
}

/// The focus of a script from its `expect` lines: lines scoped to two or more schemes contrast
/// them (side by side); the scheme to follow is the first one an `expect violation` names,
/// else the first one any expectation names, else the script's own.
pub fn focus(script: &Script) -> Focus {
    let mut ex = Vec::new();
    expects(&script.stmts, &mut ex);
    let mut named: Vec<SchemeKind> = Vec::new();
    for k in ex.iter().flat_map(|(_, under)| under) {
        if !named.contains(k) {
            named.push(*k);
        }
    }
    let violation = ex
        .iter()
        .find(|(v, under)| *v && !under.is_empty())
        .map(|(_, under)| under[0]);
    Focus {
        scheme: violation.or(named.first().copied()),
        side: named.len() >= 2,
    }
}

/// The script's leading comment block without the `#` marks and a leading `S1:`-style tag:
/// what the scenario is about, for the line above the results. Empty without one.
pub fn lead(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for l in text.lines() {
        let Some(c) = l.trim_start().strip_prefix('#') else {
            break;
        };
        out.push(c.trim());
    }
    let s = out.join(" ");
    let s = s.trim();
    // `S1: `, `T1: ` tags are for the gallery's ordering, not for reading.
    match s.split_once(": ") {
        Some((tag, rest))
            if tag.len() <= 4
                && tag.starts_with(|c: char| c.is_ascii_uppercase())
                && tag[1..].chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            rest.to_string()
        }
        _ => s.to_string(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn run(text: &str) -> Report {
        let p = mm_model::parse(text);
        assert!(!p.has_errors(), "{:?}", p.diagnostics);
        mm_model::run(&p.script, &mm_model::Overrides::default())
    }

    fn lanes(r: &Report) -> (Vec<SchemeKind>, Vec<&[Step]>) {
        (
            r.traces.iter().map(|t| t.scheme).collect(),
            r.traces.iter().map(|t| t.steps.as_slice()).collect(),
        )
    }

    #[test]
    fn scheme_specific_expects_do_not_shift_the_rows() {
        let r = run("mmap m anon pages=1 rw\n\
                     expect ok under legacy\n\
                     write m\n\
                     expect ok under fake-vma\n\
                     write m\n");
        let (_, l) = lanes(&r);
        let rows = grid(&l);
        let lines: Vec<u32> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5]);
        // The second write is the 3rd step of the refcount lane and the 4th of the others.
        let last = rows.last().unwrap();
        let idx: Vec<Option<u64>> = last
            .cells
            .iter()
            .zip(&l)
            .map(|(c, lane)| c.map(|i| lane[i].index))
            .collect();
        assert_eq!(idx, vec![Some(4), Some(3), Some(4)]);
        // `expect ok under legacy` has a cell in the legacy lane only.
        assert_eq!(rows[1].cells, vec![Some(1), None, None]);
    }

    #[test]
    fn the_default_race_differs_first_in_outcome_at_the_workqueue() {
        let r = run(crate::DEFAULT_SCRIPT);
        let (schemes, l) = lanes(&r);
        let rows = grid(&l);
        let (outcome, info) = first_differences(&schemes, &l, &rows);
        let outcome = outcome.expect("an outcome difference");
        let step = rows[outcome.row].any(&l).unwrap();
        assert!(step.text.starts_with("workqueue"), "{}", step.text);
        assert_eq!(
            outcome.text,
            "get_page and pin counter raise dirty-without-buffers, fake VMA does not"
        );
        let info = info.expect("an informational difference");
        assert!(info.row < outcome.row);
        assert!(
            info.text.contains("fake VMA raises gup-fast-lost"),
            "{}",
            info.text
        );
    }

    #[test]
    fn result_differences_are_named_per_scheme() {
        let r = run("kernel 6.5\nfile f ext4 pages=1\nmmap m f shared rw\n\
                     gup h m 0 write longterm\n");
        let (schemes, l) = lanes(&r);
        let rows = grid(&l);
        let (outcome, _) = first_differences(&schemes, &l, &rows);
        let o = outcome.expect("the refusal differs");
        assert!(
            o.text.contains("return") && o.text.contains("EFAULT"),
            "{}",
            o.text
        );
    }

    #[test]
    fn identical_runs_have_no_difference() {
        let r = run("mmap m anon pages=1 rw\nwrite m\n");
        let (schemes, l) = lanes(&r);
        let rows = grid(&l);
        assert_eq!(first_differences(&schemes, &l, &rows), (None, None));
    }

    #[test]
    fn verdicts_name_violations_refusals_and_costs() {
        let r = run(crate::DEFAULT_SCRIPT);
        let v = verdicts(&r);
        assert_eq!(v.len(), 3);
        let names =
            |v: &Verdict| -> Vec<&str> { v.violations.iter().map(|x| x.0.name()).collect() };
        assert_eq!(names(&v[0]), vec!["dirty-without-buffers"]);
        assert_eq!(names(&v[1]), vec!["dirty-without-buffers"]);
        assert!(names(&v[2]).is_empty());
        assert!(v[2]
            .events
            .iter()
            .any(|e| e.0 == ViolationKind::GupFastLost));
        assert!(v.iter().all(|x| x.total_ps > 0 && x.refusals.is_empty()));
        let r = run("kernel 6.5\nfile f ext4 pages=1\nmmap m f shared rw\n\
                     gup h m 0 write longterm\n");
        let v = verdicts(&r);
        assert!(v
            .iter()
            .any(|x| x.refusals.iter().any(|r| r.0 == OpResult::Efault)));
    }

    #[test]
    fn focus_follows_the_expect_lines() {
        let f = |t: &str| focus(&mm_model::parse(t).script);
        assert_eq!(
            f(crate::DEFAULT_SCRIPT),
            Focus {
                scheme: Some(SchemeKind::Legacy),
                side: true
            }
        );
        assert_eq!(
            f("expect violation false-positive under refcount\n"),
            Focus {
                scheme: Some(SchemeKind::Refcount),
                side: false
            }
        );
        assert_eq!(
            f("expect no-violation zombie-page under legacy, refcount\n\
               expect violation zombie-page under fake-vma\n"),
            Focus {
                scheme: Some(SchemeKind::FakeVma),
                side: true
            }
        );
        assert_eq!(
            f("expect ok\n"),
            Focus {
                scheme: None,
                side: false
            }
        );
        assert_eq!(
            f("repeat 2 {\n  expect result ok under fake-vma\n}\n"),
            Focus {
                scheme: Some(SchemeKind::FakeVma),
                side: false
            }
        );
    }

    #[test]
    fn lead_is_the_top_comment_without_its_tag() {
        assert_eq!(
            lead("# S6: GUP-fast takes\n# no locks.\nfile f xfs\n"),
            "GUP-fast takes no locks."
        );
        assert_eq!(lead("# 5.19 rules: a pin\nx\n"), "5.19 rules: a pin");
        assert_eq!(lead("file f xfs\n# later\n"), "");
    }

    #[test]
    fn join_and_reads_as_english() {
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b"]), "a and b");
        assert_eq!(join_and(&["a", "b", "c"]), "a, b and c");
    }
}
