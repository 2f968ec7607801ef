//! The canonical printer: one statement per line, single spaces, blocks indented two spaces.
//!
//! `parse(&script.to_string())` gives back an equal [`Script`] with no diagnostics; the tests
//! check that property. `Op` and `Expect` print their statement exactly as a script line would
//! (without the `PROC:` / `irq` prefixes and the `under` suffix, which belong to [`Stmt`]), so the
//! runner can label trace lines with `op.to_string()`.

use std::fmt::{self, Display, Formatter, Write};

use crate::script::{
    DmaDir, Expect, GupFlags, Op, PageField, PageRange, Script, Setting, Stmt, StmtKind,
};

impl Display for Script {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for stmt in &self.stmts {
            write_stmt(f, stmt, 0)?;
        }
        Ok(())
    }
}

impl Display for Stmt {
    /// The statement as it would stand in a script; a block prints over several lines (with a
    /// final newline only between lines, not after the closing `}`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_stmt(&mut out, self, 0)?;
        f.write_str(out.strip_suffix('\n').unwrap_or(&out))
    }
}

/// Writes `stmt` and a newline, indented by `depth` levels (blocks recurse; the parser caps
/// nesting, and a tree built in code is finite).
fn write_stmt(out: &mut impl Write, stmt: &Stmt, depth: usize) -> fmt::Result {
    let indent = "  ".repeat(depth);
    out.write_str(&indent)?;
    match &stmt.kind {
        StmtKind::Scheme(s) => write!(out, "scheme {s}")?,
        StmtKind::Kernel(e) => write!(out, "kernel {e}")?,
        StmtKind::Set(s) => write!(out, "set {s}")?,
        StmtKind::Cost(entries) => {
            out.write_str("cost")?;
            for (name, d) in entries {
                write!(out, " {}={d}", name.name)?;
            }
        }
        StmtKind::File {
            name,
            fs,
            pages,
            zone,
        } => {
            write!(out, "file {} {fs} pages={pages}", name.name)?;
            if *zone != crate::settings::Zone::Normal {
                write!(out, " zone={zone}")?;
            }
        }
        StmtKind::MmapFile {
            vma,
            file,
            range,
            shared,
            writable,
        } => {
            write!(out, "mmap {} {}{}", vma.name, file.name, OptRange(*range))?;
            write!(
                out,
                " {} {}",
                if *shared { "shared" } else { "private" },
                rw(*writable)
            )?;
        }
        StmtKind::MmapAnon {
            vma,
            pages,
            writable,
            huge,
            zone,
        } => {
            write!(
                out,
                "mmap {} anon pages={pages} {}",
                vma.name,
                rw(*writable)
            )?;
            if *huge {
                out.write_str(" huge")?;
            }
            if *zone != crate::settings::Zone::Normal {
                write!(out, " zone={zone}")?;
            }
        }
        StmtKind::Op { proc_, irq, op } => {
            if let Some(p) = proc_ {
                write!(out, "{}: ", p.name)?;
            }
            if *irq {
                out.write_str("irq ")?;
            }
            write!(out, "{op}")?;
        }
        StmtKind::Expect { expect, under } => {
            write!(out, "{expect}")?;
            for (i, s) in under.iter().enumerate() {
                out.write_str(if i == 0 { " under " } else { ", " })?;
                write!(out, "{s}")?;
            }
        }
        StmtKind::Repeat { count, body } => {
            writeln!(out, "repeat {count} {{")?;
            write_body(out, body, depth)?;
            write!(out, "{indent}}}")?;
        }
        StmtKind::Thread { name, body } => {
            writeln!(out, "thread {} {{", name.name)?;
            write_body(out, body, depth)?;
            write!(out, "{indent}}}")?;
        }
        StmtKind::Schedule(names) => {
            out.write_str("schedule")?;
            for n in names {
                write!(out, " {}", n.name)?;
            }
        }
    }
    out.write_char('\n')
}

/// Writes a block's body one level deeper.
fn write_body(out: &mut impl Write, body: &[Stmt], depth: usize) -> fmt::Result {
    for stmt in body {
        write_stmt(out, stmt, depth + 1)?;
    }
    Ok(())
}

/// `ro` or `rw`.
fn rw(writable: bool) -> &'static str {
    if writable {
        "rw"
    } else {
        "ro"
    }
}

/// An optional range: nothing for `all`, else a space and the range.
struct OptRange(PageRange);

impl Display for OptRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            PageRange::All => Ok(()),
            r => write!(f, " {r}"),
        }
    }
}

impl Display for PageRange {
    /// `all`, `3` or `0..4`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            PageRange::All => f.write_str("all"),
            PageRange::One(p) => write!(f, "{p}"),
            PageRange::Span(a, b) => write!(f, "{a}..{b}"),
        }
    }
}

impl Display for Setting {
    /// `writeback=keep-dirty`, `steps=100`, ...
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Writeback(v) => write!(f, "writeback={v}"),
            Setting::Counter(v) => write!(f, "counter={v}"),
            Setting::GupFast(v) => write!(f, "gup-fast={v}"),
            Setting::Steps(n) => write!(f, "steps={n}"),
        }
    }
}

