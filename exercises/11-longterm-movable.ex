# Exercise 11. Teaches: a FOLL_LONGTERM pin must not stay in ZONE_MOVABLE (hot-unplug,
# compaction); from 5.13 GUP migrates such pages first, and fails if it cannot.
title: A long-term pin in ZONE_MOVABLE
task:
  An RDMA registration is a long-term pin (FOLL_LONGTERM) that may last hours. Under 2018
  rules the pinned page stays in ZONE_MOVABLE, so that memory can no longer be unplugged.
  First find the release from which a long-term GUP migrates the page out of ZONE_MOVABLE
  before pinning it (`pinlab explain --kernel X.Y` lists the rules). Then make that migration
  fail, as it does when something else holds a reference to the page, and end the script
  with the registration attempt: what does the GUP return, and what does it hold?
start:
  kernel 4.19
  mmap mr anon pages=1 rw zone=movable
  write mr
  gup rdma mr write longterm
  dma rdma write
  put rdma dirty
check: expect no-violation longterm-unpinnable
check: expect result ENOMEM under refcount, fake-vma
check: ends with no pins
hidden: expect no-violation refcount-overflow
hidden: at least 1 gup
hint: In the trace, the step of a long-term GUP says whether the page was migrated first.
hint: Migration fails when the page has references its mappings do not explain (`refs`).
hint: `kernel 5.13`; before the `gup`, add `refs mr 0 +1`; make the `gup` the last statement.
answer:
  kernel 5.13
  mmap mr anon pages=1 rw zone=movable
  write mr
  refs mr 0 +1
  gup rdma mr write longterm
