# Exercise 12. Teaches: truncate does not look at pins; pinned pages become orphans that the
# device keeps writing. Under fake-vma the truncate even frees a page still mapped.
title: Truncate under an RDMA registration
task:
  A database file on ext4 is registered for RDMA: a long-term, writable pin of its shared
  mapping, which the device may write at any time. Shrink the file to nothing while the
  registration is live, and let the device write after that. Where does the data go? Look
  at the state of the pages after the truncate, under each scheme: which one frees a page
  that a fake VMA still maps?
start:
  file db ext4 pages=4
  mmap mr db shared rw
  write mr
  gup rdma mr write longterm
  dma rdma write
  put rdma dirty
check: expect violation dma-to-orphan
check: ends with no pins
hidden: kernel 4.19
hidden: at least 1 gup
hidden: at least 1 dma
hidden: expect no-violation dma-after-free
hint: `truncate FILE PAGES` shrinks a file; `punch FILE RANGE` frees a hole.
hint: The device must write after the pages left the file.
hint: Put `truncate db 0` between the `gup` and the `dma`.
answer:
  file db ext4 pages=4
  mmap mr db shared rw
  write mr
  gup rdma mr write longterm
  truncate db 0
  dma rdma write
  put rdma dirty
