//! Kernel function names by release.
//!
//! The texts pinlab shows (violation kernel paths, notes) name kernel functions by their modern
//! names. Many of them were renamed by the folio conversions; [`at`] rewrites a text to the names
//! a chosen release used, so a reader of Linux 4.19 sees `set_page_dirty_lock` (and the name it
//! has now), and a reader of 6.13 sees `folio_mark_dirty_lock`.
//!
//! Every row of [`RENAMES`] was checked against the kernel's history: the commit that introduced
//! the new name and the first release that shipped it. A leaf module.

use crate::rules::KernelVersion;

/// One rename: from `since` on, the kernel calls `old` by `new` (the old name may survive for a
/// while as a wrapper; `new` is what current code calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The name before.
    pub old: &'static str,
    /// The name from `since` on.
    pub new: &'static str,
    /// The first release with the new name.
    pub since: KernelVersion,
    /// The commit that introduced the new name (12 hex digits, mainline).
    pub commit: &'static str,
}

const fn v(major: u8, minor: u8) -> KernelVersion {
    KernelVersion { major, minor }
}

/// The renames, oldest release first.
pub const RENAMES: &[Rename] = &[
    Rename {
        old: "page_mkclean",
        new: "folio_mkclean",
        since: v(5, 16),
        commit: "d9c08e2232fb",
    },
    Rename {
        old: "clear_page_dirty_for_io",
        new: "folio_clear_dirty_for_io",
        since: v(5, 16),
        commit: "9350f20a070d",
    },
    Rename {
        old: "set_page_writeback",
        new: "folio_start_writeback",
        since: v(5, 16),
        commit: "f143f1ea5a53",
    },
    Rename {
        old: "wait_for_stable_page",
        new: "folio_wait_stable",
        since: v(5, 16),
        commit: "a49d0c507759",
    },
    Rename {
        old: "wait_on_page_writeback",
        new: "folio_wait_writeback",
        since: v(5, 16),
        commit: "490e016f229a",
    },
    Rename {
        old: "try_to_release_page",
        new: "filemap_release_folio",
        since: v(5, 17),
        commit: "82c50f8b4433",
    },
    Rename {
        old: "delete_from_page_cache",
        new: "filemap_remove_folio",
        since: v(5, 17),
        commit: "452e9e6992fe",
    },
    Rename {
        old: "page_maybe_dma_pinned",
        new: "folio_maybe_dma_pinned",
        since: v(5, 18),
        commit: "0b90ddae1344",
    },
    Rename {
        old: "__put_page",
        new: "__folio_put",
        since: v(6, 0),
        commit: "8d29c7036f5f",
    },
    Rename {
        old: "set_page_dirty_lock",
        new: "folio_mark_dirty_lock",
        since: v(6, 13),
        commit: "7fce207af5ec",
    },
];

/// The current name of a function known by `name` (itself when it was never renamed).
pub fn modern(name: &str) -> &str {
    let mut cur = name;
    // Follow old -> new; bounded by the table's length, so a cycle cannot loop.
    for _ in 0..RENAMES.len() {
        match RENAMES.iter().find(|r| r.old == cur) {
            Some(r) => cur = r.new,
            None => break,
        }
    }
    cur
}

/// The name `v` used for the function currently called `modern_name` (before the oldest
/// rename, the oldest name the table knows).
pub fn name_at(modern_name: &str, v: KernelVersion) -> &str {
    let mut cur = modern_name;
    for _ in 0..RENAMES.len() {
        match RENAMES.iter().find(|r| r.new == cur && v < r.since) {
            Some(r) => cur = r.old,
            None => break,
        }
    }
    cur
}

/// Rewrites every function name in `text` (whole identifiers only) to the name in use at `v`.
/// Where that is an older name, the first occurrence is followed by ` (now NEW)`:
/// at 4.19, `set_page_dirty_lock after try_to_release_page` reads
/// `set_page_dirty_lock (now folio_mark_dirty_lock) after try_to_release_page (now
/// filemap_release_folio)`; at 6.13 and later, `folio_mark_dirty_lock after
/// filemap_release_folio`. Old names in `text` are understood too.
pub fn at(text: &str, v: KernelVersion) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut annotated: Vec<&str> = Vec::new();
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident(bytes[i]) {
            // Copy up to the next identifier byte (all ASCII, so char boundaries hold).
            let start = i;
            while i < bytes.len() && !is_ident(bytes[i]) {
                i += 1;
            }
            out.push_str(&text[start..i]);
            continue;
        }
        let start = i;
        while i < bytes.len() && is_ident(bytes[i]) {
            i += 1;
        }
        let word = &text[start..i];
        let now = modern(word);
        let then = name_at(now, v);
        out.push_str(then);
        if then != now && !annotated.contains(&now) {
            annotated.push(now);
            out.push_str(" (now ");
            out.push_str(now);
            out.push(')');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4_19: KernelVersion = v(4, 19);
    const V6_1: KernelVersion = v(6, 1);

    #[test]
    fn old_names_with_the_new_one_once() {
        assert_eq!(
            at("folio_mark_dirty_lock after filemap_release_folio", V4_19),
            "set_page_dirty_lock (now folio_mark_dirty_lock) after try_to_release_page \
             (now filemap_release_folio)"
        );
        assert_eq!(
            at(
                "folio_clear_dirty_for_io -> folio_mkclean; folio_mkclean again",
                V4_19
            ),
            "clear_page_dirty_for_io (now folio_clear_dirty_for_io) -> page_mkclean \
             (now folio_mkclean); page_mkclean again"
        );
    }

    #[test]
    fn at_6_1_folio_names_but_set_page_dirty_lock() {
        assert_eq!(
            at("folio_mark_dirty_lock after filemap_release_folio", V6_1),
            "set_page_dirty_lock (now folio_mark_dirty_lock) after filemap_release_folio"
        );
        assert_eq!(
            at("put_page -> __folio_put; folio_maybe_dma_pinned", V6_1),
            "put_page -> __folio_put; folio_maybe_dma_pinned"
        );
        // Old spellings are understood.
        assert_eq!(
            at("wait_for_stable_page, page_maybe_dma_pinned", V6_1),
            "folio_wait_stable, folio_maybe_dma_pinned"
        );
    }

    #[test]
    fn boundaries_and_whole_identifiers() {
        let v5_15 = v(5, 15);
        let v5_16 = v(5, 16);
        assert_eq!(
            at("folio_mkclean", v5_15),
            "page_mkclean (now folio_mkclean)"
        );
        assert_eq!(at("folio_mkclean", v5_16), "folio_mkclean");
        assert_eq!(at("__folio_put", v(5, 19)), "__put_page (now __folio_put)");
        assert_eq!(at("__folio_put", v(6, 0)), "__folio_put");
        // Part of a longer identifier: untouched.
        assert_eq!(at("my_folio_mkclean_x", V4_19), "my_folio_mkclean_x");
        assert_eq!(at("", V4_19), "");
        assert_eq!(
            at("émigré: folio_mkclean!", V4_19),
            "émigré: page_mkclean (now folio_mkclean)!"
        );
    }

    #[test]
    fn table_is_sane() {
        for r in RENAMES {
            assert!(r.since >= KernelVersion::OLDEST && r.since <= KernelVersion::NEWEST);
            assert_eq!(r.commit.len(), 12, "{}", r.old);
            assert!(r.commit.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_ne!(r.old, r.new);
        }
        for w in RENAMES.windows(2) {
            assert!(w[0].since <= w[1].since, "oldest release first");
        }
    }
}
