# Exercise 16. Teaches: CVE-2020-29374: with the 2018 COW reuse rule (mapcount == 1), a
# read-only GUP reference in a pipe can end up reading memory another process writes.
title: CVE-2020-29374: leaking through vmsplice
task:
  The child splices its copy-on-write view of `secret` into a pipe: vmsplice() takes
  read-only FOLL_GET references and keeps them. On 2018 rules, make a later write by the
  parent visible through the child's pipe: the reuse rule only counts mappings, not
  references. Drain the pipe at the end (`child: put pipe`). Why is this an information leak?
start:
  mmap secret anon pages=1 rw
  write secret
  fork child
  child: vmsplice pipe secret
  child: put pipe
check: expect violation cow-leak
check: ends with no pins
hidden: kernel 4.19
hidden: at least 1 fork
hidden: at least 1 vmsplice
hidden: expect no-violation pin-lost-by-cow
hint: The parent's write reuses the page in place only if the page has one mapping left.
hint: The child can drop its mapping and keep the pipe: `child: munmap secret`.
hint: After the vmsplice: `child: munmap secret`, then `write secret`, then the `put`.
answer:
  mmap secret anon pages=1 rw
  write secret
  fork child
  child: vmsplice pipe secret
  child: munmap secret
  write secret
  child: put pipe
