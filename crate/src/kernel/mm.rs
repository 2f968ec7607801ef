//! Memory management proper (mm/memory.c, mm/mmap.c, mm/mprotect.c, kernel/fork.c): faults,
//! `page_mkwrite`, COW with each era's reuse rule, fork, munmap, mprotect, exit.

use std::collections::BTreeMap;
use std::ops::Range;

use super::gup::GupCall;
use super::{
    Api, Backing, Context, FileId, Forking, Kernel, Owner, Pfn, Proc, ProcId, Pte, StepCx, TreeRef,
    Vma, VmaId, HUGE_PAGES,
};
use crate::cost::{itree_visits, Primitive};
use crate::invariants::ViolationKind;
use crate::kernel::RmapEntry;
use crate::rules;
use crate::scheme::FastPath;
use crate::settings::{FsKind, Zone};
use crate::OpResult;

/// An operation of a process whose fork is between its phases, as
/// [`Kernel::waits_for_fork`] judges it.
#[derive(Clone, Copy, Debug)]
pub enum ForkWait<'a> {
    /// A CPU read or write of pages of a VMA: waits only if it faults.
    Access {
        /// VMA.
        vma: VmaId,
        /// Pages.
        range: &'a Range<u32>,
        /// A store.
        write: bool,
    },
    /// GUP with FOLL_FAST: waits unless its lockless walk takes every page.
    GupFast(&'a GupCall<'a>),
    /// Anything else: takes mmap_lock.
    Locked,
}

impl Kernel {
    /// The VMA pages that share one PTE-level unit with `idx` (a 2 MiB chunk for huge VMAs).
    pub fn chunk(&self, vma: VmaId, idx: u32) -> Range<u32> {
        let v = &self.vmas[vma as usize];
        match v.backing {
            Backing::Anon { huge: true, .. } => {
                let s = idx / HUGE_PAGES * HUGE_PAGES;
                if v.pte_mapped.contains(&s) {
                    idx..idx + 1
                } else {
                    s..(s + HUGE_PAGES).min(v.pages)
                }
            }
            _ => idx..idx + 1,
        }
    }

    /// Declares `mmap VMA FILE[RANGE] shared|private ro|rw` or an anonymous mapping.
    pub fn mmap(
        &mut self,
        cx: &mut StepCx,
        proc_: ProcId,
        name: &str,
        backing: Backing,
        pages: u32,
        writable: bool,
    ) {
        self.rwsem(cx, "mmap_lock");
        let id = self.vmas.len() as VmaId;
        let mut anon_tree = crate::itree::IntervalTree::new();
        match backing {
            Backing::File { file, pgoff, .. } => {
                self.rwsem(cx, "i_mmap_rwsem");
                let n = self.files[file as usize].i_mmap.len();
                cx.charge(Primitive::ItreeNode, itree_visits(n));
                self.files[file as usize].i_mmap.insert(
                    u64::from(pgoff),
                    u64::from(pgoff + pages.max(1)) - 1,
                    RmapEntry::Vma(id),
                );
            }
            Backing::Anon { .. } => {
                anon_tree.insert(0, u64::from(pages.max(1)) - 1, RmapEntry::Vma(id));
            }
        }
        self.vmas.push(Vma {
            name: name.into(),
            proc_,
            backing,
            pages,
            writable,
            ptes: vec![None; pages as usize],
            live: true,
            anon_tree,
            pte_mapped: Default::default(),
            anon_vma: false,
        });
        self.procs[proc_ as usize].vmas.insert(name.into(), id);
    }

    /// The page cache page (or DAX block) at `index`, allocating it if absent.
    fn file_page(&mut self, cx: &mut StepCx, file: FileId, index: u32) -> Result<Pfn, OpResult> {
        let f = &self.files[file as usize];
        if index >= f.size {
            return Err(OpResult::Efault); // SIGBUS beyond EOF
        }
        if let Some(&pfn) = f.cache.get(&index) {
            return Ok(pfn);
        }
        let (zone, version, dax) = (f.zone, f.disk[index as usize], f.fs.dax());
        let owner = if dax {
            Owner::Dax { file, index }
        } else {
            Owner::File { file, index }
        };
        let pfn = self.alloc_page(cx, owner, zone, 0, version);
        self.pg(cx, pfn).refcount = 1; // the page-cache reference (or the DAX block's)
        self.files[file as usize].cache.insert(index, pfn);
        Ok(pfn)
    }

    /// Allocates the anonymous page (a 2 MiB folio in huge VMAs) for VMA page `idx`, with the
    /// given content version; it starts exclusive where the era tracks exclusivity.
    fn alloc_anon(&mut self, cx: &mut StepCx, vma: VmaId, idx: u32, version: u64) -> Pfn {
        let zone = match self.vmas[vma as usize].backing {
            Backing::Anon { zone, .. } => zone,
            Backing::File { .. } => Zone::Normal,
        };
        let unit = self.chunk(vma, idx);
        let order = if unit.len() > 1 { 9 } else { 0 };
        let owner = Owner::Anon {
            root: vma,
            index: unit.start,
        };
        self.vmas[vma as usize].anon_vma = true;
        let pfn = self.alloc_page(cx, owner, zone, order, version);
        let excl = self.settings.era.anon_exclusive();
        self.pg(cx, pfn).flags.anon_exclusive = excl;
        pfn
    }

