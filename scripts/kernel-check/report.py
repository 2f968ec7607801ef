#!/usr/bin/env python3
"""kernel-check report: compare the VM's observations with pinlab's model.

    report.py --log VM.LOG --cases oracle/cases --out DIR --pinlab target/debug/pinlab CASE...

For every case, the block between `=== CASE NAME` and `=== END NAME rc=N` of the VM log holds
`@L expect ...` observations and `#` comments. Each observation (with ` under SCHEME` from the
case's `# kernel-check: scheme=SCHEME` header) is spliced into a copy of NAME.pin right after
line L, and `pinlab check` runs on the copy (DIR/NAME.pin). One row per case:

    NAME | kernel: <observations> | model: agree
    NAME | kernel: <observations> | model: DISAGREE <pinlab's FAIL line>

Exit 1 on any disagreement or failed case (crash, timeout, missing, bad output), else 0.
"""
import argparse
import os
import re
import subprocess
import sys

SCHEMES = ("legacy", "refcount", "fake-vma")
OBS_FORMS = [
    re.compile(r"^expect result (ok|EFAULT|EOPNOTSUPP|ENOMEM|EINVAL|EAGAIN|EBUSY)$"),
    re.compile(r"^expect page [A-Za-z_][A-Za-z0-9_]* \d+ mapcount=\d+$"),
    re.compile(r"^expect page [A-Za-z_][A-Za-z0-9_]* \d+ zeropage=(yes|no)$"),
    re.compile(r"^expect (violation|no-violation) (pin-lost-by-cow|cow-leak)$"),
]
KERNEL_MSG = re.compile(r"^\[\s*\d+\.\d+\] ")


def parse_log(path):
    """-> (init_errors, init_ok, all_done, {case: {"lines": [...], "rc": int|None, "timeout": bool}})"""
    cases, cur = {}, None
    init_errors, init_ok, all_done = [], False, False
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("=== INIT-ERROR"):
                init_errors.append(line[len("=== INIT-ERROR"):].strip())
            elif line.startswith("=== INIT-OK"):
                init_ok = True
            elif line.startswith("=== ALL-DONE"):
                all_done = True
            elif line.startswith("=== CASE "):
                cur = line.split()[2]
                cases[cur] = {"lines": [], "rc": None, "timeout": False}
            elif line.startswith("=== TIMEOUT ") and cur:
                cases[cur]["timeout"] = True
            elif line.startswith("=== END ") and cur:
                m = re.search(r"rc=(\d+)", line)
                cases[cur]["rc"] = int(m.group(1)) if m else -1
                cur = None
            elif cur is not None:
                cases[cur]["lines"].append(line)
    return init_errors, init_ok, all_done, cases


def header_scheme(pin_text):
    m = re.search(r"^#\s*kernel-check:.*\bscheme=([a-z-]+)", pin_text, re.M)
    if not m or m.group(1) not in SCHEMES:
        return None
    return m.group(1)


def statement_lines(pin_lines):
    """1-based numbers of lines that hold a statement (not blank, not only a comment)"""
    return {i + 1 for i, l in enumerate(pin_lines) if l.split("#", 1)[0].strip()}


def splice(pin_lines, observations, scheme):
    """observations: [(L, 'expect ...')] -> new list of lines (bottom-up so L stays valid)"""
    out = [(l, None) for l in pin_lines]
    # stable: observations of one line keep the order the case printed them in
    for idx, (line, text) in sorted(enumerate(observations), key=lambda e: (-e[1][0], -e[0])):
        out.insert(line, (f"{text} under {scheme}    # kernel-check: observed on Linux 6.1", line))
    # -> (lines, {spliced line number: .pin line the observation follows})
    return [l for l, _ in out], {i + 1: L for i, (_, L) in enumerate(out) if L is not None}


