# Exercise 5. Teaches: Jan Kara's 2018 race. Pins are invisible to writeback and to reclaim's
# buffer release, so completion dirties a page whose buffers are gone (ext4 BUGs).
title: Jan Kara's race: a dirty page without buffers
task:
  An O_DIRECT read into a MAP_SHARED ext4 page: pin, the data arrives, the block layer
  completes the read in IRQ context (handing the dirtying to a worker if the page is clean).
  Nothing goes wrong yet. Reproduce the race Jan Kara reported in January 2018: while the
  read is in flight, the flusher cleans the page and reclaim releases its buffers, so the
  completion dirties a page that has no buffers. Which scheme escapes it, and why does
  reclaim leave its page alone?
start:
  file data ext4 pages=1
  mmap buf data shared rw
  write buf 0
  gup dio buf 0 write fast
  dma dio write
  complete dio dirty
  workqueue
check: expect violation dirty-without-buffers under legacy, refcount
hidden: expect no-violation dirty-without-buffers under fake-vma
hidden: kernel 4.19
hidden: no set
hidden: at least 1 dma
hidden: ends with no pins
hint: Two kernel threads act between the pin and the completion: the flusher and reclaim.
hint: Reclaim only releases the buffers of a clean page, so the flusher must go first.
hint: After the `gup`, add `writeback data` then `reclaim data`.
answer:
  file data ext4 pages=1
  mmap buf data shared rw
  write buf 0
  gup dio buf 0 write fast
  writeback data
  reclaim data
  dma dio write
  complete dio dirty
  workqueue