    /// The shared zero page, created on first use (a reserved page: one reference, never freed,
    /// not on the LRU, no rmap).
    pub fn zero_page(&mut self, cx: &mut StepCx) -> Pfn {
        if let Some(z) = self.zero_pfn {
            return z;
        }
        let z = self.alloc_page(cx, Owner::Zero, Zone::Normal, 0, 0);
        let p = self.pg(cx, z);
        p.refcount = 1;
        p.flags.lru = false;
        self.zero_pfn = Some(z);
        cx.note(|| format!("p{z} is the shared zero page (ZERO_PAGE)"));
        z
    }

    /// Installs PTEs for the unit of `idx` pointing at `pfn` (mapcount and refcount + 1).
    fn map_pte(
        &mut self,
        cx: &mut StepCx,
        vma: VmaId,
        idx: u32,
        pfn: Pfn,
        write: bool,
        dirty: bool,
    ) {
        for i in self.chunk(vma, idx) {
            self.vmas[vma as usize].ptes[i as usize] = Some(Pte::Present { pfn, write, dirty });
        }
        if self.pages[pfn as usize].is_zero() {
            return;
        }
        let p = self.pg(cx, pfn);
        p.mapcount += 1;
        p.refcount += 1;
    }

    /// Removes the PTEs of the unit of `idx` (zap_pte_range): the dirty bit moves to the page,
    /// mapcount and refcount drop, the TLB entry is flushed.
    pub fn zap_pte(&mut self, cx: &mut StepCx, vma: VmaId, idx: u32) {
        let Some(Pte::Present { pfn, dirty, .. }) = self.vmas[vma as usize].ptes[idx as usize]
        else {
            self.vmas[vma as usize].ptes[idx as usize] = None;
            return;
        };
        for i in self.chunk(vma, idx) {
            self.vmas[vma as usize].ptes[i as usize] = None;
        }
        cx.charge(Primitive::TlbFlush, 1);
        if self.pages[pfn as usize].is_zero() {
            return; // a special PTE: no mapcount, no reference
        }
        if dirty && matches!(self.pages[pfn as usize].owner, Owner::File { .. }) {
            self.set_page_dirty(cx, pfn, true);
        }
        self.pg(cx, pfn).mapcount -= 1;
        self.put_refs(cx, pfn, 1);
        self.maybe_free_zombie(cx, pfn);
    }

    /// `folio_mark_dirty`: a clean page becomes dirty. Checks I7 (buffers) and notes I8.
    pub fn set_page_dirty(&mut self, cx: &mut StepCx, pfn: Pfn, from_pte: bool) {
        let p = &self.pages[pfn as usize];
        if p.flags.dirty || p.freed {
            return;
        }
        cx.charge(Primitive::MarkDirty, 1);
        let owner = p.owner;
        let (buffers, mkwrite) = (p.flags.buffers, p.mkwrite_since_clean);
        self.pg(cx, pfn).flags.dirty = true;
        let Owner::File { file, index } = owner else {
            return;
        };
        let fs = self.files[file as usize].fs;
        if fs.needs_buffers() && !buffers {
            cx.raise(
                ViolationKind::DirtyWithoutBuffers,
                format!(
                    "p{pfn} ({}:{index}) dirtied with no buffers: ext4_writepage would BUG",
                    self.files[file as usize].name
                ),
            );
        }
        if fs.dirty_tracking() && !mkwrite && !from_pte {
            cx.raise(
                ViolationKind::DirtiedWithoutMkwrite,
                format!("p{pfn} dirtied with no page_mkwrite since it was cleaned"),
            );
        }
    }

    /// `->page_mkwrite`: wait for stable pages, attach buffers, dirty the page.
    fn page_mkwrite(&mut self, cx: &mut StepCx, pfn: Pfn) {
        let Some((file, _)) = self.pages[pfn as usize].file_index() else {
            return;
        };
        let fs = self.files[file as usize].fs;
        if !fs.dirty_tracking() {
            return;
        }
        self.might_sleep(cx, "page_mkwrite (folio_lock)");
        cx.charge(Primitive::PageLock, 1);
        if fs.stable_writes() && self.pages[pfn as usize].flags.writeback {
            // folio_wait_stable(): the writer sleeps until the write-out completes.
            self.end_writeback(cx, pfn);
            cx.note(|| format!("p{pfn}: write waited for write-out (stable pages)"));
        }
        if fs.needs_buffers() && !self.pages[pfn as usize].flags.buffers {
            let p = self.pg(cx, pfn);
            p.flags.buffers = true;
            p.refcount += 1;
        }
        self.pg(cx, pfn).mkwrite_since_clean = true;
        self.set_page_dirty(cx, pfn, true);
    }

