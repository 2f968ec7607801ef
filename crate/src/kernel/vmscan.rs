//! Writeback (mm/page-writeback.c, mm/rmap.c `folio_mkclean`), reclaim (mm/vmscan.c),
//! migration (mm/migrate.c) and truncation (mm/truncate.c, fs/dax.c).

use std::collections::BTreeMap;
use std::ops::Range;

use super::{Backing, FileId, Kernel, Owner, Pfn, Pte, StepCx, Waiter};
use crate::cost::Primitive;
use crate::invariants::ViolationKind;
use crate::rules;
use crate::settings::{WritebackPolicy, Zone};
use crate::OpResult;

/// What `reclaim` scans.
#[derive(Clone, Debug)]
pub enum ReclaimTarget {
    /// Every page on the LRU.
    All,
    /// A file's page-cache pages.
    File(FileId, Range<u32>),
    /// The pages a VMA maps.
    Vma(super::VmaId, Range<u32>),
}

impl Kernel {
    /// `writeback FILE [RANGE] [sync] [hold]`: the flusher writes dirty pages out.
    pub fn writeback(
        &mut self,
        cx: &mut StepCx,
        file: FileId,
        range: Range<u32>,
        sync: bool,
        hold: bool,
    ) {
        let fs = self.files[file as usize].fs;
        if !fs.has_disk() || fs.dax() {
            return;
        }
        self.might_sleep(cx, "writeback (folio_lock)");
        let policy = self.settings.writeback;
        let pages: Vec<(u32, Pfn)> = self.files[file as usize]
            .cache
            .range(range.start..range.end)
            .map(|(&i, &p)| (i, p))
            .collect();
        for (index, pfn) in pages {
            if self.pages[pfn as usize].flags.writeback {
                if !sync {
                    continue;
                }
                self.end_writeback(cx, pfn); // WB_SYNC_ALL waits for write-out in flight
            }
            if !self.pages[pfn as usize].flags.dirty {
                continue;
            }
            let pinned = self.maybe_dma_pinned(pfn) == Some(true);
            match (pinned, policy) {
                (true, WritebackPolicy::KeepDirty) if !sync => {
                    cx.note(|| format!("p{pfn} pinned: WB_SYNC_NONE skips it (keep-dirty)"));
                }
                (true, WritebackPolicy::KeepDirty) => {
                    cx.note(|| format!("p{pfn} pinned: written, kept dirty (keep-dirty)"));
                    self.write_out(cx, pfn, false, false, true);
                }
                (true, WritebackPolicy::Wait) => {
                    cx.note(|| format!("p{pfn} pinned: writeback waits for the pin (wait)"));
                    let w = Waiter::Writeback { file, index, sync };
                    if !self.waiters.contains(&w) {
                        self.waiters.push(w);
                    }
                }
                (true, WritebackPolicy::Bounce) => {
                    cx.note(|| format!("p{pfn} pinned: written from a bounce copy"));
                    self.write_out(cx, pfn, hold, true, false);
                }
                _ => self.write_out(cx, pfn, hold, false, false),
            }
        }
    }

    /// Writes one dirty page out: `folio_clear_dirty_for_io` + `folio_mkclean`, PG_writeback,
    /// submit (and complete unless `hold`). `keep_dirty` writes the data but leaves the page
    /// dirty and mapped writable.
    pub fn write_out(
        &mut self,
        cx: &mut StepCx,
        pfn: Pfn,
        hold: bool,
        bounce: bool,
        keep_dirty: bool,
    ) {
        cx.charge(Primitive::PageLock, 1);
        let Some((file, index)) = self.pages[pfn as usize].file_index() else {
            return;
        };
        if keep_dirty {
            let v = self.pages[pfn as usize].version;
            self.files[file as usize].disk[index as usize] = v;
            return;
        }
        {
            let p = self.pg(cx, pfn);
            p.flags.dirty = false;
            p.mkwrite_since_clean = false;
        }
        // folio_mkclean: write-protect and clean every shared PTE; fake VMAs are visited too.
        self.charge_rmap_walk(cx, pfn);
        for (v, i) in self.mappings_of(pfn) {
            if let Backing::File { shared: true, .. } = self.vmas[v as usize].backing {
                if let Some(Pte::Present { write, dirty, .. }) =
                    &mut self.vmas[v as usize].ptes[i as usize]
                {
                    if *write || *dirty {
                        *write = false;
                        *dirty = false;
                        cx.charge(Primitive::TlbFlush, 1);
                    }
                }
            }
        }
        if bounce {
            cx.charge(Primitive::CopyPage, 1);
        }
        let p = self.pg(cx, pfn);
        p.flags.writeback = true;
        p.wb_snapshot = Some((p.version, bounce));
        if !hold {
            self.end_writeback(cx, pfn);
        }
    }

