//! `legacy`: `get_user_pages()` + `put_page()` as in ≈4.19 (domain §2.A). A GUP reference is one
//! more `_refcount` among page tables, the page cache, buffers, the LRU and pipes: nobody can
//! tell that a device is about to write the page.

use super::{Scheme, SchemeKind, Weight, GET_WEIGHT};
use crate::kernel::{Api, Kernel, Page};

/// The legacy scheme (FOLL_GET).
pub struct Legacy;

impl Scheme for Legacy {
    fn kind(&self) -> SchemeKind {
        SchemeKind::Legacy
    }

    fn pin_api(&self) -> Api {
        Api::Get
    }

    /// `get_page()`: +1 on `_refcount` per page (compound pages: per subpage, on the head).
    fn pin_weight(&self, _k: &Kernel, _page: &Page) -> Weight {
        GET_WEIGHT
    }

    /// A bare refcount cannot tell a pin from any other reference.
    fn maybe_dma_pinned(&self, _k: &Kernel, _page: &Page) -> Option<bool> {
        None
    }
}
