//! GUP and its release (mm/gup.c), I/O completion (block/bio.c), the workqueue and the device.
//!
//! The generic paths here do the kernel's common work — `check_vma_flags`, faulting pages in,
//! the FOLL_LONGTERM placement rules, GUP-fast's lockless walk — and ask the scheme what a pin
//! weighs and what each call costs it.

use std::ops::Range;

use super::{
    Api, Backing, Context, FakeId, Handle, HandleId, HandleState, Kernel, Owner, Page, Pfn, ProcId,
    Pte, StepCx, VmaId, Waiter, Work, COUNT_MAX,
};
use crate::cost::{itree_visits, Primitive};
use crate::invariants::ViolationKind;
use crate::rules;
use crate::scheme::{FastPath, Weight, GET_WEIGHT};
use crate::script::{DmaDir, GupFlags, PageRange};
use crate::settings::Zone;
use crate::OpResult;

/// Which statement took the handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GupKind {
    /// `gup`: the scheme's pinning GUP.
    Pin,
    /// `get`: FOLL_GET under every scheme.
    Get,
    /// `vmsplice`: a read-only FOLL_GET reference held by a pipe.
    Vmsplice,
}

/// The arguments of one GUP statement.
#[derive(Clone, Debug)]
pub struct GupCall<'a> {
    /// Handle name.
    pub name: &'a str,
    /// Calling process.
    pub proc_: ProcId,
    /// VMA.
    pub vma: VmaId,
    /// VMA pages.
    pub range: Range<u32>,
    /// Flags.
    pub flags: GupFlags,
    /// Identical calls.
    pub times: u64,
    /// Statement kind.
    pub kind: GupKind,
    /// Taken inside a `repeat` body.
    pub scoped: bool,
}

impl Kernel {
    /// What one hold through `api` weighs on `pfn`. From 6.5 a pin of the shared zero page
    /// weighs nothing (c8070b787519): try_grab_folio and the unpin skip it.
    pub(crate) fn weight(&self, api: Api, pfn: Pfn) -> Weight {
        let page = &self.pages[pfn as usize];
        match api {
            Api::Get => GET_WEIGHT,
            _ if page.is_zero() && self.settings.era.has(&rules::ZEROPAGE_NOT_PINNED) => Weight {
                refcount: 0,
                pincount: 0,
                mapcount: 0,
                acquire_atomics: 0,
                release_atomics: 0,
            },
            Api::Pin | Api::Fake(_) => self.ops().pin_weight(self, page),
        }
    }

    /// How many of `pages` count in `nr_foll_pin_*` when held through `api` (FOLL_PIN only; the
    /// zero page not from 6.5).
    pub(crate) fn foll_pins(&self, api: Api, pages: &[Pfn]) -> u64 {
        if api != Api::Pin {
            return 0;
        }
        match self
            .zero_pfn
            .filter(|_| self.settings.era.has(&rules::ZEROPAGE_NOT_PINNED))
        {
            Some(zero) => pages.iter().filter(|&&p| p != zero).count() as u64,
            None => pages.len() as u64,
        }
    }

    /// Runs a `gup` / `get` / `vmsplice` statement.
    pub fn gup(&mut self, cx: &mut StepCx, call: GupCall<'_>) {
        if let Some(old) = self.handle_id(call.name) {
            let h = &mut self.handles[old as usize];
            if matches!(h.state, HandleState::Live | HandleState::Completing) && !h.leak_reported {
                h.leak_reported = true;
                cx.raise(
                    ViolationKind::PinLeak,
                    format!(
                        "handle {} re-acquired while it still holds pages",
                        call.name
                    ),
                );
            }
        }
        let api0 = self.gup_api(call.kind);
        let handle = Handle {
            name: call.name.into(),
            proc_: call.proc_,
            vma: call.vma,
            start: call.range.start,
            pages: Vec::new(),
            api: api0,
            flags: call.flags,
            times: call.times,
            state: HandleState::Failed,
            iteration_scoped: call.scoped,
            leaked: false,
            leak_reported: false,
        };
        // A released handle's slot is reused, so a storm of small I/Os keeps the state small.
        let id = match self.handle_id(call.name) {
            Some(old)
                if matches!(
                    self.handles[old as usize].state,
                    HandleState::Released | HandleState::Failed
                ) && !self.handles[old as usize].leaked =>
            {
                self.handles[old as usize] = handle;
                old
            }
            _ => {
                self.handles.push(handle);
                self.handles.len() as HandleId - 1
            }
        };
        if self.handle_names.get(call.name) != Some(&id) {
            self.handle_names.insert(call.name.into(), id);
        }
        match self.gup_pages(cx, &call, api0) {
            Ok((pages, api, calls)) => {
                if call.flags.write {
                    self.add_write_holders(&pages, 1);
                }
                let h = &mut self.handles[id as usize];
                h.pages = pages;
                h.api = api;
                // The calls that fit before a counter's limit: what a release drops.
                h.times = calls;
                h.state = HandleState::Live;
            }
            Err(e) => cx.fail(e),
        }
    }

