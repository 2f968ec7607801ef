#!/usr/bin/env bash
# Idempotent toolchain installer for pinlab. Quick (a few seconds) when everything is present;
# on a fresh 2-core machine the two `cargo install`s take ~12 minutes.
#
# Installs only what is missing or at the wrong version:
#   - rustup target wasm32-unknown-unknown
#   - trunk            (cargo install --locked, version from scripts/versions.env)
#   - wasm-bindgen-cli (version from Cargo.lock; also provides wasm-bindgen-test-runner)
#   - chromium + chromium-driver (apt-get)
#   - e2e/node_modules (npm ci: wasm-opt from binaryen, playwright-core)
#   - g++ (apt-get): libfuzzer-sys compiles libFuzzer for fuzz/ (`make fuzz`, the fuzz step
#     of `make test`)
# then checks that Trunk.toml's [tools] pins agree with their sources and fetches crates
# (`cargo fetch --locked`, for the workspace and for fuzz/, its own workspace) so that the
# offline trunk/cargo builds that follow can work.
#
# Nothing here lets trunk download anything: trunk's own downloads come from GitHub, which
# is not reachable from our machines, so every tool it uses must already be on PATH.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS

ensure_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    echo "rust target $WASM_TARGET: present"
  else
    rustup target add "$WASM_TARGET"
  fi
}

ensure_trunk() {
  local want="trunk $TRUNK_VERSION" have
  have="$(trunk --version 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then
    echo "$want: present"
    return
  fi
  echo "trunk: have '${have:-none}', want '$want' -> cargo install (~9 min cold on 2 cores)"
  cargo install trunk --version "=$TRUNK_VERSION" --locked
}

ensure_wasm_bindgen() {
  local want="wasm-bindgen $WB_VER" have have_runner
  have="$(wasm-bindgen --version 2>/dev/null || true)"
  have_runner="$(command -v wasm-bindgen-test-runner || true)"
  if [ "$have" = "$want" ] && [ -n "$have_runner" ]; then
    echo "$want (+ wasm-bindgen-test-runner): present"
    return
  fi
  echo "wasm-bindgen: have '${have:-none}', want '$want' -> cargo install (~3 min cold)"
  # No --locked here on purpose: wasm-bindgen-cli 0.2.130's own Cargo.lock pins webpki-roots
  # 1.0.11, which the crate registry we can reach does not carry ("failed to select a version
  # for webpki-roots ^1.0.10 (locked to 1.0.11)"). Unlocked it resolves 1.0.10 and builds; the
  # installed binary still reports exactly $WB_VER, which is what trunk and the test runner check.
  # --force: replace a different installed version in place.
  cargo install wasm-bindgen-cli --version "=$WB_VER" --force
}

ensure_chromium() {
  if [ -x "$CHROMIUM_BIN" ] && [ -x "$CHROMEDRIVER_BIN" ]; then
    echo "chromium + chromedriver: present ($("$CHROMIUM_BIN" --version 2>/dev/null | tr -s ' ' || echo '?'))"
    return
  fi
  echo "chromium/chromedriver missing -> apt-get install $CHROMIUM_PACKAGES"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root apt-get install -y -qq --no-install-recommends $CHROMIUM_PACKAGES
}

ensure_node_modules() {
  # npm ci only when node_modules is missing or was installed from a different package-lock.json.
  local stamp="e2e/node_modules/.pinlab-lock.sha256" want
  want="$(sha256sum e2e/package-lock.json e2e/package.json | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x e2e/node_modules/.bin/wasm-opt ]; then
    echo "e2e/node_modules: up to date"
  else
    echo "e2e/node_modules: missing or stale -> npm ci"
    (cd e2e && npm ci --no-audit --no-fund --ignore-scripts)
    echo "$want" > "$stamp"
  fi
}

ensure_gxx() {
  if command -v g++ >/dev/null 2>&1; then
    echo "g++: present ($(g++ -dumpfullversion))"
    return
  fi
  echo "g++ missing (libfuzzer-sys compiles libFuzzer with it) -> apt-get install g++"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends g++
}

check_pins() {
  # Trunk.toml must repeat exactly what Cargo.lock and e2e/package.json say; otherwise trunk
  # would (offline) refuse to build with a less obvious message.
  local tt_wb tt_wo binaryen wo_have
  tt_wb="$(sed -n 's/^wasm_bindgen *= *"\([^"]*\)".*/\1/p' Trunk.toml)"
  tt_wo="$(sed -n 's/^wasm_opt *= *"\([^"]*\)".*/\1/p' Trunk.toml)"
  binaryen="$(node -p 'require("./e2e/package.json").devDependencies.binaryen')"
  if [ "$tt_wb" != "$WB_VER" ]; then
    echo "error: Trunk.toml [tools] wasm_bindgen = \"$tt_wb\" but Cargo.lock has wasm-bindgen $WB_VER; make them equal" >&2
    exit 1
  fi
  if [ "$tt_wo" != "version_${binaryen%%.*}" ]; then
    echo "error: Trunk.toml [tools] wasm_opt = \"$tt_wo\" but e2e/package.json has binaryen $binaryen (want \"version_${binaryen%%.*}\")" >&2
    exit 1
  fi
  wo_have="$(wasm-opt --version 2>/dev/null || true)"
  case "$wo_have" in
    *"($tt_wo)"*) echo "wasm-opt: $wo_have (from $(command -v wasm-opt))" ;;
    *) echo "error: wasm-opt on PATH is '${wo_have:-none}' ($(command -v wasm-opt || echo not found)); want $tt_wo" >&2; exit 1 ;;
  esac
}

step "rust target" ensure_wasm_target
step "trunk" ensure_trunk
step "wasm-bindgen-cli" ensure_wasm_bindgen
step "chromium" ensure_chromium
step "npm ci (e2e)" ensure_node_modules
step "g++ (for libFuzzer)" ensure_gxx
step "tool pins" check_pins
step "cargo fetch" cargo fetch --locked
step "cargo fetch (fuzz/)" cargo fetch --locked --manifest-path fuzz/Cargo.toml
echo "bootstrap: done in $((SECONDS - T0))s"
