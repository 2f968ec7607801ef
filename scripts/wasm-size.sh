#!/usr/bin/env bash
# Release-build dist/ and print raw and gzip -9 sizes of the .wasm and .js (for BENCHMARKS.md).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/build.sh" >/dev/null
printf '%-32s %12s %12s\n' file raw_bytes gzip9_bytes
shopt -s nullglob
for f in dist/*.wasm dist/*.js; do
  printf '%-32s %12d %12d\n' "$(basename "$f")" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
done