    /// Argument validation, before any VMA is looked at: FOLL_LONGTERM without FOLL_PIN is
    /// -EINVAL from 6.1 (`__gup_longterm_locked`'s WARN_ON; `is_valid_gup_args` from 6.3).
    pub fn gup_args_valid(&self, kind: GupKind, flags: GupFlags) -> Result<(), OpResult> {
        let foll_get = match kind {
            GupKind::Pin => self.ops().pin_api() == Api::Get,
            GupKind::Get | GupKind::Vmsplice => true,
        };
        if flags.longterm && foll_get && self.settings.era.has(&rules::LONGTERM_REQUIRES_PIN) {
            return Err(OpResult::Einval);
        }
        Ok(())
    }

    fn gup_pages(
        &mut self,
        cx: &mut StepCx,
        call: &GupCall<'_>,
        api0: Api,
    ) -> Result<(Vec<Pfn>, Api, u64), OpResult> {
        let era = self.settings.era;
        let fl = call.flags;
        self.gup_args_valid(call.kind, fl)?;
        if api0 != Api::Get {
            // MMF_HAS_PINNED is set before anything is looked up (__get_user_pages_locked,
            // internal_get_user_pages_fast), so a FOLL_PIN that fails sets it too.
            self.procs[call.proc_ as usize].has_pinned = true;
        }
        let v = &self.vmas[call.vma as usize];
        if !v.live {
            return Err(OpResult::Efault); // find_vma: no VMA
        }
        let (writable, backing) = (v.writable, v.backing);
        let fsdax =
            matches!(backing, Backing::File { file, .. } if self.files[file as usize].fs.dax());
        let dax_refused = fl.longterm && fsdax;
        // check_vma_flags, in the kernel's order: fsdax + FOLL_LONGTERM (5.11+: here; before,
        // __gup_longterm_locked refused after the GUP), then the write checks.
        if dax_refused && era.has(&rules::FSDAX_IN_CHECK_VMA_FLAGS) {
            return Err(OpResult::Eopnotsupp);
        }
        if fl.write && fl.longterm && era.has(&rules::LONGTERM_REFUSES_FILE_WRITE) {
            if let Backing::File {
                file, shared: true, ..
            } = backing
            {
                if self.files[file as usize].fs.dirty_tracking() {
                    return Err(OpResult::Efault); // writable_file_mapping_allowed
                }
            }
        }
        if fl.write && !writable {
            return Err(OpResult::Efault);
        }
        if dax_refused {
            return Err(OpResult::Eopnotsupp); // check_dax_vmas after the GUP (before 5.11)
        }
        let write = self.gup_write(call);
        let mut api = api0;
        let mut fast_done = false;
        if fl.fast {
            cx.charge(Primitive::IrqSave, call.times);
            cx.charge(Primitive::GupCallFast, call.times);
            let saved = self.ctx;
            if saved == Context::Process {
                self.ctx = Context::ProcessIrqsOff;
            }
            let walk_ok = self.fast_walk_ok(call, api0, write);
            let scheme_ok = if api0 == Api::Get {
                FastPath::Proceed
            } else {
                self.ops()
                    .fast_path(self, call.vma, call.range.start, call.range.end)
            };
            self.ctx = saved;
            match (walk_ok, scheme_ok) {
                (true, FastPath::Proceed) => fast_done = true,
                (true, FastPath::Preregistered(f)) => {
                    fast_done = true;
                    api = Api::Fake(f);
                }
                _ => {
                    cx.result = OpResult::Fallback;
                    cx.raise(
                        ViolationKind::GupFastLost,
                        "GUP-fast fell back to the slow path".to_string(),
                    );
                }
            }
        }
        if !fast_done {
            // __get_user_pages: mmap_lock for read, find_vma, fault in as needed.
            cx.charge(Primitive::GupCallSlow, call.times);
            self.rwsem(cx, "mmap_lock");
            cx.charge(Primitive::Rwsem, call.times - 1);
        }
        let mut pages = Vec::with_capacity(call.range.len());
        let mut idx = call.range.start;
        while idx < call.range.end {
            let mut pfn = self.fault(cx, call.vma, idx, write)?;
            if !fast_done && api0 != Api::Get && !fl.write {
                pfn = self.unshare_if_shared(cx, call.vma, idx, pfn, fl.longterm);
            }
            if fl.longterm {
                pfn = self.longterm_placement(cx, call, pfn)?;
            }
            let unit = self.chunk(call.vma, idx);
            let end = unit.end.min(call.range.end);
            pages.extend(std::iter::repeat_n(pfn, (end - idx) as usize));
            idx = end;
        }
        if !fast_done && api0 != Api::Get {
            api = self.ops().begin_pin(
                self,
                cx,
                call.vma,
                call.range.start,
                call.range.end,
                call.times,
            )?;
        }
        // How many of the identical calls fit before a counter passes its limit?
        let calls = self.calls_that_fit(api, &pages, call.times);
        if calls < call.times {
            let pfn = pages[0];
            cx.raise(
                ViolationKind::RefcountOverflow,
                format!(
                    "p{pfn}: call {} of {} would take a 32-bit count past 2^31 - 1 (refcount {}); refused",
                    calls + 1,
                    call.times,
                    self.pages[pfn as usize].refcount
                ),
            );
            cx.fail(OpResult::Enomem);
        }
        self.grab(cx, api, &pages, calls);
        let held = pages.len() as i64 * calls as i64;
        self.ops().end_pin(self, cx, api, held, calls);
        if api != Api::Get {
            self.vmstat.nr_foll_pin_acquired += self.foll_pins(api, &pages) * calls;
        }
        if calls == 0 {
            return Err(OpResult::Enomem);
        }
        Ok((pages, api, calls))
    }