    /// Handles a fault on VMA page `idx` (read, or write when `write`) and returns the page now
    /// mapped there. Present PTEs that allow the access cost nothing.
    pub fn fault(
        &mut self,
        cx: &mut StepCx,
        vma: VmaId,
        idx: u32,
        write: bool,
    ) -> Result<Pfn, OpResult> {
        let v = &self.vmas[vma as usize];
        if !v.live || idx >= v.pages {
            return Err(OpResult::Efault);
        }
        if write && !v.writable {
            return Err(OpResult::Efault);
        }
        let backing = v.backing;
        match v.ptes[idx as usize] {
            Some(Pte::Present { pfn, write: w, .. }) if w || !write => return Ok(pfn),
            _ => {}
        }
        if self.ctx != Context::Process {
            self.might_sleep(cx, "page fault (mmap_lock)");
        }
        if write && !matches!(backing, Backing::File { shared: true, .. }) {
            // do_cow_fault / do_anonymous_page / wp_page_copy: anon_vma_prepare comes first,
            // so the anon_vma exists even when the fault then fails (beyond EOF: SIGBUS).
            self.vmas[vma as usize].anon_vma = true;
        }
        cx.charge(Primitive::Fault, 1);
        match self.vmas[vma as usize].ptes[idx as usize] {
            Some(Pte::Present { pfn, .. }) => self.write_protect_fault(cx, vma, idx, pfn, backing),
            Some(Pte::Swap { pfn, version }) => {
                let pfn = match pfn.filter(|&p| !self.pages[p as usize].freed) {
                    Some(p) => p,
                    None => self.alloc_anon(cx, vma, idx, version),
                };
                let excl =
                    self.settings.era.anon_exclusive() && self.pages[pfn as usize].mapcount == 0;
                self.pg(cx, pfn).flags.anon_exclusive = excl;
                self.map_pte(cx, vma, idx, pfn, false, false);
                self.swap_in(cx, pfn);
                if write && self.settings.era.has(&rules::SWAPIN_REUSE_MAPCOUNT) {
                    // do_swap_page + FAULT_FLAG_WRITE: reuse_swap_page() reuses the page when
                    // mapcount + swapcount == 1, whatever else holds it.
                    let p = &self.pages[pfn as usize];
                    if p.mapcount == 1 && !p.flags.swapcache {
                        self.check_cow_leak(cx, vma, pfn);
                        self.set_pte_write(vma, idx, true);
                        return Ok(pfn);
                    }
                }
                if write {
                    return self.write_protect_fault(cx, vma, idx, pfn, backing);
                }
                Ok(pfn)
            }
            None => match backing {
                Backing::Anon { .. } if !write => {
                    // do_anonymous_page: a read maps the shared zero page;
                    // do_huge_pmd_anonymous_page: the huge zero page over the whole PMD.
                    let zero = self.zero_page(cx);
                    for i in self.chunk(vma, idx) {
                        self.vmas[vma as usize].ptes[i as usize] = Some(Pte::Present {
                            pfn: zero,
                            write: false,
                            dirty: false,
                        });
                    }
                    Ok(zero)
                }
                Backing::Anon { .. } => {
                    let pfn = self.alloc_anon(cx, vma, idx, 0);
                    self.map_pte(cx, vma, idx, pfn, write, write);
                    Ok(pfn)
                }
                Backing::File {
                    file,
                    pgoff,
                    shared,
                } => {
                    let pfn = self.file_page(cx, file, pgoff + idx)?;
                    let fs = self.files[file as usize].fs;
                    if !shared && write {
                        // MAP_PRIVATE write: copy the page-cache page into an anonymous page.
                        return Ok(self.cow_copy(cx, vma, idx, pfn, false, false));
                    }
                    if shared && write {
                        self.page_mkwrite(cx, pfn);
                    }
                    // Dirty-tracked shared mappings start read-only so the first write faults.
                    let w = write
                        || (shared && !fs.dirty_tracking() && self.vmas[vma as usize].writable);
                    self.map_pte(cx, vma, idx, pfn, w, write);
                    Ok(pfn)
                }
            },
        }
    }

    /// Write fault on a present read-only PTE: `page_mkwrite` for shared file mappings,
    /// `do_wp_page` (reuse or copy) for private ones.
    fn write_protect_fault(
        &mut self,
        cx: &mut StepCx,
        vma: VmaId,
        idx: u32,
        pfn: Pfn,
        backing: Backing,
    ) -> Result<Pfn, OpResult> {
        if let Backing::File { shared: true, .. } = backing {
            self.page_mkwrite(cx, pfn);
            self.set_pte_write(vma, idx, true);
            return Ok(pfn);
        }
        let p = &self.pages[pfn as usize];
        if !matches!(p.owner, Owner::Anon { .. }) {
            // The zero page or a page-cache page of a private mapping: always copied.
            return Ok(self.cow_copy(cx, vma, idx, pfn, true, false));
        }
        let swapcache = i64::from(p.flags.swapcache);
        let era = self.settings.era;
        let reuse = if p.large() && era.has(&rules::THP_COW_REUSE_MAPCOUNT) {
            // do_huge_pmd_wp_page: reuse_swap_page() looks at the mapcount only.
            p.mapcount == 1
        } else {
            era.cow_reuse(p.mapcount, p.refcount - swapcache, p.flags.anon_exclusive)
        };
        if reuse {
            self.check_cow_leak(cx, vma, pfn);
            if self.settings.era.anon_exclusive() {
                self.pg(cx, pfn).flags.anon_exclusive = true;
            }
            self.set_pte_write(vma, idx, true);
            Ok(pfn)
        } else {
            Ok(self.cow_copy(cx, vma, idx, pfn, true, false))
        }
    }