def pinlab_fails(pinlab, path, origin):
    """-> (exit code, [FAIL messages joined to one line], full output). origin maps a spliced
    line to the .pin line its observation follows, to name it in the message."""
    # the observations are Linux 6.1's: judge them by 6.1's rules whatever the script says
    # (CHECK_KERNEL=X.Y judges them by another release's rules: which rules does 6.1 need?)
    kernel = os.environ.get("CHECK_KERNEL", "6.1")
    p = subprocess.run([pinlab, "check", "--kernel", kernel, path], capture_output=True,
                       text=True, timeout=120)
    text = p.stdout + p.stderr
    fails, cur = [], None
    for l in text.splitlines():
        m = re.match(r"^(FAIL|ERROR|error)\b:?\s+(\S+)\s+(.*)$", l)
        if m:
            # drop pinlab's (shortened) path of the spliced file: the row names the case
            cur = [m.group(1).upper(), m.group(3).strip()]
            n = re.match(r"^(?:line )?(\d+)(:\d+)?:?", cur[1])
            if n and int(n.group(1)) in origin:
                where = f"line {n.group(1)}{n.group(2) or ''} (observation @{origin[int(n.group(1))]}):"
                cur[1] = where + cur[1][n.end():]
            fails.append(cur)
        elif cur is not None and l.startswith((" ", "\t")) and l.strip():
            cur.append(l.strip())
        else:
            cur = None
    return p.returncode, [" ".join(f) for f in fails], text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pinlab", required=True)
    ap.add_argument("--quiet-agree", action="store_true",
                    help="print only the rows that do not agree (the differential run)")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    init_errors, init_ok, all_done, blocks = parse_log(a.log)
    bad = False
    for e in init_errors:
        print(f"VM setup error: {e}")
        bad = True
    if not init_ok:
        print("VM setup did not finish (no === INIT-OK): see the log")
        bad = True

    rows = []
    for name in a.names:
        pin_path = os.path.join(a.cases, name + ".pin")
        with open(pin_path) as f:
            pin_text = f.read()
        pin_lines = pin_text.splitlines()
        scheme = header_scheme(pin_text)
        problems, observations, comments = [], [], []
        if scheme is None:
            problems.append("no '# kernel-check: scheme=legacy|refcount|fake-vma' header")
        if re.search(r"^\s*(\w+:\s*)?expect\b", pin_text, re.M):
            problems.append("the script has expect lines (the kernel's observations supply them)")
        blk = blocks.get(name)
        if blk is None:
            problems.append("did not run (the VM stopped before it: crash or timeout)" if not all_done
                            else "did not run")
        else:
            if blk["timeout"]:
                problems.append("timed out in the VM")
            if blk["rc"] is None:
                problems.append("never finished (the VM died during this case)")
            elif blk["rc"] != 0:
                problems.append(f"exited with status {blk['rc']}")
            stmts = statement_lines(pin_lines)
            for l in blk["lines"]:
                if not l.strip():
                    continue
                if l.startswith("#"):
                    comments.append(l)
                    continue
                if KERNEL_MSG.match(l):
                    comments.append("# console: " + l)
                    continue
                m = re.match(r"^@(\d+) (expect .*)$", l)
                if not m:
                    if blk["rc"] != 0 or blk["timeout"]:
                        comments.append("# (after the failure) " + l)  # e.g. the shell's "Killed"
                    else:
                        problems.append(f"unexpected output line: {l!r}")
                    continue
                ln, text = int(m.group(1)), m.group(2).strip()
                if ln not in stmts:
                    problems.append(f"@{ln}: line {ln} of {name}.pin is not a statement")
                    continue
                if not any(r.match(text) for r in OBS_FORMS):
                    problems.append(f"@{ln}: not an allowed observation: {text!r}")
                    continue
                observations.append((ln, text))
            if not observations and not problems:
                problems.append("printed no observation")
        kernel = "; ".join(f"@{ln} {t[len('expect '):]}" for ln, t in observations) or "-"
        def show_comments():
            for c in comments:
                print(f"  {name}: {c}")
        if problems or os.environ.get("VERBOSE"):
            show_comments()
        if problems:
            bad = True
            rows.append(f"{name} | kernel: {kernel} | CASE FAILED: {'; '.join(problems)}")
            continue
        spliced, origin = splice(pin_lines, observations, scheme)
        out_path = os.path.join(a.out, name + ".pin")
        with open(out_path, "w") as f:
            f.write("\n".join(spliced) + "\n")
        try:
            rc, fails, text = pinlab_fails(a.pinlab, out_path, origin)
        except subprocess.TimeoutExpired:
            bad = True
            rows.append(f"{name} | kernel: {kernel} | model: pinlab check timed out")
            continue
        with open(out_path[:-4] + ".check.txt", "w") as f:
            f.write(text)
        if rc == 0:
            rows.append(f"{name} | kernel: {kernel} | model: agree")
        else:
            bad = True
            if not os.environ.get("VERBOSE"):
                show_comments()
            last = text.strip().splitlines()[-1:] or ["(no output from pinlab)"]
            detail = " || ".join(fails) if fails else last[0]
            rows.append(f"{name} | kernel: {kernel} | model: DISAGREE {detail}")
    print()
    agree = sum(1 for r in rows if r.endswith("model: agree"))
    for r in rows:
        if not a.quiet_agree:
            print(r)
        elif not r.endswith("model: agree"):
            # the differential run: the script is in --cases, the observations in the spliced copy
            print(re.sub(r" \| kernel: .*? \| ", " | ", r, count=1))
    with open(os.path.join(a.out, "disagree.txt"), "w") as f:
        for r in rows:
            # a model disagreement (not a failed case): what the shrinker follows
            if " | model: DISAGREE" in r:
                f.write(r.split(" | ", 1)[0] + "\n")
    print(f"\nkernel-check: {agree} of {len(rows)} cases agree with the model"
          + ("" if not bad else " (FAILED)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
