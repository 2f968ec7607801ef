//! The cost model (domain §6): steps charge counts of named primitives; the cost table turns
//! counts into time. The table is data — every entry has a default, a range, a basis and a
//! source — and users override entries (`cost NAME=DURATION`, the UI, `pinlab --cost`).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub use crate::duration::Duration;
use crate::settings::names;

names! {
    /// A primitive the model charges. The names are part of the script language.
    Primitive {
        Atomic = "atomic",
        SlabAlloc = "slab-alloc",
        FakeInit = "fake-init",
        IrqSave = "irq-save",
        Rwsem = "rwsem",
        ItreeNode = "itree-node",
        RmapVma = "rmap-vma",
        GupCallFast = "gup-call-fast",
        GupCallSlow = "gup-call-slow",
        GupPage = "gup-page",
        UnpinPage = "unpin-page",
        MarkDirty = "mark-dirty",
        PageLock = "page-lock",
        QueueWork = "queue-work",
        WorkerWakeup = "worker-wakeup",
        TlbFlush = "tlb-flush",
        CopyPage = "copy-page",
        MigratePage = "migrate-page",
        Fault = "fault",
        FreeCheck = "free-check",
    }
}

names! {
    /// A group of primitives, for summaries (the stacked cost bar, the cost table's sections).
    Category {
        /// Atomic RMW, rwsem, page lock, IRQ save/restore.
        Locking = "locking",
        /// Slab allocation, fake-VMA initialisation, the free-path check.
        Allocation = "allocation",
        /// Interval-tree node visits and rmap walks.
        Rmap = "rmap / i_mmap tree",
        /// GUP calls (fast and slow), GUP per page, unpin per page.
        Gup = "GUP walk",
        /// `queue_work` and the worker's wake-up.
        Deferral = "IRQ / workqueue",
        /// Dirtying, copying, migrating, faulting pages and flushing the TLB.
        PageWork = "page work",
    }
}

impl Primitive {
    /// The category this primitive is summed under.
    pub fn category(self) -> Category {
        match self {
            Primitive::Atomic | Primitive::IrqSave | Primitive::Rwsem | Primitive::PageLock => {
                Category::Locking
            }
            Primitive::SlabAlloc | Primitive::FakeInit | Primitive::FreeCheck => {
                Category::Allocation
            }
            Primitive::ItreeNode | Primitive::RmapVma => Category::Rmap,
            Primitive::GupCallFast
            | Primitive::GupCallSlow
            | Primitive::GupPage
            | Primitive::UnpinPage => Category::Gup,
            Primitive::QueueWork | Primitive::WorkerWakeup => Category::Deferral,
            Primitive::MarkDirty
            | Primitive::CopyPage
            | Primitive::MigratePage
            | Primitive::Fault
            | Primitive::TlbFlush => Category::PageWork,
        }
    }
}

/// How a default was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A published measurement.
    Measured,
    /// Computed from published measurements.
    Derived,
    /// An estimate (ours or the source's).
    Estimate,
    /// Set by the user for this run.
    User,
}

impl Basis {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Measured => "measured",
            Basis::Derived => "derived",
            Basis::Estimate => "estimate",
            Basis::User => "user",
        }
    }
}

/// One row of the cost table.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostEntry {
    /// Which primitive.
    pub primitive: Primitive,
    /// What it models, in kernel terms.
    pub what: Cow<'static, str>,
    /// Duration used.
    pub duration: Duration,
    /// The default duration.
    pub default: Duration,
    /// Plausible range (low, high).
    pub range: (Duration, Duration),
    /// Basis of the value in use.
    pub basis: Basis,
    /// Where the default comes from, readable on its own: a commit id, a mail's or paper's
    /// title, or "pinlab estimate" and the reasoning.
    pub source: Cow<'static, str>,
    /// One URL a reader can open for the source (a mail archive, a commit, a posting); `None`
    /// for estimates and for sources without a public page in the domain notes' references.
    #[serde(default)]
    pub link: Option<Cow<'static, str>>,
}

const fn ns(x: u64) -> Duration {
    Duration(x * 1000)
}
const fn ps(x: u64) -> Duration {
    Duration(x)
}

/// A default row: primitive, what, duration, range, basis, source, link.
type DefaultRow = (
    Primitive,
    &'static str,
    Duration,
    (Duration, Duration),
    Basis,
    &'static str,
    Option<&'static str>,
);

