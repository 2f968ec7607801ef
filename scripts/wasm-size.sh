#!/usr/bin/env bash
# Release-build dist/ and print raw and gzip -9 sizes of every file in it (for BENCHMARKS.md):
# the files the page loads, then the rest (docs the header links to, oracle.h), with totals.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/build.sh" >/dev/null
cd "$ROOT/dist"
row() { printf '%-40s %12d %12d\n' "$1" "$(wc -c <"$1")" "$(gzip -9 -c "$1" | wc -c)"; }
total() { local r=0 g=0 f; for f in "$@"; do r=$((r + $(wc -c <"$f"))); g=$((g + $(gzip -9 -c "$f" | wc -c))); done; printf '%-40s %12d %12d\n' "$TOTAL" "$r" "$g"; }
printf '%-40s %12s %12s\n' file raw_bytes gzip9_bytes
shopt -s nullglob globstar
page=(index.html *.wasm *.js *.css)
for f in "${page[@]}"; do row "$f"; done
TOTAL="total: what the page loads" total "${page[@]}"
rest=()
for f in **/*; do
  [ -f "$f" ] || continue
  case " ${page[*]} " in *" $f "*) continue ;; esac
  rest+=("$f")
done
for f in "${rest[@]}"; do row "$f"; done
TOTAL="total: everything in dist/" total "${page[@]}" "${rest[@]}"