    /// Does the GUP fault for write? FOLL_WRITE, and in 5.8 a read GUP in a writable private
    /// mapping too (should_force_cow_break).
    pub(super) fn gup_write(&self, call: &GupCall<'_>) -> bool {
        let v = &self.vmas[call.vma as usize];
        let cow_mapping = !matches!(v.backing, Backing::File { shared: true, .. });
        call.flags.write
            || (cow_mapping && v.writable && self.settings.era.has(&rules::GUP_BREAKS_COW))
    }

    /// The API a GUP statement of this kind acquires through, before the scheme's slow path
    /// may change it.
    pub(super) fn gup_api(&self, kind: GupKind) -> Api {
        match kind {
            GupKind::Pin => self.ops().pin_api(),
            GupKind::Get | GupKind::Vmsplice => Api::Get,
        }
    }

    /// Can GUP-fast's lockless walk take every page? (PTEs present and permissive; FOLL_PIN
    /// refuses pages it would have to unshare or migrate.)
    pub(super) fn fast_walk_ok(&self, call: &GupCall<'_>, api: Api, write: bool) -> bool {
        let era = self.settings.era;
        let v = &self.vmas[call.vma as usize];
        // folio_fast_pin_allowed() (6.5): a LONGTERM write pin takes anonymous, shmem and
        // hugetlb folios; it looks at the folio, not the VMA, so the anonymous copy in a
        // private file mapping is taken. A folio without a mapping (truncated) goes to the
        // slow path, which decides.
        let refused_file = |p: &Page| {
            call.flags.longterm
                && call.flags.write
                && era.has(&rules::LONGTERM_REFUSES_FILE_WRITE)
                && match p.owner {
                    Owner::Anon { .. } => false,
                    Owner::File { file, .. } | Owner::Dax { file, .. } => {
                        self.files[file as usize].fs.dirty_tracking()
                    }
                    Owner::Orphan { .. } | Owner::DaxFreed { .. } | Owner::Zero => true,
                }
        };
        call.range.clone().all(|idx| match v.ptes[idx as usize] {
            Some(Pte::Present {
                pfn,
                write: pte_write,
                ..
            }) => {
                let p = &self.pages[pfn as usize];
                let unshare = api != Api::Get
                    && !call.flags.write
                    && self.must_unshare(call.vma, pfn, call.flags.longterm);
                let unpinnable = call.flags.longterm && p.zone.longterm_unpinnable();
                // The zero page's PTE is special: GUP-fast leaves it to the slow path.
                (pte_write || !write)
                    && !unshare
                    && !unpinnable
                    && !p.freed
                    && !p.is_zero()
                    && !refused_file(p)
            }
            _ => false,
        })
    }

