#!/usr/bin/env bash
# Release build of the web app into dist/ (trunk, offline, wasm-opt -Oz from binaryen 132).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trunk build --release --offline --locked
