//! One self-checking script per version-dependent rule, run on both sides of the release that
//! changed it: each pair fails if the rule is missing or applies to the wrong releases.
//! (The zero page, the THP and swap-in leaks and the fork split also have gallery examples.)

use mm_model::cost::Primitive;
use mm_model::{parse, KernelVersion, Overrides, SchemeKind};

/// Runs `text` under `scheme` with `kernel`, and returns whether every expectation held.
fn holds(text: &str, kernel: &str, scheme: SchemeKind) -> bool {
    let parse = parse(text);
    assert!(!parse.has_errors(), "{:?}\n{text}", parse.diagnostics);
    let o = Overrides {
        schemes: vec![scheme],
        era: Some(KernelVersion::from_name(kernel).unwrap()),
        ..Overrides::default()
    };
    mm_model::run(&parse.script, &o).passed()
}

/// `text` holds under `yes` and fails under `no` (the rule's two sides).
fn changes_at(text: &str, scheme: SchemeKind, yes: &str, no: &str) {
    assert!(holds(text, yes, scheme), "should hold on {yes}:\n{text}");
    assert!(!holds(text, no, scheme), "should fail on {no}:\n{text}");
}

#[test]
fn ro_longterm_pin_of_a_private_file_page_unshares_from_6_2() {
    let text = "file F ext4 pages=1\nmmap m F private rw\nread m\n\
                gup io m longterm\nexpect page m 0 mapcount=1 refcount=1025\n\
                write m\nexpect no-violation pin-lost-by-cow\nput io\n";
    changes_at(text, SchemeKind::Refcount, "6.2", "6.1");
}

/// MMF_HAS_PINNED is set by every FOLL_PIN call before it looks anything up, so a pin that
/// fails marks the mm too (008cfe4418b3 and its successors): from 5.9 a later fork copies a
/// page whose references merely look pinned (1,024 extra: the bias's false positive).
#[test]
fn a_failed_pin_still_sets_mmf_has_pinned_from_5_9() {
    let text = "mmap a anon pages=1 rw\nmmap r anon pages=1 ro\nwrite a\nrefs a 0 +1024\n\
                gup x r write\nexpect result EFAULT\nfork child\nexpect page a 0 mapcount=1\n";
    changes_at(text, SchemeKind::Refcount, "5.9", "5.8");
    // Without the failed pin the mm never pinned, and fork shares the page.
    let never = text.replace("gup x r write\nexpect result EFAULT\n", "");
    assert!(!holds(&never, "6.1", SchemeKind::Refcount));
}

/// From 6.5 a LONGTERM write pin refuses page-cache folios of filesystems that need writeback,
/// and GUP-fast leaves them to the slow path, but GUP-fast takes the anonymous copy in a
/// private file mapping: `folio_fast_pin_allowed()` looks at the folio, not the VMA (found by
/// the selftest gup_longterm's private-mapping case).
#[test]
fn gup_fast_longterm_write_looks_at_the_folio_from_6_5() {
    let private = "file F ext4 pages=1\nmmap m F private rw\nwrite m\n\
                   gup io m write longterm fast\nexpect result ok\n";
    for kernel in ["6.1", "6.5", "6.18"] {
        assert!(holds(private, kernel, SchemeKind::Refcount), "{kernel}");
    }
    let shared = "file F ext4 pages=1\nmmap m F shared rw\nwrite m\n\
                  gup io m write longterm fast\nexpect result EFAULT\n";
    changes_at(shared, SchemeKind::Refcount, "6.5", "6.4");
}

#[test]
fn failed_longterm_migration_is_enomem_from_5_13() {
    let text = "mmap m anon pages=1 rw zone=movable\nwrite m\nrefs m 0 +1\n\
                gup io m longterm write\nexpect result ENOMEM\nexpect no-violation longterm-unpinnable\n";
    changes_at(text, SchemeKind::Refcount, "5.13", "5.12");
}

