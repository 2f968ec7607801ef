#!/usr/bin/env bash
# make kernel-check: check pinlab's predictions against a real Linux 6.1 (Debian's
# linux-image-6.1.0-*-amd64) booted in qemu (TCG; no KVM needed).
#
#   scripts/kernel-check.sh [CASE...]      (default: every oracle/cases/*.pin)
#
# For each oracle/cases/NAME.pin there is an oracle/cases/NAME.c that performs the same
# operations with real syscalls (and the gup_test ioctls) and prints what the kernel did as
# `@L expect ...` lines. All cases run in ONE boot. Each observation is then spliced into a copy
# of the script after line L (with `under SCHEME` from the `# kernel-check: scheme=` header) and
# `pinlab check` decides whether the model agrees. See docs/fidelity.md.
#
# Environment:
#   KDIR=DIR           cache + output directory (default $ROOT/target/kernel-check)
#   KVER=6.1.0-NN-amd64  kernel ABI name (default: what Debian's linux-image-amd64 depends on)
#   CASE_TIMEOUT=S     per-case timeout inside the VM (default 60)
#   VM_TIMEOUT=S       timeout of the whole boot (default 120 + CASE_TIMEOUT x cases)
#   VM_IDLE_TIMEOUT=S  stop the VM after S seconds without console output (default CASE_TIMEOUT + 60)
#   VM_MEM=1G VM_SMP=1 guest size;  QEMU_ACCEL=tcg (kvm works too where available)
#   VM_CMDLINE=...     extra kernel parameters (default: transparent_hugepage=always movablecore=512M)
#   ORACLE_CASES=DIR   where the cases are (default $ROOT/oracle/cases)
#   VERBOSE=1          print every case's '#' comment lines, not only those of failing cases
#   FUZZ=N FUZZ_SEED=S the differential run instead of the cases: N random scripts of the
#                      exportable subset from seed S (pinlab export --fuzz), every page observed
#                      after every operation; only disagreements are printed, and each is shrunk
#                      to a minimal script saved in $KDIR/run/regress (SHRINK=0: not) (make kernel-fuzz)
#   FUZZ_DIR=DIR       a differential run over the NAME.pin + NAME.c already in DIR (the shrinker's)
#   CHECK_KERNEL=X.Y   judge the observations by release X.Y's rules instead of 6.1's (how many
#                      disagreements does an older model make? the shrinker's own test)
#   APT_TIMEOUT=S      timeout of each apt-get call (default 900)
#
# Exit status: 0 when every case ran and the model agrees with every observation; 1 on any
# disagreement, case failure (crash, timeout, bad output) or VM failure; 2 on a setup failure
# (missing package, download, module build, boot).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KC="$ROOT/scripts/kernel-check"
CASES_DIR="${ORACLE_CASES:-$ROOT/oracle/cases}"
KDIR="${KDIR:-$ROOT/target/kernel-check}"
CACHE="$KDIR/cache"
DEBS="$CACHE/debs"
OUT="$KDIR/run"
CASE_TIMEOUT="${CASE_TIMEOUT:-60}"
VM_MEM="${VM_MEM:-1G}"
VM_SMP="${VM_SMP:-1}"
# THP "always" for the huge cases; movablecore= puts user pages in ZONE_MOVABLE, so FOLL_LONGTERM
# pins migrate them first (longterm-unmigratable-movable needs that; the other cases don't mind)
VM_CMDLINE="${VM_CMDLINE:-transparent_hugepage=always movablecore=512M}"
QEMU_ACCEL="${QEMU_ACCEL:-tcg}"
APT_TIMEOUT="${APT_TIMEOUT:-900}"
# The 6.1 kernel has no PIN_LONGTERM_TEST_* in mm/gup_test.c (6.2 added it): the module is built
# from this later source package's mm/gup_test.c (see scripts/kernel-check/build-gup-test.sh).
GUP_SRC_PKG="${GUP_SRC_PKG:-linux-source-6.12}"

T0=$SECONDS
set -E
trap 'echo "kernel-check: error: unexpected failure at scripts/kernel-check.sh line $LINENO: $BASH_COMMAND" >&2' ERR
fail() { echo "kernel-check: error: $*" >&2; exit 2; }
note() { echo "kernel-check: $*"; }

# ---------------------------------------------------------------------------------------------
# 1. host tools (apt)
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  note "apt-get update"
  as_root timeout "$APT_TIMEOUT" apt-get update -q >/dev/null || fail "apt-get update failed or timed out"
  APT_UPDATED=1
}

