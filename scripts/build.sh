#!/usr/bin/env bash
# Release build of the web app into dist/ (trunk, offline, wasm-opt -Oz from binaryen 132),
# then the page's Content-Security-Policy: trunk's inline start-up module moves into its own
# file (so the page has no inline script) and a <meta> CSP allows only the page's own files,
# wasm compilation, style attributes (Yew sets some) and data: images (the sweep chart).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trunk build --release --offline --locked
python3 - "$ROOT/dist" <<'PY'
import hashlib, pathlib, re, sys
dist = pathlib.Path(sys.argv[1])
page = dist / "index.html"
html = page.read_text()
inline = re.findall(r"<script type=module>(.*?)</script>", html, re.S)
if len(inline) != 1:
    sys.exit(f"build.sh: expected one inline start-up script in index.html, found {len(inline)}")
code = inline[0]
name = f"start-{hashlib.sha256(code.encode()).hexdigest()[:16]}.js"
(dist / name).write_text(code)
html = html.replace(f"<script type=module>{code}</script>", f"<script type=module src=/{name}></script>")
csp = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
       "style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
       "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'")
if "<meta charset=utf-8>" not in html:
    sys.exit("build.sh: no <meta charset=utf-8> in index.html to put the CSP after")
html = html.replace("<meta charset=utf-8>",
                    f'<meta charset=utf-8><meta content="{csp}" http-equiv=Content-Security-Policy>', 1)
if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html):
    sys.exit("build.sh: an inline script is left in index.html")
page.write_text(html)
PY