#[test]
fn pinned_anon_page_stays_out_of_the_swap_cache_from_5_11() {
    let text = "mmap m anon pages=1 rw\nwrite m\nfork child\ngup io m write\n\
                reclaim m\nexpect page m 0 mapcount=1\nput io\n";
    // After fork the page is shared and not exclusive, so only feb889fb40fa keeps it mapped.
    changes_at(text, SchemeKind::Refcount, "5.11", "5.10");
}

#[test]
fn reclaim_leaves_a_pinned_file_page_its_buffers_from_6_3() {
    let text = "file A ext4 pages=1\nmmap buf A shared rw\nwrite buf 0\ngup io buf 0 write\n\
                writeback A\nreclaim A\ndma io write\nput io dirty\n\
                expect no-violation dirty-without-buffers\n";
    changes_at(text, SchemeKind::Refcount, "6.3", "6.2");
    // FOLL_GET references are invisible to the rule: legacy still breaks on 6.3.
    assert!(!holds(text, "6.3", SchemeKind::Legacy));
}

#[test]
fn thp_cow_splits_and_copies_one_page_from_5_8() {
    let text = "mmap h anon pages=512 rw huge\nwrite h\nfork child\nwrite h 0\n\
                expect page h 0 mapcount=1\nexpect page h 1 mapcount=2\n";
    changes_at(text, SchemeKind::Legacy, "5.8", "5.7");
}

#[test]
fn legacy_longterm_is_einval_from_6_1_before_the_vma_checks() {
    let text = "mmap m anon pages=1 ro\ngup io m write longterm\nexpect result EINVAL\n";
    changes_at(text, SchemeKind::Legacy, "6.1", "6.0");
}

#[test]
fn zero_page_pins_count_nothing_from_6_5() {
    let text = "mmap m anon pages=1 rw\nread m\ngup io m\n\
                expect page m 0 zeropage=yes refcount=1\nexpect not-pinned m 0\nput io\n";
    changes_at(text, SchemeKind::Refcount, "6.5", "6.4");
}

/// fake-vma: `times=N` is N fake VMAs, so an rmap walk over the pinned page visits N + 1
/// entries (N fakes and the real VMA), and the GUP allocates N.
#[test]
fn fake_vma_walks_and_allocations_scale_with_calls() {
    let walk = |n: u64| {
        let text = format!(
            "file F ext4 pages=1\nmmap m F shared rw\nwrite m\ngup io m write times={n}\n\
             writeback F\nput io\n"
        );
        let parse = parse(&text);
        let o = Overrides {
            schemes: vec![SchemeKind::FakeVma],
            ..Overrides::default()
        };
        let r = mm_model::run(&parse.script, &o);
        let t = &r.traces[0];
        let count = |line: &str, p: Primitive| {
            t.steps
                .iter()
                .find(|s| s.text.starts_with(line))
                .map_or(0, |s| s.costs.get(p))
        };
        (
            count("writeback", Primitive::RmapVma),
            count("gup", Primitive::SlabAlloc),
        )
    };
    assert_eq!(walk(1), (2, 1));
    assert_eq!(walk(7), (8, 7));
    assert_eq!(walk(1000), (1001, 1000));
}

/// fake-vma: a R/O GUP over a MAP_PRIVATE file range with a COWed page and a page-cache page
/// allocates a fake VMA and a fake anon_vma chain.
#[test]
fn fake_vma_mixed_private_range_needs_both_fakes() {
    let text = "file F ext4 pages=2\nmmap m F private rw\nread m\nwrite m 0\ngup io m\nput io\n";
    let parse = parse(text);
    let o = Overrides {
        schemes: vec![SchemeKind::FakeVma],
        ..Overrides::default()
    };
    let r = mm_model::run(&parse.script, &o);
    let gup = r.traces[0]
        .steps
        .iter()
        .find(|s| s.text.starts_with("gup"))
        .unwrap();
    assert_eq!(gup.costs.get(Primitive::SlabAlloc), 2, "{:?}", gup.notes);
    assert!(r.traces[0]
        .steps
        .iter()
        .all(|s| s.result != mm_model::OpResult::Einval));
}