/// The defaults (≈3–4 GHz x86-64 server; domain §6.1). Sources name what a reader can look
/// up; links come only from the reference list of the domain notes (§10).
const DEFAULTS: &[DefaultRow] = &[
    (
        Primitive::Atomic,
        "atomic RMW on a hot cache line",
        ns(6),
        (ns(5), ns(10)),
        Basis::Estimate,
        "pinlab estimate: ~20 lock-prefixed cycles; all atomics cost about the same, the cache line's coherence state dominates (Schweizer, Besta, Hoefler, \"Evaluating the Cost of Atomic Operations on Modern Architectures\", PACT'15)",
        None,
    ),

    (
        Primitive::SlabAlloc,
        "kmem_cache_alloc + kmem_cache_free, SLUB fast path (pair)",
        ps(10_500),
        (ps(10_500), ps(10_800)),
        Basis::Measured,
        "42-43 cycles, 10.5-10.8 ns on an i7-4790K @4 GHz, 256-byte objects (commit fbd02630c6e3, \"slub: initial bulk free implementation\")",
        Some("https://android-kvm.googlesource.com/linux/+/fbd02630c6e3c60feecc4688f5f98b015d264516"),
    ),

    (
        Primitive::FakeInit,
        "initialise a fake vm_area_struct / anon_vma_chain",
        ns(50),
        (ns(20), ns(100)),
        Basis::Estimate,
        "pinlab estimate: filling in a vm_area_struct or anon_vma_chain, ~50 ns",
        None,
    ),

    (
        Primitive::IrqSave,
        "local_irq_save + local_irq_restore (GUP-fast)",
        ps(9_400),
        (ps(1_800), ps(9_400)),
        Basis::Measured,
        "37 cycles; local_irq_disable + enable alone 7 cycles, 1.8 ns (commit fbd02630c6e3, \"slub: initial bulk free implementation\")",
        Some("https://android-kvm.googlesource.com/linux/+/fbd02630c6e3c60feecc4688f5f98b015d264516"),
    ),

    (
        Primitive::Rwsem,
        "down_write/down_read + up, uncontended (i_mmap_rwsem, anon_vma)",
        ns(25),
        (ns(12), ns(40)),
        Basis::Estimate,
        "pinlab estimate: 2 atomics + fences",
        None,
    ),

    (
        Primitive::ItreeNode,
        "interval-tree node visit, hot: insert/remove = (ceil(log2(n+1))+3) visits",
        ns(2),
        (ns(2), ns(90)),
        Basis::Estimate,
        "pinlab estimate: augmented rbtree descent + up to 3 rotations; 90 ns when the node is cold",
        None,
    ),

    (
        Primitive::RmapVma,
        "rmap walk visiting one VMA (page_vma_mapped_walk)",
        ns(100),
        (ns(50), ns(300)),
        Basis::Estimate,
        "pinlab estimate: one page_vma_mapped_walk over one VMA",
        None,
    ),

    (
        Primitive::GupCallFast,
        "GUP per-call fixed overhead, fast path",
        ns(200),
        (ns(50), ns(1100)),
        Basis::Estimate,
        "pinlab estimate; published gup_test -n 1 runs show 0.5-1.1 us per call on unknown or slow hardware (riscv fast-GUP numbers, Jisheng Zhang, 2023; Red Hat CKI gup_test output)",
        None,
    ),

    (
        Primitive::GupCallSlow,
        "GUP per-call fixed overhead, slow path (mmap_lock, find_vma, checks)",
        ns(500),
        (ns(300), ns(2000)),
        Basis::Estimate,
        "pinlab estimate: mmap_lock, find_vma and the VMA checks",
        None,
    ),

    (
        Primitive::GupPage,
        "GUP per 4 KiB page: walk + recheck (the reference atomics are charged as `atomic`)",
        ns(54),
        (ns(6), ns(114)),
        Basis::Derived,
        "62 ns/page from gup_test -LT -m 8192 -n 512 (Li Zhe, \"gup: optimize longterm pin_user_pages() for large folio\", 2025) and 119 ns/page in 2018 (Keith Busch, \"mm: faster get user pages\"), minus one atomic",
        Some("https://lkml.indiana.edu/hypermail/linux/kernel/2506.0/03426.html"),
    ),

    (
        Primitive::UnpinPage,
        "put/unpin per page, batched per folio (the atomic is charged separately)",
        ns(9),
        (ns(0), ns(30)),
        Basis::Derived,
        "15 ns/page put from gup_test -LT (Li Zhe, \"gup: optimize longterm pin_user_pages() for large folio\", 2025), minus one atomic",
        Some("https://lkml.indiana.edu/hypermail/linux/kernel/2506.0/03426.html"),
    ),

    (
        Primitive::MarkDirty,
        "folio_mark_dirty of a clean page (xarray tag, buffers)",
        ns(200),
        (ns(100), ns(500)),
        Basis::Estimate,
        "pinlab estimate: xarray dirty tag + buffer heads",
        None,
    ),

    (
        Primitive::PageLock,
        "folio_lock + folio_unlock, uncontended",
        ns(20),
        (ns(12), ns(40)),
        Basis::Estimate,
        "pinlab estimate: 2 atomics (a sleeping bit lock)",
        None,
    ),

    (
        Primitive::QueueWork,
        "queue_work: enqueue from IRQ (CPU)",
        ns(300),
        (ns(100), ns(1000)),
        Basis::Estimate,
        "pinlab estimate: enqueue and kick a worker, CPU time only",
        None,
    ),

    (
        Primitive::WorkerWakeup,
        "kworker wake-up + context switch until the work runs",
        ns(5000),
        (ns(2000), ns(10000)),
        Basis::Estimate,
        "pinlab estimate, consistent with 'up to a 37% improvement' at low queue depth from not punting DIO completions to a workqueue (Jens Axboe, \"Improve async iomap DIO performance\", 2023)",
        Some("https://lore.kernel.org/all/20230720181310.71589-1-axboe@kernel.dk/"),
    ),

    (
        Primitive::TlbFlush,
        "local TLB flush of one page",
        ns(100),
        (ns(50), ns(200)),
        Basis::Estimate,
        "kernel comment on tlb_single_page_flush_ceiling in arch/x86/mm/tlb.c: 'Each single flush is about 100 ns'",
        None,
    ),

    (
        Primitive::CopyPage,
        "copy 4 KiB (bounce, fork eager copy, COW, unshare)",
        ns(400),
        (ns(200), ns(1000)),
        Basis::Estimate,
        "pinlab estimate: ~10 GB/s",
        None,
    ),

    (
        Primitive::MigratePage,
        "migrate one 4 KiB page (unmap, flush, copy, remap)",
        ns(3000),
        (ns(2000), ns(10000)),
        Basis::Estimate,
        "pinlab estimate: unmap, TLB flush, copy and remap",
        None,
    ),

    (
        Primitive::Fault,
        "page fault handled (minor: find or allocate, map; page_mkwrite)",
        ns(1000),
        (ns(500), ns(3000)),
        Basis::Estimate,
        "pinlab estimate; charged alike under every scheme",
        None,
    ),

    (
        Primitive::FreeCheck,
        "fake-vma: extra mapcount check on every page free (a zombie page guard)",
        ns(1),
        (ns(1), ns(6)),
        Basis::Estimate,
        "pinlab estimate: one load + branch in the free path",
        None,
    ),
];

