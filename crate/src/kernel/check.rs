//! State invariants over the pages a step touched, and the ledger audit.
//!
//! [`STATE_CHECKS`] is the table of named state predicates evaluated after every step on the
//! pages the step changed; a finding is raised when its predicate becomes true and re-armed when
//! it becomes false. Event-style invariants (I10, I12, I13, I15, I16, I18, I22) are raised by the
//! operations themselves. [`Kernel::audit`] recomputes every counter from first principles (page
//! cache, buffers, page tables, live handles, fakes, leaks) — the property tests' ledger check.

use super::{Api, HandleState, Kernel, Owner, Page, Pte, StepCx};
use crate::invariants::ViolationKind;

/// A named state predicate over one page: `Some(detail)` when it is violated.
pub struct StateCheck {
    /// The finding it raises.
    pub kind: ViolationKind,
    /// The predicate.
    pub check: fn(&Kernel, &Page) -> Option<String>,
}

/// The state checks, run on every page a step touched.
pub static STATE_CHECKS: &[StateCheck] = &[
    StateCheck {
        kind: ViolationKind::LostWrite,
        check: lost_write,
    },
    StateCheck {
        kind: ViolationKind::PinUndetected,
        check: pin_undetected,
    },
    StateCheck {
        kind: ViolationKind::FalsePositive,
        check: false_positive,
    },
];

/// I5: a cached file page that is clean, newer than the disk, not under write-out and held by no
/// write pin has data that will never be written back.
fn lost_write(k: &Kernel, p: &Page) -> Option<String> {
    let Owner::File { file, index } = p.owner else {
        return None;
    };
    let f = &k.files[file as usize];
    let disk = *f.disk.get(index as usize)?;
    let lost = f.fs.has_disk()
        && !p.flags.dirty
        && !p.flags.writeback
        && p.write_holders == 0
        && p.version != disk;
    lost.then(|| {
        format!(
            "p{} ({}:{index}) is clean, newer than the disk, and no write pin holds it",
            p.pfn, f.name
        )
    })
}

/// I3: "False positives are acceptable, but false negatives are not."
/// (Documentation/core-api/pin_user_pages.rst)
/// From 6.5 a pin of the zero page is deliberately not tracked (c8070b787519): not a miss.
fn pin_undetected(k: &Kernel, p: &Page) -> Option<String> {
    let untracked = p.is_zero() && k.settings.era.has(&crate::rules::ZEROPAGE_NOT_PINNED);
    (p.pin_holders > 0 && !untracked && k.ops().maybe_dma_pinned(k, p) == Some(false))
        .then(|| format!("p{} is pinned but the scheme answers 'not pinned'", p.pfn))
}

/// I3′ (informational): the scheme says pinned with no live pin.
fn false_positive(k: &Kernel, p: &Page) -> Option<String> {
    (p.pin_holders == 0 && k.ops().maybe_dma_pinned(k, p) == Some(true)).then(|| {
        format!(
            "p{} reads as pinned (refcount {}) with no pin held",
            p.pfn, p.refcount
        )
    })
}

impl Kernel {
    /// Runs [`STATE_CHECKS`] on the pages the step touched.
    pub fn check_touched(&mut self, cx: &mut StepCx) {
        for i in 0..cx.before.len() {
            let pfn = cx.before[i].pfn;
            let page = &self.pages[pfn as usize];
            for c in STATE_CHECKS {
                let key = (c.kind, pfn);
                match (!page.freed).then(|| (c.check)(self, page)).flatten() {
                    Some(detail) => {
                        if !self.latched.contains(&key) {
                            self.latched.insert(key);
                            cx.raise(c.kind, detail);
                        }
                    }
                    None => {
                        self.latched.remove(&key);
                    }
                }
            }
        }
    }

