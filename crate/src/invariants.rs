//! Violations and informational events (model.md "Violations"; domain §5).
//!
//! Each kind has a stable name, a one-line explanation, the kernel path it corresponds to and the
//! invariant of domain §5 it encodes. Event-style checks (a DMA into an orphan, a sleeping lock in
//! IRQ) are raised by the operation that causes them; state-style checks (I5 dirty-tracking
//! soundness, I3 no false negative) run over the pages a step touched, through [`STATE_CHECKS`],
//! and are raised when they become true.

use serde::{Deserialize, Serialize};

use crate::kfuncs;
use crate::rules::KernelVersion;
use crate::settings::names;

names! {
    /// What went wrong (or, for the informational kinds, what is worth seeing).
    ViolationKind {
        LostWrite = "lost-write",
        DirtyWithoutBuffers = "dirty-without-buffers",
        UnstableWriteOut = "unstable-write-out",
        DmaToOrphan = "dma-to-orphan",
        DmaAfterFree = "dma-after-free",
        PinLostByCow = "pin-lost-by-cow",
        CowLeak = "cow-leak",
        PinUndetected = "pin-undetected",
        UnbalancedRelease = "unbalanced-release",
        WrongRelease = "wrong-release",
        RefcountOverflow = "refcount-overflow",
        SleepInAtomic = "sleep-in-atomic",
        LongtermUnpinnable = "longterm-unpinnable",
        ZombiePage = "zombie-page",
        WritebackStall = "writeback-stall",
        PinLeak = "pin-leak",
        FalsePositive = "false-positive",
        GupFastLost = "gup-fast-lost",
        Deferred = "deferred",
        DirtiedWithoutMkwrite = "dirtied-without-mkwrite",
    }
}

/// The documentation of one kind.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct KindInfo {
    /// The kind.
    pub kind: ViolationKind,
    /// One-line explanation.
    pub explanation: &'static str,
    /// The kernel path where it bites, with current function names (see
    /// [`KindInfo::kernel_path_at`] for the names of a given release).
    pub kernel_path: &'static str,
    /// Internal: the invariant id(s) of the domain notes (§5) this kind encodes. For
    /// maintainers cross-checking the notes; not meant for readers (the page does not show it).
    pub invariant: &'static str,
    /// One URL a reader can open about this kind (a mailing-list post, a commit, an article), or
    /// "" when none fits.
    pub link: &'static str,
}

impl KindInfo {
    /// The kernel path with the function names release `v` used (`kfuncs::at`): older names
    /// carry the current one once, e.g. at 4.19 `set_page_dirty_lock (now folio_mark_dirty_lock)`.
    pub fn kernel_path_at(&self, v: KernelVersion) -> String {
        kfuncs::at(self.kernel_path, v)
    }
}

impl ViolationKind {
    /// Informational events are shown but are not violations (`expect ok` ignores them).
    pub fn informational(self) -> bool {
        matches!(
            self,
            ViolationKind::FalsePositive
                | ViolationKind::GupFastLost
                | ViolationKind::Deferred
                | ViolationKind::DirtiedWithoutMkwrite
        )
    }
    /// Its documentation.
    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }
}

macro_rules! kinds {
    ($($kind:ident: $expl:literal, $path:literal, $inv:literal, $link:literal;)+) => {
        /// The table of kinds, in `ViolationKind::ALL` order.
        pub static KINDS: &[KindInfo] = &[$(KindInfo {
            kind: ViolationKind::$kind, explanation: $expl, kernel_path: $path, invariant: $inv,
            link: $link,
        }),+];
    };
}

