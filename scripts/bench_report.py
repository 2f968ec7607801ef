#!/usr/bin/env python3
"""Writes the numbers `make bench` measured into BENCHMARKS.md, between two markers.

Inputs (all produced by scripts/bench.sh just before):
  target/criterion/**/new/{benchmark,estimates}.json   criterion's results (median)
  target/bench/wasm-size.txt                           scripts/wasm-size.sh's table
  target/e2e/latency.json                              the in-browser latency tests

The section between `<!-- make bench: begin -->` and `<!-- make bench: end -->` is replaced
(added after the title when absent); the rest of BENCHMARKS.md, the hand-written history and
its analysis, is left alone. Usage: scripts/bench_report.py [ROOT]
"""
import datetime
import json
import pathlib
import platform
import subprocess
import sys

BEGIN = "<!-- make bench: begin -->"
END = "<!-- make bench: end -->"


def fmt_time(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_rate(per_s):
    for unit, div in (("M", 1e6), ("K", 1e3)):
        if per_s >= div:
            return f"{per_s / div:.3g} {unit}/s"
    return f"{per_s:.3g} /s"


# criterion medians by full id (ns), filled by criterion().
MEDIANS = {}


def wasm_vs_native(data):
    """The model alone in the page's wasm (e2e 30's `wasm-model`, ms) beside criterion's native
    median of the same benchmark (`model/NAME/SCHEME`)."""
    wasm = data.get("wasm-model")
    if not isinstance(wasm, dict):
        return []
    out = ["", "**The model in wasm against native** (e2e 30: `model_ms` in the page, release "
           "build, fastest of 3; native: criterion median, profile.bench):", "",
           "| benchmark | wasm (Chromium) | native | wasm / native |", "|---|---:|---:|---:|"]
    for name, ms in sorted(wasm.items()):
        native = MEDIANS.get(f"model/{name}")
        ratio = f"{ms * 1e6 / native:.2f}x" if native else "?"
        out.append(f"| `{name}` | {ms:.1f} ms | {fmt_time(native) if native else '?'} | {ratio} |")
    return out


def criterion(root):
    rows = []
    for bench in sorted((root / "target" / "criterion").glob("**/new/benchmark.json")):
        est = bench.parent / "estimates.json"
        if not est.exists():
            continue
        b = json.loads(bench.read_text())
        median = json.loads(est.read_text())["median"]["point_estimate"]
        MEDIANS[b["full_id"]] = median
        rate = ""
        tp = b.get("throughput") or {}
        if "Elements" in tp and median > 0:
            rate = fmt_rate(tp["Elements"] * 1e9 / median) + " (elements: " + str(tp["Elements"]) + ")"
        rows.append((b["full_id"], fmt_time(median), rate))
    return rows


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def section(root):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = command("git", "-C", str(root), "rev-parse", "--short", "HEAD")
    rustc = command("rustc", "--version")
    out = [
        BEGIN,
        "## Latest `make bench` (generated)",
        "",
        f"Written by `make bench` (scripts/bench.sh, scripts/bench_report.py) on {now}, commit "
        f"{commit}, {rustc}, {platform.machine()}, {command('nproc')} cores. The sections below "
        "are the hand-written history with analysis; this one is replaced on every run.",
        "",
        "**Model** (`cargo bench --workspace`, criterion median; throughput for the explorer is "
        "distinct states):",
        "",
        "| benchmark | median | throughput |",
        "|---|---:|---:|",
    ]
    rows = criterion(root)
    out += [f"| `{i}` | {t} | {r} |" for i, t, r in rows] or ["| (no criterion results) | | |"]
    out += ["", "**Payload** (`scripts/wasm-size.sh`, bytes):", "", "```"]
    size = root / "target" / "bench" / "wasm-size.txt"
    out += size.read_text().rstrip().splitlines() if size.exists() else ["(not measured)"]
    out += ["```", ""]
    lat = root / "target" / "e2e" / "latency.json"
    out += ["**In the browser** (headless Chromium, `e2e/tests/20-latency.mjs`, `30-stress.mjs`, "
            "`90-explore.mjs`; ms):", ""]
    if lat.exists():
        data = json.loads(lat.read_text())
        out += ["| case | measures |", "|---|---|"]
        for name, v in sorted(data.items()):
            if name == "wasm-model":
                continue  # its own table below
            if isinstance(v, dict):
                cells = ", ".join(f"{k} {round(x, 1) if isinstance(x, float) else x}" for k, x in v.items())
            else:
                cells = str(v)
            out.append(f"| `{name}` | {cells} |")
        out += wasm_vs_native(data)
    else:
        out.append("(no target/e2e/latency.json)")
    out += ["", END]
    return "\n".join(out) + "\n"


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    path = root / "BENCHMARKS.md"
    text = path.read_text()
    new = section(root)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + new + "\n" + tail
    else:
        # After the title and the machine paragraph: before the first `## `.
        i = text.find("\n## ")
        text = text[: i + 1] + new + "\n" + text[i + 1:] if i >= 0 else text + "\n" + new
    path.write_text(text)
    print(f"bench_report: {len(criterion(root))} criterion results written to {path}")


if __name__ == "__main__":
    main()
