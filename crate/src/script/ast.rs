//! The syntax tree of a pinlab script (`spec/language.md`).
//!
//! The tree keeps every name as written (an [`Ident`] with its span); the runner resolves names
//! to ids. `Script`'s `Display` prints the canonical form of a script, which parses back to an
//! equal tree (spans aside): that is the round-trip property the tests check.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

pub use crate::duration::Duration;
use crate::settings::{CounterMode, FsKind, GupFastMode, KernelVersion, WritebackPolicy, Zone};
use crate::SchemeKind;

/// A byte range into the script text.
pub type Span = Range<usize>;

/// A name as written in the script, with where it was written.
#[derive(Clone, Debug, Serialize)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it stands in the text.
    #[serde(skip)]
    pub span: Span,
}

impl PartialEq for Ident {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Ident {}

impl Ident {
    /// A name with an empty span, for scripts built in code.
    pub fn new(name: impl Into<String>) -> Self {
        Ident {
            name: name.into(),
            span: 0..0,
        }
    }
}

/// A half-open page range as written: `3`, `0..4`, `all` (or omitted, which is `all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum PageRange {
    /// Every page of the VMA, file or handle.
    All,
    /// One page.
    One(u32),
    /// Pages `start..end`.
    Span(u32, u32),
}

impl PageRange {
    /// The concrete `start..end` within an object of `len` pages, or `None` when out of bounds
    /// or empty.
    pub fn resolve(self, len: u32) -> Option<Range<u32>> {
        let r = match self {
            PageRange::All => 0..len,
            PageRange::One(p) => p..p.checked_add(1)?,
            PageRange::Span(a, b) => a..b,
        };
        (r.start < r.end && r.end <= len).then_some(r)
    }
}

/// One statement with its location.
#[derive(Clone, Debug, Serialize)]
pub struct Stmt {
    /// What the statement says.
    pub kind: StmtKind,
    /// The statement's span in the text (its whole line, or block header).
    #[serde(skip)]
    pub span: Span,
    /// 1-based line number.
    pub line: u32,
}

impl PartialEq for Stmt {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// A parsed script: the statements in order. Settings come first (the parser checks that).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Script {
    /// Top-level statements.
    pub stmts: Vec<Stmt>,
}

/// The statement forms of the language.
///
/// Serialized adjacently tagged (`{"stmt": "scheme", "args": "refcount"}`): serde cannot
/// serialize an internally tagged newtype variant that holds a string or a list (`Scheme`,
/// `Kernel`, `Cost`, `Schedule`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "stmt", content = "args", rename_all = "kebab-case")]
pub enum StmtKind {
    /// `scheme legacy|refcount|fake-vma`
    Scheme(SchemeKind),
    /// `kernel X.Y` (or `2018`)
    Kernel(KernelVersion),
    /// `set KEY=VALUE`
    Set(Setting),
    /// `cost NAME=DURATION ...`
    Cost(Vec<(Ident, Duration)>),
    /// `file NAME FS pages=N [zone=Z]`
    File {
        /// File name.
        name: Ident,
        /// Filesystem.
        fs: FsKind,
        /// Size in pages.
        pages: u32,
        /// Zone its page-cache pages are allocated from.
        zone: Zone,
    },
    /// `mmap VMA FILE[RANGE] shared|private ro|rw`
    MmapFile {
        /// VMA name.
        vma: Ident,
        /// File mapped.
        file: Ident,
        /// Pages of the file mapped.
        range: PageRange,
        /// `MAP_SHARED` (else `MAP_PRIVATE`).
        shared: bool,
        /// `PROT_WRITE`.
        writable: bool,
    },
    /// `mmap VMA anon pages=N ro|rw [huge] [zone=Z]`
    MmapAnon {
        /// VMA name.
        vma: Ident,
        /// Size in pages.
        pages: u32,
        /// `PROT_WRITE`.
        writable: bool,
        /// Backed by 2 MiB folios.
        huge: bool,
        /// Zone pages are allocated from.
        zone: Zone,
    },
    /// An operation, possibly `PROC:`-prefixed and/or `irq`.
    Op {
        /// `PROC:` prefix; `None` means `main` (or the thread's process).
        proc_: Option<Ident>,
        /// `irq` prefix: run in hard-IRQ context.
        irq: bool,
        /// The operation.
        op: Op,
    },
    /// `expect ... [under S, ...]`
    Expect {
        /// What is expected.
        expect: Expect,
        /// Schemes it applies to; empty = every scheme run.
        under: Vec<SchemeKind>,
    },
    /// `repeat N { ... }`
    Repeat {
        /// Iterations.
        count: u64,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `thread NAME { ... }`
    Thread {
        /// Thread name.
        name: Ident,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `schedule NAME NAME ...`
    Schedule(Vec<Ident>),
}

/// The name that, in a `schedule`, lets the system workqueue's kworker run its oldest pending
/// item (deferred work: `bio_dirty_fn` after an IRQ completion, a fake VMA's removal).
pub const KWORKER: &str = "kworker";

/// `set` statements.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "key", content = "value", rename_all = "kebab-case")]
pub enum Setting {
    /// `set writeback=...`
    Writeback(WritebackPolicy),
    /// `set counter=...`
    Counter(CounterMode),
    /// `set gup-fast=...`
    GupFast(GupFastMode),
    /// `set steps=N`
    Steps(u64),
}

/// Device access direction for `dma`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DmaDir {
    /// The device reads memory (a write to disk/network).
    Read,
    /// The device writes memory (a read from disk/network).
    Write,
}

/// Flags of a `gup` / `get` statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
pub struct GupFlags {
    /// `FOLL_WRITE`.
    pub write: bool,
    /// The `_fast` variant.
    pub fast: bool,
    /// `FOLL_LONGTERM`.
    pub longterm: bool,
}

/// The operations (`spec/language.md`, "Operations").
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// `read VMA [RANGE]`
    Read {
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
    },
    /// `write VMA [RANGE]`
    Write {
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
    },
    /// `gup H VMA [RANGE] [write] [fast] [longterm] [times=N]`: the scheme's pinning GUP.
    Gup {
        /// Handle.
        handle: Ident,
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
        /// Flags.
        flags: GupFlags,
        /// Identical calls held by the handle.
        times: u64,
    },
    /// `get H VMA [RANGE] [write] [fast] [times=N]`: plain FOLL_GET under every scheme.
    Get {
        /// Handle.
        handle: Ident,
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
        /// Flags (`longterm` is never set).
        flags: GupFlags,
        /// Identical calls held by the handle.
        times: u64,
    },
    /// `vmsplice H VMA [RANGE]`
    Vmsplice {
        /// Handle (the pipe).
        handle: Ident,
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
    },
    /// `refs VMA PAGE +N|-N`
    Refs {
        /// VMA.
        vma: Ident,
        /// Page index in the VMA.
        page: u32,
        /// Signed number of references.
        delta: i64,
    },
    /// `dma H read|write [RANGE]`
    Dma {
        /// Handle.
        handle: Ident,
        /// Direction.
        dir: DmaDir,
        /// Pages of the handle.
        range: PageRange,
    },
    /// `put H [dirty]`
    Put {
        /// Handle.
        handle: Ident,
        /// `_dirty_lock` variant.
        dirty: bool,
    },
    /// `put_page H`
    PutPage {
        /// Handle.
        handle: Ident,
    },
    /// `complete H [dirty]`
    Complete {
        /// Handle.
        handle: Ident,
        /// Dirty the pages (a read from the device into memory).
        dirty: bool,
    },
    /// `workqueue`
    Workqueue,
    /// `writeback FILE [RANGE] [sync] [hold]`
    Writeback {
        /// File.
        file: Ident,
        /// Pages.
        range: PageRange,
        /// WB_SYNC_ALL.
        sync: bool,
        /// Leave pages under write-out until `writeback-done`.
        hold: bool,
    },
    /// `writeback-done FILE`
    WritebackDone {
        /// File.
        file: Ident,
    },
    /// `sync`
    Sync,
    /// `reclaim [FILE|VMA] [RANGE]`
    Reclaim {
        /// A file or VMA name; `None` = everything on the LRU.
        target: Option<Ident>,
        /// Pages.
        range: PageRange,
    },
    /// `migrate VMA [RANGE]`
    Migrate {
        /// VMA.
        vma: Ident,
        /// Pages.
        range: PageRange,
    },
    /// `truncate FILE PAGES`
    Truncate {
        /// File.
        file: Ident,
        /// New size in pages.
        pages: u32,
    },
    /// `punch FILE RANGE`
    Punch {
        /// File.
        file: Ident,
        /// Pages.
        range: PageRange,
    },
    /// `fork NAME`
    Fork {
        /// Child process name.
        child: Ident,
    },
    /// `munmap VMA`
    Munmap {
        /// VMA.
        vma: Ident,
    },
    /// `mprotect VMA ro|rw`
    Mprotect {
        /// VMA.
        vma: Ident,
        /// `rw`.
        writable: bool,
    },
    /// `exit`
    Exit,
}

