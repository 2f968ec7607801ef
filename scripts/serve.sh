#!/usr/bin/env bash
# Serve the web app locally with live rebuilds: scripts/serve.sh [PORT] (default 8080).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${1:-${PORT:-8080}}"
echo "pinlab: serving on http://127.0.0.1:$PORT/ (first build takes ~1 min; Ctrl-C to stop)"
exec trunk serve --release --offline --locked --address 127.0.0.1 --port "$PORT"
