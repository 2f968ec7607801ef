# Exercise 3. Teaches: releases must match acquisitions; which scheme can even notice a
# double unpin or a put_page() on a pin, and what the wrong arithmetic leaves behind.
title: Release bugs: double unpin, put_page() on a pin
task:
  The start pins the page twice and releases both handles correctly. Turn it into two classic
  driver bugs: release handle `a` twice, and release handle `b` with plain put_page() instead
  of the scheme's release. Keep the names. Then read the counters of page 0 after each
  release: what stays in `_refcount` under the pin counter, and what happens to the page under
  fake-vma, whose GUP took no reference at all?
start:
  mmap buf anon pages=1 rw
  write buf
  gup a buf write
  put a
  gup b buf write
  put b
check: expect violation unbalanced-release
check: expect violation wrong-release under refcount, fake-vma
check: ends with no pins
hidden: expect no-violation wrong-release under legacy
hidden: expect pinned buf 0 under refcount
hidden: expect violation zombie-page under fake-vma
hint: A double release is the same `put` twice; `put_page H` is the deliberate mismatch.
hint: Under legacy a GUP reference is a plain reference, so put_page() is the right call there.
hint: `put a` twice, and replace `put b` with `put_page b`. 1024 - 1 = 1023 stays behind.
answer:
  mmap buf anon pages=1 rw
  write buf
  gup a buf write
  put a
  put a
  gup b buf write
  put_page b
