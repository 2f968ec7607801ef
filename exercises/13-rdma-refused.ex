# Exercise 13. Teaches: since 6.5 a writable FOLL_LONGTERM pin of a dirty-tracked file mapping
# is refused with EFAULT (writable_file_mapping_allowed), so the orphaning cannot start.
title: The 6.5 refusal
task:
  The start is the truncate-under-RDMA script of the previous exercise. Mainline eventually
  decided that a writable long-term pin of a file that needs dirty tracking cannot be made
  safe, and refuses it. Without changing any statement but the kernel line, find the first
  release in which no scheme lets the device write into an orphan. Read the results of the
  `gup`, `dma` and `put` steps: what did each scheme refuse, and with which errno?
start:
  kernel 4.19
  file db ext4 pages=4
  mmap mr db shared rw
  write mr
  gup rdma mr write longterm
  truncate db 0
  dma rdma write
  put rdma dirty
check: expect no-violation dma-to-orphan
check: ends with no pins
hidden: kernel 6.5
hidden: at least 1 truncate
hidden: at least 1 dma
hidden: no punch
hint: `pinlab explain --kernel X.Y` lists the rules in force; look for long-term pins and files.
hint: One release (6.1) already refuses legacy's FOLL_LONGTERM without FOLL_PIN: not enough.
hint: `kernel 6.5`: the pin counter's GUP returns EFAULT, and the handle holds nothing.
answer:
  kernel 6.5
  file db ext4 pages=4
  mmap mr db shared rw
  write mr
  gup rdma mr write longterm
  truncate db 0
  dma rdma write
  put rdma dirty
