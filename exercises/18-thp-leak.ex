# Exercise 18. Teaches: the 5.9 fix was in do_wp_page only; huge pages (do_huge_pmd_wp_page)
# and swap-in (do_swap_page) kept the mapcount-based reuse until 5.18.
title: The leak is back: get around the 5.9 fix
task:
  On 5.9 rules the small-page vmsplice leak of the start is closed. But the fix only changed
  one of the kernel's paths that decide whether a write may reuse an anonymous page. Staying
  on 5.9 and keeping the vmsplice, make the parent's write reach the child's pipe again.
  The model knows at least two ways; find one. Which release closes them?
start:
  kernel 5.9
  mmap secret anon pages=1 rw
  write secret
  fork child
  child: vmsplice pipe secret
  child: munmap secret
  write secret
  child: put pipe
check: expect violation cow-leak
check: kernel 5.9
check: ends with no pins
hidden: at least 1 fork
hidden: at least 1 vmsplice
hidden: expect no-violation pin-lost-by-cow
hint: Write faults on huge pages and on swapped-out pages take other paths than do_wp_page().
hint: Try a 2 MiB buffer (`pages=512 ... huge`, vmsplice one page), or reclaim before the write.
hint: `mmap secret anon pages=512 rw huge` and `child: vmsplice pipe secret 0`; see e517-*.pin.
answer:
  kernel 5.9
  mmap secret anon pages=512 rw huge
  write secret
  fork child
  child: vmsplice pipe secret 0
  child: munmap secret
  write secret
  child: put pipe
