# Exercise 10. Teaches: false positives have a cost: from 5.9, fork copies every anon page
# that may be pinned (once the process has pinned). An exact pin count has none.
title: The cost of a false positive; exact counting
task:
  On 5.9 rules this process pinned a page once (so the mm is marked MMF_HAS_PINNED) and
  released it; later a pipe holds 1100 ordinary references to the page, and the process
  forks. Under the bias counter fork believes the page is pinned and copies it for the child.
  Keep every operation and the 1100 references, and change how the refcount scheme counts
  pins, so that parent and child share the page as they should. Compare the cost of `fork`.
start:
  kernel 5.9
  mmap mem anon pages=1 rw
  write mem
  gup p mem write
  put p
  refs mem 0 +1100
  fork child
check: expect page mem 0 mapcount=2 under refcount
check: expect no-violation false-positive
hidden: expect page mem 0 refcount=1102 mapcount=2 under legacy
hidden: at least 1 gup
hidden: at least 1 fork
hidden: ends with no pins
hint: Read the fork step's trace line under refcount: why does the child get a copy?
hint: The 2018 RFC kept an exact pin count outside `_refcount` (docs/language.md, section 3).
hint: Add `set counter=exact` after the `kernel` line.
answer:
  kernel 5.9
  set counter=exact
  mmap mem anon pages=1 rw
  write mem
  gup p mem write
  put p
  refs mem 0 +1100
  fork child
