# Exercise 1. Teaches: a pin is a reference the scheme can see; it must be released.
title: Pin a page, read the counters, release it
task:
  Map one page of anonymous memory and write to it, so that it exists. Pin it for a
  write with `gup`, as a driver does before DMA, then release the pin with `put`.
  Step through the result under each scheme: how does each count the pin?
start:
  mmap buf anon pages=1 rw
check: expect page buf 0 refcount=1 under legacy, refcount
check: at least 1 gup
check: no put_page
hidden: ends with no pins
hidden: no violation
hint: `write buf 0` faults the page in; `gup io buf 0 write` pins it as handle `io`.
hint: Release with `put io`: put_page, unpin_user_page or the fake-VMA release, per scheme.
hint: Select the gup step: legacy adds 1 to the refcount, the pin counter 1024 (the bias).
answer:
  mmap buf anon pages=1 rw
  write buf 0
  gup io buf 0 write
  put io
  expect page buf 0 refcount=1 under legacy, refcount
