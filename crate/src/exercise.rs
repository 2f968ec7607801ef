//! Classroom exercises: a plain-text format (one file per exercise), and grading a student's
//! script against the exercise's checks.
//!
//! ```text
//! title: Pin a page and read the counters
//! task:
//!   Map one page, write it, pin it for a write, release it.
//! start:
//!   mmap buf anon pages=1 rw
//! check: expect not-pinned buf 0 under refcount
//! check: no put_page
//! hidden: ends with no pins
//! hint: A pin is `gup H VMA PAGE write`.
//! answer:
//!   mmap buf anon pages=1 rw
//!   ...
//! ```
//!
//! A key starts a line (`key:`); a block value (`task:`, `start:`, `answer:`) is the following
//! lines indented by two spaces (an empty line stays in the block). `#` lines outside blocks are
//! comments. Checks (`check:` visible, `hidden:` not shown to the student):
//! - `expect ...`: an expectation of the script language, evaluated after the student's script
//!   (`under` limits it to schemes, as in a script);
//! - `at most N WORD`, `at least N WORD`, `no WORD`: how many statements starting with WORD the
//!   script executes (a `repeat` body counts once per iteration);
//! - `kernel X.Y`: the script runs under that release's rules;
//! - `ends with no pins`: every GUP reference and pin is released by the end, under every scheme;
//! - `no violation`: no scheme raises any violation.

use std::fmt::Write as _;

use crate::script::{Stmt, StmtKind};
use crate::settings::{KernelVersion, Overrides};

macro_rules! builtin {
    ($($name:literal),+ $(,)?) => {
        /// The exercises shipped in `exercises/` (name, text), in teaching order.
        pub const BUILTIN: &[(&str, &str)] = &[$(
            ($name, include_str!(concat!("../../exercises/", $name, ".ex"))),
        )+];
    };
}

builtin![
    "01-first-pin",
    "02-gup-fast",
    "03-release-bugs",
    "04-lost-write",
    "05-dio-reclaim-race",
    "06-keep-dirty",
    "07-irq-completion",
    "08-cheap-fake-vma",
    "09-false-positive",
    "10-exact-counter",
    "11-longterm-movable",
    "12-rdma-truncate",
    "13-rdma-refused",
    "14-fork-after-pin",
    "15-anon-exclusive",
    "16-vmsplice-leak",
    "17-leak-fixed",
    "18-thp-leak",
];

/// A shipped exercise by name (`01-first-pin`, or without its number: `first-pin`).
pub fn builtin(name: &str) -> Option<Exercise> {
    let (n, text) = BUILTIN
        .iter()
        .find(|(n, _)| *n == name || n.split_once('-').is_some_and(|(_, rest)| rest == name))?;
    parse(n, text).ok()
}

/// One check of an exercise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// As written after `check:` / `hidden:`.
    pub text: String,
    /// Not shown to the student (only how many pass).
    pub hidden: bool,
    /// Line in the exercise file.
    pub line: u32,
}

/// An exercise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exercise {
    /// Short name (the file stem).
    pub name: String,
    /// Title.
    pub title: String,
    /// The task, a few sentences.
    pub task: String,
    /// The script the student starts from.
    pub start: String,
    /// The checks, in file order.
    pub checks: Vec<Check>,
    /// Hints, revealed one at a time.
    pub hints: Vec<String>,
    /// The model answer.
    pub answer: String,
}

/// A problem in an exercise file, with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What one check concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The check.
    pub check: Check,
    /// It holds.
    pub passed: bool,
    /// What was observed (for visible checks the student sees it).
    pub detail: String,
}

/// A graded submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    /// One result per check, in file order.
    pub results: Vec<CheckResult>,
    /// The script's errors (`line:col message`); a script with errors passes no check.
    pub errors: Vec<String>,
}

impl Grade {
    /// Every check holds.
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.results.iter().all(|r| r.passed)
    }
    /// (passed, total) over the hidden or the visible checks.
    pub fn tally(&self, hidden: bool) -> (usize, usize) {
        let sel: Vec<&CheckResult> = self
            .results
            .iter()
            .filter(|r| r.check.hidden == hidden)
            .collect();
        (sel.iter().filter(|r| r.passed).count(), sel.len())
    }
    /// Checks passed of all.
    pub fn score(&self) -> (usize, usize) {
        let (a, b) = self.tally(false);
        let (c, d) = self.tally(true);
        (a + c, b + d)
    }
}

