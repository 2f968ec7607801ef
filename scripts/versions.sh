#!/usr/bin/env bash
# Print the pinned tool versions from their sources of truth, and what is installed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
pkg() { node -p "require('./e2e/package.json').devDependencies['$1']"; }
row() { printf '%-18s %-16s %s\n' "$1" "$2" "$3"; }
row tool pinned installed
row trunk "$TRUNK_VERSION" "$(trunk --version 2>/dev/null || echo -)"
row wasm-bindgen-cli "$WB_VER" "$(wasm-bindgen --version 2>/dev/null || echo -)"
row binaryen "$(pkg binaryen)" "$(wasm-opt --version 2>/dev/null || echo -)"
row playwright-core "$(pkg playwright-core)" "$(node -p "require('./e2e/node_modules/playwright-core/package.json').version" 2>/dev/null || echo -)"
row chromium "(Debian)" "$("$CHROMIUM_BIN" --version 2>/dev/null || echo -)"
row chromedriver "(Debian)" "$("$CHROMEDRIVER_BIN" --version 2>/dev/null | cut -d' ' -f1-2 || echo -)"
row rustc "-" "$(rustc --version)"
row node "-" "$(node --version)"
