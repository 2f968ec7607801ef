#!/usr/bin/env bash
# End-to-end test: trunk release build of dist/, served by python3 http.server on a free port,
# then `node e2e/run.mjs` (every e2e/tests/*.mjs in headless Chromium). Screenshots go to
# target/e2e/. The server is always stopped, whatever happens.
#   scripts/e2e.sh [filter]     # filter: substring of test file names
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/build.sh"
# The share test compares the page's links and email text with the CLI's.
cargo build -q -p pinlab --locked
PINLAB_BIN="$TARGET_DIR/debug/pinlab"

OUT="$TARGET_DIR/e2e"
mkdir -p "$OUT"
SERVER_LOG="$OUT/http-server.log"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# Port 0: the kernel picks a free port and http.server reports it (no probe-then-bind race).
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$ROOT/dist" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

PORT=""
for _ in $(seq 1 100); do
  PORT="$(sed -n 's/.* port \([0-9][0-9]*\).*/\1/p' "$SERVER_LOG" | head -n1)"
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; echo "e2e: http server exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { cat "$SERVER_LOG" >&2; echo "e2e: http server did not report a port" >&2; exit 1; }
BASE_URL="http://127.0.0.1:$PORT/"

for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE_URL" && break
  sleep 0.1
done
curl -fsS -o /dev/null "$BASE_URL" || { echo "e2e: $BASE_URL does not answer" >&2; exit 1; }
echo "e2e: serving dist/ at $BASE_URL"

BASE_URL="$BASE_URL" E2E_OUT_DIR="$OUT" CHROMIUM_BIN="$CHROMIUM_BIN" PINLAB_BIN="$PINLAB_BIN" node "$ROOT/e2e/run.mjs" "$@"