    /// `gup_must_unshare` for a R/O FOLL_PIN: from 5.19 a possibly shared anonymous page;
    /// from 6.2, under FOLL_LONGTERM in a COW (private) mapping, also any page that is not
    /// anonymous — the shared zero page, a page-cache page (84209e87c696).
    fn must_unshare(&self, vma: VmaId, pfn: Pfn, longterm: bool) -> bool {
        let era = self.settings.era;
        let p = &self.pages[pfn as usize];
        if matches!(p.owner, Owner::Anon { .. }) {
            return era.anon_exclusive() && !p.flags.anon_exclusive;
        }
        let cow_mapping = !matches!(
            self.vmas[vma as usize].backing,
            Backing::File { shared: true, .. }
        );
        longterm && cow_mapping && era.has(&rules::RO_LONGTERM_UNSHARE_COW)
    }

    /// A R/O FOLL_PIN that must unshare (`gup_must_unshare`) triggers FAULT_FLAG_UNSHARE: an
    /// anonymous page that turns out exclusive is marked so; anything else is replaced by an
    /// exclusive anonymous copy, mapped read-only, which is what gets pinned.
    fn unshare_if_shared(
        &mut self,
        cx: &mut StepCx,
        vma: VmaId,
        idx: u32,
        pfn: Pfn,
        longterm: bool,
    ) -> Pfn {
        if !self.must_unshare(vma, pfn, longterm) {
            return pfn;
        }
        let p = &self.pages[pfn as usize];
        if matches!(p.owner, Owner::Anon { .. }) && p.mapcount == 1 && p.refcount == 1 {
            self.pg(cx, pfn).flags.anon_exclusive = true;
            return pfn;
        }
        let new = self.cow_copy(cx, vma, idx, pfn, true, true);
        cx.note(|| format!("unshare: R/O pin of p{pfn} takes an exclusive copy p{new}"));
        new
    }

    /// FOLL_LONGTERM placement (`check_and_migrate_movable_pages`): migrate first where the
    /// release does; when that migration fails, fail the GUP (5.13+) or pin in place and flag
    /// I14 (before).
    fn longterm_placement(
        &mut self,
        cx: &mut StepCx,
        call: &GupCall<'_>,
        pfn: Pfn,
    ) -> Result<Pfn, OpResult> {
        let era = self.settings.era;
        let zone = self.pages[pfn as usize].zone;
        if !zone.longterm_unpinnable() {
            return Ok(pfn);
        }
        let migrates = match zone {
            Zone::Cma => era.has(&rules::LONGTERM_MIGRATES_CMA),
            Zone::Movable => era.has(&rules::LONGTERM_MIGRATES_MOVABLE),
            Zone::Normal => false,
        };
        if migrates {
            if let Some(new) = self.migrate_one(cx, pfn, Zone::Normal) {
                cx.note(|| {
                    format!(
                        "FOLL_LONGTERM: p{pfn} ({zone}) migrated to p{new} (normal) before pinning"
                    )
                });
                return Ok(new);
            }
            if era.has(&rules::LONGTERM_MIGRATION_ENOMEM) {
                cx.note(|| {
                    format!("FOLL_LONGTERM: p{pfn} ({zone}) cannot migrate: -ENOMEM, nothing held")
                });
                return Err(OpResult::Enomem);
            }
            cx.note(|| format!("FOLL_LONGTERM: p{pfn} ({zone}) cannot migrate: pinned in place"));
        }
        cx.raise(
            ViolationKind::LongtermUnpinnable,
            format!(
                "handle {}: p{pfn} of {} is in ZONE_{} and is pinned long-term",
                call.name,
                self.vmas[call.vma as usize].name,
                zone.name().to_uppercase()
            ),
        );
        Ok(pfn)
    }

