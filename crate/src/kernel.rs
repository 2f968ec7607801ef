//! The kernel state (domain §3) and the step context the operations charge.
//!
//! `Kernel` is plain data: cloning it is a deep copy, equality and hashing are by content, and
//! nothing in it refers to global state, so the interleaving explorer can clone, hash and
//! compare states. Operations live in the submodules, each an `impl Kernel` block named after
//! the kernel file it models: [`mm`] (faults, COW, fork, munmap, mprotect — mm/memory.c),
//! [`gup`] (GUP, release, completion, workqueue, DMA — mm/gup.c, block/bio.c), [`vmscan`]
//! (writeback, reclaim, migration, truncate — mm/page-writeback.c, mm/vmscan.c, mm/migrate.c,
//! mm/truncate.c) and [`check`] (state invariants and the ledger audit).

pub mod check;
pub mod gup;
pub mod mm;
pub mod vmscan;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::cost::{CostCounts, Primitive};
use crate::invariants::{Finding, ViolationKind};
use crate::itree::IntervalTree;
use crate::scheme::{Scheme, SchemeKind};
use crate::script::GupFlags;
use crate::settings::{FsKind, Settings, Zone};
use crate::OpResult;

/// Page frame number: index into [`Kernel::pages`].
pub type Pfn = u32;
/// Index into [`Kernel::files`].
pub type FileId = u32;
/// Index into [`Kernel::procs`].
pub type ProcId = u32;
/// Index into [`Kernel::vmas`].
pub type VmaId = u32;
/// Index into [`Kernel::fakes`].
pub type FakeId = u32;
/// Index into [`Kernel::handles`].
pub type HandleId = u32;

/// `GUP_PIN_COUNTING_BIAS` (include/linux/mm.h).
pub const GUP_PIN_COUNTING_BIAS: i64 = 1024;
/// The largest value of a signed 32-bit `atomic_t`.
pub const COUNT_MAX: i64 = i32::MAX as i64;
/// Pages per 2 MiB folio.
pub const HUGE_PAGES: u32 = 512;

/// Page flags the model needs (`PG_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageFlags {
    /// `PG_dirty`.
    pub dirty: bool,
    /// `PG_writeback`.
    pub writeback: bool,
    /// `PG_private`: buffer heads attached (+1 reference).
    pub buffers: bool,
    /// `PG_lru`.
    pub lru: bool,
    /// `PG_anon_exclusive` (5.19+).
    pub anon_exclusive: bool,
    /// `PG_swapcache` (+1 reference).
    pub swapcache: bool,
    /// `PG_uptodate`.
    pub uptodate: bool,
    /// `PG_active`.
    pub active: bool,
}

/// What a page belongs to (`folio->mapping` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Owner {
    /// In a file's page cache at `index`.
    File {
        /// File.
        file: FileId,
        /// Page index in the file.
        index: u32,
    },
    /// Was in a file's page cache; truncated or punched out (`mapping == NULL`).
    Orphan {
        /// File it left.
        file: FileId,
        /// Index it had.
        index: u32,
    },
    /// A DAX block of a file (the page is the storage).
    Dax {
        /// File.
        file: FileId,
        /// Block index.
        index: u32,
    },
    /// The shared zero page (`ZERO_PAGE(0)`): read faults on never-written private anonymous
    /// memory map it; its PTEs are special (no mapcount, no reference).
    Zero,
    /// A freed DAX block (reallocated to someone else).
    DaxFreed {
        /// File it left.
        file: FileId,
        /// Index it had.
        index: u32,
    },
    /// Anonymous memory, created in VMA `root` at page `index` (its rmap tree).
    Anon {
        /// The anon VMA whose tree the page's rmap walk uses.
        root: VmaId,
        /// Linear page index.
        index: u32,
    },
}

