# shellcheck shell=bash
# Common environment for scripts/*.sh. Source it; it cds to the repo root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=versions.env
. "$ROOT/scripts/versions.env"

# wasm-bindgen version: read from Cargo.lock, never written down a second time.
WB_VER="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock")"
[ -n "$WB_VER" ] || { echo "error: no wasm-bindgen entry in Cargo.lock" >&2; exit 1; }

# cargo-installed tools first, then wasm-opt 132 from npm binaryen (e2e/node_modules/.bin).
export PATH="$ROOT/e2e/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# trunk: no update check against the registry; never download tools (versions pinned in Trunk.toml).
export TRUNK_SKIP_VERSION_CHECK=true
export TRUNK_OFFLINE=true
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export DEBIAN_FRONTEND=noninteractive

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# step NAME CMD...: run a command, print how long it took; fail loudly.
step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "==> $name"
  if "$@"; then
    echo "<== $name: ok ($((SECONDS - t0))s)"
  else
    local rc=$?
    echo "<== $name: FAILED (exit $rc, $((SECONDS - t0))s)" >&2
    return "$rc"
  fi
}

# Run as root, or through sudo when not root (CI runs as root).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
