# Exercise 2. Teaches: GUP-fast walks page tables with IRQs off and takes no sleeping lock;
# a fake VMA cannot be inserted there, so fake-vma falls back to the slow path.
title: GUP-fast, and what a fake VMA does with it
task:
  Direct I/O pins its buffer with get_user_pages_fast(), a lockless page-table walk done
  with interrupts disabled. Change the pin in the start script into a GUP-fast pin and
  compare the result of that step under each scheme: which one gives up the fast path,
  and what did it have to insert that needs a lock? Release the pin at the end.
start:
  mmap buf anon pages=4 rw
  write buf
  gup io buf 0..4 write
  put io
check: expect violation gup-fast-lost under fake-vma
check: ends with no pins
hidden: expect no-violation gup-fast-lost under legacy, refcount
hidden: at least 1 gup
hidden: no violation
hint: GUP-fast is not a different statement: it is a flag of `gup`.
hint: The result `fallback` means the slow path ran. Inserting a fake VMA takes a sleeping rwsem.
hint: Write `gup io buf 0..4 write fast`. Then try `set gup-fast=preregistered` with an earlier pin.
answer:
  mmap buf anon pages=4 rw
  write buf
  gup io buf 0..4 write fast
  put io