/// A page or folio (`struct page` / `struct folio`, domain §3.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Page {
    /// Page frame number.
    pub pfn: Pfn,
    /// 0 (4 KiB) or 9 (2 MiB).
    pub order: u8,
    /// `_refcount` (kernel-visible; may exceed `i32` only transiently in checks).
    pub refcount: i64,
    /// Mappings: PTE/PMD mappings plus fake mappings (`_mapcount + 1`).
    pub mapcount: i64,
    /// `_pincount` (large folios, or every page with `counter=exact`).
    pub pincount: i64,
    /// Flags.
    pub flags: PageFlags,
    /// Owner.
    pub owner: Owner,
    /// Zone.
    pub zone: Zone,
    /// Content version, bumped by every CPU or DMA write (model only).
    pub version: u64,
    /// Version captured when write-out started, and whether the I/O used a bounce copy.
    pub wb_snapshot: Option<(u64, bool)>,
    /// `page_mkwrite` ran since the page was last cleaned (I8).
    pub mkwrite_since_clean: bool,
    /// Model bookkeeping: fake mappings included in `mapcount`.
    pub fake_maps: i64,
    /// Model bookkeeping: ordinary references from `refs +N`.
    pub extra_refs: i64,
    /// Model bookkeeping: references taken or dropped by mismatched releases (the ledger's
    /// explanation of a count no live holder accounts for).
    pub leaked: i64,
    /// Model bookkeeping: pins left behind by mismatched releases.
    pub leaked_pins: i64,
    /// Model bookkeeping: fake mappings left behind by mismatched releases.
    pub leaked_maps: i64,
    /// Model bookkeeping: live FOLL_PIN / fake handles holding this page.
    pub pin_holders: u32,
    /// Model bookkeeping: live handles holding this page, and those with FOLL_WRITE.
    pub holders: u32,
    /// Live write holders.
    pub write_holders: u32,
    /// Freed to the allocator.
    pub freed: bool,
    /// Refcount hit zero while still mapped; the free waits for the last mapping (fake-vma).
    pub zombie: bool,
}

impl Page {
    /// Real (PTE/PMD) mappings: `mapcount` minus fake mappings.
    pub fn pte_maps(&self) -> i64 {
        self.mapcount - self.fake_maps
    }
    /// Is this the shared zero page?
    pub fn is_zero(&self) -> bool {
        self.owner == Owner::Zero
    }
    /// Is this a large folio (has `_pincount`)?
    pub fn large(&self) -> bool {
        self.order > 0
    }
    /// File and index for file, orphan and DAX pages.
    pub fn file_index(&self) -> Option<(FileId, u32)> {
        match self.owner {
            Owner::File { file, index }
            | Owner::Orphan { file, index }
            | Owner::Dax { file, index }
            | Owner::DaxFreed { file, index } => Some((file, index)),
            Owner::Anon { .. } | Owner::Zero => None,
        }
    }
}

/// What an `i_mmap` / anon_vma tree entry refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum RmapEntry {
    /// A real VMA.
    Vma(VmaId),
    /// A fake VMA of the fake-vma scheme.
    Fake(FakeId),
}

/// A file (inode + address_space, domain §3.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct File {
    /// Name in the script.
    pub name: String,
    /// Filesystem.
    pub fs: FsKind,
    /// Size in pages (`i_size`).
    pub size: u32,
    /// Zone page-cache pages come from.
    pub zone: Zone,
    /// Page cache (`i_pages`): index → pfn.
    pub cache: BTreeMap<u32, Pfn>,
    /// The disk: version of each block (0 = never written).
    pub disk: Vec<u64>,
    /// `i_mmap`: VMAs mapping the file, fake ones included, keyed by page offset.
    pub i_mmap: IntervalTree<RmapEntry>,
}

/// A page-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Pte {
    /// Present.
    Present {
        /// Page (folio) mapped.
        pfn: Pfn,
        /// Writable.
        write: bool,
        /// Dirty bit.
        dirty: bool,
    },
    /// Swapped out: a swap-cache page, or a swap slot.
    Swap {
        /// The swap-cache page, if still in memory.
        pfn: Option<Pfn>,
        /// Content version on the swap device.
        version: u64,
    },
}

/// What a VMA maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Backing {
    /// A file, from page `pgoff`.
    File {
        /// File.
        file: FileId,
        /// First file page mapped.
        pgoff: u32,
        /// `MAP_SHARED`.
        shared: bool,
    },
    /// Private anonymous memory.
    Anon {
        /// 2 MiB folios.
        huge: bool,
        /// Zone.
        zone: Zone,
    },
}

