//! One short example script per violation or event kind, shown by `pinlab explain`.
//! Each one raises its kind under at least one scheme (checked by the tests), except
//! `pin-undetected`: the model's detecting schemes never miss a pin, so that example shows the
//! check holding.

use mm_model::ViolationKind;

/// The example script of `kind`.
pub fn example(kind: ViolationKind) -> &'static str {
    use ViolationKind as K;
    match kind {
        K::LostWrite => {
            "# The device writes a pinned page after writeback cleaned it;
# the pin is dropped without dirtying: the data never reaches disk.
file   F  ext4  pages=1
mmap   buf  F  shared rw
write  buf
gup    io  buf  write
writeback F
dma    io  write
put    io
sync
"
        }
        K::DirtyWithoutBuffers => {
            "# Jan Kara's race: reclaim strips the buffers of a cleaned page
# while a direct-IO read is in flight; completion dirties it.
file   A  ext4  pages=1
mmap   buf  A  shared rw
write  buf 0
gup    io  buf 0  write fast
writeback A
reclaim A
dma    io  write
complete io dirty
workqueue
writeback A
"
        }
        K::UnstableWriteOut => {
            "# A device changes a page under write-out on btrfs (checksums).
file   F  btrfs  pages=1
mmap   buf  F  shared rw
write  buf 0
gup    io  buf 0  write
writeback F hold
dma    io  write
writeback-done F
put    io dirty
"
        }
        K::DmaToOrphan => {
            "# RDMA keeps writing into pages that truncate removed from the file.
file   F  ext4  pages=2
mmap   mr  F  shared rw
write  mr
gup    rdma  mr  write longterm
truncate F 0
dma    rdma  write
put    rdma dirty
"
        }
        K::DmaAfterFree => {
            "# The handle is released, then the device still writes through it.
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
put    io
dma    io  write
"
        }
        K::PinLostByCow => {
            "# GUP-after-fork: the parent's write COWs away the pinned page.
kernel 2018
mmap   heap  anon  pages=1 rw
write  heap
gup    io  heap  write
fork   child
write  heap
dma    io  write
put    io dirty
"
        }
        K::CowLeak => {
            "# CVE-2020-29374: a read-only vmsplice reference survives munmap,
# the parent's write reuses the page in place (2018 rules).
kernel 2018
mmap   mem  anon  pages=1 rw
write  mem
fork   child
child: vmsplice pipe mem
child: munmap mem
write  mem
"
        }
        K::PinUndetected => {
            "# The check behind I3: refcount and fake-vma must answer 'pinned'
# for every pinned page (legacy cannot answer at all). The model's
# schemes are sound, so this example shows the check holding.
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
expect pinned mem 0 under refcount, fake-vma
put    io
expect not-pinned mem 0 under refcount, fake-vma
"
        }
        K::UnbalancedRelease => {
            "# Releasing the same handle twice.
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
put    io
put    io
"
        }
        K::WrongRelease => {
            "# A pin released with plain put_page().
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
put_page io
"
        }
        K::RefcountOverflow => {
            "# 2^21 pins of one page carry _refcount past 2^31 (bias 1024).
mmap   mem  anon  pages=1 rw
write  mem
gup    p  mem  times=2097152
"
        }
        K::SleepInAtomic => {
            "# put_user_pages_dirty_lock() from an interrupt handler on a
# page that writeback cleaned: the page lock sleeps.
file   F  ext4  pages=1
mmap   buf  F  shared rw
write  buf
gup    io  buf  write
dma    io  write
writeback F
irq put io dirty
"
        }
        K::LongtermUnpinnable => {
            "# A long-term pin of a page in ZONE_MOVABLE (2018: no migration).
kernel 2018
mmap   heap  anon  pages=1 rw zone=movable
write  heap
gup    rdma  heap  write longterm
put    rdma
"
        }
        K::ZombiePage => {
            "# put_page() on a fake-VMA pin: the refcount reaches zero while
# the fake VMA still maps the page.
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
put_page io
"
        }
        K::WritebackStall => {
            "# With writeback=wait the flusher waits for a pin that is never
# released: the task would hang.
set    writeback=wait
file   F  ext4  pages=1
mmap   buf  F  shared rw
write  buf
gup    io  buf  write
writeback F
"
        }
        K::PinLeak => {
            "# The handle is never released.
mmap   mem  anon  pages=1 rw
write  mem
gup    io  mem  write
"
        }
        K::FalsePositive => {
            "# 1100 ordinary references look like a pin under the bias.
mmap   mem  anon  pages=1 rw
write  mem
refs   mem 0 +1100
expect pinned mem 0 under refcount
refs   mem 0 -1100
"
        }
        K::GupFastLost => {
            "# GUP-fast may not take i_mmap_rwsem: fake-vma falls back.
file   F  ext4  pages=8
mmap   buf  F  shared rw
read   buf
gup    io  buf 0..8 fast
put    io
"
        }
        K::Deferred => {
            "# IRQ completion of a direct-IO read: work is deferred.
file   F  ext4  pages=1
mmap   buf  F  shared rw
write  buf
gup    io  buf 0  write fast
dma    io  write
complete io dirty
workqueue
"
        }
        K::DirtiedWithoutMkwrite => {
            "# The pin release dirties a page cleaned by writeback, with no
# page_mkwrite since.
file   F  ext4  pages=1
mmap   buf  F  shared rw
write  buf
gup    io  buf  write
writeback F
dma    io  write
put    io dirty
"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_and_raises_its_kind() {
        for &kind in ViolationKind::ALL {
            let text = example(kind);
            let parse = mm_model::parse(text);
            assert!(!parse.has_errors(), "{kind}: {:?}", parse.diagnostics);
            let under = crate::raised_under(text, kind);
            if kind == ViolationKind::PinUndetected {
                // The model's detecting schemes are sound: nothing raises it.
                assert!(under.is_empty(), "{kind} raised under {under:?}");
                let report = mm_model::run(&parse.script, &mm_model::Overrides::default());
                assert!(report.passed(), "{kind}: its expectations hold");
            } else {
                assert!(!under.is_empty(), "{kind}: example raises it nowhere");
            }
        }
    }

    #[test]
    fn example_lines_fit() {
        for &kind in ViolationKind::ALL {
            for l in example(kind).lines() {
                assert!(l.len() + 4 <= crate::WIDTH, "{kind}: {l}");
            }
        }
    }
}
