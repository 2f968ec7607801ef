#!/usr/bin/env bash
# Build mm/gup_test.c (from a later kernel's source: 6.1's lacks PIN_LONGTERM_TEST_*) as an
# out-of-tree module for Debian's 6.1 kernel, so /sys/kernel/debug/gup_test exists in the VM
# (Debian builds 6.1 with CONFIG_GUP_TEST=n). Its ioctls call only exported 6.1 GUP functions
# (pin_user_pages[_fast], get_user_pages[_fast], unpin_user_pages), so what the cases measure is
# 6.1's GUP. Changes to the source, all mechanical:
#   - 6.1's get_user_pages()/pin_user_pages() still take a `vmas` argument: pass NULL;
#   - late_initcall -> module_init + MODULE_LICENSE;
#   - GUP_BASIC_TEST / PIN_BASIC_TEST return the errno of a first call that fails (upstream
#     swallows it and reports size 0), so a case can tell EINVAL from EFAULT.
#   build-gup-test.sh SRC_DIR HEADERS_DIR OUT_DIR
set -euo pipefail
SRC=$1; HDR=$2; OUT=$3
rm -rf "$OUT" && mkdir -p "$OUT"
cp "$SRC/gup_test.c" "$SRC/gup_test.h" "$OUT/"
echo 'obj-m += gup_test.o' >"$OUT/Makefile"
python3 - "$OUT/gup_test.c" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
def sub(old, new):
    global s
    if old not in s:
        sys.exit(f"build-gup-test: patch anchor not found: {old!r}")
    s = s.replace(old, new, 1)
sub('#include <linux/kernel.h>\n', '#include <linux/kernel.h>\n#include <linux/module.h>\n')
sub('#include "gup_test.h"\n', '#include "gup_test.h"\n\n/* 6.1 backport: GUP calls still take a vmas argument there */\n'
    '#define get_user_pages(a, n, f, p) get_user_pages(a, n, f, p, NULL)\n'
    '#define pin_user_pages(a, n, f, p) pin_user_pages(a, n, f, p, NULL)\n'
    )
sub('\t\tif (nr <= 0)\n\t\t\tbreak;\n',
    '\t\tif (nr <= 0) {\n\t\t\t/* kernel-check: report the errno of a failing first call */\n'
    '\t\t\tif (nr < 0 && i == 0 && (cmd == GUP_BASIC_TEST || cmd == PIN_BASIC_TEST))\n'
    '\t\t\t\tret = nr;\n\t\t\tbreak;\n\t\t}\n')
sub('late_initcall(gup_test_init);', 'module_init(gup_test_init);\nMODULE_LICENSE("GPL");')
open(p, 'w').write(s)
PY
make -C "$HDR" M="$OUT" CC="${CC:-gcc}" modules
test -f "$OUT/gup_test.ko"
