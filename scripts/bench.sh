#!/usr/bin/env bash
# Criterion benches of the workspace (native, profile.bench), then the wasm size report.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if compgen -G 'crate/benches/*.rs' >/dev/null || compgen -G 'cli/benches/*.rs' >/dev/null; then
  step "criterion benches" cargo bench --workspace --benches --locked
else
  echo "no benches/*.rs yet: skipping criterion"
fi
step "wasm size (release dist/)" "$ROOT/scripts/wasm-size.sh"