ensure_tools() {
  local missing=() pkg probe
  # package:probe (a probe starting with / is a file, else a command)
  for pair in \
    qemu-system-x86:qemu-system-x86_64 gcc:gcc libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a \
    liburing-dev:/usr/lib/x86_64-linux-gnu/liburing.a cpio:cpio busybox-static:/bin/busybox \
    e2fsprogs:mkfs.ext4 xz-utils:xz make:make python3:python3 gzip:gzip; do
    pkg=${pair%%:*}; probe=${pair#*:}
    if [ "${probe:0:1}" = / ]; then [ -e "$probe" ] || missing+=("$pkg")
    else command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg"); fi
  done
  # busybox must be the static build: it runs as the VM's shell with no libc beside it
  if [ -e /bin/busybox ] && ! dpkg -s busybox-static >/dev/null 2>&1; then missing+=(busybox-static); fi
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing with apt: ${missing[*]}"
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then apt_update_once; fi
  as_root timeout "$APT_TIMEOUT" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$KDIR/apt-install.log" 2>&1 \
    || { tail -20 "$KDIR/apt-install.log" >&2; fail "apt-get install ${missing[*]} failed (log: $KDIR/apt-install.log)"; }
}

# ---------------------------------------------------------------------------------------------
# 2. kernel, headers, gup_test source (apt-get download + dpkg -x into the cache)
# ---------------------------------------------------------------------------------------------
pkg_version() { { apt-cache show "$1" 2>/dev/null || true; } | sed -n 's/^Version: //p' | sed -n 1p; }

# download PKG[=VERSION] into $DEBS unless a matching .deb is there; echo the .deb's path
download() {
  local spec=$1 name=${1%%=*} ver f
  ver=${spec#*=}; [ "$ver" = "$spec" ] && ver=$(pkg_version "$name")
  [ -n "$ver" ] || { apt_update_once; ver=$(pkg_version "$name"); }
  [ -n "$ver" ] || fail "no package $name in apt's lists (apt-cache show $name finds nothing)"
  # shellcheck disable=SC2125
  f="$DEBS/${name}_${ver//:/%3a}_"*.deb
  # shellcheck disable=SC2086
  if ! ls $f >/dev/null 2>&1; then
    note "downloading $name $ver" >&2
    (cd "$DEBS" && timeout "$APT_TIMEOUT" apt-get download -q "$name=$ver" >/dev/null 2>"$DEBS/$name.err") \
      || { cat "$DEBS/$name.err" >&2; fail "apt-get download $name=$ver failed or timed out"; }
    rm -f "$DEBS/$name.err"
  fi
  # shellcheck disable=SC2086
  ls $f | sed -n 1p
}

kver_from_apt() {
  { apt-cache depends linux-image-amd64 2>/dev/null || true; } \
    | sed -n 's/.*Depends: linux-image-\(6\.1\..*-amd64\)$/\1/p' | sed -n 1p
}

fetch_kernel() {
  if [ -z "${KVER:-}" ]; then
    KVER=$(kver_from_apt)
    if [ -z "$KVER" ]; then
      apt_update_once
      KVER=$(kver_from_apt)
    fi
    [ -n "$KVER" ] || fail "no kernel package: linux-image-amd64 does not depend on a linux-image-6.1.*-amd64 (set KVER=6.1.0-NN-amd64)"
  fi
  case $KVER in 6.1.*) ;; *) fail "KVER=$KVER is not a 6.1 kernel";; esac
  KPKGVER=$(pkg_version "linux-image-$KVER")
  [ -n "$KPKGVER" ] || { apt_update_once; KPKGVER=$(pkg_version "linux-image-$KVER"); }
  [ -n "$KPKGVER" ] || fail "no kernel package: apt knows no linux-image-$KVER"
  KROOT="$CACHE/kernel-$KVER"
  if [ ! -f "$KROOT/.done" ]; then
    local deb; deb=$(download "linux-image-$KVER=$KPKGVER")
    rm -rf "$KROOT.tmp" && mkdir -p "$KROOT.tmp"
    dpkg -x "$deb" "$KROOT.tmp/x" || fail "dpkg -x $deb failed"
    mkdir -p "$KROOT.tmp/modules"
    cp "$KROOT.tmp/x/boot/vmlinuz-$KVER" "$KROOT.tmp/vmlinuz" || fail "no /boot/vmlinuz-$KVER in $deb"
    local m f
    for m in $VM_MODULES; do
      f=$(find "$KROOT.tmp/x/lib/modules/$KVER" -name "$m.ko" -o -name "$m.ko.xz" | sed -n 1p)
      [ -n "$f" ] || { echo "  (module $m not in the package: assumed built in)"; continue; }
      case $f in *.xz) xz -dc "$f" >"$KROOT.tmp/modules/$m.ko";; *) cp "$f" "$KROOT.tmp/modules/$m.ko";; esac
    done
    rm -rf "$KROOT.tmp/x" "$KROOT" && mv "$KROOT.tmp" "$KROOT" && touch "$KROOT/.done"
    rm -f "$deb"   # 70 MB; what the VM needs is extracted
  fi
}
# what the VM loads, in order (virtio disks for swap and ext4, ext4 itself)
VM_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk
            crc32c-intel crc32c_generic jbd2 mbcache crc16 ext4"