    /// Write-out completion: the disk gets the snapshot; PG_writeback clears.
    pub fn end_writeback(&mut self, cx: &mut StepCx, pfn: Pfn) {
        if !self.pages[pfn as usize].flags.writeback {
            return;
        }
        let p = self.pg(cx, pfn);
        p.flags.writeback = false;
        let snap = p.wb_snapshot.take();
        if let (Some((v, _)), Owner::File { file, index }) = (snap, p.owner) {
            let disk = &mut self.files[file as usize].disk;
            if let Some(d) = disk.get_mut(index as usize) {
                *d = v;
            }
        }
    }

    /// `writeback-done FILE`.
    pub fn writeback_done(&mut self, cx: &mut StepCx, file: FileId) {
        let pages: Vec<Pfn> = self.files[file as usize].cache.values().copied().collect();
        for pfn in pages {
            self.end_writeback(cx, pfn);
        }
    }

    /// `sync`: WB_SYNC_ALL writeback of every file, then the durability check (I6).
    pub fn sync(&mut self, cx: &mut StepCx) {
        for f in 0..self.files.len() as FileId {
            let size = self.files[f as usize].size;
            self.writeback(cx, f, 0..size, true, false);
            self.writeback_done(cx, f);
        }
        for f in 0..self.files.len() {
            let file = &self.files[f];
            if !file.fs.has_disk() || file.fs.dax() {
                continue;
            }
            let lost: Vec<(u32, Pfn)> = file
                .cache
                .iter()
                .filter(|(&i, &p)| {
                    let pg = &self.pages[p as usize];
                    pg.holders == 0 && !pg.flags.writeback && file.disk[i as usize] != pg.version
                })
                .map(|(&i, &p)| (i, p))
                .collect();
            for (i, pfn) in lost {
                if self.latched.insert((ViolationKind::LostWrite, pfn)) {
                    cx.raise(
                        ViolationKind::LostWrite,
                        format!("after sync {}:{i} on disk differs from p{pfn} (clean, never written back)", self.files[f].name),
                    );
                }
            }
        }
    }

    /// `reclaim [FILE|VMA] [RANGE]`.
    pub fn reclaim(&mut self, cx: &mut StepCx, target: ReclaimTarget) {
        self.might_sleep(cx, "reclaim");
        let mut pfns: Vec<Pfn> = match target {
            ReclaimTarget::All => self
                .pages
                .iter()
                .filter(|p| !p.freed && p.flags.lru)
                .map(|p| p.pfn)
                .collect(),
            ReclaimTarget::File(f, r) => self.files[f as usize]
                .cache
                .range(r.start..r.end)
                .map(|(_, &p)| p)
                .collect(),
            ReclaimTarget::Vma(v, r) => r
                .filter_map(|i| match self.vmas[v as usize].ptes[i as usize] {
                    Some(Pte::Present { pfn, .. }) => Some(pfn),
                    _ => None,
                })
                .collect(),
        };
        pfns.dedup();
        let mut swap_ptes = self.swap_ptes();
        for pfn in pfns {
            self.reclaim_page(cx, pfn, &mut swap_ptes);
        }
    }

    /// Where the swap entries of each swap-cache page are: (VMA, PTE index), by page. Reclaim
    /// updates the entries of each page it swaps out; with one scan of every PTE per page, a
    /// large mapping took seconds per statement (pages x PTEs).
    fn swap_ptes(&self) -> BTreeMap<Pfn, Vec<(super::VmaId, u32)>> {
        let mut out: BTreeMap<Pfn, Vec<(super::VmaId, u32)>> = BTreeMap::new();
        for (v, vma) in self.vmas.iter().enumerate() {
            for (i, pte) in vma.ptes.iter().enumerate() {
                if let Some(Pte::Swap { pfn: Some(q), .. }) = pte {
                    out.entry(*q)
                        .or_default()
                        .push((v as super::VmaId, i as u32));
                }
            }
        }
        out
    }

