//! `fake-vma`: Jérôme Glisse's proposal of 2018-12-07 as reconstructed in domain §2.C. GUP
//! inserts a fake VMA (file pages: into `i_mmap` under `i_mmap_rwsem`; anonymous pages: a fake
//! anon_vma_chain under the anon_vma lock) and raises each page's mapcount instead of its
//! refcount. "Is it pinned?" is "mapcount > the real mappings the rmap walk finds". Release
//! drops the mapcounts and the fake's refcount; the fake's removal needs the sleeping tree lock,
//! so from IRQ context it is queued to the workqueue. GUP-fast may not take the lock or allocate:
//! it falls back to the slow path, or (`gup-fast=preregistered`) reuses a fake registered earlier.

use super::{FastPath, Scheme, SchemeKind, Weight};
use crate::cost::{itree_visits, Primitive};
use crate::invariants::ViolationKind;
use crate::kernel::{
    Api, Backing, Context, Fake, Kernel, Page, RmapEntry, StepCx, TreeRef, VmaId, Work,
};
use crate::settings::GupFastMode;
use crate::OpResult;

/// The fake-VMA scheme.
pub struct FakeVma;

/// The tree and offsets a VMA range lives at.
pub(crate) fn tree_range(k: &Kernel, vma: VmaId, start: u32, end: u32) -> (TreeRef, u64, u64) {
    let v = &k.vmas[vma as usize];
    match v.backing {
        Backing::File { file, pgoff, .. } => (
            TreeRef::File(file),
            u64::from(pgoff + start),
            u64::from(pgoff + end) - 1,
        ),
        Backing::Anon { .. } => (TreeRef::Anon(vma), u64::from(start), u64::from(end) - 1),
    }
}

impl Scheme for FakeVma {
    fn kind(&self) -> SchemeKind {
        SchemeKind::FakeVma
    }

    fn pin_api(&self) -> Api {
        Api::Fake(0)
    }

    /// `atomic_inc(&page->_mapcount)`; `_refcount` is not touched.
    fn pin_weight(&self, _k: &Kernel, _page: &Page) -> Weight {
        Weight {
            refcount: 0,
            pincount: 0,
            mapcount: 1,
            acquire_atomics: 1,
            release_atomics: 1,
        }
    }

    /// mapcount > real mappings: the rmap walk finds fewer PTEs than mapcount says.
    fn maybe_dma_pinned(&self, _k: &Kernel, page: &Page) -> Option<bool> {
        Some(page.fake_maps > 0)
    }

    fn fast_path(&self, k: &Kernel, vma: VmaId, start: u32, end: u32) -> FastPath {
        if k.settings.gup_fast == GupFastMode::Fallback {
            return FastPath::Fallback;
        }
        let (tree, s, l) = tree_range(k, vma, start, end);
        let (hits, _) = k.tree(tree).overlapping(s, l);
        hits.iter()
            .filter_map(|&(fs, fl, e)| match e {
                RmapEntry::Fake(f) if fs <= s && fl >= l => Some(f),
                _ => None,
            })
            .find(|&f| {
                let fake = &k.fakes[f as usize];
                !fake.pending_free && !fake.freed && fake.refcount > 0
            })
            .map_or(FastPath::Fallback, FastPath::Preregistered)
    }

