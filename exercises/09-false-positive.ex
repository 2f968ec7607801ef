# Exercise 9. Teaches: the merged pin counter adds GUP_PIN_COUNTING_BIAS (1024) to _refcount,
# so enough ordinary references look like a pin: a false positive, by design.
title: Fool the bias counter
task:
  pin_user_pages() adds 1024 to `_refcount` per pin, and page_maybe_dma_pinned() answers
  "maybe pinned" when the count reaches 1024. Without pinning anything, make the refcount
  scheme believe that the page is pinned, using only ordinary references such as a busy pipe
  or a page scanner would take. Then drop them again. Which schemes are fooled?
start:
  mmap mem anon pages=1 rw
  write mem
  refs mem 0 +10
  expect not-pinned mem 0
  refs mem 0 -10
check: expect violation false-positive under refcount
hidden: expect no-violation false-positive under legacy, fake-vma
hidden: no gup
hidden: no put_page
hidden: at least 1 refs
hidden: ends with no pins
hint: `refs VMA PAGE +N` takes N get_page() references; `-N` drops them.
hint: The page already holds one reference for its mapping. How many more reach 1024?
hint: `refs mem 0 +1100`, then `expect pinned mem 0 under refcount`, then `refs mem 0 -1100`.
answer:
  mmap mem anon pages=1 rw
  write mem
  refs mem 0 +1100
  expect pinned mem 0 under refcount
  refs mem 0 -1100