fetch_headers() {
  HROOT="$CACHE/headers-$KVER"
  # .done holds the path the packages were rewritten for (a moved cache is redone)
  [ "$(cat "$HROOT/.done" 2>/dev/null)" = "$HROOT" ] && return 0
  local common kbuild deb
  common="linux-headers-${KVER%-amd64}-common"
  kbuild=$({ apt-cache show "linux-headers-$KVER=$KPKGVER" 2>/dev/null || true; } \
    | sed -n 's/^Depends: .*\(linux-kbuild-[0-9.]*\).*/\1/p' | sed -n 1p)
  [ -n "$kbuild" ] || fail "cannot tell which linux-kbuild package linux-headers-$KVER needs"
  rm -rf "$HROOT.tmp" && mkdir -p "$HROOT.tmp"
  for p in "linux-headers-$KVER" "$common" "$kbuild"; do
    deb=$(download "$p=$KPKGVER")
    dpkg -x "$deb" "$HROOT.tmp" || fail "dpkg -x $deb failed"
    rm -f "$deb"
  done
  rm -rf "$HROOT" && mv "$HROOT.tmp" "$HROOT"
  # The packages refer to each other by absolute /usr/src and /usr/lib paths: point them at the
  # cache instead of installing anything into the host.
  grep -rlI --exclude-dir=include -e "/usr/src/linux-headers-" -e "/usr/lib/linux-kbuild-" "$HROOT/usr/src" 2>/dev/null \
    | while read -r f; do
        sed -i -e "s|/usr/src/linux-headers-|$HROOT/usr/src/linux-headers-|g" \
               -e "s|/usr/lib/linux-kbuild-|$HROOT/usr/lib/linux-kbuild-|g" "$f"
      done
  find "$HROOT" -type l | while read -r l; do
    t=$(readlink "$l")
    case $t in /usr/src/*|/usr/lib/*) ln -sfn "$HROOT$t" "$l";; esac
  done
  echo "$HROOT" >"$HROOT/.done"
}

fetch_gup_src() {
  GSRC="$CACHE/gup_test-src"
  [ -f "$GSRC/.done" ] && return 0
  local deb tarball
  deb=$(download "$GUP_SRC_PKG")
  rm -rf "$GSRC.tmp" && mkdir -p "$GSRC.tmp"
  dpkg -x "$deb" "$GSRC.tmp/x" || fail "dpkg -x $deb failed"
  tarball=$(ls "$GSRC.tmp"/x/usr/src/linux-source-*.tar.xz | sed -n 1p)
  [ -n "$tarball" ] || fail "$deb holds no linux-source-*.tar.xz"
  local top; top=$(basename "$tarball" .tar.xz)
  note "extracting mm/gup_test.[ch] from $(basename "$tarball")"
  tar -xJf "$tarball" -C "$GSRC.tmp" "$top/mm/gup_test.c" "$top/mm/gup_test.h" || fail "no mm/gup_test.[ch] in $tarball"
  mv "$GSRC.tmp/$top/mm/gup_test.c" "$GSRC.tmp/$top/mm/gup_test.h" "$GSRC.tmp/"
  echo "$(basename "$deb")" >"$GSRC.tmp/SOURCE"
  rm -rf "$GSRC.tmp/x" "$GSRC.tmp/$top" "$GSRC" && mv "$GSRC.tmp" "$GSRC" && touch "$GSRC/.done"
  rm -f "$deb"   # 150 MB; only two files are used
}

build_module() {
  GMOD="$CACHE/gup_test-$KVER"
  if [ -f "$GMOD/gup_test.ko" ] && [ "$GMOD/gup_test.ko" -nt "$KC/build-gup-test.sh" ] \
     && [ "$GMOD/gup_test.ko" -nt "$HROOT/.done" ]; then return 0; fi
  note "building gup_test.ko for $KVER"
  CC=$(command -v gcc-12 || command -v gcc) timeout 900 bash "$KC/build-gup-test.sh" "$GSRC" "$HROOT/usr/src/linux-headers-$KVER" "$GMOD" >"$CACHE/gup_test-build.log" 2>&1 \
    || { tail -30 "$CACHE/gup_test-build.log" >&2; fail "building gup_test.ko failed (log: $CACHE/gup_test-build.log)"; }
}

# ---------------------------------------------------------------------------------------------
# 3. cases, initramfs, boot
# ---------------------------------------------------------------------------------------------
# The hand-written cases plus every script `pinlab export --c` can turn into a program (the
# examples and oracle/scripts/*.pin), named x-NAME, staged together in $OUT/cases. An exported
# script keeps its line numbers: its own expect lines become comments (the kernel supplies the
# observations), and the scheme header is appended.
stage_cases() {
  local st="$OUT/cases" p n tmp="$OUT/export.tmp" exported=0 refused=0
  mkdir -p "$st"
  cp -p "$CASES_DIR"/* "$st"/
  for p in "$ROOT"/oracle/scripts/*.pin "$ROOT"/examples/*.pin; do
    [ -f "$p" ] || continue
    n="x-$(basename "$p" .pin)"
    if ! "$TARGET_DIR/debug/pinlab" export --c "$p" --out "$tmp" 2>/dev/null; then
      refused=$((refused + 1)); rm -f "$st/$n.c" "$st/$n.pin"; continue
    fi
    cmp -s "$tmp" "$st/$n.c" || mv "$tmp" "$st/$n.c"
    { sed -E 's/^([[:space:]]*)expect([[:space:]])/\1# (the script'"'"'s own) expect\2/' "$p"
      echo "# kernel-check: scheme=refcount   (exported: gup is pin_user_pages via gup_test)"
    } >"$tmp"
    cmp -s "$tmp" "$st/$n.pin" || mv "$tmp" "$st/$n.pin"
    exported=$((exported + 1))
  done
  rm -f "$tmp"
  note "exported $exported scripts with pinlab export --c ($refused not exportable: pinlab export --c FILE says why)"
  CASES_DIR="$st"
}

select_cases() {
  CASES=()
  if [ $# -gt 0 ]; then
    for c in "$@"; do c=$(basename "$c" .pin); c=${c%.c}
      [ -f "$CASES_DIR/$c.pin" ] && [ -f "$CASES_DIR/$c.c" ] || fail "no case $c (need oracle/cases/$c.pin and $c.c)"
      CASES+=("$c"); done
  else
    for p in "$CASES_DIR"/*.pin; do c=$(basename "$p" .pin)
      [ -f "$CASES_DIR/$c.c" ] || fail "oracle/cases/$c.pin has no $c.c"
      CASES+=("$c"); done
  fi
  [ ${#CASES[@]} -gt 0 ] || fail "no cases in $CASES_DIR"
}

build_cases() {
  mkdir -p "$CACHE/bin"
  local c b todo=()
  for c in "${CASES[@]}"; do
    b="$CACHE/bin/$c"
    if [ -f "$b" ] && [ -z "$(find "$CASES_DIR/$c.c" "$CASES_DIR" "$ROOT/oracle/lib" -maxdepth 1 \
          \( -name "$c.c" -o -name '*.h' \) -newer "$b" 2>/dev/null)" ]; then continue; fi
    todo+=("$c")
  done
  [ ${#todo[@]} -eq 0 ] && return 0
  # static for the cases; the differential run's many small programs link dynamically (the
  # initramfs then carries their shared libraries) so that a thousand of them stay small
  local link=-static; [ -n "$DIFF" ] && link=
  printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} sh -c \
    'gcc '"$link"' -O1 -g0 -Wall -Werror -Wno-unused-function -std=gnu11 -I "$1" -I "$2" -o "$3/bin/{}" "$4/{}.c" -luring -lpthread || { echo "case {}: {}.c does not compile" >&2; exit 255; }' \
    _ "$ROOT/oracle/lib" "$GSRC" "$CACHE" "$CASES_DIR" \
    || fail "a case does not compile (see above)"
}

# The shared libraries of dynamically linked cases, at their paths, into the initramfs $1.
copy_libs() {
  local lib
  # the union over every case: the linker drops liburing from a program that does not use it
  for lib in $(printf "$CACHE/bin/%s\n" "${CASES[@]}" | xargs ldd 2>/dev/null | grep -o '^[[:space:]].*/[^ ]*' | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib"
  done
}