/// A VMA with its page table (domain §3.2, §3.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vma {
    /// Name in the script (per process).
    pub name: String,
    /// Owning process.
    pub proc_: ProcId,
    /// What it maps.
    pub backing: Backing,
    /// Size in pages.
    pub pages: u32,
    /// `VM_WRITE`.
    pub writable: bool,
    /// Page table: one entry per page.
    pub ptes: Vec<Option<Pte>>,
    /// Still mapped (munmap / exit clear it).
    pub live: bool,
    /// Anonymous VMAs: the anon_vma interval tree (this VMA plus fake anon_vma_chains).
    pub anon_tree: IntervalTree<RmapEntry>,
    /// Huge VMAs: 2 MiB chunks (by first page) whose PMD was split, so each page has its own
    /// PTE (and holds its own reference on the folio).
    #[serde(default)]
    pub pte_mapped: BTreeSet<u32>,
    /// `vma->anon_vma` exists: `anon_vma_prepare` ran (a write fault on a private mapping,
    /// even one that then failed, or any anonymous page). fork copies every PTE of such a VMA.
    #[serde(default)]
    pub anon_vma: bool,
}

/// A process (`struct mm_struct`, domain §3.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Proc {
    /// Name in the script.
    pub name: String,
    /// VMAs by name.
    pub vmas: BTreeMap<String, VmaId>,
    /// Not exited.
    pub live: bool,
    /// `MMF_HAS_PINNED`.
    pub has_pinned: bool,
    /// `mm->write_protect_seq` (odd while fork copies page tables).
    pub write_protect_seq: u32,
    /// A fork of this process between its two phases (a `fork` in a `thread` takes two
    /// turns): the child and the PTEs still to share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forking: Option<Forking>,
}

/// A fork between its phases: the pages it checked and found not maybe-pinned, whose PTEs it
/// has yet to write-protect and share with the child (`copy_present_pte` after
/// `page_needs_cow_for_dma` said no). GUP-fast can pin them in between.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Forking {
    /// The child process (already created, its VMAs copied).
    pub child: ProcId,
    /// (parent VMA, child VMA, page index, page) of each PTE still to share.
    pub shares: Vec<(VmaId, VmaId, u32, Pfn)>,
}

/// Which release API a handle must use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "api", content = "fake", rename_all = "kebab-case")]
pub enum Api {
    /// FOLL_GET: `put_page`.
    Get,
    /// FOLL_PIN: `unpin_user_page`.
    Pin,
    /// A fake VMA: `put_user_page(page, fake)`.
    Fake(FakeId),
}

/// A handle's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandleState {
    /// Holds its pages.
    Live,
    /// Completion deferred its release to the workqueue; still holds its pages.
    Completing,
    /// Released.
    Released,
    /// Its GUP failed: holds nothing.
    Failed,
}

/// What GUP returned (domain §3.8).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Handle {
    /// Name in the script.
    pub name: String,
    /// Process that took it.
    pub proc_: ProcId,
    /// VMA it was taken on.
    pub vma: VmaId,
    /// First VMA page index.
    pub start: u32,
    /// Pages held, in order (one entry per page; large folios repeat their pfn).
    pub pages: Vec<Pfn>,
    /// Release API.
    pub api: Api,
    /// GUP flags.
    pub flags: GupFlags,
    /// Identical calls held.
    pub times: u64,
    /// State.
    pub state: HandleState,
    /// Acquired in a `repeat` iteration (must be released in it).
    pub iteration_scoped: bool,
    /// Released with a mismatched API: what it held stays in the page counters.
    pub leaked: bool,
    /// Already reported as a pin leak (each leaked handle is reported once).
    pub leak_reported: bool,
}