    fn set_pte_write(&mut self, vma: VmaId, idx: u32, write: bool) {
        for i in self.chunk(vma, idx) {
            if let Some(Pte::Present {
                write: w, dirty, ..
            }) = &mut self.vmas[vma as usize].ptes[i as usize]
            {
                *w = write;
                *dirty |= write;
            }
        }
    }

    /// `wp_page_copy`: a new anonymous page replaces `old` in this VMA. Checks I15. An
    /// `unshare` (FAULT_FLAG_UNSHARE) maps the exclusive copy read-only. A PMD mapping (a THP
    /// or the huge zero page) is split first and only the 4 KiB page copied (5.8+,
    /// `do_huge_pmd_wp_page` falls back to PTEs); before 5.8 the whole folio is copied.
    pub(crate) fn cow_copy(
        &mut self,
        cx: &mut StepCx,
        vma: VmaId,
        idx: u32,
        old: Pfn,
        was_mapped: bool,
        unshare: bool,
    ) -> Pfn {
        let unit = self.chunk(vma, idx);
        if was_mapped && unit.len() > 1 && self.settings.era.has(&rules::THP_COW_SPLITS) {
            self.split_pmd(cx, vma, unit.start, old);
        }
        cx.charge(Primitive::CopyPage, 1);
        let version = self.pages[old as usize].version;
        let new = self.alloc_anon(cx, vma, idx, version);
        if self.settings.era.anon_exclusive() {
            self.pg(cx, new).flags.anon_exclusive = true;
        }
        if was_mapped {
            self.zap_pte(cx, vma, idx);
        }
        self.map_pte(cx, vma, idx, new, !unshare, !unshare);
        self.check_pin_lost(cx, vma, idx, old);
        new
    }

    /// I15: a live handle of this process on this VMA page still holds `old`.
    fn check_pin_lost(&mut self, cx: &mut StepCx, vma: VmaId, idx: u32, old: Pfn) {
        if self.pages[old as usize].holders == 0 {
            return;
        }
        let proc_ = self.vmas[vma as usize].proc_;
        let lost: Vec<String> = self
            .live_handles()
            .filter(|(_, h)| h.proc_ == proc_ && h.vma == vma)
            .filter(|(_, h)| {
                idx.checked_sub(h.start)
                    .and_then(|i| h.pages.get(i as usize))
                    == Some(&old)
            })
            .map(|(_, h)| h.name.clone())
            .collect();
        for name in lost {
            cx.raise(
                ViolationKind::PinLostByCow,
                format!(
                    "handle {name}: COW gave {} a new page; the device still targets p{old}",
                    self.vmas[vma as usize].name
                ),
            );
        }
    }

    /// I16: a PTE is made writable on `pfn` in place while another process's handle holds it.
    fn check_cow_leak(&mut self, cx: &mut StepCx, vma: VmaId, pfn: Pfn) {
        if self.pages[pfn as usize].holders == 0 {
            return;
        }
        let proc_ = self.vmas[vma as usize].proc_;
        let holders: Vec<(String, ProcId)> = self
            .live_handles()
            .filter(|(_, h)| h.proc_ != proc_ && h.pages.contains(&pfn))
            .map(|(_, h)| (h.name.clone(), h.proc_))
            .collect();
        for (name, other) in holders {
            cx.raise(
                ViolationKind::CowLeak,
                format!(
                    "p{pfn} reused for writing by {} while {}'s handle {name} holds it",
                    self.procs[proc_ as usize].name, self.procs[other as usize].name
                ),
            );
        }
    }

    fn swap_in(&mut self, cx: &mut StepCx, pfn: Pfn) {
        // The swap-cache reference goes once the last swap entry for the page is gone.
        if self.pages[pfn as usize].flags.swapcache && !self.has_swap_entries(pfn) {
            self.pg(cx, pfn).flags.swapcache = false;
            self.put_refs(cx, pfn, 1);
        }
    }

    /// Does a live VMA still have a swap entry for the swap-cache page `pfn`? Those of an
    /// anonymous page are where reclaim unmapped it, or fork's copies at the same index: in
    /// the pages its folio covers, where `mappings_of` looks for its PTEs. Only those are
    /// read (a scan of every PTE per swap-in made swapping a large mapping back in take
    /// pages x PTEs steps); any other page is looked for everywhere.
    fn has_swap_entries(&self, pfn: Pfn) -> bool {
        let p = &self.pages[pfn as usize];
        let is_entry =
            |pte: &Option<Pte>| matches!(pte, Some(Pte::Swap { pfn: Some(q), .. }) if *q == pfn);
        let live = self.vmas.iter().filter(|v| v.live);
        match p.owner {
            Owner::Anon { index, .. } => {
                let pages = if p.large() { HUGE_PAGES } else { 1 };
                live.into_iter().any(|v| {
                    let end = index.saturating_add(pages).min(v.pages);
                    (index..end).any(|i| is_entry(&v.ptes[i as usize]))
                })
            }
            _ => live.flat_map(|v| v.ptes.iter()).any(is_entry),
        }
    }