/// The cost table in use: one entry per primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostTable {
    /// Entries in `Primitive::ALL` order.
    pub entries: Vec<CostEntry>,
}

impl Default for CostTable {
    fn default() -> Self {
        let entries = DEFAULTS
            .iter()
            .map(
                |&(primitive, what, d, range, basis, source, link)| CostEntry {
                    primitive,
                    what: Cow::Borrowed(what),
                    duration: d,
                    default: d,
                    range,
                    basis,
                    source: Cow::Borrowed(source),
                    link: link.map(Cow::Borrowed),
                },
            )
            .collect();
        CostTable { entries }
    }
}

impl CostTable {
    /// Duration of one primitive.
    pub fn get(&self, p: Primitive) -> Duration {
        self.entries[p as usize].duration
    }
    /// Overrides one entry; its basis becomes `user`.
    pub fn set(&mut self, p: Primitive, d: Duration) {
        let e = &mut self.entries[p as usize];
        e.duration = d;
        e.basis = if d == e.default { e.basis } else { Basis::User };
    }
    /// The time of a set of counts, in picoseconds.
    pub fn time(&self, counts: &CostCounts) -> u64 {
        counts
            .iter()
            .map(|(p, n)| self.get(p).0.saturating_mul(n))
            .fold(0u64, u64::saturating_add)
    }
}

/// Counts of primitives charged (by one step, one scheme, or a whole run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CostCounts {
    counts: [u64; Primitive::ALL.len()],
}