/// A fake VMA (or fake anon_vma_chain) of the fake-vma scheme (domain §2.C).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fake {
    /// The tree it sits in.
    pub tree: TreeRef,
    /// Offsets covered [start, last].
    pub start: u64,
    /// Last offset covered.
    pub last: u64,
    /// `fake->refcount`: pages held through it.
    pub refcount: i64,
    /// GUP calls it stands for: `times=N` is N calls, so N fake VMAs with the same range. The
    /// model keeps one tree entry and charges every walk, insertion and removal N times.
    #[serde(default = "one")]
    pub calls: u64,
    /// The fake anon_vma chain that a R/O GUP over a MAP_PRIVATE file range holding COWed
    /// (anonymous) pages also needs; removed with this fake.
    #[serde(default)]
    pub twin: Option<FakeId>,
    /// Removal queued (refcount 0, waiting for the workqueue).
    pub pending_free: bool,
    /// Removed and freed.
    pub freed: bool,
}

fn one() -> u64 {
    1
}

/// Which rmap tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum TreeRef {
    /// A file's `i_mmap`.
    File(FileId),
    /// An anonymous VMA's anon_vma tree.
    Anon(VmaId),
}

/// Deferred work (domain §3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "work", content = "id", rename_all = "kebab-case")]
pub enum Work {
    /// `bio_dirty_fn`: dirty the handle's pages, then release it.
    BioDirty(HandleId),
    /// Remove and free a fake VMA.
    FakeRelease(FakeId),
}

/// A task blocked on a pin.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Waiter {
    /// Writeback (policy `wait`) waiting for a pinned page.
    Writeback {
        /// File.
        file: FileId,
        /// Page index.
        index: u32,
        /// WB_SYNC_ALL.
        sync: bool,
    },
    /// DAX truncate / hole punch waiting in `dax_layout_busy_page` for blocks `start..end`.
    DaxTruncate {
        /// File.
        file: FileId,
        /// First block.
        start: u32,
        /// End of the range (exclusive).
        end: u32,
        /// The truncate's new size; `None` for a hole punch.
        size: Option<u32>,
    },
}

/// Execution context (domain §3.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    /// Process context: may sleep.
    Process,
    /// Process context with IRQs disabled (GUP-fast).
    ProcessIrqsOff,
    /// Hard-IRQ context.
    HardIrq,
}

impl Context {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Context::Process => "process",
            Context::ProcessIrqsOff => "irqs-off",
            Context::HardIrq => "hardirq",
        }
    }
}

/// `/proc/vmstat` pin counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vmstat {
    /// `nr_foll_pin_acquired`.
    pub nr_foll_pin_acquired: u64,
    /// `nr_foll_pin_released`.
    pub nr_foll_pin_released: u64,
}

/// The whole modelled kernel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Kernel {
    /// Scheme in force.
    pub scheme: SchemeKind,
    /// Settings in force.
    pub settings: Settings,
    /// Every page ever allocated, by pfn (freed ones stay, marked).
    pub pages: Vec<Page>,
    /// Files.
    pub files: Vec<File>,
    /// Processes.
    pub procs: Vec<Proc>,
    /// VMAs.
    pub vmas: Vec<Vma>,
    /// Fake VMAs.
    pub fakes: Vec<Fake>,
    /// Handles.
    pub handles: Vec<Handle>,
    /// Handle names → the latest handle of that name.
    pub handle_names: BTreeMap<String, HandleId>,
    /// The system workqueue.
    pub workqueue: VecDeque<Work>,
    /// Tasks blocked on pins.
    pub waiters: Vec<Waiter>,
    /// vmstat.
    pub vmstat: Vmstat,
    /// Current context.
    pub ctx: Context,
    /// State-style findings currently true, so they are raised once when they become true.
    pub latched: BTreeSet<(ViolationKind, Pfn)>,
    /// The shared zero page, once something mapped it.
    #[serde(default)]
    pub zero_pfn: Option<Pfn>,
}

/// Findings of one kind that a step keeps with their details; the rest are only counted, so
/// that a statement over 512,512 pages neither builds nor prints a line per page (found by
/// fuzzing: a 237 MB trace).
pub const LISTED_PER_KIND: usize = 16;
/// Notes a step keeps; the rest are counted.
pub const LISTED_NOTES: usize = 32;