    /// `read VMA [RANGE]`.
    pub fn op_read(&mut self, cx: &mut StepCx, vma: VmaId, range: Range<u32>) {
        for idx in range {
            if let Err(e) = self.fault(cx, vma, idx, false) {
                cx.fail(e);
                return;
            }
        }
    }

    /// `write VMA [RANGE]`: write faults as needed, then the store bumps the data.
    pub fn op_write(&mut self, cx: &mut StepCx, vma: VmaId, range: Range<u32>) {
        let mut last = None;
        for idx in range {
            match self.fault(cx, vma, idx, true) {
                Ok(pfn) => {
                    if let Some(Some(Pte::Present { dirty, .. })) =
                        self.vmas[vma as usize].ptes.get_mut(idx as usize)
                    {
                        *dirty = true;
                    }
                    // One version bump per folio per statement (a huge folio is one unit).
                    if last != Some(pfn) {
                        self.store(cx, pfn);
                        last = Some(pfn);
                    }
                }
                Err(e) => {
                    cx.fail(e);
                    return;
                }
            }
        }
    }

    /// A CPU or DMA store into a page: new content. DAX writes reach the storage directly.
    pub fn store(&mut self, cx: &mut StepCx, pfn: Pfn) {
        let p = self.pg(cx, pfn);
        p.version += 1;
        let (v, owner) = (p.version, p.owner);
        if let Owner::Dax { file, index } = owner {
            if let Some(d) = self.files[file as usize].disk.get_mut(index as usize) {
                *d = v;
            }
        }
    }

    /// `fork NAME` from `parent`, both phases in one step.
    pub fn fork(&mut self, cx: &mut StepCx, parent: ProcId, child: &str) {
        self.fork_copy(cx, parent, child, false);
    }

    /// The first phase of a fork in a thread: mmap_lock held for write, `write_protect_seq`
    /// odd, the VMAs copied and every anonymous page checked — maybe-pinned pages copied for
    /// the child now, the rest left to share in [`Kernel::fork_finish`]. In between, only
    /// lockless work runs in the parent or the child ([`Kernel::waits_for_fork`]).
    pub fn fork_begin(&mut self, cx: &mut StepCx, parent: ProcId, child: &str) {
        self.fork_copy(cx, parent, child, true);
        let child = self.procs.len() as ProcId - 1;
        cx.note(|| {
            let (p, c) = (
                &self.procs[parent as usize].name,
                &self.procs[child as usize].name,
            );
            format!("fork: {p} copying into {c}: mmap_lock held, write_protect_seq odd")
        });
    }

    /// The second phase: write-protect and share the PTEs the first phase checked (without
    /// checking again: a pin taken in between by GUP-fast goes unseen, the race 57efa1fe5957
    /// closed), then `write_protect_seq` even and mmap_lock released.
    pub fn fork_finish(&mut self, cx: &mut StepCx, parent: ProcId) {
        let Some(Forking { child: _, shares }) = self.procs[parent as usize].forking.take() else {
            return;
        };
        for (pv, cv, idx, pfn) in shares {
            // The kernel holds the PTE lock from the check to the write-protect; the model
            // re-reads the PTE, which reclaim may have changed in between (it takes no lock
            // fork holds): a page it swapped out is copied as the swap entry it now is, one it
            // dropped is left for the child to fault in.
            match self.vmas[pv as usize].ptes[idx as usize] {
                Some(Pte::Present {
                    pfn: now, dirty, ..
                }) if now == pfn => self.fork_share_pte(cx, pv, cv, idx, pfn, dirty),
                Some(swap @ Pte::Swap { .. }) => {
                    for i in self.chunk(pv, idx) {
                        self.vmas[cv as usize].ptes[i as usize] = Some(swap);
                    }
                }
                _ => {}
            }
        }
        self.procs[parent as usize].write_protect_seq += 1;
    }

    /// While a fork of `proc_` is between its phases, must an operation of `proc_` (or of the
    /// child being made) wait? Everything that takes mmap_lock does; what runs without it does
    /// not: GUP-fast whose lockless walk takes every page (before 5.11 even with FOLL_PIN, from
    /// 5.11 only FOLL_GET: FOLL_PIN sees `write_protect_seq` odd and falls back to the slow
    /// path, which waits), and CPU accesses that do not fault.
    pub fn waits_for_fork(&self, proc_: ProcId, what: ForkWait<'_>) -> bool {
        let busy = |p: ProcId| {
            self.procs.iter().enumerate().any(|(i, q)| {
                q.forking
                    .as_ref()
                    .is_some_and(|f| i as ProcId == p || f.child == p)
            })
        };
        if !busy(proc_) {
            return false;
        }
        match what {
            ForkWait::Access { vma, range, write } => {
                !self.vmas[vma as usize].live
                    || range
                        .clone()
                        .any(|i| match self.vmas[vma as usize].ptes[i as usize] {
                            Some(Pte::Present { write: w, pfn, .. }) => {
                                (write && !w) || self.pages[pfn as usize].freed
                            }
                            _ => true,
                        })
            }
            ForkWait::GupFast(call) => {
                let api = self.gup_api(call.kind);
                let pin = api != Api::Get;
                if pin && self.settings.era.has(&rules::GUP_FAST_FORK_SEQ) {
                    return true;
                }
                let v = &self.vmas[call.vma as usize];
                !v.live
                    || !self.fast_walk_ok(call, api, self.gup_write(call))
                    || (pin
                        && self
                            .ops()
                            .fast_path(self, call.vma, call.range.start, call.range.end)
                            == FastPath::Fallback)
            }
            ForkWait::Locked => true,
        }
    }

