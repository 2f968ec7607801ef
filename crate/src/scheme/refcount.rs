//! `refcount`: `pin_user_pages()` / `unpin_user_pages()` with FOLL_PIN (domain §2.B).
//!
//! `counter=bias` (mainline): a small folio takes `GUP_PIN_COUNTING_BIAS` (1024) on `_refcount`
//! per pin — `try_get_folio` adds one, then `folio_ref_add(folio, refs * 1023)`, two atomics on
//! the same line — and `folio_maybe_dma_pinned()` answers `refcount >= 1024`, with false
//! positives. A large folio takes +1 on `_refcount` and +1 on its exact `_pincount`.
//! `counter=exact` (the 2018 RFC idea): every page has an exact pin count.

use super::{Scheme, SchemeKind, Weight};
use crate::kernel::{Api, Kernel, Page, GUP_PIN_COUNTING_BIAS};
use crate::settings::CounterMode;

/// The pin-counter scheme (FOLL_PIN).
pub struct Refcount;

fn exact(k: &Kernel, page: &Page) -> bool {
    k.settings.counter == CounterMode::Exact || page.large()
}

impl Scheme for Refcount {
    fn kind(&self) -> SchemeKind {
        SchemeKind::Refcount
    }

    fn pin_api(&self) -> Api {
        Api::Pin
    }

    /// `try_grab_folio(FOLL_PIN)` / `gup_put_folio`.
    fn pin_weight(&self, k: &Kernel, page: &Page) -> Weight {
        if exact(k, page) {
            // +1 `_refcount`, +1 `_pincount`: two atomics each way.
            Weight {
                refcount: 1,
                pincount: 1,
                mapcount: 0,
                acquire_atomics: 2,
                release_atomics: 2,
            }
        } else {
            // try_get_folio (+1) then folio_ref_add(refs * 1023); one folio_put_refs on release.
            Weight {
                refcount: GUP_PIN_COUNTING_BIAS,
                pincount: 0,
                mapcount: 0,
                acquire_atomics: 2,
                release_atomics: 1,
            }
        }
    }

    /// `folio_maybe_dma_pinned()`: exact `_pincount` where the folio has one, otherwise
    /// `(unsigned)refcount >= GUP_PIN_COUNTING_BIAS` (a negative, overflowed count reads as pinned).
    fn maybe_dma_pinned(&self, k: &Kernel, page: &Page) -> Option<bool> {
        Some(if exact(k, page) {
            page.pincount > 0
        } else {
            page.refcount < 0 || page.refcount >= GUP_PIN_COUNTING_BIAS
        })
    }
}
