# Exercise 14. Teaches: fork write-protects the pinned anonymous page in both processes; the
# parent's next write COWs it, and the device keeps writing the page the child now owns.
title: fork after pin: the COW goes the wrong way
task:
  A process pins its anonymous buffer for a device read. Reproduce the GUP-after-fork bug on
  2018 rules: while the pin is held, the process forks (say, to run a helper), then writes to
  its buffer before the device writes. Afterwards, which page does the parent map, and which
  page does the device write into? Does any scheme keep them together?
start:
  mmap heap anon pages=1 rw
  write heap
  gup dio heap write
  dma dio write
  put dio dirty
check: expect violation pin-lost-by-cow
check: ends with no pins
hidden: kernel 4.19
hidden: at least 1 fork
hidden: expect no-violation cow-leak
hint: `fork NAME` makes a child that shares every anonymous page copy-on-write.
hint: The COW happens at the parent's next write fault, not at fork.
hint: After the `gup`: `fork child`, then `write heap`. Then try it on `kernel 5.9`.
answer:
  mmap heap anon pages=1 rw
  write heap
  gup dio heap write
  fork child
  write heap
  dma dio write
  put dio dirty