    fn fork_copy(&mut self, cx: &mut StepCx, parent: ProcId, child: &str, defer: bool) {
        self.rwsem(cx, "mmap_lock");
        self.procs[parent as usize].write_protect_seq += 1;
        let child_id = self.procs.len() as ProcId;
        self.procs.push(Proc {
            name: child.into(),
            vmas: BTreeMap::new(),
            live: true,
            has_pinned: false,
            write_protect_seq: 0,
            forking: None,
        });
        let mut shares = defer.then(Vec::new);
        let parent_vmas: Vec<(String, VmaId)> = self.procs[parent as usize]
            .vmas
            .iter()
            .map(|(n, &v)| (n.clone(), v))
            .collect();
        for (name, pv) in parent_vmas {
            let (backing, pages, writable) = {
                let v = &self.vmas[pv as usize];
                (v.backing, v.pages, v.writable)
            };
            self.mmap(cx, child_id, &name, backing, pages, writable);
            let cv = self.vmas.len() as VmaId - 1;
            // copy_page_range keeps the parent's page-table layout: split PMDs stay split.
            self.vmas[cv as usize].pte_mapped = self.vmas[pv as usize].pte_mapped.clone();
            self.vmas[cv as usize].anon_vma = self.vmas[pv as usize].anon_vma; // anon_vma_fork
            if let Backing::Anon { .. } = backing {
                // anon_vma_fork: the child's VMA joins the parent's anon_vma tree.
                cx.charge(Primitive::SlabAlloc, 1);
                self.vmas[pv as usize].anon_tree.insert(
                    0,
                    u64::from(pages.max(1)) - 1,
                    RmapEntry::Vma(cv),
                );
            }
            // vma_needs_copy: a VMA with an anon_vma has all its PTEs copied, page-cache and
            // zero-page PTEs too; the child refaults those of any other VMA.
            let has_anon_vma = self.vmas[pv as usize].anon_vma;
            let mut idx = 0;
            while idx < pages {
                let unit = self.chunk(pv, idx);
                let next = unit.end;
                match self.vmas[pv as usize].ptes[idx as usize] {
                    Some(Pte::Present { pfn, write, dirty })
                        if matches!(self.pages[pfn as usize].owner, Owner::Anon { .. }) =>
                    {
                        if unit.len() > 1 && self.fork_must_copy(parent, pfn) {
                            // copy_huge_pmd: a maybe-pinned THP is split, and the copy is retried
                            // on its PTEs (d042035eaf5f), where each subpage is copied.
                            self.split_pmd(cx, pv, unit.start, pfn);
                            self.vmas[cv as usize].pte_mapped.insert(unit.start);
                            let (n, quiet) = (unit.len(), cx.quiet);
                            cx.quiet = true; // one note for the folio, not one per subpage
                            for i in unit {
                                self.fork_anon_pte(
                                    cx,
                                    parent,
                                    (pv, cv, i, pfn),
                                    write,
                                    dirty,
                                    &mut shares,
                                );
                            }
                            cx.quiet = quiet;
                            cx.note(|| format!("fork: the child gets a copy of each of the {n} subpages of p{pfn}"));
                        } else {
                            self.fork_anon_pte(
                                cx,
                                parent,
                                (pv, cv, idx, pfn),
                                write,
                                dirty,
                                &mut shares,
                            );
                        }
                    }
                    Some(swap @ Pte::Swap { .. }) => {
                        for i in unit {
                            self.vmas[cv as usize].ptes[i as usize] = Some(swap);
                        }
                    }
                    Some(Pte::Present { pfn, .. }) if has_anon_vma => {
                        self.map_pte(cx, cv, idx, pfn, false, false);
                    }
                    _ => {}
                }
                idx = next;
            }
        }
        match shares {
            Some(shares) => {
                self.procs[parent as usize].forking = Some(Forking {
                    child: child_id,
                    shares,
                })
            }
            None => self.procs[parent as usize].write_protect_seq += 1,
        }
    }