    /// `swap_ptes` holds (at least) every PTE that is a swap entry of a page in memory; the
    /// entries this call makes are added to it.
    fn reclaim_page(
        &mut self,
        cx: &mut StepCx,
        pfn: Pfn,
        swap_ptes: &mut BTreeMap<Pfn, Vec<(super::VmaId, u32)>>,
    ) {
        let p = &self.pages[pfn as usize];
        if p.freed
            || !p.flags.lru
            || p.flags.writeback
            || matches!(p.owner, Owner::Dax { .. } | Owner::DaxFreed { .. })
        {
            return;
        }
        let anon = matches!(p.owner, Owner::Anon { .. });
        if matches!(p.owner, Owner::Orphan { .. }) {
            return;
        }
        // try_to_unmap.
        self.charge_rmap_walk(cx, pfn);
        if anon
            && self.settings.era.anon_exclusive()
            && p.flags.anon_exclusive
            && self.maybe_dma_pinned(pfn) == Some(true)
        {
            cx.note(|| {
                format!("p{pfn}: try_to_unmap refused (anon-exclusive, maybe pinned): activated")
            });
            self.pg(cx, pfn).flags.active = true;
            return;
        }
        let pinned = self.maybe_dma_pinned(pfn) == Some(true);
        if anon
            && !self.pages[pfn as usize].flags.swapcache
            && pinned
            && self.settings.era.has(&rules::PINNED_NOT_SWAPCACHE)
        {
            cx.note(|| format!("p{pfn}: maybe pinned: not added to the swap cache, kept"));
            return;
        }
        let p = &self.pages[pfn as usize];
        if anon && p.large() && !p.flags.swapcache && p.refcount != p.pte_maps() {
            // shrink_folio_list: a THP must be splittable to be swapped out (can_split_folio:
            // no references beyond its mappings); one with extra references is activated.
            cx.note(|| format!("p{pfn}: THP with extra references cannot be split: activated"));
            self.pg(cx, pfn).flags.active = true;
            return;
        }
        let maps = self.mappings_of(pfn);
        if anon {
            if !self.pages[pfn as usize].flags.swapcache {
                let p = self.pg(cx, pfn);
                p.flags.swapcache = true;
                p.refcount += 1;
            }
            for (v, i) in maps {
                let version = self.pages[pfn as usize].version;
                if let Some(Pte::Present { dirty: true, .. }) =
                    self.vmas[v as usize].ptes[i as usize]
                {
                    self.pg(cx, pfn).flags.dirty = true;
                }
                for j in self.chunk(v, i) {
                    self.vmas[v as usize].ptes[j as usize] = Some(Pte::Swap {
                        pfn: Some(pfn),
                        version,
                    });
                    swap_ptes.entry(pfn).or_default().push((v, j));
                }
                cx.charge(Primitive::TlbFlush, 1);
                self.pg(cx, pfn).mapcount -= 1;
                self.put_refs(cx, pfn, 1);
            }
        } else {
            for (v, i) in maps {
                self.zap_pte(cx, v, i);
            }
        }
        if self.pages[pfn as usize].mapcount > 0 {
            cx.note(|| format!("p{pfn}: still mapped after try_to_unmap (fake VMA): activated"));
            self.pg(cx, pfn).flags.active = true;
            return;
        }
        if pinned && self.settings.era.has(&rules::RECLAIM_SKIPS_PINNED) {
            cx.note(|| format!("p{pfn}: unmapped but maybe pinned: activated, buffers kept"));
            self.pg(cx, pfn).flags.active = true;
            return;
        }
        if anon {
            // pageout to swap; the page leaves the swap cache only if nobody else holds it.
            let version = self.pages[pfn as usize].version;
            self.pg(cx, pfn).flags.dirty = false;
            let entries = swap_ptes.get(&pfn).map_or(&[][..], Vec::as_slice);
            for &(v, j) in entries {
                if let Some(Pte::Swap {
                    pfn: Some(q),
                    version: ver,
                }) = &mut self.vmas[v as usize].ptes[j as usize]
                {
                    if *q == pfn {
                        *ver = version;
                    }
                }
            }
            if self.pages[pfn as usize].refcount == 1 {
                for &(v, j) in entries {
                    if let Some(Pte::Swap {
                        pfn: q @ Some(_), ..
                    }) = &mut self.vmas[v as usize].ptes[j as usize]
                    {
                        if *q == Some(pfn) {
                            *q = None;
                        }
                    }
                }
                self.pg(cx, pfn).flags.swapcache = false;
                self.put_refs(cx, pfn, 1);
                cx.note(|| format!("p{pfn} swapped out and freed"));
            } else {
                cx.note(|| {
                    format!("p{pfn} swapped out; extra references keep it in the swap cache")
                });
            }
            return;
        }
        let p = &self.pages[pfn as usize];
        if p.flags.dirty {
            // is_page_cache_freeable: only the page cache (+ buffers) may hold it.
            if p.refcount - i64::from(p.flags.buffers) != 1 {
                cx.note(|| {
                    format!("p{pfn} dirty with extra references: pageout skipped (PAGE_KEEP)")
                });
                return;
            }
            self.write_out(cx, pfn, false, false, false);
        }
        if self.pages[pfn as usize].flags.buffers {
            // try_to_release_page: looks at buffer state only, not at page references.
            let p = self.pg(cx, pfn);
            p.flags.buffers = false;
            self.put_refs(cx, pfn, 1);
            cx.note(|| format!("p{pfn}: buffers released"));
        }
        if self.pages[pfn as usize].refcount == 1 {
            if let Owner::File { file, index } = self.pages[pfn as usize].owner {
                self.files[file as usize].cache.remove(&index);
            }
            self.put_refs(cx, pfn, 1);
            cx.note(|| format!("p{pfn} reclaimed"));
        } else {
            cx.note(|| format!("p{pfn}: __remove_mapping failed (extra references)"));
        }
    }

