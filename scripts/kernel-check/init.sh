#!/bin/busybox sh
# /init of the kernel-check VM (copied into the initramfs by scripts/kernel-check.sh).
# Sets up what the cases need, runs every binary listed in /cases/list with a per-case timeout
# and prints, for the harness on the host:
#   === INIT-START / === INIT-ERROR message / === INIT-OK
#   === CASE NAME ... (the case's output) ... [=== TIMEOUT NAME] === END NAME rc=N
#   === ALL-DONE
# then powers off. Disks: /dev/vda = ext4 image (mounted on /mnt/ext4, the cases' cwd),
# /dev/vdb = swap. THP is "always" (also on the kernel command line).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
dmesg -n 1                                  # keep printk off the console: it is the case output
echo "=== INIT-START $(uname -r)"
err() { echo "=== INIT-ERROR $*"; }

for m in $(cat /lib/modules/order); do
  [ -f /lib/modules/$m.ko ] || continue      # built into the kernel
  insmod /lib/modules/$m.ko 2>/tmp/insmod.err || {
    grep -q 'File exists' /tmp/insmod.err || err "module $m failed to load: $(cat /tmp/insmod.err)"; }
done
[ -e /sys/kernel/debug/gup_test ] || err "no /sys/kernel/debug/gup_test after loading gup_test.ko"

echo always > /sys/kernel/mm/transparent_hugepage/enabled || err "cannot set THP enabled=always"
echo madvise > /sys/kernel/mm/transparent_hugepage/defrag || true
echo 1 > /sys/kernel/mm/transparent_hugepage/use_zero_page || true
# pinlab does not model fault-around (a read fault on a file mapping also maps up to 15 cached
# neighbours, do_fault_around): one page per fault, as in the model (docs/fidelity.md)
echo 4096 > /sys/kernel/debug/fault_around_bytes || err "cannot set fault_around_bytes"

i=0; while [ ! -b /dev/vdb ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
mkswap /dev/vdb >/dev/null 2>&1 && swapon /dev/vdb || err "swap on /dev/vdb failed"
mkdir -p /mnt/ext4
mount -t ext4 /dev/vda /mnt/ext4 || err "mounting the ext4 image (/dev/vda) failed"

echo "# kernel $(uname -r); $(grep -E 'MemTotal|SwapTotal' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
echo "# thp: $(cat /sys/kernel/mm/transparent_hugepage/enabled); cmdline: $(cat /proc/cmdline)"
echo "=== INIT-OK"

tmo=$(cat /cases/timeout)
dmesg -c >/dev/null
for c in $(cat /cases/list); do
  echo "=== CASE $c"
  d=/mnt/ext4/$c; rm -rf "$d"; mkdir -p "$d"; cd "$d" || cd /
  # its own session: whatever the case leaves running is killed with it (a child holding the
  # gup_test file would keep a pin alive into the next case)
  setsid /cases/$c </dev/null 2>&1 &
  pid=$!
  ( sleep "$tmo"; kill -0 $pid 2>/dev/null && { echo "=== TIMEOUT $c"; kill -9 $pid; } ) &
  dog=$!
  wait $pid; rc=$?
  kill $dog 2>/dev/null; wait $dog 2>/dev/null
  kill -9 -- -$pid 2>/dev/null
  cd /
  # kernel warnings the case triggered (WARN_ON, BUG, oops) go into its block as comments
  dmesg -c | grep -E 'WARNING|BUG|Oops|RIP:|segfault|Out of memory|gup_test' | sed 's/^/# dmesg: /'
  echo "=== END $c rc=$rc"
done
echo "=== ALL-DONE"
sync
swapoff -a 2>/dev/null
umount /mnt/ext4 2>/dev/null
poweroff -f