kinds! {
    LostWrite: "data written to a page will never reach the disk: the page is clean, newer than the disk and no write pin is live, or it was dropped",
        "folio_clear_dirty_for_io -> folio_mkclean; the DMA write set no dirty bit", "I5, I6",
        "https://lwn.net/Articles/753027/";
    DirtyWithoutBuffers: "a page of a buffer-head filesystem became dirty after its buffers were released (the ext4 BUG/WARN)",
        "folio_mark_dirty_lock after filemap_release_folio; ext4_writepage BUG_ON(!page_has_buffers)", "I7",
        "https://lore.kernel.org/all/20180103100430.GE4911@quack2.suse.cz/";
    UnstableWriteOut: "a page changed while under write-out on a filesystem that needs stable pages",
        "folio_start_writeback; DMA bypasses folio_wait_stable", "I9",
        "https://lore.kernel.org/all/20181218234254.GC31274@dastard/";
    DmaToOrphan: "DMA into a page that is no longer in its file (truncated or punched) or a freed DAX block",
        "truncate_inode_pages_range -> filemap_remove_folio (mapping = NULL)", "I10, I11",
        "https://lwn.net/Articles/774411/";
    DmaAfterFree: "the device reaches a page that was freed, migrated away or reclaimed, or through a GUP reference or pin already released",
        "put_page / unpin_user_page -> __folio_put; migrate_pages", "I12, I13, I23",
        "https://lwn.net/Articles/753027/";
    PinLostByCow: "the pinning process no longer maps the pinned page: COW moved it away",
        "do_wp_page -> wp_page_copy (reuse refused)", "I15",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=70e806e4e645";
    CowLeak: "one process sees another's writes through a COW-shared page (CVE-2020-29374)",
        "do_wp_page reuses a page another process still holds (reuse_swap_page, mapcount == 1)", "I16",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=17839856fd58";
    PinUndetected: "a scheme that claims detection answered 'not pinned' for a pinned page",
        "folio_maybe_dma_pinned / mapcount vs rmap walk", "I3",
        "https://patchwork.kernel.org/project/linux-block/patch/20191030224930.3990755-20-jhubbard@nvidia.com";
    UnbalancedRelease: "release of something not held; a count would go negative; vmstat released > acquired",
        "unpin_user_page / put_page on a page the caller no longer holds", "I1, I2, I4",
        "https://patchwork.kernel.org/project/linux-block/patch/20191030224930.3990755-20-jhubbard@nvidia.com";
    WrongRelease: "the release API does not match the acquisition (put_page on a pin, ...)",
        "put_page vs unpin_user_page (Documentation/core-api/pin_user_pages.rst)", "I22",
        "https://patchwork.kernel.org/project/linux-block/patch/20191030224930.3990755-20-jhubbard@nvidia.com";
    RefcountOverflow: "a counter would pass its limit (2^31 with GUP_PIN_COUNTING_BIAS = 1024)",
        "try_grab_folio: folio_ref_count < 0 (CVE-2019-11487)", "I2",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=8fde12ca79af";
    SleepInAtomic: "a sleeping lock, page lock or GFP_KERNEL allocation in IRQ or IRQs-off context",
        "might_sleep in folio_mark_dirty_lock / down_write(i_mmap_rwsem) / kmem_cache_alloc", "I18",
        "https://lore.kernel.org/all/20181210102846.GC29289@quack2.suse.cz/";
    LongtermUnpinnable: "a FOLL_LONGTERM pin sits in movable/CMA memory or on DAX",
        "__gup_longterm_locked -> check_and_migrate_movable_pages", "I14",
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=2bb6d2837083";
    ZombiePage: "a page's refcount reached zero while it is still mapped or pinned",
        "put_page -> __folio_put while the fake mapping remains (the fake-VMA proposal's page-free check)", "I12",
        "https://lore.kernel.org/all/20181208022445.GA7024@redhat.com/";
    WritebackStall: "a waiter blocks on a pin that is never released before the script ends: the task would hang",
        "folio_wait_writeback / dax_layout_busy_page waiting on a pin", "I6",
        "https://lore.kernel.org/all/CAPcyv4go0Xzhz8rXdfscWuXDu83BO9v8WD4upDUJWb7gKzX5OQ@mail.gmail.com/";
    PinLeak: "a GUP reference or pin taken by the script was never released",
        "unpin_user_pages never called (nr_foll_pin_acquired != nr_foll_pin_released)", "I1, I4",
        "https://patchwork.kernel.org/project/linux-block/patch/20191030224930.3990755-20-jhubbard@nvidia.com";
    FalsePositive: "the scheme says pinned when nothing pins the page (allowed: 'false positives are acceptable')",
        "folio_maybe_dma_pinned: refcount >= GUP_PIN_COUNTING_BIAS", "I3'",
        "https://patchwork.kernel.org/project/linux-block/patch/20191030224930.3990755-20-jhubbard@nvidia.com";
    GupFastLost: "GUP-fast gave up and the slow path ran (mmap_lock, find_vma)",
        "gup_fast -> __gup_longterm_locked fallback", "-",
        "https://lore.kernel.org/all/CAPcyv4go0Xzhz8rXdfscWuXDu83BO9v8WD4upDUJWb7gKzX5OQ@mail.gmail.com/";
    Deferred: "work queued from IRQ context to the workqueue",
        "bio_check_pages_dirty -> schedule_work(&bio_dirty_work); fake VMA removal", "F12",
        "https://lore.kernel.org/all/20181210102846.GC29289@quack2.suse.cz/";
    DirtiedWithoutMkwrite: "a clean page became dirty with no page_mkwrite since it was cleaned",
        "folio_mark_dirty_lock from the pin release, not from a write fault", "I8",
        "https://lore.kernel.org/all/20181218234254.GC31274@dastard/";
}

