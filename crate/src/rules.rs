//! Kernel versions and the mm rules that changed between them.
//!
//! `kernel X.Y` selects a mainline release. Every behaviour that differs between releases is a
//! [`Rule`] with the release that merged it, the commit, and (where a later commit replaced it)
//! the release that ended it. The model's code asks [`KernelVersion::has`]; nothing else forks
//! on the version, and `pinlab explain --kernel X.Y` prints [`rules_at`].

use std::fmt;

/// A mainline kernel release `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

const fn v(major: u8, minor: u8) -> KernelVersion {
    KernelVersion { major, minor }
}

impl KernelVersion {
    /// The kernel of the December 2018 linux-mm thread (`kernel 2018`).
    pub const Y2018: KernelVersion = v(4, 19);
    /// The oldest release pinlab models.
    pub const OLDEST: KernelVersion = v(4, 14);
    /// The newest release pinlab models.
    pub const NEWEST: KernelVersion = v(6, 18);
    /// The releases the front ends offer in their menus (any other is accepted in scripts).
    pub const PRESETS: &'static [KernelVersion] = &[
        v(4, 19),
        v(5, 9),
        v(5, 17),
        v(5, 19),
        v(6, 1),
        v(6, 2),
        v(6, 5),
    ];

    /// A release, when pinlab models it (4.14 ..= 6.18; 4.x ends at 4.20, 5.x at 5.19).
    pub fn new(major: u8, minor: u8) -> Option<Self> {
        let last_minor = match major {
            4 => 20,
            5 => 19,
            6 => Self::NEWEST.minor,
            _ => return None,
        };
        let k = v(major, minor);
        (minor <= last_minor && k >= Self::OLDEST && k <= Self::NEWEST).then_some(k)
    }

    /// Reads `X.Y` (or `2018`, which means 4.19).
    pub fn from_name(s: &str) -> Option<Self> {
        if s == "2018" {
            return Some(Self::Y2018);
        }
        let (a, b) = s.split_once('.')?;
        if b.len() > 1 && b.starts_with('0') {
            return None;
        }
        Self::new(a.parse().ok()?, b.parse().ok()?)
    }

    /// Every modelled release, oldest first.
    pub fn all() -> impl Iterator<Item = KernelVersion> {
        (4..=6u8).flat_map(|major| (0..=20u8).filter_map(move |minor| Self::new(major, minor)))
    }

    /// Is the rule in force in this release?
    pub fn has(self, rule: &Rule) -> bool {
        self >= rule.since && rule.until.is_none_or(|u| self < u)
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl serde::Serialize for KernelVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for KernelVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        KernelVersion::from_name(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown kernel version `{s}`")))
    }
}

/// A behaviour of one range of releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id (used by `explain --kernel` and the docs).
    pub id: &'static str,
    /// First release with the rule.
    pub since: KernelVersion,
    /// First release without it (a later commit replaced it), if any.
    pub until: Option<KernelVersion>,
    /// The commit that introduced it (and the one that ended it, if any).
    pub commit: &'static str,
    /// What the rule does, in the kernel's words.
    pub what: &'static str,
}