    fn calls_that_fit(&self, api: Api, pages: &[Pfn], times: u64) -> u64 {
        let mut fit = times;
        for (pfn, n) in folio_runs(pages) {
            let n = n as i64;
            let w = self.weight(api, pfn);
            let p = &self.pages[pfn as usize];
            for (cur, per) in [
                (p.refcount, w.refcount * n),
                (p.pincount, w.pincount * n),
                (p.mapcount, w.mapcount * n),
            ] {
                if per > 0 {
                    let room = (COUNT_MAX - cur).max(0) / per;
                    fit = fit.min(room as u64);
                }
            }
        }
        fit
    }

    /// Takes `calls` holds on every page (folio batches: consecutive equal pfns).
    fn grab(&mut self, cx: &mut StepCx, api: Api, pages: &[Pfn], calls: u64) {
        if calls == 0 {
            return;
        }
        cx.charge(Primitive::GupPage, pages.len() as u64 * calls);
        for (pfn, n) in folio_runs(pages) {
            let w = self.weight(api, pfn);
            cx.charge(Primitive::Atomic, w.acquire_atomics * calls);
            let c = calls as i64 * n as i64;
            let p = self.pg(cx, pfn);
            p.refcount += w.refcount * c;
            p.pincount += w.pincount * c;
            p.mapcount += w.mapcount * c;
            p.fake_maps += w.mapcount * c;
        }
        for &pfn in pages {
            let p = &mut self.pages[pfn as usize];
            p.holders += 1;
            if api != Api::Get {
                p.pin_holders += 1;
            }
        }
    }

    fn add_write_holders(&mut self, pages: &[Pfn], delta: i32) {
        for &pfn in pages {
            let p = &mut self.pages[pfn as usize];
            p.write_holders = p.write_holders.saturating_add_signed(delta);
        }
    }

    /// The handle named in a release/DMA statement, or the errno / violation for a bad one.
    fn releasable(&mut self, cx: &mut StepCx, name: &str, what: &str) -> Option<HandleId> {
        let Some(h) = self.handle_id(name) else {
            cx.fail(OpResult::Einval);
            return None;
        };
        match self.handles[h as usize].state {
            HandleState::Live => Some(h),
            HandleState::Failed => {
                cx.fail(OpResult::Einval);
                None
            }
            HandleState::Completing | HandleState::Released => {
                cx.raise(
                    ViolationKind::UnbalancedRelease,
                    format!("{what} of handle {name}, which no longer holds its pages"),
                );
                None
            }
        }
    }

    /// `put H [dirty]`: the release API matching the acquisition (`put_page` /
    /// `unpin_user_pages[_dirty_lock]` / the fake release), in the current context.
    pub fn put(&mut self, cx: &mut StepCx, name: &str, dirty: bool) {
        let Some(h) = self.releasable(cx, name, "release") else {
            return;
        };
        if dirty {
            self.dirty_lock(cx, h);
        }
        self.release(cx, h);
    }

    /// `set_page_dirty_lock` on each page of the handle that is not dirty yet.
    fn dirty_lock(&mut self, cx: &mut StepCx, h: HandleId) {
        let pages = self.handles[h as usize].pages.clone();
        let mut last = None;
        for pfn in pages {
            if last == Some(pfn) || self.pages[pfn as usize].flags.dirty {
                continue;
            }
            last = Some(pfn);
            self.might_sleep(cx, "set_page_dirty_lock (folio_lock)");
            cx.charge(Primitive::PageLock, 1);
            self.set_page_dirty(cx, pfn, false);
        }
    }