    /// The ledger: every counter recomputed from what accounts for it. Empty when consistent.
    pub fn audit(&self) -> Vec<String> {
        let n = self.pages.len();
        let mut pte = vec![0i64; n];
        for (vid, v) in self.vmas.iter().enumerate().filter(|(_, v)| v.live) {
            let mut i = 0;
            while i < v.pages {
                let unit = self.chunk(vid as u32, i);
                if let Some(Pte::Present { pfn, .. }) = v.ptes[i as usize] {
                    if !self.pages[pfn as usize].is_zero() {
                        pte[pfn as usize] += 1;
                    }
                }
                i = unit.end;
            }
        }
        let (mut refs, mut maps, mut pins, mut holders) =
            (vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0u32; n]);
        let mut pinned_pages = 0u64;
        for h in &self.handles {
            let live = matches!(h.state, HandleState::Live | HandleState::Completing);
            if !live {
                if h.leaked && h.api == Api::Pin {
                    pinned_pages += self.foll_pins(h.api, &h.pages) * h.times;
                }
                continue;
            }
            pinned_pages += self.foll_pins(h.api, &h.pages) * h.times;
            for &pfn in &h.pages {
                let w = self.weight(h.api, pfn);
                let t = h.times as i64;
                refs[pfn as usize] += w.refcount * t;
                maps[pfn as usize] += w.mapcount * t;
                pins[pfn as usize] += w.pincount * t;
                holders[pfn as usize] += 1;
            }
        }
        let mut out = Vec::new();
        for p in &self.pages {
            let i = p.pfn as usize;
            if p.freed {
                if pte[i] > 0 || holders[i] > 0 {
                    out.push(format!(
                        "p{i}: freed but mapped {} / held {}",
                        pte[i], holders[i]
                    ));
                }
                continue;
            }
            let cached = match p.owner {
                Owner::File { file, index } | Owner::Dax { file, index } => {
                    i64::from(self.files[file as usize].cache.get(&index) == Some(&p.pfn))
                }
                _ => 0,
            };
            let want_ref = cached
                + i64::from(p.is_zero())
                + i64::from(p.flags.buffers)
                + pte[i]
                + i64::from(p.flags.swapcache)
                + p.extra_refs
                + p.leaked
                + refs[i];
            let want_map = pte[i] + maps[i] + p.leaked_maps;
            let want_pin = pins[i] + p.leaked_pins;
            if p.refcount != want_ref && !(p.zombie && p.refcount <= 0) {
                out.push(format!(
                    "p{i}: refcount {} but holders account for {want_ref}",
                    p.refcount
                ));
            }
            if p.mapcount != want_map {
                out.push(format!(
                    "p{i}: mapcount {} but mappings account for {want_map}",
                    p.mapcount
                ));
            }
            if p.pincount != want_pin {
                out.push(format!(
                    "p{i}: pincount {} but pins account for {want_pin}",
                    p.pincount
                ));
            }
            if p.fake_maps != maps[i] + p.leaked_maps {
                out.push(format!(
                    "p{i}: fake_maps {} but fakes account for {}",
                    p.fake_maps,
                    maps[i] + p.leaked_maps
                ));
            }
            if p.holders != holders[i] {
                out.push(format!(
                    "p{i}: holders {} but {} handle entries",
                    p.holders, holders[i]
                ));
            }
            // A negative count is what the kernel would hold after a mismatched release; it must
            // then be explained by the leak bookkeeping.
            if (p.refcount < 0 && p.leaked >= 0) || p.mapcount < 0 || p.pincount < 0 {
                out.push(format!("p{i}: negative counter"));
            }
        }
        let vm = &self.vmstat;
        if vm.nr_foll_pin_acquired < vm.nr_foll_pin_released
            || vm.nr_foll_pin_acquired - vm.nr_foll_pin_released != pinned_pages
        {
            out.push(format!(
                "vmstat: acquired {} - released {} != {pinned_pages} pinned",
                vm.nr_foll_pin_acquired, vm.nr_foll_pin_released
            ));
        }
        out
    }
}