/// One finding raised at a step.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    /// What.
    pub kind: ViolationKind,
    /// Details for this occurrence (which page, which handle).
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_enum_order() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(k.kind as usize, i);
        }
        assert_eq!(KINDS.len(), ViolationKind::ALL.len());
    }

    #[test]
    fn texts_have_no_internal_ids_and_links_open() {
        for k in KINDS {
            for text in [k.explanation, k.kernel_path] {
                for bad in ["[R", "[I", "[B", "§", "domain", "handle"] {
                    assert!(!text.contains(bad), "{}: {text}", k.kind);
                }
            }
            assert!(
                k.link.is_empty() || k.link.starts_with("https://"),
                "{}: {}",
                k.kind,
                k.link
            );
        }
    }

    #[test]
    fn kernel_paths_use_current_names_and_read_back_in_old_releases() {
        for k in KINDS {
            for word in k
                .kernel_path
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            {
                assert_eq!(kfuncs::modern(word), word, "{}: old name {word}", k.kind);
            }
        }
        let info = ViolationKind::DirtyWithoutBuffers.info();
        let v = |s| KernelVersion::from_name(s).unwrap();
        assert_eq!(
            info.kernel_path_at(v("4.19")),
            "set_page_dirty_lock (now folio_mark_dirty_lock) after try_to_release_page \
             (now filemap_release_folio); ext4_writepage BUG_ON(!page_has_buffers)"
        );
        assert_eq!(
            info.kernel_path_at(v("6.1")),
            "set_page_dirty_lock (now folio_mark_dirty_lock) after filemap_release_folio; \
             ext4_writepage BUG_ON(!page_has_buffers)"
        );
        assert_eq!(info.kernel_path_at(v("6.13")), info.kernel_path);
        let lost = ViolationKind::LostWrite.info();
        assert_eq!(
            lost.kernel_path_at(v("4.19")),
            "clear_page_dirty_for_io (now folio_clear_dirty_for_io) -> page_mkclean \
             (now folio_mkclean); the DMA write set no dirty bit"
        );
        assert_eq!(lost.kernel_path_at(v("6.1")), lost.kernel_path);
    }

    #[test]
    fn sixteen_violations_four_events() {
        let n = ViolationKind::ALL
            .iter()
            .filter(|k| !k.informational())
            .count();
        assert_eq!(n, 16);
    }
}
