# Exercise 6. Teaches: a writeback policy needs a pin the kernel can detect. keep-dirty fixes
# the race for the pin counter and fake-vma; legacy get_user_pages() cannot tell.
title: Close the race with a writeback policy
task:
  The start is Jan Kara's race from the previous exercise. In December 2018 he proposed that
  writeback should never let a pinned page become clean. Without changing any operation, make
  the race impossible for every scheme that can detect a pin, with one of pinlab's writeback
  policies, on the same 2018 kernel. Then explain why legacy still breaks, and why the
  `bounce` policy does not help here.
start:
  file data ext4 pages=1
  mmap buf data shared rw
  write buf 0
  gup dio buf 0 write fast
  writeback data
  reclaim data
  dma dio write
  complete dio dirty
  workqueue
check: expect no-violation dirty-without-buffers under refcount, fake-vma
check: expect violation dirty-without-buffers under legacy
hidden: kernel 4.19
hidden: at least 1 writeback
hidden: at least 1 reclaim
hidden: at least 1 dma
hidden: ends with no pins
hint: Settings come first in a script; `set writeback=P` chooses the policy (docs/language.md, 3).
hint: The page must stay dirty while pinned: then reclaim keeps its buffers.
hint: Add `set writeback=keep-dirty` as the first line.
answer:
  set writeback=keep-dirty
  file data ext4 pages=1
  mmap buf data shared rw
  write buf 0
  gup dio buf 0 write fast
  writeback data
  reclaim data
  dma dio write
  complete dio dirty
  workqueue