impl CostCounts {
    /// Charges `n` of `p`.
    pub fn add(&mut self, p: Primitive, n: u64) {
        let c = &mut self.counts[p as usize];
        *c = c.saturating_add(n);
    }
    /// Adds all of `other`, `times` times.
    pub fn add_all(&mut self, other: &CostCounts, times: u64) {
        for (p, n) in other.iter() {
            self.add(p, n.saturating_mul(times));
        }
    }
    /// The non-zero counts in table order.
    pub fn iter(&self) -> impl Iterator<Item = (Primitive, u64)> + '_ {
        Primitive::ALL
            .iter()
            .map(|&p| (p, self.counts[p as usize]))
            .filter(|&(_, n)| n > 0)
    }
    /// Count of one primitive.
    pub fn get(&self, p: Primitive) -> u64 {
        self.counts[p as usize]
    }
    /// Nothing charged.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&n| n == 0)
    }
}

impl<'de> Deserialize<'de> for CostCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<Primitive, u64>::deserialize(d)?;
        let mut c = CostCounts::default();
        for (p, n) in map {
            c.add(p, n);
        }
        Ok(c)
    }
}

impl Serialize for CostCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (p, n) in self.iter() {
            m.serialize_entry(p.name(), &n)?;
        }
        m.end()
    }
}

/// Formats picoseconds for people: `850 ns`, `1.25 us`, `3.4 ms`.
pub fn fmt_ps(ps: u64) -> String {
    let ns = ps as f64 / 1000.0;
    if ns < 1000.0 {
        if ps % 1000 == 0 {
            format!("{ns:.0} ns")
        } else {
            format!("{ns:.1} ns")
        }
    } else if ns < 1_000_000.0 {
        trim(format!("{:.2}", ns / 1000.0)) + " us"
    } else if ns < 1_000_000_000.0 {
        trim(format!("{:.2}", ns / 1_000_000.0)) + " ms"
    } else {
        trim(format!("{:.2}", ns / 1_000_000_000.0)) + " s"
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Interval-tree node visits for one insert or remove in a tree of `n` entries:
/// `ceil(log2(n+1)) + 3` (descent, up to three rotations, subtree-last fix-up; domain §6.1).
pub fn itree_visits(n: usize) -> u64 {
    let n = n as u64 + 1;
    let log = 64 - (n - 1).leading_zeros() as u64; // ceil(log2(n)) for n >= 1
    log + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_one_entry_per_primitive_in_order() {
        let t = CostTable::default();
        for (i, e) in t.entries.iter().enumerate() {
            assert_eq!(e.primitive as usize, i);
        }
        assert_eq!(t.entries.len(), Primitive::ALL.len());
    }

    #[test]
    fn every_primitive_has_a_category_and_every_category_is_used() {
        for &p in Primitive::ALL {
            assert!(Category::ALL.contains(&p.category()), "{p}");
        }
        for &c in Category::ALL {
            assert!(
                Primitive::ALL.iter().any(|p| p.category() == c),
                "no primitive in {c}"
            );
        }
        assert_eq!(Primitive::Atomic.category().name(), "locking");
        assert_eq!(Primitive::ItreeNode.category().name(), "rmap / i_mmap tree");
    }

    #[test]
    fn sources_are_readable_and_links_open() {
        for e in CostTable::default().entries {
            for text in [&e.source, &e.what] {
                for bad in ["[R", "[I", "§", "domain"] {
                    assert!(!text.contains(bad), "{}: {text}", e.primitive);
                }
            }
            if let Some(link) = &e.link {
                assert!(link.starts_with("https://"), "{}: {link}", e.primitive);
            }
            if e.basis == Basis::Estimate {
                assert!(
                    e.source.starts_with("pinlab estimate")
                        || e.link.is_some()
                        || e.source.starts_with("kernel comment"),
                    "{}: an estimate says whose",
                    e.primitive
                );
            }
        }
    }

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_ps(850_000), "850 ns");
        assert_eq!(fmt_ps(10_500), "10.5 ns");
        assert_eq!(fmt_ps(1_250_000), "1.25 us");
        assert_eq!(fmt_ps(3_400_000_000), "3.4 ms");
    }

    #[test]
    fn itree_visits_grow_logarithmically() {
        assert_eq!(itree_visits(0), 3);
        assert_eq!(itree_visits(1), 4);
        assert_eq!(itree_visits(10), 7);
        assert_eq!(itree_visits(10_000), 17);
    }
}
