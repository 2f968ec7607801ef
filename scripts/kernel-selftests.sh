#!/usr/bin/env bash
# make kernel-selftests: run the kernel's own mm selftests `cow` and `gup_longterm` on Linux 6.1
# in qemu and record what they printed in oracle/selftests/NAME-6.1.tap; then
# crate/tests/selftests.rs (also part of make test) checks every oracle/selftests/NAME/*.pin
# against that record: under the pin counter on 6.1 a script's expectations must hold exactly
# when the kernel passed the same case.
#
#   scripts/kernel-selftests.sh
#
# 6.1 has neither test (cow.c came with 6.2, gup_longterm.c with 6.5); both are built
# statically from Debian's linux-source-6.12, the source make kernel-check builds its
# gup_test.ko from (their pin cases need that module). The kernel, its modules and gup_test.ko come from make kernel-check's cache, which
# this script fills by running one kernel-check case first.
#
# Environment: KDIR (kernel-check's cache + output directory; default, as in make test,
# ~/.cache/pinlab/kernel-check),
# VM_MEM=6G VM_SMP=2, VM_TIMEOUT=1800, APT_TIMEOUT=900.
# Takes ~10 min the first time (the source tree and `make headers`), ~4 min after (the boot).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KDIR="${KDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinlab/kernel-check}"
CACHE="$KDIR/cache"
OUT="$KDIR/selftests"
VM_MEM="${VM_MEM:-6G}"
VM_SMP="${VM_SMP:-2}"
VM_TIMEOUT="${VM_TIMEOUT:-1800}"
APT_TIMEOUT="${APT_TIMEOUT:-900}"
SRC_PKG=linux-source-6.12
note() { echo "kernel-selftests: $*"; }
fail() { echo "kernel-selftests: error: $*" >&2; exit 2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. The kernel, its modules and gup_test.ko, through kernel-check (one case, one boot).
note "kernel-check's cache (one case)"
KDIR="$KDIR" bash "$ROOT/scripts/kernel-check.sh" anon-rw-pin-fork >"$KDIR.selftests-kc.log" 2>&1 \
  || { tail -20 "$KDIR.selftests-kc.log" >&2; fail "scripts/kernel-check.sh failed (log: $KDIR.selftests-kc.log)"; }
KROOT=$(find "$CACHE" -maxdepth 1 -type d -name 'kernel-*' | sort | tail -1)
KVER=${KROOT##*/kernel-}
GUPKO="$CACHE/gup_test-$KVER/gup_test.ko"
[ -f "$KROOT/vmlinuz" ] && [ -f "$GUPKO" ] || fail "no kernel or gup_test.ko in $CACHE"

# 2. Host tools: what `make headers` and the static build need.
missing=()
for t in bison:bison flex:flex gcc:gcc busybox:busybox-static qemu-system-x86_64:qemu-system-x86 \
         mkfs.ext4:e2fsprogs cpio:cpio; do
  command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
[ -f /usr/include/liburing.h ] || missing+=(liburing-dev)
if [ ${#missing[@]} -gt 0 ]; then
  note "installing with apt: ${missing[*]}"
  as_root timeout "$APT_TIMEOUT" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$KDIR.selftests-apt.log" 2>&1 \
    || { as_root apt-get update -q >/dev/null && as_root timeout "$APT_TIMEOUT" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$KDIR.selftests-apt.log" 2>&1; } \
    || fail "apt-get install ${missing[*]} failed (log: $KDIR.selftests-apt.log)"
fi

# 3. The tests, built statically from the 6.12 source tree.
SRC="$CACHE/src-6.12"
if [ ! -f "$SRC/.done" ]; then
  note "downloading and unpacking $SRC_PKG"
  rm -rf "$SRC" && mkdir -p "$SRC/deb"
  (cd "$SRC/deb" && timeout "$APT_TIMEOUT" apt-get download -q "$SRC_PKG" >/dev/null) || fail "apt-get download $SRC_PKG failed"
  dpkg -x "$SRC"/deb/*.deb "$SRC/x" && tar -xJf "$SRC"/x/usr/src/linux-source-*.tar.xz -C "$SRC" \
    || fail "unpacking $SRC_PKG failed"
  rm -rf "$SRC/deb" "$SRC/x"
  touch "$SRC/.done"
fi
S=$(find "$SRC" -maxdepth 1 -type d -name 'linux-source-*' | sed -n 1p)
mkdir -p "$OUT"
TESTS="cow gup_longterm"
if [ ! -x "$OUT/cow" ] || [ ! -x "$OUT/gup_longterm" ]; then
  note "building $TESTS (make headers, then gcc -static)"
  [ -f "$S/usr/include/linux/fs.h" ] || make -C "$S" headers >"$OUT/build.log" 2>&1 || fail "make headers failed (log: $OUT/build.log)"
  CF="-static -Wall -O2 -U_FORTIFY_SOURCE -I ../../../.. -isystem ../../../../usr/include -I ../../../../tools/include"
  # shellcheck disable=SC2086
  (cd "$S/tools/testing/selftests/mm" && sh check_config.sh gcc >/dev/null 2>&1 \
    && gcc $CF -o "$OUT/cow" cow.c vm_util.c thp_settings.c -lrt -lpthread -lm -luring \
    && gcc $CF -o "$OUT/gup_longterm" gup_longterm.c vm_util.c -lrt -lpthread -lm -luring) \
    >>"$OUT/build.log" 2>&1 || fail "building $TESTS failed (log: $OUT/build.log)"
fi

# 4. The initramfs: busybox, the modules, gup_test.ko, the tests, our /init.
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/root"/{bin,proc,sys,dev,lib/modules}
cp "$(command -v busybox)" "$W/root/bin/busybox"
cp "$ROOT/scripts/kernel-selftests/init.sh" "$W/root/init"
for t in $TESTS; do cp "$OUT/$t" "$W/root/bin/$t"; done
cp "$KROOT"/modules/*.ko "$W/root/lib/modules/"
cp "$GUPKO" "$W/root/lib/modules/gup_test.ko"
(cd "$W/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$W/initrd.gz")
truncate -s 1G "$W/ext4.img" && mkfs.ext4 -q -F "$W/ext4.img"
truncate -s 2G "$W/swap.img"

# 5. Boot, run the tests, record each one's TAP.
note "booting $KVER in qemu (tcg, $VM_MEM, $VM_SMP CPUs) to run $TESTS (a few minutes)"
LOG="$OUT/selftests.log"
timeout "$VM_TIMEOUT" qemu-system-x86_64 -machine q35 -cpu max -smp "$VM_SMP" -m "$VM_MEM" -nographic -no-reboot \
  -kernel "$KROOT/vmlinuz" -initrd "$W/initrd.gz" \
  -drive file="$W/ext4.img",if=virtio,format=raw -drive file="$W/swap.img",if=virtio,format=raw \
  -append "console=ttyS0 panic=-1 loglevel=4 hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=2 transparent_hugepage=always tests=${TESTS// /,}" \
  2>&1 | tr -d '\r' >"$LOG" || true
for t in $TESTS; do
  grep -q "^=== END $t" "$LOG" || fail "$t did not finish (log: $LOG)"
  TAP="$ROOT/oracle/selftests/$t-6.1.tap"
  {
    echo "# Linux 6.1 running the mm selftest $t (tools/testing/selftests/mm/$t.c from Debian's"
    echo "# $SRC_PKG; 6.1 does not have it), with the gup_test module, THP always, swap, ext4 cwd, tmpfs /tmp."
    echo "# Recorded by scripts/kernel-selftests.sh (make kernel-selftests) on $(date -u +%F); the [init]"
    echo "# lines say what the VM had. crate/tests/selftests.rs checks oracle/selftests/$t/*.pin against it."
    grep -a -e '^\[init\] uname' -e '^\[init\] thp' -e '^\[init\] swap' -e '^\[init\] gup_test' "$LOG"
    sed -n "/^=== BEGIN $t\$/,/^=== END $t /p" "$LOG" | grep -a -e '^TAP' -e '^# \[RUN\]' -e '^ok ' -e '^not ok ' \
      -e '^1\.\.' -e '^# Totals' -e '^# \[INFO\]'
  } >"$TAP"
  note "$t: $(grep '^# Totals' "$TAP" || echo 'no totals line') -> ${TAP#"$ROOT"/}"
done

# 6. pinlab against the record.
cargo test -q -p mm-model --test selftests