    /// `migrate VMA [RANGE]`: migration / compaction of the pages mapped there.
    pub fn migrate(&mut self, cx: &mut StepCx, vma: super::VmaId, range: Range<u32>) {
        let mut pfns: Vec<Pfn> = range
            .filter_map(|i| match self.vmas[vma as usize].ptes[i as usize] {
                Some(Pte::Present { pfn, .. }) => Some(pfn),
                _ => None,
            })
            .collect();
        pfns.dedup();
        for pfn in pfns {
            let zone = self.pages[pfn as usize].zone;
            if self.migrate_one(cx, pfn, zone).is_none() {
                cx.fail(OpResult::Eagain);
            }
        }
    }

    /// Migrates one page to a new page in `zone`; `None` when the kernel would refuse.
    pub fn migrate_one(&mut self, cx: &mut StepCx, pfn: Pfn, zone: Zone) -> Option<Pfn> {
        self.might_sleep(cx, "migrate_pages");
        let p = &self.pages[pfn as usize];
        if p.freed || !matches!(p.owner, Owner::Anon { .. } | Owner::File { .. }) {
            return None;
        }
        self.charge_rmap_walk(cx, pfn);
        let anon = matches!(p.owner, Owner::Anon { .. });
        if anon
            && self.settings.era.anon_exclusive()
            && p.flags.anon_exclusive
            && self.maybe_dma_pinned(pfn) == Some(true)
        {
            cx.note(|| format!("p{pfn}: try_to_migrate: anon-exclusive and maybe pinned"));
            return None;
        }
        if p.fake_maps > 0 {
            cx.note(|| format!("p{pfn}: try_to_migrate cannot unmap the fake VMA: still mapped"));
            return None;
        }
        // folio_migrate_mapping: the refcount must be what mappings, cache and buffers explain.
        let expected = p.pte_maps()
            + i64::from(matches!(p.owner, Owner::File { .. }))
            + i64::from(p.flags.buffers)
            + i64::from(p.flags.swapcache);
        if p.refcount != expected {
            cx.note(|| {
                format!(
                    "p{pfn}: refcount {} != expected {expected}: -EAGAIN",
                    p.refcount
                )
            });
            return None;
        }
        cx.charge(Primitive::MigratePage, 1);
        let (owner, order, version, flags, refcount, mapcount) =
            (p.owner, p.order, p.version, p.flags, p.refcount, p.mapcount);
        let maps = self.mappings_of(pfn);
        let new = self.alloc_page(cx, owner, zone, order, version);
        {
            let n = self.pg(cx, new);
            n.flags = flags;
            n.refcount = refcount;
            n.mapcount = mapcount;
        }
        for (v, i) in maps {
            for j in self.chunk(v, i) {
                if let Some(Pte::Present { pfn: q, .. }) =
                    &mut self.vmas[v as usize].ptes[j as usize]
                {
                    *q = new;
                }
            }
            cx.charge(Primitive::TlbFlush, 1);
        }
        if let Owner::File { file, index } = owner {
            self.files[file as usize].cache.insert(index, new);
        }
        let old = self.pg(cx, pfn);
        old.refcount = 0;
        old.mapcount = 0;
        old.freed = true;
        old.flags = Default::default();
        Some(new)
    }

    /// `truncate FILE PAGES`.
    pub fn truncate(&mut self, cx: &mut StepCx, file: FileId, pages: u32) {
        let old = self.files[file as usize].size;
        if pages < old && !self.dax_layout_idle(cx, file, pages..old, Some(pages)) {
            return;
        }
        self.finish_truncate(cx, file, pages);
    }