/// The kinds of check, parsed from their text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Expect(String),
    Count {
        word: String,
        min: Option<u64>,
        max: Option<u64>,
    },
    Kernel(KernelVersion),
    NoPins,
    NoViolation,
}

fn kind(text: &str) -> Result<Kind, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("`{s}` is not a count"))
    };
    match words.as_slice() {
        ["expect", ..] => Ok(Kind::Expect(text.trim().to_string())),
        ["at", "most", n, w] => Ok(Kind::Count {
            word: w.to_string(),
            min: None,
            max: Some(num(n)?),
        }),
        ["at", "least", n, w] => Ok(Kind::Count {
            word: w.to_string(),
            min: Some(num(n)?),
            max: None,
        }),
        ["no", "violation"] => Ok(Kind::NoViolation),
        ["no", w] => Ok(Kind::Count {
            word: w.to_string(),
            min: None,
            max: Some(0),
        }),
        ["kernel", v] => KernelVersion::from_name(v)
            .map(Kind::Kernel)
            .ok_or_else(|| format!("unknown kernel release `{v}`")),
        ["ends", "with", "no", "pins"] => Ok(Kind::NoPins),
        _ => Err(format!(
            "unknown check `{}` (expect ..., at most N WORD, at least N WORD, no WORD, \
             kernel X.Y, ends with no pins, no violation)",
            text.trim()
        )),
    }
}

/// Reads an exercise file. `name` is its short name.
pub fn parse(name: &str, text: &str) -> Result<Exercise, Vec<FormatError>> {
    let mut ex = Exercise {
        name: name.to_string(),
        ..Exercise::default()
    };
    let mut errors = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i as u32 + 1;
        let l = lines[i];
        i += 1;
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((key, value)) = l.split_once(':').filter(|(k, _)| !k.starts_with(' ')) else {
            errors.push(FormatError {
                line: line_no,
                message: format!("expected `key: value`, found `{}`", l.trim()),
            });
            continue;
        };
        let value = value.trim();
        let mut block = || {
            let mut out = String::new();
            while i < lines.len() && (lines[i].starts_with("  ") || lines[i].trim().is_empty()) {
                // A blank line ends the block when the next line is a key.
                if lines[i].trim().is_empty()
                    && !lines.get(i + 1).is_some_and(|n| n.starts_with("  "))
                {
                    break;
                }
                out.push_str(lines[i].get(2..).unwrap_or(""));
                out.push('\n');
                i += 1;
            }
            out
        };
        match key {
            "title" => ex.title = value.to_string(),
            "task" => {
                let b = block();
                ex.task = if value.is_empty() {
                    b.split_whitespace().collect::<Vec<_>>().join(" ")
                } else {
                    value.to_string()
                };
            }
            "start" => ex.start = block(),
            "answer" => ex.answer = block(),
            "hint" => ex.hints.push(value.to_string()),
            "check" | "hidden" => match kind(value) {
                Ok(_) => ex.checks.push(Check {
                    text: value.to_string(),
                    hidden: key == "hidden",
                    line: line_no,
                }),
                Err(m) => errors.push(FormatError {
                    line: line_no,
                    message: m,
                }),
            },
            other => errors.push(FormatError {
                line: line_no,
                message: format!("unknown key `{other}`"),
            }),
        }
    }
    for (what, empty) in [
        ("title", ex.title.is_empty()),
        ("task", ex.task.is_empty()),
        ("answer", ex.answer.is_empty()),
    ] {
        if empty {
            errors.push(FormatError {
                line: 1,
                message: format!("no `{what}:`"),
            });
        }
    }
    if ex.checks.is_empty() {
        errors.push(FormatError {
            line: 1,
            message: "no `check:` or `hidden:`".into(),
        });
    }
    if errors.is_empty() {
        Ok(ex)
    } else {
        Err(errors)
    }
}