    /// `copy_present_pte` for an anonymous page: copy it for the child if it may be pinned,
    /// else share it (now, or in the second phase when `shares` collects them).
    fn fork_anon_pte(
        &mut self,
        cx: &mut StepCx,
        parent: ProcId,
        (pv, cv, idx, pfn): (VmaId, VmaId, u32, Pfn),
        write: bool,
        dirty: bool,
        shares: &mut Option<Vec<(VmaId, VmaId, u32, Pfn)>>,
    ) {
        if self.fork_must_copy(parent, pfn) {
            // copy_present_page(): "Page may be pinned, we have to copy" — the child gets a copy,
            // the parent keeps the pinned page writable.
            cx.charge(Primitive::CopyPage, 1);
            let version = self.pages[pfn as usize].version;
            let new = self.alloc_anon(cx, cv, idx, version);
            self.map_pte(cx, cv, idx, new, write, dirty);
            cx.note(|| format!("fork: p{pfn} may be pinned: child gets copy p{new}"));
            return;
        }
        match shares {
            Some(shares) => shares.push((pv, cv, idx, pfn)),
            None => self.fork_share_pte(cx, pv, cv, idx, pfn, dirty),
        }
    }

    /// Both sides read-only; the page is shared until a write fault.
    fn fork_share_pte(
        &mut self,
        cx: &mut StepCx,
        pv: VmaId,
        cv: VmaId,
        idx: u32,
        pfn: Pfn,
        dirty: bool,
    ) {
        for i in self.chunk(pv, idx) {
            if let Some(Pte::Present { write: w, .. }) =
                &mut self.vmas[pv as usize].ptes[i as usize]
            {
                if *w {
                    cx.charge(Primitive::TlbFlush, 1);
                }
                *w = false;
            }
        }
        self.pg(cx, pfn).flags.anon_exclusive = false;
        self.map_pte(cx, cv, idx, pfn, false, dirty);
    }

    /// fork copies this page for the child at once: `MMF_HAS_PINNED` and maybe pinned (5.9+).
    fn fork_must_copy(&self, parent: ProcId, pfn: Pfn) -> bool {
        self.settings.era.has(&rules::FORK_COPIES_PINNED)
            && self.procs[parent as usize].has_pinned
            && self.maybe_dma_pinned(pfn) == Some(true)
    }

    /// `munmap VMA`: zap every PTE and leave the rmap tree. Fake VMAs stay (they belong to pins).
    pub fn munmap(&mut self, cx: &mut StepCx, vma: VmaId) {
        self.rwsem(cx, "mmap_lock");
        let pages = self.vmas[vma as usize].pages;
        let mut idx = 0;
        while idx < pages {
            let next = self.chunk(vma, idx).end;
            self.zap_pte(cx, vma, idx);
            idx = next;
        }
        if let Backing::File { file, pgoff, .. } = self.vmas[vma as usize].backing {
            self.rwsem(cx, "i_mmap_rwsem");
            let visits = self.files[file as usize].i_mmap.remove(
                u64::from(pgoff),
                u64::from(pgoff + pages.max(1)) - 1,
                RmapEntry::Vma(vma),
            );
            cx.charge(Primitive::ItreeNode, u64::from(visits.unwrap_or(0)));
        }
        let v = &mut self.vmas[vma as usize];
        v.live = false;
        let (proc_, name) = (v.proc_, v.name.clone());
        self.procs[proc_ as usize].vmas.remove(&name);
    }

    /// `mprotect VMA ro|rw`.
    pub fn mprotect(&mut self, cx: &mut StepCx, vma: VmaId, writable: bool) {
        self.rwsem(cx, "mmap_lock");
        self.vmas[vma as usize].writable = writable;
        let direct = writable && self.settings.era.has(&rules::MPROTECT_EXCLUSIVE_WRITABLE);
        for i in 0..self.vmas[vma as usize].pages {
            if let Some(Pte::Present { pfn, write, .. }) = self.vmas[vma as usize].ptes[i as usize]
            {
                if !writable && write {
                    cx.charge(Primitive::TlbFlush, 1);
                    self.set_pte_write(vma, i, false);
                } else if direct {
                    let p = &self.pages[pfn as usize];
                    if matches!(p.owner, Owner::Anon { .. }) && p.flags.anon_exclusive {
                        self.set_pte_write(vma, i, true);
                    }
                }
            }
        }
    }

    /// `exit`: every VMA of the process is unmapped.
    pub fn exit(&mut self, cx: &mut StepCx, proc_: ProcId) {
        let vmas: Vec<VmaId> = self.procs[proc_ as usize].vmas.values().copied().collect();
        for v in vmas {
            self.munmap(cx, v);
        }
        self.procs[proc_ as usize].live = false;
    }

    /// `refs VMA PAGE +N|-N`: ordinary `get_page()` / `put_page()` references.
    pub fn refs(&mut self, cx: &mut StepCx, vma: VmaId, idx: u32, delta: i64) {
        let pfn = match self.fault(cx, vma, idx, false) {
            Ok(p) => p,
            Err(e) => return cx.fail(e),
        };
        cx.charge(Primitive::Atomic, delta.unsigned_abs());
        let p = &self.pages[pfn as usize];
        if delta >= 0 {
            if p.refcount.saturating_add(delta) > super::COUNT_MAX {
                cx.raise(
                    ViolationKind::RefcountOverflow,
                    format!("p{pfn}: refcount {} + {delta}", p.refcount),
                );
                return cx.fail(OpResult::Enomem);
            }
            let p = self.pg(cx, pfn);
            p.refcount += delta;
            p.extra_refs += delta;
        } else if p.extra_refs < -delta {
            cx.raise(
                ViolationKind::UnbalancedRelease,
                format!(
                    "p{pfn}: put_page x{} but only {} such references are held",
                    -delta, p.extra_refs
                ),
            );
            cx.fail(OpResult::Einval);
        } else {
            self.pg(cx, pfn).extra_refs += delta;
            self.put_refs(cx, pfn, -delta);
        }
    }

