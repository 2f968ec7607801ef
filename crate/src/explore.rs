//! Exploring a script's `thread` interleavings: every schedule of the threads' statements is
//! run under every scheme, and each violation is reported as Never / Sometimes / Always with
//! the number of schedules that raise it, and the shortest `schedule` line that reproduces it
//! (the runner goes round-robin after the listed names, so a prefix often suffices).
//!
//! This first version enumerates schedules one by one, up to a bound, and says when the bound
//! cut the exploration. It has no state deduplication or partial-order reduction yet, and
//! operations are atomic: the explorer interleaves statements, not the locked phases inside one.

use crate::script::{Ident, Script, Stmt, StmtKind};
use crate::settings::Overrides;
use crate::{SchemeKind, ViolationKind};

/// How often a violation happens over the explored schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The violation.
    pub kind: ViolationKind,
    /// Schedules that raise it.
    pub violating: u64,
    /// The shortest schedule prefix (thread names) that raises it.
    pub schedule: Vec<String>,
}

/// The exploration of one scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeResult {
    /// The scheme.
    pub scheme: SchemeKind,
    /// Every violation kind raised by at least one schedule, in table order.
    pub found: Vec<Found>,
}

/// What exploring a script found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exploration {
    /// The threads, in script order, with their statement counts.
    pub threads: Vec<(String, usize)>,
    /// Schedules run.
    pub explored: u64,
    /// All schedules were run (`false`: the bound cut the exploration).
    pub complete: bool,
    /// Per scheme run.
    pub schemes: Vec<SchemeResult>,
}

impl Exploration {
    /// How often `found` happened.
    pub fn frequency(&self, found: &Found) -> Frequency {
        if found.violating == 0 {
            Frequency::Never
        } else if found.violating == self.explored {
            Frequency::Always
        } else {
            Frequency::Sometimes
        }
    }
}

/// Every interleaving of threads with `counts[t]` statements each, in lexicographic order,
/// until `f` returns false.
fn interleavings(
    counts: &mut [usize],
    prefix: &mut Vec<usize>,
    f: &mut dyn FnMut(&[usize]) -> bool,
) -> bool {
    if counts.iter().all(|c| *c == 0) {
        return f(prefix);
    }
    for t in 0..counts.len() {
        if counts[t] == 0 {
            continue;
        }
        counts[t] -= 1;
        prefix.push(t);
        let go_on = interleavings(counts, prefix, f);
        prefix.pop();
        counts[t] += 1;
        if !go_on {
            return false;
        }
    }
    true
}

/// `script` with its `schedule` replaced by `names`.
fn with_schedule(script: &Script, names: &[String]) -> Script {
    let mut stmts: Vec<Stmt> = script
        .stmts
        .iter()
        .filter(|s| !matches!(s.kind, StmtKind::Schedule(_)))
        .cloned()
        .collect();
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
    Script { stmts }
}

/// The violation kinds each scheme raises under `schedule`.
fn run_with(
    script: &Script,
    o: &Overrides,
    schedule: &[String],
) -> Vec<(SchemeKind, Vec<ViolationKind>)> {
    let report = crate::run(&with_schedule(script, schedule), o);
    report
        .traces
        .iter()
        .map(|t| (t.scheme, t.violations().map(|(k, _)| k).collect()))
        .collect()
}