/// Rules the differential run against Linux 6.1 found (docs/fidelity.md), on 6.1.
#[test]
fn rules_found_by_the_differential_run() {
    let on_61 = |text: &str| holds(text, "6.1", SchemeKind::Refcount);
    // vma_needs_copy: a private file VMA with a COWed page has its page-cache PTEs copied.
    assert!(on_61(
        "file F ext4 pages=2\nmmap f F private rw\nread f 0\nwrite f 1\nfork c\n\
         expect page f 0 mapcount=2\n"
    ));
    assert!(on_61(
        "file F ext4 pages=2\nmmap f F private rw\nread f 0\nfork c\nexpect page f 0 mapcount=1\n"
    ));
    // do_cow_fault runs anon_vma_prepare before finding the page: a write fault past EOF
    // fails, but the VMA has an anon_vma from then on, so fork copies its PTEs.
    assert!(on_61(
        "file F ext4 pages=2\nmmap f F private rw\ntruncate F 1\nwrite f 1\nexpect result EFAULT\n\
         read f 0\nfork c\nexpect page f 0 mapcount=2\n"
    ));
    // truncate_pagecache unmaps COWed pages past the new end (even_cows); punch does not.
    assert!(on_61(
        "file F ext4 pages=2\nmmap f F private rw\nwrite f 1\ntruncate F 1\nread f 1\n\
         expect result EFAULT\n"
    ));
    assert!(on_61(
        "file F ext4 pages=2\nmmap f F private rw\nwrite f 1\npunch F 1\nread f 1\nexpect result ok\n"
    ));
    // ranges past the end of the file are cut at i_size.
    assert!(on_61(
        "file F ext4 pages=2\ntruncate F 0\npunch F 1\nexpect result ok\n"
    ));
    // the huge zero page, and a write to it splits the PMD.
    assert!(on_61(
        "mmap h anon pages=512 rw huge\nread h\nexpect page h 7 zeropage=yes\nwrite h 0\n\
         expect page h 0 zeropage=no mapcount=1\nexpect page h 1 zeropage=yes\n"
    ));
    // a THP with a reference beyond its mappings cannot be split, so reclaim leaves it mapped.
    assert!(on_61(
        "mmap h anon pages=512 rw huge\nwrite h\nvmsplice s h 0\nreclaim h\n\
         expect page h 0 mapcount=1\nput s\n"
    ));
    // a R/O pin of a shared THP subpage unshares 4 KiB after splitting the PMD.
    assert!(on_61(
        "mmap h anon pages=512 rw huge\nwrite h\nfork c\ngup p h 1 longterm\n\
         expect page h 1 mapcount=1\nexpect page h 0 mapcount=2\nput p\n"
    ));
}

#[test]
fn read_gup_breaks_cow_on_5_8_only() {
    // The vmsplice leak (CVE-2020-29374): on 5.8 the child's read-only GUP breaks COW first,
    // so the pipe holds the child's own copy and the parent's write stays private.
    let leak = "mmap secret anon pages=1 rw\nwrite secret\nfork child\n\
                child: vmsplice pipe secret\nchild: munmap secret\nwrite secret\n\
                expect no-violation cow-leak\n";
    changes_at(leak, SchemeKind::Legacy, "5.8", "5.7");
    // The forced COW is gone in 5.9 (a308c71bf1e6): the pipe shares the page again, and the
    // refcount-based reuse rule (09854ba94c6a) copies at the parent's write instead.
    let shared = "mmap m anon pages=1 rw\nwrite m\nfork child\nchild: vmsplice pipe m\n\
                  expect page m 0 mapcount=2\n";
    changes_at(shared, SchemeKind::Legacy, "5.9", "5.8");
    // A read GUP of never-written private memory gets a real page, not the zero page.
    let zero = "mmap m anon pages=1 rw\ngup io m 0\nexpect page m 0 zeropage=no\nput io\n";
    changes_at(zero, SchemeKind::Refcount, "5.8", "5.7");
}
