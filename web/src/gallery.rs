//! The gallery: the repository's example scenarios (`examples/*.pin`), embedded at build time,
//! plus the built-in default race. One table, one row per script.

use crate::logic::DEFAULT_SCRIPT;

/// One gallery script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Stable id (the `<option>` value): `default` or the example's file stem.
    pub id: &'static str,
    /// Short title shown in the select (after the file's first comment line).
    pub title: &'static str,
    /// The script text.
    pub text: &'static str,
}

macro_rules! example {
    ($id:literal, $title:literal) => {
        Entry {
            id: $id,
            title: $title,
            text: include_str!(concat!("../../examples/", $id, ".pin")),
        }
    };
}

/// The gallery, in display order: the default race first, then `examples/*.pin` by name.
pub const GALLERY: &[Entry] = &[
    Entry {
        id: "default",
        title: "Default: Jan Kara's DIO/reclaim race (built in)",
        text: DEFAULT_SCRIPT,
    },
    example!(
        "e517-swapin-reuse-leak",
        "5.17: the vmsplice leak through a swap-in write"
    ),
    example!(
        "e517-thp-vmsplice-leak",
        "5.17: the vmsplice leak still works for a THP"
    ),
    example!(
        "e59-mprotect-cow",
        "5.9: an mprotect toggle COWs a pinned page away"
    ),
    example!(
        "e519-mprotect-cow",
        "5.19: PageAnonExclusive keeps the pinned page"
    ),
    example!(
        "e519-reclaim-pinned-anon",
        "5.19: reclaim leaves a maybe-pinned anon page mapped"
    ),
    example!(
        "e519-unshare-ro-pin",
        "5.19: a R/O pin of a shared anon page unshares it"
    ),
    example!(
        "e61-thp-fork-split",
        "6.1: fork splits a THP with a pinned subpage"
    ),
    example!(
        "e61-zeropage-ro-pin",
        "6.1: a R/O long-term pin of the zero page"
    ),
    example!(
        "s01-dio-reclaim-race",
        "S1: O_DIRECT read into a shared ext4 page (Jan Kara)"
    ),
    example!(
        "s02-writeback-during-dma",
        "S2: writeback while a device writes the page"
    ),
    example!(
        "s02b-writeback-during-dma-keep-dirty",
        "S2b: writeback keeps pinned pages dirty (Jan Kara, 2018)"
    ),
    example!("s03-large-dio", "S3: 2 MiB read, 512 pages per GUP call"),
    example!(
        "s04-small-io-storm",
        "S4: 100,000 small O_DIRECT reads (heavy: ~0.5 s)"
    ),
    example!(
        "s05-rdma-truncate",
        "S5: long-term RDMA registration, then truncate"
    ),
    example!(
        "s05b-rdma-truncate-6.5",
        "S5b: RDMA + truncate on 6.5 rules (refused)"
    ),
    example!("s06-gup-fast", "S6: GUP-fast takes no locks"),
    example!("s07-irq-completion", "S7: completion in hard-IRQ context"),
    example!("s08-migrate-pinned", "S8: migration of pinned pages"),
    example!(
        "s08b-longterm-movable",
        "S8b: long-term pin in ZONE_MOVABLE"
    ),
    example!("s09-fork-after-pin", "S9: GUP-after-fork (COW)"),
    example!(
        "s10-vmsplice-cow-leak",
        "S10: vmsplice COW leak (CVE-2020-29374)"
    ),
    example!(
        "s11-bias-false-positive",
        "S11: bias counter false positive (busy pipe)"
    ),
    example!(
        "s11b-exact-counter",
        "S11b: exact pin count, no false positive"
    ),
    example!("s12-double-unpin", "S12: double unpin by a driver"),
    example!(
        "s13-put-page-on-pin",
        "S13: put_page() used to release a pin"
    ),
    example!("s15-overflow", "S15: 2,097,152 pins overflow _refcount"),
    example!(
        "s16-fake-vma-zombie",
        "S16: fake-VMA zombie page after munmap + truncate"
    ),
    example!(
        "s17-reclaim-pinned-anon",
        "S17: reclaim of a pinned anonymous page"
    ),
    example!(
        "t01-flusher-vs-dio",
        "T1: two threads, the flusher vs a direct-IO read"
    ),
    example!(
        "t02-deferred-dirty-vs-reclaim",
        "T2: the kworker's deferred dirtying vs reclaim"
    ),
    example!(
        "t03-gup-fast-vs-fork",
        "T3: GUP-fast between fork's check and write-protect (5.10)"
    ),
];

/// The `<option>` value of the user's own script (kept in `pinlab.scratch`).
pub const SCRATCH_ID: &str = "scratch";

/// The gallery entry whose text is exactly `text`.
pub fn find(text: &str) -> Option<&'static Entry> {
    GALLERY.iter().find(|e| e.text == text)
}

/// The gallery entry with this id.
pub fn by_id(id: &str) -> Option<&'static Entry> {
    GALLERY.iter().find(|e| e.id == id)
}

/// Whether replacing `text` would lose the user's work: it is not empty and differs from every
/// gallery script (the default included), so it must be kept as the scratch script first.
pub fn needs_scratch(text: &str) -> bool {
    !text.trim().is_empty() && find(text).is_none()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    /// Every example in the repository is in the gallery (native test: reads the directory).
    #[test]
    fn every_example_is_in_the_gallery() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
        let mut missing = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "pin") {
                let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                if !super::GALLERY.iter().any(|g| g.id == stem) {
                    missing.push(stem);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "examples missing from the gallery: {missing:?}"
        );
    }
}