    /// Drops every hold of a handle (with the scheme's per-call teardown) and wakes waiters.
    fn release(&mut self, cx: &mut StepCx, h: HandleId) {
        let (api, calls, write) = {
            let hd = &self.handles[h as usize];
            (hd.api, hd.times, hd.flags.write)
        };
        let pages = std::mem::take(&mut self.handles[h as usize].pages);
        self.handles[h as usize].state = HandleState::Released;
        cx.charge(Primitive::UnpinPage, pages.len() as u64 * calls);
        for &pfn in &pages {
            let p = &mut self.pages[pfn as usize];
            p.holders -= 1;
            if api != Api::Get {
                p.pin_holders -= 1;
            }
        }
        if write {
            self.add_write_holders(&pages, -1);
        }
        for (pfn, n) in folio_runs(&pages) {
            let w = self.weight(api, pfn);
            cx.charge(Primitive::Atomic, w.release_atomics * calls);
            let c = calls as i64 * n as i64;
            let p = self.pg(cx, pfn);
            p.pincount -= w.pincount * c;
            p.mapcount -= w.mapcount * c;
            p.fake_maps -= w.mapcount * c;
            self.put_refs(cx, pfn, w.refcount * c);
            self.maybe_free_zombie(cx, pfn);
        }
        self.vmstat.nr_foll_pin_released += self.foll_pins(api, &pages) * calls;
        self.handles[h as usize].pages = pages;
        let held = self.handles[h as usize].pages.len() as i64 * calls as i64;
        self.ops().end_release(self, cx, api, held);
        self.wake_waiters(cx);
    }

    /// `put_page H`: plain `put_page()` whatever the acquisition (a bug on a pin).
    pub fn put_page(&mut self, cx: &mut StepCx, name: &str) {
        let Some(h) = self.releasable(cx, name, "put_page") else {
            return;
        };
        let api = self.handles[h as usize].api;
        if api == Api::Get {
            return self.release(cx, h);
        }
        let (calls, write) = (
            self.handles[h as usize].times,
            self.handles[h as usize].flags.write,
        );
        let pages = self.handles[h as usize].pages.clone();
        self.handles[h as usize].state = HandleState::Released;
        self.handles[h as usize].leaked = true;
        cx.raise(
            ViolationKind::WrongRelease,
            match api {
                Api::Pin => format!("put_page on pinned handle {name}: GUP_PIN_COUNTING_BIAS - 1 stays in _refcount"),
                _ => format!("put_page on fake-vma handle {name}: drops a reference GUP never took"),
            },
        );
        if write {
            self.add_write_holders(&pages, -1);
        }
        for (pfn, n) in folio_runs(&pages) {
            let w = self.weight(api, pfn);
            cx.charge(Primitive::Atomic, calls);
            let c = calls as i64 * n as i64;
            for _ in 0..n {
                let p = &mut self.pages[pfn as usize];
                p.holders -= 1;
                p.pin_holders -= 1;
            }
            let p = self.pg(cx, pfn);
            p.leaked += (w.refcount - 1) * c;
            p.leaked_pins += w.pincount * c;
            p.leaked_maps += w.mapcount * c;
            self.put_refs(cx, pfn, c);
        }
        cx.charge(Primitive::UnpinPage, pages.len() as u64 * calls);
    }

    /// `complete H [dirty]`: block-layer completion in hard-IRQ context (`bio_check_pages_dirty`).
    pub fn complete(&mut self, cx: &mut StepCx, name: &str, dirty: bool) {
        let saved = self.ctx;
        self.ctx = Context::HardIrq;
        if let Some(h) = self.releasable(cx, name, "completion") {
            let any_clean = self.handles[h as usize]
                .pages
                .iter()
                .any(|&p| !self.pages[p as usize].flags.dirty);
            if dirty && any_clean {
                // The page lock sleeps: the whole release waits for the workqueue.
                self.handles[h as usize].state = HandleState::Completing;
                self.workqueue.push_back(Work::BioDirty(h));
                cx.charge(Primitive::QueueWork, 1);
                cx.raise(
                    ViolationKind::Deferred,
                    format!("bio_dirty_work: dirtying and release of {name} deferred"),
                );
            } else {
                self.release(cx, h);
            }
        }
        self.ctx = saved;
    }