/// What one step did: its result, costs, findings, notes and the pages it touched.
#[derive(Clone, Debug)]
pub struct StepCx {
    /// Result.
    pub result: OpResult,
    /// Primitives charged.
    pub costs: CostCounts,
    /// Violations and events.
    pub findings: Vec<Finding>,
    /// Non-page changes worth printing (fake inserted, work queued, ...).
    pub notes: Vec<String>,
    /// Pages touched, with their counters before the step.
    pub before: Vec<PageSnap>,
    /// Findings raised past [`LISTED_PER_KIND`] of their kind, counted but not kept.
    pub unlisted: Vec<(ViolationKind, u64)>,
    /// Notes past [`LISTED_NOTES`], counted but not built.
    pub unlisted_notes: u64,
    /// The step will only be summarised: notes are not built.
    pub quiet: bool,
    epoch: u64,
    marks: Vec<u64>,
}

/// The counters of a page that the trace reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageSnap {
    /// Page.
    pub pfn: Pfn,
    /// `_refcount`.
    pub refcount: i64,
    /// mapcount.
    pub mapcount: i64,
    /// `_pincount`.
    pub pincount: i64,
    /// `PG_dirty`.
    pub dirty: bool,
    /// Buffers attached.
    pub buffers: bool,
    /// `PG_writeback`.
    pub writeback: bool,
    /// In its file / anon / orphan / freed.
    pub state: PageState,
}

/// Coarse page state for traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageState {
    /// Allocated and owned.
    Live,
    /// Out of its file.
    Orphan,
    /// Refcount zero, still mapped.
    Zombie,
    /// Freed.
    Free,
}

impl PageState {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            PageState::Live => "live",
            PageState::Orphan => "orphan",
            PageState::Zombie => "zombie",
            PageState::Free => "free",
        }
    }
}

impl Default for StepCx {
    fn default() -> Self {
        StepCx {
            result: OpResult::Ok,
            costs: CostCounts::default(),
            findings: Vec::new(),
            notes: Vec::new(),
            unlisted: Vec::new(),
            unlisted_notes: 0,
            before: Vec::new(),
            quiet: false,
            epoch: 1,
            marks: Vec::new(),
        }
    }
}

impl StepCx {
    /// Starts a new step, keeping allocations.
    pub fn reset(&mut self) {
        self.result = OpResult::Ok;
        self.costs = CostCounts::default();
        self.findings.clear();
        self.notes.clear();
        self.unlisted.clear();
        self.unlisted_notes = 0;
        self.before.clear();
        self.epoch += 1;
    }
    /// Charges `n` of `p`.
    pub fn charge(&mut self, p: Primitive, n: u64) {
        self.costs.add(p, n);
    }
    /// Raises a finding: kept with its detail while fewer than [`LISTED_PER_KIND`] of its kind
    /// are, counted in `unlisted` after that.
    pub fn raise(&mut self, kind: ViolationKind, detail: impl Into<String>) {
        if self.findings.iter().filter(|f| f.kind == kind).count() < LISTED_PER_KIND {
            self.findings.push(Finding {
                kind,
                detail: detail.into(),
            });
            return;
        }
        match self.unlisted.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.unlisted.push((kind, 1)),
        }
    }
    /// How many findings of each kind the step raised, listed or not.
    pub fn raised(&self) -> impl Iterator<Item = (ViolationKind, u64)> + '_ {
        self.findings
            .iter()
            .map(|f| (f.kind, 1))
            .chain(self.unlisted.iter().copied())
    }
    /// Adds a note for the trace; built only when the step is recorded in full (not while a
    /// repeat is being summarised), and only the first [`LISTED_NOTES`] of a step.
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.quiet {
            return;
        }
        if self.notes.len() < LISTED_NOTES {
            self.notes.push(text());
        } else {
            self.unlisted_notes += 1;
        }
    }
    /// Sets the step's result unless an earlier errno already did (the first error wins).
    pub fn fail(&mut self, r: OpResult) {
        if matches!(self.result, OpResult::Ok | OpResult::Fallback) {
            self.result = r;
        }
    }
}

