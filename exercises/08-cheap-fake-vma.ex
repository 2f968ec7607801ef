# Exercise 8. Teaches: the fake VMA costs a fixed amount per GUP call (allocation, rwsem,
# tree insertion) that large calls amortise; IRQ completion adds a worker wake-up.
title: When is a fake VMA cheaper than a pin count?
task:
  The start reads 2 MiB as 512 separate 4 KiB O_DIRECT reads into one page, each completed
  in IRQ context. Under fake-vma every call pays for a fake VMA and a worker wake-up. Keep
  moving 2 MiB of data from the device, but make the fake-vma run cheaper in total than the
  refcount run, without touching the cost table. `pinlab sweep` shows the per-page cost of
  each scheme against the pages per call.
start:
  file f ext4 pages=512
  mmap buf f shared rw
  write buf
  repeat 512 {
    gup dio buf 0 write fast
    dma dio write
    complete dio dirty
    workqueue
  }
check: expect cost fake-vma < refcount
hidden: no cost
hidden: no violation
hidden: ends with no pins
hidden: at least 1 gup
hidden: at least 1 dma
hint: Compare the per-call and the per-page costs in the trace's cost line, or in `pinlab sweep`.
hint: One call of 512 pages pays the fake VMA once. Where is the release cheaper: IRQ or process?
hint: One `gup dio buf write`, `dma dio write`, then `put dio dirty` in process context.
answer:
  file f ext4 pages=512
  mmap buf f shared rw
  write buf
  gup dio buf write
  dma dio write
  put dio dirty