    /// `workqueue`: a kworker runs every queued item in process context.
    pub fn run_workqueue(&mut self, cx: &mut StepCx) {
        if self.workqueue.is_empty() {
            return;
        }
        cx.charge(Primitive::WorkerWakeup, 1);
        while self.run_work_item(cx) {}
    }

    /// `kworker` in a schedule (and the explorer's kworker): the kworker wakes and runs the
    /// oldest queued item only, so other statements can interleave between two deferred items.
    pub fn run_one_work(&mut self, cx: &mut StepCx) {
        if !self.workqueue.is_empty() {
            cx.charge(Primitive::WorkerWakeup, 1);
            self.run_work_item(cx);
        }
    }

    /// Runs the oldest queued item in process context; false when none was queued.
    fn run_work_item(&mut self, cx: &mut StepCx) -> bool {
        let Some(w) = self.workqueue.pop_front() else {
            return false;
        };
        let saved = self.ctx;
        self.ctx = Context::Process;
        match w {
            Work::BioDirty(h) => {
                if self.handles[h as usize].state == HandleState::Completing {
                    self.dirty_lock(cx, h);
                    self.release(cx, h);
                }
            }
            Work::FakeRelease(f) => self.remove_fake(cx, f),
        }
        self.ctx = saved;
        true
    }

    /// Takes a fake VMA out of its tree under the tree's rwsem and frees it.
    pub fn remove_fake(&mut self, cx: &mut StepCx, f: FakeId) {
        let fake = &self.fakes[f as usize];
        if fake.freed {
            return;
        }
        let (tree, s, l, calls, twin) = (fake.tree, fake.start, fake.last, fake.calls, fake.twin);
        let lock = match tree {
            super::TreeRef::File(_) => "i_mmap_rwsem",
            super::TreeRef::Anon(_) => "anon_vma->root->rwsem",
        };
        // One removal per call's fake VMA: the lock and the tree erase each time.
        self.rwsem(cx, lock);
        cx.charge(Primitive::Rwsem, calls - 1);
        let n = self.tree(tree).len();
        cx.charge(
            Primitive::ItreeNode,
            itree_visits(n.saturating_sub(1)).saturating_mul(calls),
        );
        self.tree_mut(tree).remove(s, l, super::RmapEntry::Fake(f));
        let fake = &mut self.fakes[f as usize];
        fake.freed = true;
        fake.pending_free = false;
        cx.note(|| {
            format!(
                "fake F{f} removed from {} (n={})",
                self.tree_name(tree),
                n - 1
            )
        });
        if let Some(t) = twin {
            self.remove_fake(cx, t);
        }
    }

    /// `dma H read|write [RANGE]`: the device touches the handle's pages.
    pub fn dma(&mut self, cx: &mut StepCx, name: &str, dir: DmaDir, range: PageRange) {
        let Some(h) = self.handle_id(name) else {
            return cx.fail(OpResult::Einval);
        };
        let state = self.handles[h as usize].state;
        let all = &self.handles[h as usize].pages;
        let Some(range) = range
            .resolve(all.len() as u32)
            .filter(|_| state != HandleState::Failed)
        else {
            return cx.fail(OpResult::Einval);
        };
        let pages: Vec<Pfn> = all[range.start as usize..range.end as usize].to_vec();
        if state == HandleState::Released {
            cx.raise(
                ViolationKind::DmaAfterFree,
                format!("DMA through released handle {name}"),
            );
        }
        let mut last = None;
        for pfn in pages {
            if last == Some(pfn) {
                continue;
            }
            last = Some(pfn);
            let p = &self.pages[pfn as usize];
            if p.freed {
                cx.raise(ViolationKind::DmaAfterFree, format!("p{pfn} was freed"));
            }
            if dir == DmaDir::Read {
                continue;
            }
            match p.owner {
                Owner::Orphan { file, index } => cx.raise(
                    ViolationKind::DmaToOrphan,
                    format!(
                        "p{pfn} left {}:{index}; the data can never reach the file",
                        self.files[file as usize].name
                    ),
                ),
                Owner::DaxFreed { file, index } => cx.raise(
                    ViolationKind::DmaToOrphan,
                    format!(
                        "DAX block {}:{index} was freed and may belong to another file",
                        self.files[file as usize].name
                    ),
                ),
                _ => {}
            }
            if let (Some((_, bounced)), Some(fs)) = (p.wb_snapshot, self.fs_of(pfn)) {
                if p.flags.writeback && fs.stable_writes() && !bounced {
                    cx.raise(
                        ViolationKind::UnstableWriteOut,
                        format!("p{pfn} changed under write-out (checksum mismatch)"),
                    );
                }
            }
            self.store(cx, pfn);
        }
    }

