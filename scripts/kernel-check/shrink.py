#!/usr/bin/env python3
"""Shrink disagreeing scripts of the differential run to minimal ones (make kernel-fuzz).

For each script that disagreed with Linux 6.1: every variant with one operation removed that
still parses and exports becomes a candidate; all candidates of all scripts run in one boot
(scripts/kernel-check.sh with FUZZ_DIR); each script continues with its shortest candidate that
still disagrees, until none does. The minimal script, with the kernel's observations spliced in
as expect lines (so it needs no VM to check the model again), is saved into --regress.

  shrink.py --pinlab PINLAB --kdir KDIR --work DIR --regress DIR SCRIPT.pin...
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HEADER = "# kernel-check: scheme=refcount"
DECL = re.compile(r"^\s*(#|$|kernel\b|file\b|mmap\b|scheme\b|set\b|cost\b)")


def body(text):
    """the script without the kernel-check header line"""
    return "\n".join(l for l in text.splitlines() if l.strip() != HEADER) + "\n"


def candidates(text):
    lines = body(text).splitlines()
    for i, l in enumerate(lines):
        if not DECL.match(l):
            yield "\n".join(lines[:i] + lines[i + 1:]) + "\n"


def ops(text):
    return sum(1 for l in body(text).splitlines() if not DECL.match(l))


def exportable(pinlab, pin, c):
    return subprocess.run([pinlab, "export", "--c", pin, "--observe", "all", "--out", c],
                          capture_output=True).returncode == 0


def run_round(args, rnd, scripts):
    """scripts: {name: text} -> {name: [(candidate case name, text)]}, and the disagreeing
    candidate case names of this round"""
    d = os.path.join(args.work, f"round-{rnd}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cands = {}
    for name, text in scripts.items():
        cands[name] = []
        for k, t in enumerate(candidates(text)):
            case = f"sh{rnd}-{name}-{k}"
            pin = os.path.join(d, case + ".pin")
            with open(pin, "w") as f:
                f.write(t + HEADER + "\n")
            if exportable(args.pinlab, pin, os.path.join(d, case + ".c")):
                cands[name].append((case, t))
            else:
                os.remove(pin)
    if not any(cands.values()):
        return cands, set()
    env = dict(os.environ, FUZZ_DIR=d, KDIR=args.kdir)
    env.pop("FUZZ", None)
    p = subprocess.run([args.check], env=env, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.stdout.write(p.stdout[-3000:] + p.stderr[-3000:])
        sys.exit(f"shrink: the kernel-check run of round {rnd} failed")
    with open(os.path.join(args.kdir, "run", "spliced", "disagree.txt")) as f:
        bad = {l.strip() for l in f if l.strip()}
    # keep this round's spliced copies: the final one is the regression case
    keep = os.path.join(d, "spliced")
    shutil.copytree(os.path.join(args.kdir, "run", "spliced"), keep)
    return cands, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pinlab", required=True)
    ap.add_argument("--check", required=True, help="scripts/kernel-check.sh")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--regress", required=True)
    ap.add_argument("--spliced", required=True, help="the differential run's spliced dir")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("scripts", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.regress, exist_ok=True)
    current, spliced = {}, {}
    for s in args.scripts:
        name = os.path.basename(s)[:-4]
        with open(s) as f:
            current[name] = f.read()
        spliced[name] = os.path.join(args.spliced, name + ".pin")
    active = dict(current)
    for rnd in range(1, args.rounds + 1):
        if not active:
            break
        cands, bad = run_round(args, rnd, active)
        nxt = {}
        for name, cs in cands.items():
            still = [(case, t) for case, t in cs if case in bad]
            if still:
                case, t = min(still, key=lambda ct: ops(ct[1]))
                current[name] = t
                spliced[name] = os.path.join(args.work, f"round-{rnd}", "spliced", case + ".pin")
                nxt[name] = t
        print(f"shrink: round {rnd}: {len(nxt)} of {len(active)} scripts got smaller")
        active = nxt
    for name in current:
        out = os.path.join(args.regress, name + ".pin")
        with open(spliced[name]) as f:
            text = f.read()
        with open(out, "w") as f:
            judged = os.environ.get("CHECK_KERNEL", "6.1")
            f.write(f"# Regression case from the differential run (make kernel-fuzz): {name},\n"
                    f"# shrunk to {ops(current[name])} operations while the model with {judged} rules\n"
                    f"# disagreed. The expect lines are Linux 6.1's observations;\n"
                    f"# `pinlab check --kernel 6.1` must agree with them.\n" + text)
        print(f"shrink: {name}: {ops(current[name])} operations -> {out}")


if __name__ == "__main__":
    main()