    /// The second half of a truncate: drop the pages past the new end, set `i_size`.
    /// `truncate_pagecache` unmaps with `even_cows`: the COWed (anonymous) pages of private
    /// mappings past the new end go too, so a later access there is SIGBUS; a hole punch
    /// keeps them.
    pub(crate) fn finish_truncate(&mut self, cx: &mut StepCx, file: FileId, pages: u32) {
        let old = self.files[file as usize].size;
        if pages < old {
            self.drop_range(cx, file, pages..old);
            for v in 0..self.vmas.len() as super::VmaId {
                let vma = &self.vmas[v as usize];
                let Backing::File {
                    file: f,
                    pgoff,
                    shared: false,
                } = vma.backing
                else {
                    continue;
                };
                if f != file || !vma.live {
                    continue;
                }
                for i in pages.saturating_sub(pgoff)..vma.pages {
                    self.zap_pte(cx, v, i);
                }
            }
        }
        let f = &mut self.files[file as usize];
        f.size = pages;
        f.disk.resize(pages as usize, 0);
    }

    /// `punch FILE RANGE`.
    pub fn punch(&mut self, cx: &mut StepCx, file: FileId, range: Range<u32>) {
        if self.dax_layout_idle(cx, file, range.clone(), None) {
            self.drop_range(cx, file, range);
        }
    }

    /// DAX only: the filesystem's break-layouts step (`ext4_break_layouts`,
    /// `xfs_break_dax_layouts`) unmaps the range, then waits in `dax_layout_busy_page` until no
    /// block in it is referenced beyond its own reference. `false` = the truncate (or punch,
    /// `size` None) blocks on a busy block; it completes when the last reference drops, and
    /// `i_size` does not change before then.
    fn dax_layout_idle(
        &mut self,
        cx: &mut StepCx,
        file: FileId,
        range: Range<u32>,
        size: Option<u32>,
    ) -> bool {
        if !self.files[file as usize].fs.dax() {
            return true;
        }
        let blocks: Vec<Pfn> = self.files[file as usize]
            .cache
            .range(range.start..range.end)
            .map(|(_, &p)| p)
            .collect();
        for &pfn in &blocks {
            self.charge_rmap_walk(cx, pfn);
            for (v, i) in self.mappings_of(pfn) {
                self.zap_pte(cx, v, i);
            }
        }
        let busy = blocks
            .iter()
            .find(|&&p| self.pages[p as usize].refcount > 1);
        let Some(&pfn) = busy else {
            return true;
        };
        self.might_sleep(cx, "dax_layout_busy_page wait");
        cx.note(|| format!("dax_layout_busy_page: p{pfn} is referenced: the truncate waits"));
        self.waiters.push(Waiter::DaxTruncate {
            file,
            start: range.start,
            end: range.end,
            size,
        });
        false
    }

    fn drop_range(&mut self, cx: &mut StepCx, file: FileId, range: Range<u32>) {
        self.rwsem(cx, "i_mmap_rwsem");
        let dax = self.files[file as usize].fs.dax();
        for index in range {
            if let Some(d) = self.files[file as usize].disk.get_mut(index as usize) {
                if !dax {
                    *d = 0;
                }
            }
            let Some(&pfn) = self.files[file as usize].cache.get(&index) else {
                continue;
            };
            // unmap_mapping_range: the rmap walk visits every VMA, fakes included.
            self.charge_rmap_walk(cx, pfn);
            for (v, i) in self.mappings_of(pfn) {
                self.zap_pte(cx, v, i);
            }
            if dax {
                self.free_dax_block(cx, file, index);
                continue;
            }
            cx.charge(Primitive::PageLock, 1);
            self.end_writeback(cx, pfn);
            if self.pages[pfn as usize].flags.buffers {
                self.pg(cx, pfn).flags.buffers = false;
                self.put_refs(cx, pfn, 1);
            }
            {
                let p = self.pg(cx, pfn);
                p.owner = super::Owner::Orphan { file, index };
                p.flags.dirty = false;
            }
            self.files[file as usize].cache.remove(&index);
            self.put_refs(cx, pfn, 1);
            if !self.pages[pfn as usize].freed {
                cx.note(|| format!("p{pfn} left the page cache but is still referenced: orphan"));
            }
        }
    }

    /// The DAX block at `index` is freed for reuse.
    pub fn free_dax_block(&mut self, cx: &mut StepCx, file: FileId, index: u32) {
        let Some(pfn) = self.files[file as usize].cache.remove(&index) else {
            return;
        };
        self.pg(cx, pfn).owner = Owner::DaxFreed { file, index };
        if let Some(d) = self.files[file as usize].disk.get_mut(index as usize) {
            *d = 0;
        }
        self.put_refs(cx, pfn, 1);
    }
}