    /// Re-checks tasks blocked on pins after a release.
    pub fn wake_waiters(&mut self, cx: &mut StepCx) {
        if self.waiters.is_empty() {
            return;
        }
        let waiters = std::mem::take(&mut self.waiters);
        for w in waiters {
            match w {
                Waiter::Writeback { file, index, sync } => {
                    let pfn = self.files[file as usize].cache.get(&index).copied();
                    match pfn {
                        Some(pfn) if self.maybe_dma_pinned(pfn) == Some(true) => {
                            self.waiters.push(w)
                        }
                        Some(pfn) => {
                            cx.note(|| format!("waiting writeback of p{pfn} resumes"));
                            self.write_out(
                                cx,
                                pfn,
                                false,
                                false,
                                sync && self.settings.writeback
                                    == crate::settings::WritebackPolicy::KeepDirty,
                            );
                        }
                        None => {}
                    }
                }
                Waiter::DaxTruncate {
                    file,
                    start,
                    end,
                    size,
                } => {
                    let busy = self.files[file as usize]
                        .cache
                        .range(start..end)
                        .any(|(_, &p)| self.pages[p as usize].refcount > 1);
                    if busy {
                        self.waiters.push(w);
                        continue;
                    }
                    cx.note(|| {
                        format!(
                            "dax_layout_busy_page: {}:{start}..{end} idle, the truncate completes",
                            self.files[file as usize].name
                        )
                    });
                    match size {
                        Some(size) => self.finish_truncate(cx, file, size),
                        None => self.punch(cx, file, start..end),
                    }
                }
            }
        }
    }

    /// Handles acquired in the current `repeat` iteration that still hold pages: pin-leak.
    pub fn end_iteration(&mut self, cx: &mut StepCx) {
        let ids: Vec<HandleId> = self.handle_names.values().copied().collect();
        let mut leaked = Vec::new();
        for id in ids {
            let h = &mut self.handles[id as usize];
            if h.iteration_scoped
                && !h.leak_reported
                && matches!(h.state, HandleState::Live | HandleState::Completing)
            {
                h.leak_reported = true;
                leaked.push(h.name.clone());
            }
            h.iteration_scoped = false;
        }
        for name in leaked {
            cx.raise(
                ViolationKind::PinLeak,
                format!("handle {name} acquired in a repeat iteration was not released in it"),
            );
        }
    }

    /// End-of-script checks: unreleased handles, blocked waiters.
    pub fn end_of_script(&mut self, cx: &mut StepCx) {
        let live: Vec<String> = self
            .live_handles()
            .filter(|(_, h)| !h.leak_reported)
            .map(|(_, h)| h.name.clone())
            .collect();
        for name in live {
            cx.raise(
                ViolationKind::PinLeak,
                format!("handle {name} was never released"),
            );
        }
        for w in self.waiters.clone() {
            let what = match w {
                Waiter::Writeback { file, index, .. } => {
                    format!(
                        "writeback of {}:{index} waits for a pin that is never dropped",
                        self.files[file as usize].name
                    )
                }
                Waiter::DaxTruncate {
                    file, start, end, ..
                } => {
                    format!(
                        "truncate of DAX {}:{start}..{end} waits in dax_layout_busy_page forever",
                        self.files[file as usize].name
                    )
                }
            };
            cx.raise(ViolationKind::WritebackStall, what);
        }
    }
}

/// Runs of consecutive equal pfns: the pages of one folio, released or taken as one batch
/// (`gup_folio_next`).
fn folio_runs(pages: &[Pfn]) -> impl Iterator<Item = (Pfn, usize)> + '_ {
    pages.chunk_by(|a, b| a == b).map(|run| (run[0], run.len()))
}