macro_rules! rules {
    ($($(#[$m:meta])* $name:ident = $id:literal, $since:expr, $until:expr, $commit:literal, $what:literal;)+) => {
        $( $(#[$m])* pub const $name: Rule = Rule {
            id: $id, since: $since, until: $until, commit: $commit, what: $what,
        }; )+
        /// Every rule, grouped by topic (releases: each rule's `since` / `until`).
        pub const ALL: &[Rule] = &[$($name),+];
    };
}

rules! {
    /// `do_wp_page` reuses an anonymous page by mapcount (`reuse_swap_page`), ignoring GUP
    /// references.
    COW_REUSE_MAPCOUNT = "cow-reuse-mapcount", v(2, 6), Some(v(5, 9)),
        "ended by 09854ba94c6a (mm: do_wp_page() simplification)",
        "do_wp_page reuses an anonymous page when mapcount == 1 (reuse_swap_page), whatever GUP holds";
    /// `do_wp_page` reuses an anonymous page only when `page_count() == 1`.
    COW_REUSE_REFCOUNT = "cow-reuse-refcount", v(5, 9), None,
        "09854ba94c6a (mm: do_wp_page() simplification)",
        "do_wp_page reuses an anonymous page only when page_count == 1 (a GUP reference forces a copy)";
    /// Every FOLL_GET / FOLL_PIN GUP in a COW mapping breaks COW first (as if FOLL_WRITE), so
    /// the caller's reference is to its own copy: the first fix of the vmsplice leak, replaced
    /// in 5.9 by the refcount-based reuse rule.
    GUP_BREAKS_COW = "gup-breaks-cow", v(5, 8), Some(v(5, 9)),
        "17839856fd58 (gup: document and work around \"COW can break either way\" issue); ended by a308c71bf1e6 (mm/gup: Remove enfornced COW mechanism)",
        "should_force_cow_break: a read GUP in a writable private mapping faults for write (GUP-fast only takes writable PTEs), so it holds the caller's own copy, never a page shared with another process";
    /// fork copies maybe-pinned anonymous pages of an mm that has pinned (PTEs), and splits
    /// PMD-mapped THPs that may be pinned so their subpages are copied.
    FORK_COPIES_PINNED = "fork-copies-pinned", v(5, 9), None,
        "70e806e4e645 (mm: Do early cow for pinned pages during fork() for ptes), d042035eaf5f (mm/thp: Split huge pmds/puds if they're pinned when fork()), 008cfe4418b3 (mm: Introduce mm_struct.has_pinned)",
        "copy_present_page: the child gets a copy of every maybe-DMA-pinned anon page; copy_huge_pmd splits a maybe-pinned THP and retries on PTEs";
    /// GUP-fast with FOLL_PIN reads `mm->write_protect_seq` around its walk and gives up (the
    /// slow path then waits for fork's mmap_lock) if fork was copying page tables meanwhile.
    GUP_FAST_FORK_SEQ = "gup-fast-fork-seq", v(5, 11), None,
        "57efa1fe5957 (mm/gup: prevent gup_fast from racing with COW during fork)",
        "copy_page_range runs inside the write side of mm->write_protect_seq; GUP-fast (FOLL_PIN) fails if the count is odd or changed, and slow GUP waits for fork's mmap_lock";
    /// Pinned anonymous pages are not added to the swap cache.
    PINNED_NOT_SWAPCACHE = "pinned-not-swapcache", v(5, 11), None,
        "feb889fb40fa (mm: don't put pinned pages into the swap cache)",
        "shrink_page_list keeps a page_maybe_dma_pinned anonymous page out of the swap cache";
    /// FOLL_LONGTERM migrates CMA pages before pinning.
    LONGTERM_MIGRATES_CMA = "longterm-migrates-cma", v(5, 1), None,
        "9a4e9f3b2d73 (mm: update get_user_pages_longterm to migrate pages allocated from CMA region)",
        "FOLL_LONGTERM migrates pages out of CMA before pinning them";
    /// FOLL_LONGTERM migrates ZONE_MOVABLE pages before pinning.
    LONGTERM_MIGRATES_MOVABLE = "longterm-migrates-movable", v(5, 13), None,
        "d1e153fea2a8 (mm/gup: migrate pinned pages out of movable zone)",
        "FOLL_LONGTERM migrates pages out of ZONE_MOVABLE before pinning them";
    /// A failed FOLL_LONGTERM migration fails the GUP (before: pinned in place).
    LONGTERM_MIGRATION_ENOMEM = "longterm-migration-enomem", v(5, 13), None,
        "f0f4463837da (mm/gup: return an error on migration failure)",
        "check_and_migrate_movable_pages: when migration fails, the GUP returns -ENOMEM and holds nothing (before: pinned in place)";
    /// The fsdax FOLL_LONGTERM refusal moved into `check_vma_flags`, before the write checks.
    FSDAX_IN_CHECK_VMA_FLAGS = "fsdax-in-check-vma-flags", v(5, 11), None,
        "52650c8b466b (mm/gup: remove the vma allocation from gup_longterm_locked())",
        "check_vma_flags refuses FOLL_LONGTERM on fsdax (-EOPNOTSUPP) before the write checks; before, GUP ran first and __gup_longterm_locked refused afterwards";
    /// `do_huge_pmd_wp_page` reuses a PMD-mapped THP by mapcount, ignoring GUP references.
    THP_COW_REUSE_MAPCOUNT = "thp-cow-reuse-mapcount", v(2, 6), Some(v(5, 18)),
        "ended by 3bff7e3f1f16 (mm/huge_memory: streamline COW logic in do_huge_pmd_wp_page())",
        "do_huge_pmd_wp_page reuses a THP when its mapcount is 1 (reuse_swap_page), whatever GUP holds: the vmsplice leak still works for THP";
    /// A COW fault on a PMD-mapped THP that cannot be reused splits the PMD and copies only the
    /// 4 KiB page written (before: a new THP).
    THP_COW_SPLITS = "thp-cow-splits", v(5, 8), None,
        "3917c80280c9 (thp: change CoW semantics for anon-THP)",
        "do_huge_pmd_wp_page: when the THP cannot be reused, or the PMD maps the huge zero page, __split_huge_pmd and fall back to a 4 KiB COW of the written page; the other subpages stay shared (or on the zero page)";
    /// A write fault on a swap entry reuses the swap-cache page by mapcount + swapcount.
    SWAPIN_REUSE_MAPCOUNT = "swapin-reuse-mapcount", v(2, 6), Some(v(5, 18)),
        "ended by c145e0b47c77 (mm: streamline COW logic in do_swap_page())",
        "do_swap_page with FAULT_FLAG_WRITE reuses the page when mapcount + swapcount == 1 (reuse_swap_page) and drops it from the swap cache, whatever GUP holds";
    /// Reclaim leaves a maybe-pinned folio alone once it is unmapped: no pageout, no release of
    /// its buffers (the fix for the DIO-vs-reclaim race of the 2018 thread, FOLL_PIN users only).
    RECLAIM_SKIPS_PINNED = "reclaim-skips-pinned", v(6, 3), None,
        "d824ec2a1546 (mm: do not reclaim private data from pinned page); also in 6.1.y stable",
        "shrink_folio_list: after try_to_unmap, a folio_maybe_dma_pinned folio is activated: no pageout, no filemap_release_folio of its buffers";
    /// `PG_anon_exclusive`; R/O FOLL_PIN unshares possibly shared anonymous pages.
    ANON_EXCLUSIVE = "anon-exclusive", v(5, 19), None,
        "6c287605fd56 (mm: remember exclusively mapped anonymous pages with PG_anon_exclusive), a7f226604170 (mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page)",
        "PageAnonExclusive decides COW reuse; a R/O FOLL_PIN unshares a possibly shared anon page; try_to_unmap/try_to_migrate refuse an exclusive maybe-pinned page";
    /// `mprotect(PROT_WRITE)` maps exclusive anonymous pages writable at once.
    MPROTECT_EXCLUSIVE_WRITABLE = "mprotect-exclusive-writable", v(6, 0), None,
        "64fe24a3e05e (mm/mprotect: try avoiding write faults for exclusive anonymous pages when changing protection)",
        "mprotect(PROT_WRITE) makes the PTE of an exclusive anon page writable at once";
    /// R/O FOLL_LONGTERM in a COW mapping unshares the zeropage and page-cache pages too.
    RO_LONGTERM_UNSHARE_COW = "ro-longterm-unshare-cow", v(6, 2), None,
        "84209e87c696 (mm/gup: reliable R/O long-term pinning in COW mappings)",
        "gup_must_unshare: a R/O FOLL_LONGTERM pin in a COW (private) mapping unshares any page that is not exclusive anon — the shared zeropage, a page-cache page — and pins the exclusive anon copy";
    /// FOLL_LONGTERM without FOLL_PIN is refused with `-EINVAL`.
    LONGTERM_REQUIRES_PIN = "longterm-requires-pin", v(6, 1), None,
        "f6d299ec39d8 (mm/gup.c: don't pass gup_flags to check_and_migrate_movable_pages()); 6.3 moved the check into is_valid_gup_args (d64e2dbc33a1, mm/gup: simplify the external interface functions and consolidate invariants)",
        "__gup_longterm_locked: FOLL_LONGTERM without FOLL_PIN is -EINVAL (WARN_ON), before any VMA is looked at";
    /// Pinning the shared zeropage takes no pin.
    ZEROPAGE_NOT_PINNED = "zeropage-not-pinned", v(6, 5), None,
        "c8070b787519 (mm: Don't pin ZERO_PAGE in pin_user_pages())",
        "try_grab_folio/unpin_user_page do nothing for the zero page: it reads not pinned and nr_foll_pin_* do not move";
    /// FOLL_LONGTERM | FOLL_WRITE on a dirty-tracked file mapping is refused.
    LONGTERM_REFUSES_FILE_WRITE = "longterm-refuses-file-write", v(6, 5), None,
        "8ac268436e6d (mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings), a6e79df92e4a (mm/gup: disallow FOLL_LONGTERM GUP-fast writing to file-backed mappings)",
        "check_vma_flags (writable_file_mapping_allowed) refuses a FOLL_LONGTERM write pin of a dirty-tracked shared file mapping with -EFAULT; GUP-fast (folio_fast_pin_allowed) falls back on a page-cache folio of such a filesystem and takes anonymous ones";
}

impl KernelVersion {
    /// `do_wp_page` reuse decision for an anonymous page mapped read-only: by mapcount
    /// (`reuse_swap_page`) before 5.9, by `page_count() == 1` from 5.9, and by
    /// PageAnonExclusive (else the refcount test) from 5.19.
    pub fn cow_reuse(self, mapcount: i64, refcount: i64, anon_exclusive: bool) -> bool {
        if self.has(&ANON_EXCLUSIVE) {
            anon_exclusive || refcount == 1
        } else if self.has(&COW_REUSE_REFCOUNT) {
            refcount == 1
        } else {
            mapcount == 1
        }
    }
    /// PageAnonExclusive exists (5.19).
    pub fn anon_exclusive(self) -> bool {
        self.has(&ANON_EXCLUSIVE)
    }
}

/// The rules in force in `k`, in table order.
pub fn rules_at(k: KernelVersion) -> impl Iterator<Item = &'static Rule> {
    ALL.iter().filter(move |r| k.has(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(KernelVersion::from_name("2018"), Some(v(4, 19)));
        assert_eq!(KernelVersion::from_name("6.1").unwrap().to_string(), "6.1");
        for bad in ["4.13", "5.20", "7.0", "6.01", "6", "x.y", "6.99", ""] {
            assert_eq!(KernelVersion::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn rules_have_their_range() {
        let six_one = KernelVersion::from_name("6.1").unwrap();
        assert!(six_one.has(&ANON_EXCLUSIVE));
        assert!(!six_one.has(&RO_LONGTERM_UNSHARE_COW));
        assert!(!six_one.has(&SWAPIN_REUSE_MAPCOUNT));
        assert!(v(5, 17).has(&SWAPIN_REUSE_MAPCOUNT));
        assert!(!v(5, 18).has(&THP_COW_REUSE_MAPCOUNT));
        for r in ALL {
            assert!(r.until.is_none_or(|u| u > r.since), "{}", r.id);
        }
    }
}
