#!/usr/bin/env bash
# Coverage-guided fuzzing of mm-model on stable Rust (fuzz/, libfuzzer-sys): builds the fuzz
# targets with SanitizerCoverage, replays fuzz/regressions/, then runs each target for a while.
#
#   scripts/fuzz.sh [TARGET...]          targets: parse run link (default: all three)
#   scripts/fuzz.sh min TARGET FILE      minimise a crashing input (-minimize_crash=1; before
#                                        the fix, while the target still crashes on it)
#
# Environment: FUZZ_SECONDS (20) per target; FUZZ_RUNS (unset) also stops a target after that
# many inputs; FUZZ_TIMEOUT (5 s) for one input, longer is a hang; FUZZ_RSS_MB (2048);
# FUZZ_MAX_LEN (2048) bytes per input; FUZZ_FRESH=1 starts from the seeds alone, in a corpus
# of its own that is emptied first (the short run in scripts/test.sh: its time stays the same
# however large corpus/ has grown).
#
# Stable flags only (no nightly, no -Z): --cfg fuzzing and the SanitizerCoverage pass with
# 8-bit edge counters, the PC table and comparison tracing (cargo-fuzz's set, without ASan:
# the model has no unsafe code), plus debug assertions and overflow checks. `--target` keeps
# RUSTFLAGS off the build scripts. One libFuzzer process per target, one after the other
# (no -jobs/-workers: the machine has 2 cores and other work runs beside it).
#
# Everything it writes is under target/fuzz/: the build, seeds/ (copied afresh from
# examples/, exercises/, crate/tests/data/, oracle/cases/, oracle/regress/), corpus/TARGET
# (kept between runs, never committed; corpus-fresh/TARGET with FUZZ_FRESH=1),
# artifacts/TARGET (crash-*, timeout-*, oom-*) and logs/TARGET.log. It exits non-zero on any crash, hang or out-of-memory. A crash is kept:
# minimise it, fix the model, add the input to fuzz/regressions/TARGET/ and a #[test] in
# crate/tests/fuzz_regressions.rs.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
FUZZ_DIR="$TARGET_DIR/fuzz"
HOST="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="$FUZZ_DIR/$HOST/release"
ALL_TARGETS=(parse run link)
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-5}"
FUZZ_RSS_MB="${FUZZ_RSS_MB:-2048}"
FUZZ_MAX_LEN="${FUZZ_MAX_LEN:-2048}"

RUSTFLAGS_FUZZ="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
RUSTFLAGS_FUZZ+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
RUSTFLAGS_FUZZ+=" -Cllvm-args=-sanitizer-coverage-pc-table"
RUSTFLAGS_FUZZ+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
RUSTFLAGS_FUZZ+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
RUSTFLAGS_FUZZ+=" -Cdebug-assertions -Coverflow-checks"

# The functions below run under `step`, inside an `if`, where `set -e` does not apply: each
# failure returns explicitly.
build() {
  cargo fmt --manifest-path fuzz/Cargo.toml -- --check || return 1
  # libfuzzer-sys's build script compiles libFuzzer's C++ with g++, beside the Rust crates.
  command -v g++ >/dev/null || { echo "g++ not found (scripts/bootstrap.sh installs it)" >&2; return 1; }
  RUSTFLAGS="$RUSTFLAGS_FUZZ" CARGO_TARGET_DIR="$FUZZ_DIR" \
    cargo build --manifest-path fuzz/Cargo.toml --release --locked --target "$HOST" --bins || return 1
}

