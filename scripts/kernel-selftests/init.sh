#!/bin/busybox sh
# /init of make kernel-selftests' initramfs: mount, load the disk and ext4 modules and
# gup_test.ko, THP always, swap on /dev/vdb, ext4 on /dev/vda as the working directory, tmpfs
# /tmp, hugetlbfs; run the selftests named in tests= on the command line; print their TAP
# between === lines; power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp /mnt /dev/hugepages
mount -t tmpfs tmpfs /tmp
mount -t hugetlbfs none /dev/hugepages
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         crc32c-intel crc32c_generic jbd2 mbcache crc16 ext4; do
  [ -f /lib/modules/$m.ko ] && { insmod /lib/modules/$m.ko 2>/dev/null || echo "[init] insmod $m failed"; }
done
insmod /lib/modules/gup_test.ko && echo "[init] loaded out-of-tree gup_test.ko" || echo "[init] insmod gup_test failed"
sleep 1
echo always > /sys/kernel/mm/transparent_hugepage/enabled
echo 1 > /sys/kernel/mm/transparent_hugepage/use_zero_page
mkswap /dev/vdb >/dev/null && swapon /dev/vdb || echo "[init] swap setup failed"
mount -t ext4 /dev/vda /mnt && cd /mnt || echo "[init] ext4 mount failed; cwd stays /"
echo "[init] uname: $(uname -a)"
echo "[init] thp enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled) use_zero_page: $(cat /sys/kernel/mm/transparent_hugepage/use_zero_page)"
echo "[init] swap: $(grep SwapTotal /proc/meminfo)"
echo "[init] gup_test: $(ls /sys/kernel/debug/gup_test 2>&1)"
tests=$(sed -n 's/.*tests=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
for t in $tests; do
  echo "=== BEGIN $t"
  /bin/$t 2>&1
  echo "=== END $t rc=$?"
done
sync
poweroff -f