    /// `vm_area_alloc()` (+ an anon_vma_chain for anonymous memory), then under the tree's
    /// rwsem `vma_interval_tree_insert()`: once per call.
    fn begin_pin(
        &self,
        k: &mut Kernel,
        cx: &mut StepCx,
        vma: VmaId,
        start: u32,
        end: u32,
        calls: u64,
    ) -> Result<Api, OpResult> {
        let (tree, s, l) = tree_range(k, vma, start, end);
        let anon = matches!(tree, TreeRef::Anon(_));
        k.might_sleep(cx, "kmem_cache_alloc(vm_area_cachep, GFP_KERNEL)");
        // Anonymous memory: a fake VMA and its anon_vma_chain.
        let id = insert_fake(k, cx, tree, s, l, calls, if anon { 2 } else { 1 });
        // A MAP_PRIVATE file range that holds COWed pages: those are anonymous and their rmap
        // is the VMA's anon_vma, so the pin needs a fake anon_vma chain as well.
        let cowed = matches!(
            k.vmas[vma as usize].backing,
            Backing::File { shared: false, .. }
        ) && (start..end).any(|i| {
            matches!(k.vmas[vma as usize].ptes[i as usize],
                    Some(crate::kernel::Pte::Present { pfn, .. })
                        if matches!(k.pages[pfn as usize].owner, crate::kernel::Owner::Anon { .. }))
        });
        if cowed {
            let (a, b) = (u64::from(start), u64::from(end) - 1);
            let twin = insert_fake(k, cx, TreeRef::Anon(vma), a, b, calls, 1);
            k.fakes[id as usize].twin = Some(twin);
        }
        Ok(Api::Fake(id))
    }

    /// `atomic_add(&fake->refcount, n)`, once per call.
    fn end_pin(&self, k: &mut Kernel, cx: &mut StepCx, api: Api, held: i64, calls: u64) {
        if let Api::Fake(f) = api {
            cx.charge(Primitive::Atomic, calls);
            k.fakes[f as usize].refcount += held;
        }
    }

    /// `atomic_sub(&fake->refcount)`; at zero remove the fake now, or queue its removal from IRQ.
    fn end_release(&self, k: &mut Kernel, cx: &mut StepCx, api: Api, held: i64) {
        let Api::Fake(f) = api else { return };
        cx.charge(Primitive::Atomic, k.fakes[f as usize].calls);
        let fake = &mut k.fakes[f as usize];
        fake.refcount -= held;
        if fake.refcount > 0 {
            return;
        }
        if fake.refcount < 0 {
            cx.raise(
                ViolationKind::UnbalancedRelease,
                format!("fake F{f} refcount {}", fake.refcount),
            );
        }
        if fake.pending_free || fake.freed {
            return;
        }
        if k.ctx == Context::Process {
            k.remove_fake(cx, f);
        } else {
            k.fakes[f as usize].pending_free = true;
            k.workqueue.push_back(Work::FakeRelease(f));
            cx.charge(Primitive::QueueWork, 1);
            cx.raise(
                ViolationKind::Deferred,
                format!("fake F{f} removal queued (i_mmap_rwsem sleeps)"),
            );
        }
    }
}

/// Allocates (`slabs` objects per call) and inserts under the tree's rwsem a fake covering
/// `[s, l]` that stands for `calls` identical fake VMAs: every call pays its allocation, lock
/// and insertion.
fn insert_fake(
    k: &mut Kernel,
    cx: &mut StepCx,
    tree: TreeRef,
    s: u64,
    l: u64,
    calls: u64,
    slabs: u64,
) -> u32 {
    // `times=` may be as large as 2^64 - 1: costs saturate, as `CostCounts::add` does.
    cx.charge(Primitive::SlabAlloc, calls.saturating_mul(slabs));
    cx.charge(Primitive::FakeInit, calls);
    let lock = match tree {
        TreeRef::Anon(_) => "anon_vma->root->rwsem",
        TreeRef::File(_) => "i_mmap_rwsem",
    };
    k.rwsem(cx, lock);
    cx.charge(Primitive::Rwsem, calls - 1);
    let n = k.tree(tree).len();
    cx.charge(Primitive::ItreeNode, itree_visits(n).saturating_mul(calls));
    let id = k.fakes.len() as u32;
    k.fakes.push(Fake {
        tree,
        start: s,
        last: l,
        refcount: 0,
        calls,
        twin: None,
        pending_free: false,
        freed: false,
    });
    k.tree_mut(tree).insert(s, l, RmapEntry::Fake(id));
    cx.note(|| {
        let times = if calls > 1 {
            format!(" x{calls} calls")
        } else {
            String::new()
        };
        format!(
            "fake F{id} [{s}..{l}] into {} (n={}){times}",
            k.tree_name(tree),
            n + 1
        )
    });
    id
}
