# Exercise 17. Teaches: the COW reuse rule that closed the vmsplice leak for small pages:
# reuse an anonymous page only when page_count() == 1 (09854ba94c6a, do_wp_page()).
title: Which release closes the vmsplice leak?
task:
  The start is the CVE-2020-29374 leak on 2018 rules. Changing only the kernel line, find
  the first release whose COW reuse rule for small anonymous pages counts references, not
  mappings, so that the parent's write gets a copy and the pipe keeps the old data
  (`pinlab explain --kernel X.Y`, or the examples `e59-*` and `e517-*`). Which statement of the
  trace changes?
start:
  kernel 4.19
  mmap secret anon pages=1 rw
  write secret
  fork child
  child: vmsplice pipe secret
  child: munmap secret
  write secret
  child: put pipe
check: expect no-violation cow-leak
check: ends with no pins
hidden: kernel 5.9
hidden: at least 1 vmsplice
hidden: at least 1 munmap
hidden: at least 2 write
hint: Look for the rules named `cow-reuse-*` in `pinlab explain --kernel X.Y`.
hint: The rule came with "mm: do_wp_page() simplification"; try releases from 5.6 upwards.
hint: `kernel 5.9`. The parent's `write secret` now copies the page instead of reusing it.
answer:
  kernel 5.9
  mmap secret anon pages=1 rw
  write secret
  fork child
  child: vmsplice pipe secret
  child: munmap secret
  write secret
  child: put pipe