seeds() {
  # Every script the repo has (file names keep their path), the exercises whole and their
  # start/answer scripts, and the DEFLATE test stream (the link target's payload).
  local dir="$FUZZ_DIR/seeds" f
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  for f in examples/*.pin exercises/*.ex oracle/cases/*.pin oracle/regress/*.pin \
    $(find crate/tests/data -type f | sort); do
    if [ -f "$f" ]; then cp "$f" "$dir/${f//\//__}" || return 1; fi
  done
  # The same scripts without comments, blank lines and runs of spaces: the statements fit in
  # -max_len and mutations land on them.
  for f in "$dir"/*.pin; do
    sed -e 's/#.*//' -e 's/[[:blank:]]\+/ /g' -e 's/ $//' "$f" | grep -v '^ *$' >"${f%.pin}.min.pin" || true
  done
  for f in exercises/*.ex; do
    for part in start answer; do
      awk -v part="$part:" '$0 == part {on = 1; next} on && /^  / {print substr($0, 3); next} {on = 0}' \
        "$f" >"$dir/${f//\//__}.$part.pin" || return 1
    done
  done
  echo "seeds: $(ls "$dir" | wc -l) files in $dir"
}

replay() {
  # The inputs that once crashed a target must still pass (libFuzzer runs each file once).
  local t="$1" dir="fuzz/regressions/$1"
  compgen -G "$dir/*" >/dev/null || return 0
  echo "$t: replaying $(ls "$dir" | wc -l) regression input(s) from $dir"
  "$BIN_DIR/$t" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" "$dir"/* >"$FUZZ_DIR/logs/$t.replay.log" 2>&1 || {
    tail -30 "$FUZZ_DIR/logs/$t.replay.log" >&2
    echo "$t: a regression input fails again (log: $FUZZ_DIR/logs/$t.replay.log)" >&2
    return 1
  }
}

# stat NAME LOG: a `stat::NAME: N` line of -print_final_stats.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

fuzz_one() {
  local t="$1" corpus="$FUZZ_DIR/corpus/$1" art="$FUZZ_DIR/artifacts/$1" log="$FUZZ_DIR/logs/$1.log"
  if [ "${FUZZ_FRESH:-0}" = 1 ]; then
    corpus="$FUZZ_DIR/corpus-fresh/$t"
    rm -rf "$corpus" || return 1
  fi
  mkdir -p "$corpus" "$art" || return 1
  replay "$t" || return 1
  local before rc=0
  before="$(ls "$art" | wc -l)"
  local args=(-max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB"
    -max_len="$FUZZ_MAX_LEN" -dict=fuzz/pin.dict -artifact_prefix="$art/" -print_final_stats=1)
  [ -n "${FUZZ_RUNS:-}" ] && args+=(-runs="$FUZZ_RUNS")
  echo "$t: $BIN_DIR/$t ${args[*]} $corpus $FUZZ_DIR/seeds"
  "$BIN_DIR/$t" "${args[@]}" "$corpus" "$FUZZ_DIR/seeds" >"$log" 2>&1 || rc=$?
  # The last status line (`#N DONE cov: C ft: F corp: U/S ...`) and the final stats.
  local last execs rate
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  execs="$(stat number_of_executed_units "$log")"
  rate="$(stat average_exec_per_sec "$log")"
  echo "$t: ${execs:-?} execs, ${rate:-?} exec/s, $(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' || echo 'no status line'), peak rss $(stat peak_rss_mb "$log") MB"
  local found
  found="$(($(ls "$art" | wc -l) - before))"
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    grep -E -A25 '^==[0-9]+== ERROR|panicked at|ALARM|out-of-memory' "$log" | head -60 >&2 || tail -40 "$log" >&2
    echo "$t: FAILED (exit $rc, $found new artifact(s) in $art; log: $log)" >&2
    echo "  minimise: scripts/fuzz.sh min $t $(ls -t "$art" | head -1 | sed "s|^|$art/|")" >&2
    return 1
  fi
}

minimize() {
  local t="$1" input="$2" out
  out="$FUZZ_DIR/artifacts/$t/minimized-$(basename "$input")"
  step "build fuzz targets" build || return 1
  "$BIN_DIR/$t" -minimize_crash=1 -runs=100000 -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" \
    -exact_artifact_path="$out" "$input" || true
  [ -f "$out" ] || { echo "no smaller crashing input found; $input is it" >&2; return 1; }
  echo "minimised ($(wc -c <"$out") bytes): $out"
}

if [ "${1:-}" = min ]; then
  [ $# -eq 3 ] || { echo "usage: scripts/fuzz.sh min TARGET FILE" >&2; exit 2; }
  minimize "$2" "$3"
  exit
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "unknown fuzz target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done
mkdir -p "$FUZZ_DIR/logs"
step "build fuzz targets (stable, SanitizerCoverage)" build
step "seed corpus" seeds
failed=0
for t in "${targets[@]}"; do
  step "fuzz $t (${FUZZ_SECONDS}s)" fuzz_one "$t" || failed=1
done
echo "fuzz: ${targets[*]} in $((SECONDS - T0))s: $([ "$failed" -eq 0 ] && echo 'no crash, hang or OOM' || echo FAILED)"
exit "$failed"
