# Exercise 4. Teaches: a DMA write sets no dirty bit; if the flusher cleans the page while the
# device writes and the driver releases it clean, the data never reaches the disk.
title: Writeback during DMA: the lost write
task:
  A direct-IO read lands in a MAP_SHARED ext4 page through a write pin. This driver releases
  the pin without dirtying the page (a `put` without `dirty`), yet nothing is lost: the page is
  still dirty from the CPU's write when `sync` runs. Let the flusher run at the wrong moment so
  that the device's data can never reach the disk. Watch the page's dirty flag step by step:
  who sets it, who clears it, and does the DMA set it?
start:
  file log ext4 pages=1
  mmap buf log shared rw
  write buf
  gup dio buf write
  dma dio write
  put dio
  sync
check: expect violation lost-write
hidden: at least 1 dma
hidden: ends with no pins
hidden: expect no-violation dirty-without-buffers
hidden: no set
hint: The flusher (`writeback FILE`) cleans dirty pages. What if it runs before the data arrives?
hint: After the flusher, the page is clean; the DMA changes it without a fault or a dirty bit.
hint: Put `writeback log` between the `gup` and the `dma`. The fix would be `put dio dirty`.
answer:
  file log ext4 pages=1
  mmap buf log shared rw
  write buf
  gup dio buf write
  writeback log
  dma dio write
  put dio
  sync
