# Exercise 7. Teaches: completion runs in hard-IRQ context where nothing may sleep; dirtying a
# clean page and removing a fake VMA both sleep, so they go to the workqueue.
title: IRQ completion: what must be deferred?
task:
  This driver releases its write pin from its interrupt handler with `irq put dio dirty`.
  The flusher cleaned the page, so dirtying it takes the page lock, which sleeps. Complete
  the I/O the way the block layer does, so that nothing sleeps in IRQ context and the pin
  counter schemes can release at once, without deferring anything. Let a kworker run whatever
  is left. Then find out what fake-vma still has to defer, and why.
start:
  file f ext4 pages=1
  mmap buf f shared rw
  write buf
  gup dio buf write
  writeback f
  dma dio write
  irq put dio dirty
check: expect no-violation sleep-in-atomic
check: expect no-violation deferred under legacy, refcount
check: expect violation deferred under fake-vma
hidden: at least 1 complete
hidden: at least 1 workqueue
hidden: at least 1 dma
hidden: ends with no pins
hint: `complete H dirty` is bio_check_pages_dirty(): it defers everything if a page is clean.
hint: Why is the page clean when the read completes? Who cleaned it? Is that needed here?
hint: Drop the `writeback f`, use `complete dio dirty`, then `workqueue`. Read the fake-vma trace.
answer:
  file f ext4 pages=1
  mmap buf f shared rw
  write buf
  gup dio buf write
  dma dio write
  complete dio dirty
  workqueue
