//! Name resolution before running (`spec/language.md`, "Errors").
//!
//! The checker walks the script in text order (into `repeat` and `thread` bodies too) with a
//! static picture of what exists at each point: files, processes and their VMAs, acquired handles
//! and threads. It reports unknown names (with "did you mean" hints), duplicate declarations and
//! page ranges outside their VMA, file or handle.
//!
//! Decisions where the spec is silent:
//! - `truncate F N` with N larger than the file is an error: the model does not grow files.
//!   Ranges on a file are always checked against its declared size, even after a truncate (the
//!   runner reports what happens to pages past the new end).
//! - A VMA used after `munmap` in the same process, or a process used after `exit`, is a warning,
//!   not an error: the operation runs and fails (GUP with `EFAULT`), which may be the point of the script.
//!   `mmap` may reuse the name of an unmapped VMA.
//! - A handle may be acquired again under the same name (each `repeat` iteration does that).
//!   The range of `dma H RANGE` is checked against the largest acquisition of `H` so far.
//! - `reclaim NAME` with a name that is both a file and a VMA of the process is an error.
//! - Thread names are global to the script, so `schedule` may come before the `thread` blocks.

use std::collections::BTreeMap;

use crate::diagnostic::LineIndex;
use crate::script::lexer::{clip, lex_line, TokenKind};
use crate::script::parser::suggest;
use crate::script::{Expect, Ident, Op, PageRange, Script, Span, Stmt, StmtKind};
use crate::Diagnostic;

/// Is `name` an entry of the cost table?
fn known_cost_name(name: &str) -> bool {
    crate::cost::Primitive::from_name(name).is_some()
}

/// Every cost table entry name, for hints.
fn cost_names() -> Vec<&'static str> {
    crate::cost::Primitive::ALL
        .iter()
        .map(|p| p.name())
        .collect()
}

/// Is `name` a violation (or informational event) that `expect violation` can name?
fn known_violation_name(name: &str) -> bool {
    crate::invariants::ViolationKind::from_name(name).is_some()
}

/// Every violation name, for hints.
fn violation_names() -> Vec<&'static str> {
    crate::invariants::ViolationKind::ALL
        .iter()
        .map(|v| v.name())
        .collect()
}

/// Resolves the names of `script` (parsed from `text`) and returns the problems found.
pub(super) fn check(text: &str, script: &Script) -> Vec<Diagnostic> {
    let index = LineIndex::new(text);
    let mut checker = Checker {
        text,
        index: &index,
        diags: Vec::new(),
        files: BTreeMap::new(),
        procs: BTreeMap::new(),
        handles: BTreeMap::new(),
        threads: BTreeMap::new(),
        schedule: None,
    };
    checker.collect_threads(&script.stmts);
    checker.procs.insert("main".to_string(), Process::default());
    checker.stmts(&script.stmts, 0);
    checker.diags
}

/// A declared file.
#[derive(Default)]
struct File {
    /// Size in pages.
    pages: u32,
    /// Where it was declared.
    line: u32,
}

/// A VMA of a process.
#[derive(Clone)]
struct Vma {
    /// Length in pages.
    pages: u32,
    /// Where it was mapped.
    line: u32,
    /// Where it was unmapped, if it was.
    unmapped: Option<u32>,
}

/// A process.
#[derive(Default)]
struct Process {
    /// Its VMAs by name.
    vmas: BTreeMap<String, Vma>,
    /// Where it was created (0 for `main`).
    line: u32,
    /// Where it exited, if it did.
    exited: Option<u32>,
}

/// An acquired handle.
struct Handle {
    /// The most pages any acquisition so far took (`None` when unknown).
    pages: Option<u32>,
}

/// The checker's picture of the script at the current statement.
struct Checker<'t> {
    /// The script text.
    text: &'t str,
    /// Its line starts.
    index: &'t LineIndex<'t>,
    /// Problems found.
    diags: Vec<Diagnostic>,
    /// Files by name.
    files: BTreeMap<String, File>,
    /// Processes by name.
    procs: BTreeMap<String, Process>,
    /// Handles acquired so far, by name.
    handles: BTreeMap<String, Handle>,
    /// Thread names, with their lines.
    threads: BTreeMap<String, u32>,
    /// The line of the `schedule` statement, once seen.
    schedule: Option<u32>,
}

