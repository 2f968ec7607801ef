#!/usr/bin/env bash
# The full check behind `make test` (run scripts/bootstrap.sh first; the Makefile does).
# Each step prints its duration; the first failure stops the run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
CONFORMANCE_DIR="$ROOT/../shared/conformance"

wasm_tests() {
  # `cargo test --target wasm32` runs the test binaries through wasm-bindgen-test-runner, which
  # drives headless Chromium through chromedriver. The runner itself adds --headless,
  # --no-sandbox and --disable-dev-shm-usage; web/webdriver.json adds the rest of our flags.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER="$CHROMEDRIVER_BIN" \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/web/webdriver.json" \
    cargo test --target "$WASM_TARGET" --locked "$@"
}

model_wasm() {
  # mm-model must build for the browser. Its plain #[test]s would be silently skipped by the
  # wasm runner ("no tests to run!"), so they run natively above; browser tests only run if
  # the model ever grows #[wasm_bindgen_test]s.
  cargo build -p mm-model --target "$WASM_TARGET" --locked
  if grep -rqs 'wasm_bindgen_test' crate/src crate/tests; then
    wasm_tests -p mm-model
  fi
}

conformance() {
  # Only the directory's absence is tolerated; any failure of `pinlab check` fails the run.
  if [ ! -d "$CONFORMANCE_DIR" ]; then
    echo "skipped: $CONFORMANCE_DIR does not exist"
    return 0
  fi
  cargo build -p pinlab --locked
  "$TARGET_DIR/debug/pinlab" check "$CONFORMANCE_DIR"
}

oracle_regressions() {
  # Minimal scripts from the differential run, with Linux 6.1's observations as expect lines.
  if ! ls oracle/regress/*.pin >/dev/null 2>&1; then
    echo "no oracle/regress/*.pin yet"
    return 0
  fi
  cargo build -p pinlab --locked
  "$TARGET_DIR/debug/pinlab" check --kernel 6.1 oracle/regress
}

step "cargo fmt --check" cargo fmt --all -- --check
step "clippy (native, workspace)" cargo clippy --workspace --all-targets --locked -- -D warnings
step "clippy (wasm32, mm-web)" cargo clippy -p mm-web --target "$WASM_TARGET" --all-targets --locked -- -D warnings
# --workspace, not the default members: mm-web's native build (yew compiles natively) is checked too.
step "native tests (workspace)" cargo test --workspace --locked
step "mm-model on wasm32" model_wasm
step "browser tests (mm-web, headless chromium)" wasm_tests -p mm-web
step "conformance (pinlab check)" conformance
step "oracle regressions (pinlab check --kernel 6.1 oracle/regress)" oracle_regressions
# The real-kernel oracle: Linux 6.1 in qemu (~15 s warm, ~2 min cold). The cache of kernel
# packages and the gup_test module lives outside the clone, so CI's fresh clones stay warm.
step "kernel check (Linux 6.1 in qemu, oracle/cases)" env KDIR="${KDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinlab/kernel-check}" "$ROOT/scripts/kernel-check.sh"
# Coverage-guided fuzzing on stable Rust (fuzz/, libFuzzer), 10 s per target (parse, run, link)
# after the instrumented build (cold: ~35 s on an idle 2-core machine, ~75 s beside another
# build), ~70-110 s in all. `make fuzz SECONDS=N` runs longer; BENCHMARKS.md has the long run.
step "fuzz (short, stable libFuzzer)" env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" FUZZ_FRESH=1 "$ROOT/scripts/fuzz.sh"
step "end-to-end (trunk release build + playwright)" "$ROOT/scripts/e2e.sh"
echo "test: all steps passed in $((SECONDS - T0))s"