/// Explores every interleaving of `script`'s top-level `thread` blocks (at most
/// `max_schedules`) under the schemes `o` asks for (all three when none).
pub fn explore(script: &Script, o: &Overrides, max_schedules: u64) -> Exploration {
    let threads: Vec<(String, usize)> = script
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Thread { name, body } => Some((name.name.clone(), body.len())),
            _ => None,
        })
        .collect();
    let mut counts: Vec<usize> = threads.iter().map(|t| t.1).collect();
    let mut explored = 0u64;
    let mut complete = true;
    // Per scheme, per kind: (violating schedules, the first violating schedule).
    let mut tally: Vec<(SchemeKind, Vec<Found>)> = Vec::new();
    let max = max_schedules.max(1);
    interleavings(&mut counts, &mut Vec::new(), &mut |order| {
        if explored == max {
            complete = false;
            return false;
        }
        explored += 1;
        let names: Vec<String> = order.iter().map(|&t| threads[t].0.clone()).collect();
        for (scheme, kinds) in run_with(script, o, &names) {
            let entry = match tally.iter_mut().position(|e| e.0 == scheme) {
                Some(i) => &mut tally[i].1,
                None => {
                    tally.push((scheme, Vec::new()));
                    &mut tally.last_mut().expect("just pushed").1
                }
            };
            for kind in kinds {
                match entry.iter_mut().find(|f| f.kind == kind) {
                    Some(f) => f.violating += 1,
                    None => entry.push(Found {
                        kind,
                        violating: 1,
                        schedule: names.clone(),
                    }),
                }
            }
        }
        true
    });
    let schemes = tally
        .into_iter()
        .map(|(scheme, mut kinds)| {
            kinds.sort_by_key(|f| f.kind as usize);
            let only = Overrides {
                schemes: vec![scheme],
                ..o.clone()
            };
            let found = kinds
                .into_iter()
                .map(
                    |Found {
                         kind,
                         violating,
                         schedule: full,
                     }| {
                        // The shortest prefix of the first violating schedule that still raises it.
                        let schedule = (0..=full.len())
                            .map(|n| full[..n].to_vec())
                            .find(|prefix| {
                                run_with(script, &only, prefix)
                                    .iter()
                                    .any(|(s, ks)| *s == scheme && ks.contains(&kind))
                            })
                            .unwrap_or(full);
                        Found {
                            kind,
                            violating,
                            schedule,
                        }
                    },
                )
                .collect();
            SchemeResult { scheme, found }
        })
        .collect();
    Exploration {
        threads,
        explored,
        complete,
        schemes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RACE: &str = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
                        thread dio {\n  gup io buf write\n  dma io write\n  put io\n}\n\
                        thread flusher {\n  writeback f\n  sync\n}\n";

    fn explore_text(text: &str, max: u64) -> Exploration {
        let p = crate::parse(text);
        assert!(!p.has_errors(), "{:?}", p.diagnostics);
        explore(&p.script, &Overrides::default(), max)
    }

    #[test]
    fn counts_every_interleaving() {
        let mut counts = vec![3, 2];
        let mut n = 0;
        interleavings(&mut counts, &mut Vec::new(), &mut |_| {
            n += 1;
            true
        });
        assert_eq!(n, 10, "C(5, 2)");
        let mut counts = vec![2, 2, 2];
        let mut n = 0;
        interleavings(&mut counts, &mut Vec::new(), &mut |_| {
            n += 1;
            true
        });
        assert_eq!(n, 90, "6! / (2! 2! 2!)");
    }

    /// The flusher cleaning the page between the pin and the DMA loses the write: only some
    /// schedules do that.
    #[test]
    fn a_race_only_some_schedules_lose() {
        let e = explore_text(RACE, 1000);
        assert_eq!((e.explored, e.complete), (10, true));
        assert_eq!(e.schemes.len(), 3);
        for s in &e.schemes {
            let lw = s
                .found
                .iter()
                .find(|f| f.kind == ViolationKind::LostWrite)
                .unwrap_or_else(|| panic!("{}: no lost-write in {:?}", s.scheme, s.found));
            assert_eq!(
                e.frequency(lw),
                Frequency::Sometimes,
                "{}: {lw:?}",
                s.scheme
            );
            // Pinned count: dio's gup, then the flusher's writeback, before the DMA.
            assert!(lw.violating > 0 && lw.violating < 10, "{lw:?}");
            // The minimal schedule reproduces it when pasted back.
            let line = if lw.schedule.is_empty() {
                String::new() // the default round-robin order raises it
            } else {
                format!("schedule {}\n", lw.schedule.join(" "))
            };
            let text = format!("{RACE}{line}expect violation lost-write\n");
            let p = crate::parse(&text);
            assert!(!p.has_errors(), "{:?}", p.diagnostics);
            let o = Overrides {
                schemes: vec![s.scheme],
                ..Overrides::default()
            };
            assert!(
                crate::run(&p.script, &o).passed(),
                "{}: schedule {:?}",
                s.scheme,
                lw.schedule
            );
        }
    }

    /// A schedule that must be spelled out: round-robin starts with dio, which loses nothing
    /// here; the flusher must clean the page between the pin and the DMA.
    #[test]
    fn the_shortest_schedule_is_spelled_out_when_needed() {
        let text = "file f ext4 pages=1\nmmap buf f shared rw\nwrite buf\n\
                    thread dio {\n  gup io buf write\n  dma io write\n  put io\n}\n\
                    thread flusher {\n  read buf\n  writeback f\n}\n";
        let e = explore_text(text, 1000);
        let s = &e.schemes[0];
        let lw = s
            .found
            .iter()
            .find(|f| f.kind == ViolationKind::LostWrite)
            .expect("lost-write");
        assert_eq!(e.frequency(lw), Frequency::Sometimes);
        assert!(!lw.schedule.is_empty(), "{lw:?}");
        // No shorter prefix reproduces it.
        let only = Overrides {
            schemes: vec![s.scheme],
            ..Overrides::default()
        };
        let p = crate::parse(text);
        let short = &lw.schedule[..lw.schedule.len() - 1];
        assert!(!run_with(&p.script, &only, short)
            .iter()
            .any(|(_, k)| k.contains(&ViolationKind::LostWrite)));
    }

    #[test]
    fn a_safe_script_is_never_violated() {
        let safe = "mmap a anon pages=1 rw\nmmap b anon pages=1 rw\n\
                    thread one {\n  write a\n  read a\n}\nthread two {\n  write b\n  read b\n}\n";
        let e = explore_text(safe, 1000);
        assert_eq!((e.explored, e.complete), (6, true));
        assert!(
            e.schemes.iter().all(|s| s.found.is_empty()),
            "{:?}",
            e.schemes
        );
    }

    #[test]
    fn the_bound_is_reported() {
        let e = explore_text(RACE, 4);
        assert_eq!((e.explored, e.complete), (4, false));
        let none = explore_text("mmap a anon pages=1 rw\nwrite a\n", 10);
        assert_eq!((none.explored, none.complete), (1, true));
    }
}