impl<'t> Checker<'t> {
    /// Records an error.
    fn error(&mut self, span: Span, msg: String, hint: Option<String>) {
        let mut d = self.index.error(span, msg);
        d.hint = hint;
        self.diags.push(d);
    }

    /// Records a warning.
    fn warning(&mut self, span: Span, msg: String, hint: String) {
        self.diags
            .push(self.index.warning(span, msg).with_hint(hint));
    }

    /// Collects thread names (top-level blocks only; the parser rejects others), reporting
    /// duplicates.
    fn collect_threads(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            if let StmtKind::Thread { name, .. } = &stmt.kind {
                if name.name == super::KWORKER {
                    self.error(
                        name.span.clone(),
                        "`kworker` is the workqueue's name in a `schedule`, not a thread's".into(),
                        Some("give the thread another name".into()),
                    );
                } else if let Some(prev) = self.threads.get(&name.name) {
                    let msg = format!(
                        "thread `{}` is already defined on line {prev}",
                        clip(&name.name)
                    );
                    self.error(
                        name.span.clone(),
                        msg,
                        Some("give each thread its own name".into()),
                    );
                } else {
                    self.threads.insert(name.name.clone(), stmt.line);
                }
            }
        }
    }

    /// Checks statements in order.
    fn stmts(&mut self, stmts: &[Stmt], depth: usize) {
        for stmt in stmts {
            self.stmt(stmt, depth);
        }
    }

    /// Checks one statement and updates the picture.
    fn stmt(&mut self, stmt: &Stmt, depth: usize) {
        match &stmt.kind {
            StmtKind::Scheme(_) | StmtKind::Kernel(_) | StmtKind::Set(_) => {}
            StmtKind::Cost(entries) => {
                for (name, _) in entries {
                    if !known_cost_name(&name.name) {
                        let names = cost_names();
                        let hint = match suggest(&name.name, names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("cost entries: {}", names.join(", ")),
                        };
                        self.error(
                            name.span.clone(),
                            format!("unknown cost entry `{}`", clip(&name.name)),
                            Some(hint),
                        );
                    }
                }
            }
            StmtKind::File { name, pages, .. } => {
                if let Some(prev) = self.files.get(&name.name) {
                    let msg = format!(
                        "file `{}` is already declared on line {}",
                        clip(&name.name),
                        prev.line
                    );
                    self.error(
                        name.span.clone(),
                        msg,
                        Some("give each file its own name".into()),
                    );
                } else {
                    self.files.insert(
                        name.name.clone(),
                        File {
                            pages: *pages,
                            line: stmt.line,
                        },
                    );
                }
            }
            StmtKind::MmapFile {
                vma, file, range, ..
            } => {
                let Some(file_pages) = self.file(file) else {
                    return;
                };
                let Some(r) = self.range(stmt, &file.span, *range, file_pages, "file", &file.name)
                else {
                    return;
                };
                self.map(vma, r.end - r.start, stmt.line);
            }
            StmtKind::MmapAnon { vma, pages, .. } => self.map(vma, *pages, stmt.line),
            StmtKind::Op { proc_, op, .. } => {
                let proc_name = match proc_ {
                    None => "main".to_string(),
                    Some(p) => {
                        if !self.process(p) {
                            return;
                        }
                        p.name.clone()
                    }
                };
                self.op(stmt, &proc_name, op);
            }
            StmtKind::Expect { expect, .. } => self.expect(stmt, expect),
            StmtKind::Repeat { body, .. } | StmtKind::Thread { body, .. } => {
                if depth < super::parser::MAX_DEPTH + 1 {
                    self.stmts(body, depth + 1);
                }
            }
            StmtKind::Schedule(names) => {
                if let Some(prev) = self.schedule {
                    let msg = format!("a second `schedule` (the first is on line {prev})");
                    self.error(stmt.span.clone(), msg, Some("give one schedule".into()));
                }
                self.schedule = Some(stmt.line);
                if self.threads.is_empty() {
                    let msg = "`schedule` without any `thread` block".to_string();
                    self.error(
                        stmt.span.clone(),
                        msg,
                        Some("define threads with `thread NAME {`".into()),
                    );
                    return;
                }
                for name in names {
                    if name.name != super::KWORKER && !self.threads.contains_key(&name.name) {
                        let hint = self.hint_among(
                            &name.name,
                            self.threads.keys().map(String::as_str),
                            "threads",
                        );
                        self.error(
                            name.span.clone(),
                            format!("unknown thread `{}`", clip(&name.name)),
                            Some(hint),
                        );
                    }
                }
            }
        }
    }

    /// A "did you mean" hint over `candidates`, or their list.
    fn hint_among<'c>(
        &self,
        name: &str,
        candidates: impl Iterator<Item = &'c str> + Clone,
        what: &str,
    ) -> String {
        match suggest(name, candidates.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                let all: Vec<&str> = candidates.take(12).collect();
                if all.is_empty() {
                    format!("no {what} are defined at this point")
                } else {
                    format!("{what} defined at this point: {}", all.join(", "))
                }
            }
        }
    }

    /// Declares VMA `vma` of `pages` pages in `main`.
    fn map(&mut self, vma: &Ident, pages: u32, line: u32) {
        let index = self.index;
        let Some(main) = self.procs.get_mut("main") else {
            return;
        };
        if let Some(prev) = main.vmas.get(&vma.name).filter(|v| v.unmapped.is_none()) {
            let msg = format!(
                "VMA `{}` is already mapped on line {}",
                clip(&vma.name),
                prev.line
            );
            let d = index
                .error(vma.span.clone(), msg)
                .with_hint("give each VMA of a process its own name");
            self.diags.push(d);
            return;
        }
        main.vmas.insert(
            vma.name.clone(),
            Vma {
                pages,
                line,
                unmapped: None,
            },
        );
    }

    /// Resolves a file name to its size.
    fn file(&mut self, file: &Ident) -> Option<u32> {
        if let Some(f) = self.files.get(&file.name) {
            return Some(f.pages);
        }
        let hint = self.hint_among(&file.name, self.files.keys().map(String::as_str), "files");
        self.error(
            file.span.clone(),
            format!("unknown file `{}`", clip(&file.name)),
            Some(hint),
        );
        None
    }

    /// Checks that process `p` exists (a `PROC:` prefix).
    fn process(&mut self, p: &Ident) -> bool {
        match self.procs.get(&p.name) {
            Some(proc_) => {
                if let Some(line) = proc_.exited {
                    let msg = format!("process `{}` exited on line {line}", clip(&p.name));
                    self.warning(
                        p.span.clone(),
                        msg,
                        "operations of an exited process fail".into(),
                    );
                }
                true
            }
            None => {
                let hint = match suggest(&p.name, self.procs.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "processes are `main` and those created by `fork NAME`".to_string(),
                };
                self.error(
                    p.span.clone(),
                    format!("unknown process `{}`", clip(&p.name)),
                    Some(hint),
                );
                false
            }
        }
    }

    /// Resolves VMA `vma` of process `proc_name` to its length. Warns (and returns `None`) for an
    /// unmapped VMA.
    fn vma(&mut self, proc_name: &str, vma: &Ident) -> Option<u32> {
        let found = self
            .procs
            .get(proc_name)
            .and_then(|p| p.vmas.get(&vma.name))
            .cloned();
        match found {
            Some(Vma {
                unmapped: Some(line),
                ..
            }) => {
                let msg = format!("VMA `{}` was unmapped on line {line}", clip(&vma.name));
                self.warning(
                    vma.span.clone(),
                    msg,
                    "the operation runs and fails; its result says how (GUP: EFAULT)".into(),
                );
                None
            }
            Some(v) => Some(v.pages),
            None => {
                let other = self
                    .procs
                    .iter()
                    .find(|(_, p)| p.vmas.contains_key(&vma.name))
                    .map(|(n, _)| n.clone());
                let hint = match other {
                    Some(owner) => format!(
                        "`{}` is a VMA of process `{owner}`: prefix the statement with `{owner}:`",
                        clip(&vma.name)
                    ),
                    None => {
                        let names: Vec<&str> = self
                            .procs
                            .get(proc_name)
                            .map(|p| p.vmas.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        self.hint_among(&vma.name, names.iter().copied(), "VMAs")
                    }
                };
                let msg = format!(
                    "unknown VMA `{}` in process `{}`",
                    clip(&vma.name),
                    clip(proc_name)
                );
                self.error(vma.span.clone(), msg, Some(hint));
                None
            }
        }
    }

    /// Resolves a handle that is used (not acquired) to its known size.
    fn handle(&mut self, handle: &Ident) -> Option<Option<u32>> {
        if let Some(h) = self.handles.get(&handle.name) {
            return Some(h.pages);
        }
        let hint = match suggest(&handle.name, self.handles.keys().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "acquire it first with `gup`, `get` or `vmsplice`".to_string(),
        };
        let msg = format!(
            "handle `{}` is used before any `gup`, `get` or `vmsplice` acquires it",
            clip(&handle.name)
        );
        self.error(handle.span.clone(), msg, Some(hint));
        None
    }

    /// Records the acquisition of `handle` covering `pages` pages (if known).
    fn acquire(&mut self, handle: &Ident, pages: Option<u32>) {
        let entry = self
            .handles
            .entry(handle.name.clone())
            .or_insert(Handle { pages: None });
        entry.pages = match (entry.pages, pages) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Checks `range` against an object of `len` pages; returns the resolved range. The error
    /// points at the range as written (the first range token after `after`).
    fn range(
        &mut self,
        stmt: &Stmt,
        after: &Span,
        range: PageRange,
        len: u32,
        what: &str,
        name: &str,
    ) -> Option<std::ops::Range<u32>> {
        if let Some(r) = range.resolve(len) {
            return Some(r);
        }
        let span = self.range_span(stmt, after);
        let msg = format!(
            "range `{range}` is outside {what} `{}`, which has {len} page{}",
            clip(name),
            if len == 1 { "" } else { "s" }
        );
        let hint = if len == 1 {
            "its only page is 0".to_string()
        } else {
            format!("its pages are 0..{len}")
        };
        self.error(span, msg, Some(hint));
        None
    }

    /// The span of the first range-like token of `stmt` after `after` (the whole statement when
    /// none is found, e.g. for an implicit `all`).
    fn range_span(&self, stmt: &Stmt, after: &Span) -> Span {
        let line = self.text.get(stmt.span.clone()).unwrap_or("");
        let (tokens, _) = lex_line(line, stmt.span.start);
        tokens
            .into_iter()
            .filter(|t| t.span.start >= after.end)
            .find(|t| {
                matches!(t.kind, TokenKind::Int | TokenKind::Range { .. })
                    || (t.kind == TokenKind::Word && self.text.get(t.span.clone()) == Some("all"))
            })
            .map_or(stmt.span.clone(), |t| t.span)
    }

    /// Checks a page index of a VMA.
    fn page(&mut self, stmt: &Stmt, vma: &Ident, page: u32, len: u32) {
        if page < len {
            return;
        }
        let span = self.range_span(stmt, &vma.span);
        let msg = format!(
            "page {page} is outside VMA `{}`, which has {len} page{}",
            clip(&vma.name),
            if len == 1 { "" } else { "s" }
        );
        let hint = if len == 1 {
            "its only page is 0".to_string()
        } else {
            format!("its pages are 0 to {}", len - 1)
        };
        self.error(span, msg, Some(hint));
    }

    /// Checks an operation running in process `proc_name`.
    fn op(&mut self, stmt: &Stmt, proc_name: &str, op: &Op) {
        match op {
            Op::Read { vma, range } | Op::Write { vma, range } | Op::Migrate { vma, range } => {
                if let Some(len) = self.vma(proc_name, vma) {
                    self.range(stmt, &vma.span, *range, len, "VMA", &vma.name);
                }
            }
            Op::Gup {
                handle, vma, range, ..
            }
            | Op::Get {
                handle, vma, range, ..
            }
            | Op::Vmsplice { handle, vma, range } => {
                let pages = self
                    .vma(proc_name, vma)
                    .and_then(|len| self.range(stmt, &vma.span, *range, len, "VMA", &vma.name))
                    .map(|r| r.end - r.start);
                self.acquire(handle, pages);
            }
            Op::Refs { vma, page, .. } => {
                if let Some(len) = self.vma(proc_name, vma) {
                    self.page(stmt, vma, *page, len);
                }
            }
            Op::Dma { handle, range, .. } => {
                if let Some(Some(len)) = self.handle(handle) {
                    self.range(stmt, &handle.span, *range, len, "handle", &handle.name);
                }
            }
            Op::Put { handle, .. } | Op::PutPage { handle } | Op::Complete { handle, .. } => {
                self.handle(handle);
            }
            Op::Workqueue | Op::Sync => {}
            Op::Writeback { file, range, .. } | Op::Punch { file, range } => {
                if let Some(len) = self.file(file) {
                    self.range(stmt, &file.span, *range, len, "file", &file.name);
                }
            }
            Op::WritebackDone { file } => {
                self.file(file);
            }
            Op::Reclaim { target: None, .. } => {}
            Op::Reclaim {
                target: Some(target),
                range,
            } => {
                let as_file = self.files.get(&target.name).map(|f| f.pages);
                let as_vma = self
                    .procs
                    .get(proc_name)
                    .and_then(|p| p.vmas.get(&target.name))
                    .is_some();
                match (as_file, as_vma) {
                    (Some(_), true) => {
                        let msg = format!("`{}` names both a file and a VMA", clip(&target.name));
                        self.error(
                            target.span.clone(),
                            msg,
                            Some("rename one of them so `reclaim` knows which is meant".into()),
                        );
                    }
                    (Some(len), false) => {
                        self.range(stmt, &target.span, *range, len, "file", &target.name);
                    }
                    (None, _) => {
                        if let Some(len) = self.vma(proc_name, target) {
                            self.range(stmt, &target.span, *range, len, "VMA", &target.name);
                        }
                    }
                }
            }
            Op::Truncate { file, pages } => {
                if let Some(len) = self.file(file) {
                    if *pages > len {
                        let span = self.range_span(stmt, &file.span);
                        let msg = format!(
                            "`truncate` cannot grow file `{}` from {len} to {pages} pages",
                            clip(&file.name)
                        );
                        self.error(span, msg, Some(format!("truncate to at most {len} pages")));
                    }
                }
            }
            Op::Fork { child } => {
                if let Some(prev) = self.procs.get(&child.name) {
                    let msg = if prev.line == 0 {
                        format!("process `{}` already exists", clip(&child.name))
                    } else {
                        format!(
                            "process `{}` is already created on line {}",
                            clip(&child.name),
                            prev.line
                        )
                    };
                    self.error(
                        child.span.clone(),
                        msg,
                        Some("give each process its own name".into()),
                    );
                    return;
                }
                let vmas = self
                    .procs
                    .get(proc_name)
                    .map(|p| p.vmas.clone())
                    .unwrap_or_default();
                let vmas = vmas
                    .into_iter()
                    .filter(|(_, v)| v.unmapped.is_none())
                    .collect();
                self.procs.insert(
                    child.name.clone(),
                    Process {
                        vmas,
                        line: stmt.line,
                        exited: None,
                    },
                );
            }
            Op::Munmap { vma } => {
                if self.vma(proc_name, vma).is_some() {
                    if let Some(v) = self
                        .procs
                        .get_mut(proc_name)
                        .and_then(|p| p.vmas.get_mut(&vma.name))
                    {
                        v.unmapped = Some(stmt.line);
                    }
                }
            }
            Op::Mprotect { vma, .. } => {
                self.vma(proc_name, vma);
            }
            Op::Exit => {
                if let Some(p) = self.procs.get_mut(proc_name) {
                    p.exited.get_or_insert(stmt.line);
                }
            }
        }
    }

    /// Checks an expectation.
    fn expect(&mut self, stmt: &Stmt, expect: &Expect) {
        match expect {
            Expect::Ok | Expect::Result { .. } | Expect::CostTotal { .. } => {}
            Expect::Violation { name } | Expect::NoViolation { name } => {
                if !known_violation_name(&name.name) {
                    let names = violation_names();
                    let hint = match suggest(&name.name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("violations: {}", names.join(", ")),
                    };
                    self.error(
                        name.span.clone(),
                        format!("unknown violation `{}`", clip(&name.name)),
                        Some(hint),
                    );
                }
            }
            Expect::Pinned { vma, page, .. } | Expect::Page { vma, page, .. } => {
                if let Some(len) = self.vma("main", vma) {
                    self.page(stmt, vma, *page, len);
                }
            }
            Expect::CostCompare { left, right, .. } => {
                if left == right {
                    let msg = format!("`expect cost` compares scheme `{left}` with itself");
                    self.warning(
                        stmt.span.clone(),
                        msg,
                        "compare two different schemes".into(),
                    );
                }
            }
        }
    }
}