/// How many times statements starting with `word` execute (`repeat` bodies count per
/// iteration; `PROC:` and `irq` prefixes are skipped).
fn count(stmts: &[Stmt], word: &str) -> u64 {
    stmts.iter().fold(0u64, |acc, s| {
        let n = match &s.kind {
            StmtKind::Repeat { count: c, body } => c.saturating_mul(count(body, word)),
            StmtKind::Thread { body, .. } => count(body, word),
            _ => {
                let text = s.to_string();
                let first = text
                    .split_whitespace()
                    .find(|w| *w != "irq" && !w.ends_with(':'))
                    .unwrap_or("");
                u64::from(first == word)
            }
        };
        acc.saturating_add(n)
    })
}

/// Grades `script` against every check of `ex`, running the script under every scheme with
/// `o` (a front end's step cap, say) and the script's own settings.
pub fn grade(ex: &Exercise, script: &str, o: &Overrides) -> Grade {
    let base = crate::parse(script);
    let errors: Vec<String> = base
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}:{} {}", d.line, d.col, d.message))
        .collect();
    if !errors.is_empty() {
        let results = ex
            .checks
            .iter()
            .map(|c| CheckResult {
                check: c.clone(),
                passed: false,
                detail: "the script has errors".into(),
            })
            .collect();
        return Grade { results, errors };
    }
    // The expect checks run after the script: appended, one per line, each on a known line.
    let mut full = script.to_string();
    if !full.ends_with('\n') && !full.is_empty() {
        full.push('\n');
    }
    let first = full.lines().count() as u32 + 1;
    let mut at = Vec::new();
    for c in &ex.checks {
        if let Ok(Kind::Expect(e)) = kind(&c.text) {
            at.push((c.line, first + at.len() as u32));
            let _ = writeln!(full, "{e}");
        }
    }
    let parse = crate::parse(&full);
    let report = crate::run(&parse.script, o);
    let settings = crate::run::configure(&parse.script, o).0;
    let results = ex
        .checks
        .iter()
        .map(|c| {
            let (passed, detail) = match kind(&c.text) {
                Ok(Kind::Expect(_)) => {
                    let line = at.iter().find(|(l, _)| *l == c.line).map_or(0, |(_, s)| *s);
                    let diag = parse
                        .diagnostics
                        .iter()
                        .find(|d| d.line == line && d.is_error());
                    let outs: Vec<_> = report
                        .expectations
                        .iter()
                        .filter(|e| e.line == line)
                        .collect();
                    match diag {
                        Some(d) => (
                            false,
                            format!("the check does not apply to this script: {}", d.message),
                        ),
                        None if outs.is_empty() => (
                            false,
                            "not evaluated (the step budget ended the run?)".into(),
                        ),
                        None => {
                            let failed: Vec<String> = outs
                                .iter()
                                .filter(|e| !e.passed)
                                .map(|e| match e.scheme {
                                    Some(s) => format!("{}: {}", s.name(), e.observed),
                                    None => e.observed.clone(),
                                })
                                .collect();
                            if failed.is_empty() {
                                (true, outs[0].observed.clone())
                            } else {
                                (false, failed.join("; "))
                            }
                        }
                    }
                }
                Ok(Kind::Count { word, min, max }) => {
                    let n = count(&base.script.stmts, &word);
                    let ok = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
                    (ok, format!("{n} `{word}` statement(s) executed"))
                }
                Ok(Kind::Kernel(v)) => (
                    settings.era == v,
                    format!("the script runs under {}", settings.era),
                ),
                Ok(Kind::NoPins) => {
                    let held: Vec<String> = report
                        .traces
                        .iter()
                        .filter(|t| {
                            t.counts
                                .iter()
                                .any(|(k, n)| *k == crate::ViolationKind::PinLeak && *n > 0)
                        })
                        .map(|t| t.scheme.name().to_string())
                        .collect();
                    if held.is_empty() {
                        (true, "every reference and pin is released".into())
                    } else {
                        (
                            false,
                            format!("still held at the end under {}", held.join(", ")),
                        )
                    }
                }
                Ok(Kind::NoViolation) => {
                    let bad: Vec<String> = report
                        .traces
                        .iter()
                        .filter_map(|t| {
                            let v = t.violation_list(", ");
                            (v != "-" && !v.is_empty()).then(|| format!("{}: {v}", t.scheme.name()))
                        })
                        .collect();
                    (
                        bad.is_empty(),
                        if bad.is_empty() {
                            "no violation".into()
                        } else {
                            bad.join("; ")
                        },
                    )
                }
                Err(m) => (false, m),
            };
            CheckResult {
                check: c.clone(),
                passed,
                detail,
            }
        })
        .collect();
    Grade {
        results,
        errors: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EX: &str = "\
# a comment
title: Pin and release
task:
  Pin the page for a write,
  then release it.
start:
  mmap buf anon pages=1 rw

  write buf 0
check: expect not-pinned buf 0 under refcount
check: no put_page
check: at most 1 gup
hidden: ends with no pins
hidden: kernel 4.19
hint: `gup io buf 0 write`
hint: `put io`
answer:
  mmap buf anon pages=1 rw
  write buf 0
  gup io buf 0 write
  put io
";

    #[test]
    fn parses_the_format() {
        let ex = parse("pin", EX).expect("parses");
        assert_eq!(ex.title, "Pin and release");
        assert_eq!(ex.task, "Pin the page for a write, then release it.");
        assert_eq!(ex.start, "mmap buf anon pages=1 rw\n\nwrite buf 0\n");
        assert_eq!(ex.checks.len(), 5);
        assert_eq!(ex.checks.iter().filter(|c| c.hidden).count(), 2);
        assert_eq!(ex.hints.len(), 2);
        assert!(ex.answer.ends_with("put io\n"));
    }

    #[test]
    fn the_answer_passes_and_the_start_does_not() {
        let ex = parse("pin", EX).unwrap();
        let o = Overrides::default();
        let g = grade(&ex, &ex.answer, &o);
        assert!(g.passed(), "{g:#?}");
        assert_eq!(g.score(), (5, 5));
        let g = grade(&ex, &ex.start, &o);
        assert!(g.passed(), "the start pins nothing, so it passes: {g:#?}");
        let leak = "mmap buf anon pages=1 rw\nwrite buf 0\ngup io buf 0 write\n";
        let g = grade(&ex, leak, &o);
        assert!(!g.passed());
        assert_eq!(g.tally(true), (1, 2), "{g:#?}");
        assert!(
            g.results[0].detail.contains("refcount"),
            "{}",
            g.results[0].detail
        );
        let bad = "mmap buf anon pages=1 rw\ngup io buf 0 write\nput_page io\ngup j buf 0\nput j\n";
        let g = grade(&ex, bad, &o);
        assert!(!g.results[1].passed && !g.results[2].passed, "{g:#?}");
        assert_eq!(g.results[2].detail, "2 `gup` statement(s) executed");
        let g = grade(&ex, "kernel 6.1\nmmap buf anon pages=1 rw\n", &o);
        assert!(!g.results[4].passed && g.results[4].detail.contains("6.1"));
    }

    #[test]
    fn scripts_with_errors_pass_nothing() {
        let ex = parse("pin", EX).unwrap();
        let g = grade(
            &ex,
            "mmap buf anon pages=1 rw\nwrte buf 0\n",
            &Overrides::default(),
        );
        assert!(!g.passed() && g.results.iter().all(|r| !r.passed));
        assert!(g.errors[0].starts_with("2:1"), "{:?}", g.errors);
    }

    #[test]
    fn repeats_count_per_iteration() {
        let p = crate::parse(
            "mmap m anon pages=1 rw\nrepeat 3 {\n  gup h m 0\n  put h\n}\nirq workqueue\n",
        );
        assert_eq!(count(&p.script.stmts, "gup"), 3);
        assert_eq!(count(&p.script.stmts, "workqueue"), 1);
    }

    #[test]
    fn format_errors_have_lines() {
        let e = parse(
            "x",
            "title: t\ntask: do it\ncheck: frobnicate\nwhat\nanswer:\n  write m\n",
        )
        .unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(e[0].message.contains("unknown check"));
        assert_eq!(e[1].line, 4);
        assert!(parse("x", "").is_err());
    }
}