/// Writes GUP flags and `times=` in canonical order.
fn write_gup_flags(f: &mut Formatter<'_>, flags: GupFlags, times: u64) -> fmt::Result {
    if flags.write {
        f.write_str(" write")?;
    }
    if flags.fast {
        f.write_str(" fast")?;
    }
    if flags.longterm {
        f.write_str(" longterm")?;
    }
    if times != 1 {
        write!(f, " times={times}")?;
    }
    Ok(())
}

/// ` dirty` or nothing.
fn dirty(d: bool) -> &'static str {
    if d {
        " dirty"
    } else {
        ""
    }
}

impl Display for Op {
    /// The operation's statement text, without `PROC:` or `irq` prefixes.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Op::Read { vma, range } => write!(f, "read {}{}", vma.name, OptRange(*range)),
            Op::Write { vma, range } => write!(f, "write {}{}", vma.name, OptRange(*range)),
            Op::Gup {
                handle,
                vma,
                range,
                flags,
                times,
            } => {
                write!(f, "gup {} {}{}", handle.name, vma.name, OptRange(*range))?;
                write_gup_flags(f, *flags, *times)
            }
            Op::Get {
                handle,
                vma,
                range,
                flags,
                times,
            } => {
                write!(f, "get {} {}{}", handle.name, vma.name, OptRange(*range))?;
                write_gup_flags(f, *flags, *times)
            }
            Op::Vmsplice { handle, vma, range } => {
                write!(
                    f,
                    "vmsplice {} {}{}",
                    handle.name,
                    vma.name,
                    OptRange(*range)
                )
            }
            Op::Refs { vma, page, delta } => write!(f, "refs {} {page} {delta:+}", vma.name),
            Op::Dma { handle, dir, range } => {
                let dir = match dir {
                    DmaDir::Read => "read",
                    DmaDir::Write => "write",
                };
                write!(f, "dma {} {dir}{}", handle.name, OptRange(*range))
            }
            Op::Put { handle, dirty: d } => write!(f, "put {}{}", handle.name, dirty(*d)),
            Op::PutPage { handle } => write!(f, "put_page {}", handle.name),
            Op::Complete { handle, dirty: d } => write!(f, "complete {}{}", handle.name, dirty(*d)),
            Op::Workqueue => f.write_str("workqueue"),
            Op::Writeback {
                file,
                range,
                sync,
                hold,
            } => {
                write!(f, "writeback {}{}", file.name, OptRange(*range))?;
                if *sync {
                    f.write_str(" sync")?;
                }
                if *hold {
                    f.write_str(" hold")?;
                }
                Ok(())
            }
            Op::WritebackDone { file } => write!(f, "writeback-done {}", file.name),
            Op::Sync => f.write_str("sync"),
            Op::Reclaim { target, range } => {
                f.write_str("reclaim")?;
                if let Some(t) = target {
                    write!(f, " {}", t.name)?;
                }
                write!(f, "{}", OptRange(*range))
            }
            Op::Migrate { vma, range } => write!(f, "migrate {}{}", vma.name, OptRange(*range)),
            Op::Truncate { file, pages } => write!(f, "truncate {} {pages}", file.name),
            Op::Punch { file, range } => write!(f, "punch {} {range}", file.name),
            Op::Fork { child } => write!(f, "fork {}", child.name),
            Op::Munmap { vma } => write!(f, "munmap {}", vma.name),
            Op::Mprotect { vma, writable } => write!(f, "mprotect {} {}", vma.name, rw(*writable)),
            Op::Exit => f.write_str("exit"),
        }
    }
}

impl Display for Expect {
    /// The expectation's statement text, `expect` included, without the `under` suffix.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("expect ")?;
        match self {
            Expect::Ok => f.write_str("ok"),
            Expect::Violation { name } => write!(f, "violation {}", name.name),
            Expect::NoViolation { name } => write!(f, "no-violation {}", name.name),
            Expect::Result { result } => write!(f, "result {result}"),
            Expect::Pinned { vma, page, pinned } => {
                let word = if *pinned { "pinned" } else { "not-pinned" };
                write!(f, "{word} {} {page}", vma.name)
            }
            Expect::Page { vma, page, fields } => {
                write!(f, "page {} {page}", vma.name)?;
                for field in fields {
                    write!(f, " {field}")?;
                }
                Ok(())
            }
            Expect::CostTotal { cmp, bound } => write!(f, "cost {cmp} {bound}"),
            Expect::CostCompare {
                left,
                cmp,
                right,
                factor_milli,
            } => {
                write!(f, "cost {left} {cmp} {right}")?;
                if *factor_milli != 1000 {
                    let int = factor_milli / 1000;
                    let frac = factor_milli % 1000;
                    if frac == 0 {
                        write!(f, " x{int}")?;
                    } else {
                        let frac = format!("{frac:03}");
                        write!(f, " x{int}.{}", frac.trim_end_matches('0'))?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl Display for PageField {
    /// `refcount=N`, `dirty=yes`, ...
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PageField::Refcount(n) => write!(f, "refcount={n}"),
            PageField::Mapcount(n) => write!(f, "mapcount={n}"),
            PageField::Pincount(n) => write!(f, "pincount={n}"),
            PageField::Dirty(d) => write!(f, "dirty={}", if *d { "yes" } else { "no" }),
            PageField::Zeropage(z) => write!(f, "zeropage={}", if *z { "yes" } else { "no" }),
        }
    }
}