    /// `page_mapcount()` of the page VMA page `idx` maps (`pfn`): what /proc/kpagecount
    /// reports. The zero page's PTEs are special and count nothing.
    /// A large folio's subpage counts the PMD and PTE mappings of that subpage (one per VMA
    /// mapping it at `idx`: fork keeps the layout), plus fake mappings.
    pub fn page_mapcount(&self, _vma: VmaId, idx: u32, pfn: Pfn) -> i64 {
        let p = &self.pages[pfn as usize];
        if !p.large() {
            return p.mapcount;
        }
        let maps = self
            .vmas
            .iter()
            .filter(|v| v.live)
            .filter(|v| matches!(v.ptes.get(idx as usize), Some(Some(Pte::Present { pfn: q, .. })) if *q == pfn))
            .count() as i64;
        maps + p.fake_maps
    }

    /// `__split_huge_pmd`: the PMD mapping of the chunk at `start` becomes 512 PTEs, each
    /// mapping one subpage and holding a reference on the folio.
    fn split_pmd(&mut self, cx: &mut StepCx, vma: VmaId, start: u32, pfn: Pfn) {
        let unit = self.chunk(vma, start);
        let extra = unit.len() as i64 - 1;
        self.vmas[vma as usize].pte_mapped.insert(start);
        if self.pages[pfn as usize].is_zero() {
            return; // the huge zero page's PMD becomes PTEs of the zero page: nothing counted
        }
        let p = self.pg(cx, pfn);
        p.mapcount += extra;
        p.refcount += extra;
        cx.charge(Primitive::TlbFlush, 1);
        cx.note(|| format!("p{pfn}: PMD split into {} PTEs", extra + 1));
    }

    /// The real mappings of a page: (VMA, page index) pairs with a present PTE to it.
    pub fn mappings_of(&self, pfn: Pfn) -> Vec<(VmaId, u32)> {
        let p = &self.pages[pfn as usize];
        let mut out = Vec::new();
        match p.owner {
            Owner::File { file, index } | Owner::Dax { file, index } => {
                let (hits, _) = self.files[file as usize]
                    .i_mmap
                    .overlapping(u64::from(index), u64::from(index));
                for (_, _, e) in hits {
                    if let RmapEntry::Vma(v) = e {
                        if let Backing::File { pgoff, .. } = self.vmas[v as usize].backing {
                            let i = index - pgoff;
                            if matches!(self.vmas[v as usize].ptes.get(i as usize), Some(Some(Pte::Present { pfn: q, .. })) if *q == pfn)
                            {
                                out.push((v, i));
                            }
                        }
                    }
                }
            }
            Owner::Anon { index, .. } => {
                let pages = if p.large() { HUGE_PAGES } else { 1 };
                for (vi, v) in self.vmas.iter().enumerate().filter(|(_, v)| v.live) {
                    for i in index..(index + pages).min(v.pages) {
                        // One entry per mapping unit: the PMD, or each PTE of a split folio.
                        if matches!(v.ptes[i as usize], Some(Pte::Present { pfn: q, .. }) if q == pfn)
                            && self.chunk(vi as VmaId, i).start == i
                        {
                            out.push((vi as VmaId, i));
                        }
                    }
                }
            }
            Owner::Orphan { .. } | Owner::DaxFreed { .. } | Owner::Zero => {}
        }
        out
    }

    /// Rmap walk cost of one page: one visit per tree entry covering it (fakes included). A
    /// fake VMA counts its calls, up to 2^63 each, so the sum saturates like the costs do.
    pub fn charge_rmap_walk(&self, cx: &mut StepCx, pfn: Pfn) {
        let p = &self.pages[pfn as usize];
        let (tree, off) = match p.owner {
            Owner::File { file, index } | Owner::Dax { file, index } => {
                (TreeRef::File(file), index)
            }
            Owner::Anon { root, index } => (TreeRef::Anon(root), index),
            _ => return,
        };
        let (hits, _) = self.tree(tree).overlapping(u64::from(off), u64::from(off));
        let visits: u64 = hits
            .iter()
            .map(|&(_, _, e)| match e {
                RmapEntry::Vma(_) => 1,
                RmapEntry::Fake(f) => self.fakes[f as usize].calls,
            })
            .fold(0, u64::saturating_add);
        cx.charge(Primitive::RmapVma, visits);
    }

    /// Is the filesystem of a file page one with a disk to check?
    pub fn fs_of(&self, pfn: Pfn) -> Option<FsKind> {
        self.pages[pfn as usize]
            .file_index()
            .map(|(f, _)| self.files[f as usize].fs)
    }
}
