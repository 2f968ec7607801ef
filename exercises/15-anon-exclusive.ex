# Exercise 15. Teaches: 5.9 copies maybe-pinned pages at fork, but a read-only pin taken after
# fork still loses; PageAnonExclusive (5.19) unshares before a R/O FOLL_PIN.
title: R/O pin after fork, and PageAnonExclusive
task:
  This time the process forks first and then takes a read-only pin (say, an O_DIRECT write
  from its buffer) on a page it still shares with its child; then it writes to the buffer.
  The parent's write moves it away from the pinned page under every scheme on 2018 rules,
  and still on 5.9, which only copies at fork. Changing only the kernel line, find the first
  release in which the pin counter keeps the pin on the parent's page. Why does legacy still
  lose it?
start:
  kernel 4.19
  mmap heap anon pages=1 rw
  write heap
  fork child
  gup ro heap
  write heap
  put ro
check: expect no-violation pin-lost-by-cow under refcount
check: expect violation pin-lost-by-cow under legacy
check: ends with no pins
hidden: kernel 5.19
hidden: at least 1 fork
hidden: at least 2 write
hint: `pinlab explain --kernel X.Y` lists the rules in force; look for anonymous exclusivity.
hint: The fix makes a R/O FOLL_PIN unshare a possibly shared page first; FOLL_GET never does.
hint: `kernel 5.19`. Read the `gup ro heap` step under refcount: which page does it pin?
answer:
  kernel 5.19
  mmap heap anon pages=1 rw
  write heap
  fork child
  gup ro heap
  write heap
  put ro