impl Kernel {
    /// An empty kernel with process `main`.
    pub fn new(scheme: SchemeKind, settings: Settings) -> Self {
        Kernel {
            scheme,
            settings,
            pages: Vec::new(),
            files: Vec::new(),
            procs: vec![Proc {
                name: "main".into(),
                vmas: BTreeMap::new(),
                live: true,
                has_pinned: false,
                write_protect_seq: 0,
                forking: None,
            }],
            vmas: Vec::new(),
            fakes: Vec::new(),
            handles: Vec::new(),
            handle_names: BTreeMap::new(),
            workqueue: VecDeque::new(),
            waiters: Vec::new(),
            vmstat: Vmstat::default(),
            ctx: Context::Process,
            latched: BTreeSet::new(),
            zero_pfn: None,
        }
    }

    /// The scheme's behaviour.
    pub fn ops(&self) -> &'static dyn Scheme {
        self.scheme.scheme()
    }

    /// A page, recording its counters before the step's first change to it.
    pub fn pg(&mut self, cx: &mut StepCx, pfn: Pfn) -> &mut Page {
        let i = pfn as usize;
        if cx.marks.len() <= i {
            cx.marks.resize(self.pages.len().max(i + 1), 0);
        }
        if cx.marks[i] != cx.epoch {
            cx.marks[i] = cx.epoch;
            cx.before.push(self.snap(pfn));
        }
        &mut self.pages[i]
    }

    /// The trace counters of a page now.
    pub fn snap(&self, pfn: Pfn) -> PageSnap {
        let p = &self.pages[pfn as usize];
        PageSnap {
            pfn,
            refcount: p.refcount,
            mapcount: p.mapcount,
            pincount: p.pincount,
            dirty: p.flags.dirty,
            buffers: p.flags.buffers,
            writeback: p.flags.writeback,
            state: if p.freed {
                PageState::Free
            } else if p.zombie {
                PageState::Zombie
            } else if matches!(p.owner, Owner::Orphan { .. } | Owner::DaxFreed { .. }) {
                PageState::Orphan
            } else {
                PageState::Live
            },
        }
    }

    /// Allocates a page (GFP_KERNEL: may sleep).
    pub fn alloc_page(
        &mut self,
        cx: &mut StepCx,
        owner: Owner,
        zone: Zone,
        order: u8,
        version: u64,
    ) -> Pfn {
        self.might_sleep(cx, "page allocation (GFP_KERNEL)");
        let pfn = self.pages.len() as Pfn;
        self.pages.push(Page {
            pfn,
            order,
            refcount: 0,
            mapcount: 0,
            pincount: 0,
            flags: PageFlags {
                lru: true,
                uptodate: true,
                ..PageFlags::default()
            },
            owner,
            zone,
            version,
            wb_snapshot: None,
            mkwrite_since_clean: false,
            fake_maps: 0,
            extra_refs: 0,
            leaked: 0,
            leaked_pins: 0,
            leaked_maps: 0,
            pin_holders: 0,
            holders: 0,
            write_holders: 0,
            freed: false,
            zombie: false,
        });
        self.pg(cx, pfn); // recorded as touched: the trace shows the new page
        pfn
    }

    /// A sleeping operation: a violation outside process context.
    pub fn might_sleep(&mut self, cx: &mut StepCx, what: &str) {
        if self.ctx != Context::Process {
            cx.raise(
                ViolationKind::SleepInAtomic,
                format!("{what} in {} context", self.ctx.name()),
            );
        }
    }

    /// Takes and releases a sleeping rwsem (charged; checked against the context).
    pub fn rwsem(&mut self, cx: &mut StepCx, name: &str) {
        cx.charge(Primitive::Rwsem, 1);
        self.might_sleep(cx, name);
    }

    /// Drops `n` references from a page; frees it at zero (or makes it a zombie while mapped).
    pub fn put_refs(&mut self, cx: &mut StepCx, pfn: Pfn, n: i64) {
        let scheme = self.scheme;
        let p = self.pg(cx, pfn);
        if p.refcount - n < 0 && !p.freed {
            cx.raise(
                ViolationKind::UnbalancedRelease,
                format!(
                    "p{pfn}: _refcount {} - {n} goes negative (use-after-free)",
                    p.refcount
                ),
            );
        }
        let p = &mut self.pages[pfn as usize];
        p.refcount -= n;
        // The shared zero page is reserved: never freed, whatever a buggy release does to its
        // count (the underflow was raised above).
        if p.refcount > 0 || p.freed || p.is_zero() {
            return;
        }
        if scheme == SchemeKind::FakeVma {
            cx.charge(Primitive::FreeCheck, 1);
        }
        let p = &mut self.pages[pfn as usize];
        if p.mapcount > 0 || p.holders > 0 {
            if !p.zombie {
                p.zombie = true;
                let why = if p.fake_maps > 0 {
                    "a fake VMA still maps it"
                } else {
                    "it is still mapped or pinned"
                };
                cx.raise(
                    ViolationKind::ZombiePage,
                    format!("p{pfn}: refcount 0 while {why}"),
                );
            }
            return;
        }
        self.free_page(cx, pfn);
    }

    /// Frees a page whose refcount is zero and which nothing maps.
    fn free_page(&mut self, cx: &mut StepCx, pfn: Pfn) {
        let p = self.pg(cx, pfn);
        p.freed = true;
        p.zombie = false;
        p.flags = PageFlags::default();
        if let Owner::File { file, index } = p.owner {
            // A page freed while still in the cache would be a model bug; drop the entry.
            let f = &mut self.files[file as usize];
            if f.cache.get(&index) == Some(&pfn) {
                f.cache.remove(&index);
            }
        }
    }

    /// A zombie whose last mapping went away is finally freed ([I1]).
    pub fn maybe_free_zombie(&mut self, cx: &mut StepCx, pfn: Pfn) {
        let p = &self.pages[pfn as usize];
        if p.zombie && p.refcount <= 0 && p.mapcount <= 0 && p.holders == 0 {
            self.free_page(cx, pfn);
        }
    }

    /// The scheme's "is it pinned?" answer; `None` when the scheme cannot know.
    pub fn maybe_dma_pinned(&self, pfn: Pfn) -> Option<bool> {
        self.ops().maybe_dma_pinned(self, &self.pages[pfn as usize])
    }

    /// Looks up a process by name.
    pub fn proc_id(&self, name: &str) -> Option<ProcId> {
        self.procs
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as ProcId)
    }
    /// Looks up a file by name.
    pub fn file_id(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .map(|i| i as FileId)
    }
    /// Looks up a live VMA of a process.
    pub fn vma_id(&self, proc_: ProcId, name: &str) -> Option<VmaId> {
        self.procs.get(proc_ as usize)?.vmas.get(name).copied()
    }
    /// Looks up a handle by name.
    pub fn handle_id(&self, name: &str) -> Option<HandleId> {
        self.handle_names.get(name).copied()
    }

    /// Declares a file.
    pub fn add_file(&mut self, name: &str, fs: FsKind, pages: u32, zone: Zone) {
        self.files.push(File {
            name: name.into(),
            fs,
            size: pages,
            zone,
            cache: BTreeMap::new(),
            disk: vec![0; pages as usize],
            i_mmap: IntervalTree::new(),
        });
    }

    /// The rmap tree a fake or VMA lives in.
    pub fn tree_mut(&mut self, t: TreeRef) -> &mut IntervalTree<RmapEntry> {
        match t {
            TreeRef::File(f) => &mut self.files[f as usize].i_mmap,
            TreeRef::Anon(v) => &mut self.vmas[v as usize].anon_tree,
        }
    }

    /// Reads a tree.
    pub fn tree(&self, t: TreeRef) -> &IntervalTree<RmapEntry> {
        match t {
            TreeRef::File(f) => &self.files[f as usize].i_mmap,
            TreeRef::Anon(v) => &self.vmas[v as usize].anon_tree,
        }
    }

    /// A tree's name for notes and views.
    pub fn tree_name(&self, t: TreeRef) -> String {
        match t {
            TreeRef::File(f) => format!("i_mmap({})", self.files[f as usize].name),
            TreeRef::Anon(v) => format!("anon_vma({})", self.vmas[v as usize].name),
        }
    }

    /// Live handles (Live or Completing).
    pub fn live_handles(&self) -> impl Iterator<Item = (HandleId, &Handle)> {
        self.handles
            .iter()
            .enumerate()
            .filter(|(_, h)| matches!(h.state, HandleState::Live | HandleState::Completing))
            .map(|(i, h)| (i as HandleId, h))
    }
}