build_initramfs() {
  local r="$OUT/initramfs"
  rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev,tmp,mnt,cases,lib/modules}
  cp /bin/busybox "$r/bin/busybox"
  cp "$KC/init.sh" "$r/init" && chmod +x "$r/init"
  cp "$KROOT"/modules/*.ko "$r/lib/modules/" 2>/dev/null || true
  cp "$GMOD/gup_test.ko" "$r/lib/modules/gup_test.ko"
  echo "$VM_MODULES gup_test" | tr -s ' \n' ' ' >"$r/lib/modules/order"
  for c in "${CASES[@]}"; do cp "$CACHE/bin/$c" "$r/cases/$c"; done
  [ -z "$DIFF" ] || copy_libs "$r"
  printf '%s\n' "${CASES[@]}" >"$r/cases/list"
  echo "$CASE_TIMEOUT" >"$r/cases/timeout"
  (cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1 >"$OUT/initrd.gz") || fail "cpio of the initramfs failed"
}

boot_vm() {
  rm -f "$OUT/swap.img" "$OUT/ext4.img" "$OUT/qemu.pid"
  truncate -s 256M "$OUT/swap.img"                      # sparse; mkswap runs in the VM
  truncate -s 128M "$OUT/ext4.img" && mkfs.ext4 -q -F "$OUT/ext4.img" || fail "mkfs.ext4 failed"
  local tmo=${VM_TIMEOUT:-$((120 + CASE_TIMEOUT * ${#CASES[@]}))}
  local idle_max=${VM_IDLE_TIMEOUT:-$((CASE_TIMEOUT + 60))}
  note "booting $KVER in qemu ($QEMU_ACCEL, $VM_MEM, ${#CASES[@]} cases, timeout ${tmo}s, or ${idle_max}s without output)"
  local t=$SECONDS
  # the differential run's VM has two NUMA nodes, so that `migrate` (move_pages) has somewhere to go
  local numa=()
  [ -z "$DIFF" ] || numa=(-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
    -numa node,nodeid=0,cpus=0-$((VM_SMP - 1)),memdev=m0 -numa node,nodeid=1,memdev=m1)
  (timeout -k 10 "$tmo" qemu-system-x86_64 -machine q35,accel="$QEMU_ACCEL" -cpu max -smp "$VM_SMP" -m "$VM_MEM" "${numa[@]}" \
    -nographic -no-reboot -pidfile "$OUT/qemu.pid" -kernel "$KROOT/vmlinuz" -initrd "$OUT/initrd.gz" \
    -drive file="$OUT/ext4.img",if=virtio,format=raw -drive file="$OUT/swap.img",if=virtio,format=raw \
    -append "console=ttyS0 panic=-1 loglevel=3 $VM_CMDLINE" \
    </dev/null 2>&1 | sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' >"$OUT/vm.log") &
  local vm=$! size=-1 idle=0 now
  # a hung guest kernel prints nothing: stop it after idle_max seconds of silence
  while kill -0 "$vm" 2>/dev/null; do
    sleep 1
    now=$(stat -c %s "$OUT/vm.log" 2>/dev/null || echo 0)
    if [ "$now" != "$size" ]; then size=$now; idle=0; else idle=$((idle + 1)); fi
    if [ "$idle" -ge "$idle_max" ] && [ -s "$OUT/qemu.pid" ]; then
      echo "kernel-check: the VM printed nothing for ${idle_max}s: stopping it" >&2
      kill "$(cat "$OUT/qemu.pid")" 2>/dev/null || true
      idle=0
    fi
  done
  wait "$vm" || true   # (the pipeline's status is sed's: what happened is read from the log)
  note "VM ran $((SECONDS - t))s (log: $OUT/vm.log)"
  if ! grep -q '=== INIT-START' "$OUT/vm.log"; then
    tail -40 "$OUT/vm.log" >&2
    fail "boot failure: the kernel never reached the harness's /init (qemu or kernel problem; log above)"
  fi
  if ! grep -q '^=== ALL-DONE' "$OUT/vm.log"; then
    echo "kernel-check: the VM stopped before running every case (timeout, a kernel panic, or a hang); last lines:" >&2
    tail -15 "$OUT/vm.log" >&2
  fi
  return 0
}

build_pinlab() {
  # always ask cargo (a no-op when up to date): the model changes under this harness
  if ! cargo build -q -p pinlab; then
    [ -x "$TARGET_DIR/debug/pinlab" ] || fail "cargo build -p pinlab failed and there is no target/debug/pinlab"
    note "warning: cargo build -p pinlab failed; using the existing target/debug/pinlab"
  fi
}

# kstep NAME FUNC: run FUNC in this shell (errexit stays on), print its time
kstep() { local t=$SECONDS; "$2"; echo "kernel-check: [$1] ok ($((SECONDS - t))s)"; }

# ---------------------------------------------------------------------------------------------
main() {
  mkdir -p "$KDIR" "$CACHE" "$DEBS" "$OUT"
  kstep "pinlab" build_pinlab
  DIFF=${FUZZ:-}${FUZZ_DIR:-}
  if [ -n "${FUZZ_DIR:-}" ]; then
    CASES_DIR="$FUZZ_DIR"
    VM_CMDLINE="${VM_CMDLINE_FUZZ:-transparent_hugepage=always}"
  elif [ -n "${FUZZ:-}" ]; then
    rm -rf "$OUT/fuzz-cases" "$CACHE/bin"/fz-* "$CACHE/bin"/sh[0-9]*
    "$TARGET_DIR/debug/pinlab" export --fuzz "$FUZZ" --seed "${FUZZ_SEED:-1}" --out "$OUT/fuzz-cases" \
      || fail "pinlab export --fuzz failed"
    CASES_DIR="$OUT/fuzz-cases"
    # no ZONE_MOVABLE: the random scripts' pages are ZONE_NORMAL in the model
    VM_CMDLINE="${VM_CMDLINE_FUZZ:-transparent_hugepage=always}"
    note "differential run: $FUZZ random scripts from seed ${FUZZ_SEED:-1}"
  else
    stage_cases
  fi
  select_cases "$@"
  kstep "host tools" ensure_tools
  kstep "kernel image" fetch_kernel
  kstep "kernel headers" fetch_headers
  kstep "gup_test source" fetch_gup_src
  kstep "gup_test module" build_module
  kstep "cases" build_cases
  kstep "initramfs" build_initramfs
  kstep "boot" boot_vm
  local rc=0
  rm -rf "$OUT/spliced"
  python3 "$KC/report.py" --log "$OUT/vm.log" --cases "$CASES_DIR" --out "$OUT/spliced" \
    --pinlab "$TARGET_DIR/debug/pinlab" ${DIFF:+--quiet-agree} "${CASES[@]}" || rc=$?
  if [ -n "${FUZZ:-}" ] && [ "$rc" = 1 ] && [ "${SHRINK:-1}" != 0 ] && [ -s "$OUT/spliced/disagree.txt" ]; then
    local bad=()
    while read -r n; do bad+=("$OUT/fuzz-cases/$n.pin"); done < <(head -n "${SHRINK_MAX:-10}" "$OUT/spliced/disagree.txt")
    rm -rf "$KDIR/shrink" "$KDIR/regress" && cp -r "$OUT/spliced" "$KDIR/fuzz-spliced"
    note "shrinking ${#bad[@]} disagreeing scripts (one boot per round)"
    python3 "$KC/shrink.py" --pinlab "$TARGET_DIR/debug/pinlab" --check "$ROOT/scripts/kernel-check.sh" --kdir "$KDIR" \
      --work "$KDIR/shrink" --regress "$KDIR/regress" --spliced "$KDIR/fuzz-spliced" "${bad[@]}" \
      || note "warning: shrinking failed"
    note "minimal scripts with Linux 6.1's observations: $KDIR/regress/ (after review, copy them to"
    note "oracle/regress/: make test checks them with pinlab check --kernel 6.1, no VM needed)"
  fi
  note "total $((SECONDS - T0))s; spliced scripts in $OUT/spliced/, VM log $OUT/vm.log"
  exit "$rc"
}
main "$@"
