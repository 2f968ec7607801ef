//! The pinning schemes behind one trait. Each scheme is a stateless unit struct in its own file;
//! every piece of state lives in [`Kernel`]. The generic GUP and release paths in
//! `kernel/gup.rs` ask the scheme what one pin weighs on a page, what the "is it pinned?"
//! answer is, and what happens once per call (the fake VMA's allocation, insertion and removal).
//! A fourth scheme (say the mapcount-only variant C′ of domain §2.C) is one more file.

mod fake_vma;
mod legacy;
mod refcount;

pub use fake_vma::FakeVma;
pub use legacy::Legacy;
pub use refcount::Refcount;

use crate::kernel::{Api, Kernel, Page, StepCx, VmaId};
use crate::settings::names;
use crate::OpResult;

names! {
    /// Which scheme: the identity used by scripts, the UI toggle, the CLI and the traces.
    SchemeKind { Legacy = "legacy", Refcount = "refcount", FakeVma = "fake-vma" }
}

impl SchemeKind {
    /// The scheme's behaviour.
    pub fn scheme(self) -> &'static dyn Scheme {
        match self {
            SchemeKind::Legacy => &Legacy,
            SchemeKind::Refcount => &Refcount,
            SchemeKind::FakeVma => &FakeVma,
        }
    }
}

/// What one GUP call's hold on one page adds to its counters, and the atomics it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weight {
    /// Added to `_refcount`.
    pub refcount: i64,
    /// Added to `_pincount`.
    pub pincount: i64,
    /// Added to mapcount (a fake mapping).
    pub mapcount: i64,
    /// Atomic RMWs to acquire (per folio per call).
    pub acquire_atomics: u64,
    /// Atomic RMWs to release (per folio per call).
    pub release_atomics: u64,
}

/// The weight of a FOLL_GET reference (`get_page`): +1 on `_refcount`, per page.
pub const GET_WEIGHT: Weight = Weight {
    refcount: 1,
    pincount: 0,
    mapcount: 0,
    acquire_atomics: 1,
    release_atomics: 1,
};

/// What GUP-fast may do under a scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPath {
    /// Take the pages locklessly.
    Proceed,
    /// Give up; the slow path runs.
    Fallback,
    /// Use a fake VMA registered earlier in process context.
    Preregistered(crate::kernel::FakeId),
}

/// A pinning scheme.
pub trait Scheme: Sync {
    /// Its identity.
    fn kind(&self) -> SchemeKind;

    /// The API handles taken by `gup` must be released with, before the call's own setup.
    fn pin_api(&self) -> Api;

    /// What one pin of `page` weighs (the generic path multiplies by pages and calls).
    fn pin_weight(&self, k: &Kernel, page: &Page) -> Weight;

    /// The scheme's "is it pinned?" answer (`page_maybe_dma_pinned` or equivalent); `None` when
    /// the scheme cannot know.
    fn maybe_dma_pinned(&self, k: &Kernel, page: &Page) -> Option<bool>;

    /// GUP-fast on `vma` pages `start..end`: may the lockless walk take pins?
    fn fast_path(&self, _k: &Kernel, _vma: VmaId, _start: u32, _end: u32) -> FastPath {
        FastPath::Proceed
    }

    /// Per-call setup in the slow path, before pages are taken, for `calls` identical calls;
    /// returns the handle's API (the fake VMA's id under fake-vma).
    fn begin_pin(
        &self,
        _k: &mut Kernel,
        _cx: &mut StepCx,
        _vma: VmaId,
        _start: u32,
        _end: u32,
        _calls: u64,
    ) -> Result<Api, OpResult> {
        Ok(self.pin_api())
    }

    /// After the pages are taken: the call's own bookkeeping for `held` = pages × calls.
    fn end_pin(&self, _k: &mut Kernel, _cx: &mut StepCx, _api: Api, _held: i64, _calls: u64) {}

    /// Per-call teardown once a handle's pages are released: `held` is what the handle held
    /// through `api` (pages × calls). Runs in the kernel's current context.
    fn end_release(&self, _k: &mut Kernel, _cx: &mut StepCx, _api: Api, _held: i64) {}
}