/// Expectations (`spec/language.md`, "Expectations").
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "expect", rename_all = "kebab-case")]
pub enum Expect {
    /// `expect ok`: no violation so far.
    Ok,
    /// `expect violation NAME`
    Violation {
        /// Violation name.
        name: Ident,
    },
    /// `expect no-violation NAME`
    NoViolation {
        /// Violation name.
        name: Ident,
    },
    /// `expect result ERRNO|ok|fallback`
    Result {
        /// The expected result.
        result: crate::OpResult,
    },
    /// `expect pinned VMA PAGE` / `expect not-pinned VMA PAGE`
    Pinned {
        /// VMA.
        vma: Ident,
        /// Page index in the VMA.
        page: u32,
        /// `pinned` (true) or `not-pinned`.
        pinned: bool,
    },
    /// `expect page VMA PAGE refcount=N mapcount=N pincount=N dirty=yes|no zeropage=yes|no`
    Page {
        /// VMA.
        vma: Ident,
        /// Page index in the VMA.
        page: u32,
        /// The fields to compare (any subset).
        fields: Vec<PageField>,
    },
    /// `expect cost < DURATION` (or `>`)
    CostTotal {
        /// Comparison.
        cmp: Cmp,
        /// Bound.
        bound: Duration,
    },
    /// `expect cost A >|< B [xF]`
    CostCompare {
        /// Left scheme.
        left: SchemeKind,
        /// Comparison.
        cmp: Cmp,
        /// Right scheme.
        right: SchemeKind,
        /// Factor in thousandths (`x1.2` = 1200); 1000 when omitted.
        factor_milli: u64,
    },
}

/// A field compared by `expect page`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "field", content = "value", rename_all = "kebab-case")]
pub enum PageField {
    /// `refcount=N`
    Refcount(i64),
    /// `mapcount=N`
    Mapcount(i64),
    /// `pincount=N`
    Pincount(i64),
    /// `dirty=yes|no`
    Dirty(bool),
    /// `zeropage=yes|no`: the VMA page maps the shared zero page.
    Zeropage(bool),
}

/// `<` or `>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Cmp {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `>`
    #[serde(rename = ">")]
    Gt,
}

impl Cmp {
    /// Applies the comparison.
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Gt => a > b,
        }
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cmp::Lt => "<",
            Cmp::Gt => ">",
        })
    }
}
