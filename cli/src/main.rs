//! `pinlab`: run and compare pinlab scripts from the command line.
//!
//! Exit codes everywhere: 0 ok, 1 a check or expectation failed, 2 bad input or usage.

mod examples;
mod exercise;
mod explore;
mod fuzz;
mod sweep;

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mm_model::cost::{fmt_ps, CostTable, Primitive};
use mm_model::settings::{CounterMode, GupFastMode, WritebackPolicy};
use mm_model::trace::shorten;
use mm_model::{Duration, KernelVersion, Overrides, SchemeKind, ViolationKind};

/// Output width of every text output.
pub const WIDTH: usize = 72;

const VERSION: &str = env!("CARGO_PKG_VERSION");

const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  a check or expectation failed
  2  bad input or usage (unreadable file, script errors, bad option)
";

const HELP: &str = "\
pinlab - model Linux page pinning schemes side by side

Usage: pinlab COMMAND [OPTIONS]

Commands:
  run FILE|-        run a script under the schemes, print the traces
  check FILES...    run self-checking scripts (files or directories)
  sweep             per-page GUP + release cost against IO size
  export --c FILE   the script as a C program for a real kernel
  link FILE|-       a share link that opens the script in the playground
  exercise ...      classroom exercises: list, show, check, grade
  explore FILE|-    every interleaving of the script's threads
  explain [NAME]    explain a violation (no NAME: list them)
  costs             print the cost table

Options:
  -h, --help        this help (also: pinlab COMMAND --help)
  -V, --version     print the version
";

const HELP_RUN: &str = "\
Usage: pinlab run FILE|- [OPTIONS]

Runs a script (- reads standard input) and prints every scheme's
trace and a side-by-side summary.

Options:
  --scheme S        legacy | refcount | fake-vma | all (default all)
  --set KEY=VALUE   writeback=none|keep-dirty|bounce|wait,
                    counter=bias|exact, gup-fast=fallback|preregistered
  --kernel X.Y      kernel release whose rules apply (4.14 .. 6.18,
                    or 2018 = 4.19)
  --cost NAME=DUR   override a cost entry, e.g. atomic=8ns (repeatable)
  --format F        text | json | markdown (default text)
";

const HELP_CHECK: &str = "\
Usage: pinlab check [--kernel X.Y] FILES...

Runs each script (directories: every *.pin inside, sorted) under all
three schemes with default settings (--kernel: that release's rules,
whatever the scripts say) and prints one line per file:
  ok      NAME
  FAIL    NAME line N: expected ..., observed ...
  ERROR   NAME line:col message
then a totals line `N passed, M failed`.
";

const HELP_EXPORT: &str = "\
Usage: pinlab export --c FILE [--out OUT] [--observe expects|all]
       pinlab export --fuzz N [--seed S] --out DIR

Writes a C program that performs the script with real syscalls on
Linux (mmap, fork, mprotect, MADV_PAGEOUT, ftruncate, vmsplice,
long-term pins as io_uring buffers or through the gup_test module,
DMA through io_uring, move_pages) and prints the kernel's
answers as `@LINE expect ...` lines: every operation's result, and
at each `expect page` the page's mapcount and zeropage. It builds
against oracle/lib/oracle.h; `make kernel-check` runs it on Linux 6.1
(docs/fidelity.md). A statement userspace cannot perform is listed
as `FILE:LINE: not exportable: REASON`, and nothing is written.
--observe all: after every operation, observe every page of main's
VMAs (the differential run's mode) instead of only at `expect page`.

--fuzz writes N seeded random scripts of the exportable subset into
DIR (fz-SEED.pin and fz-SEED.c, observing every page after every
operation) for `make kernel-fuzz`; the same seed, the same scripts.
";

const HELP_SWEEP: &str = "\
Usage: pinlab sweep [--svg FILE] [--cost NAME=DUR]...

Per-page cost of GUP + release against pages per call (1..512) for
each scheme, with completion in process context (put io dirty) or in
IRQ context (complete io dirty + workqueue), on a 512-page ext4 file
mapped shared rw. --svg FILE also writes a log-log line chart.
";

const HELP_EXPLAIN: &str = "\
Usage: pinlab explain [NAME] [--kernel X.Y]
       pinlab explain --kernel X.Y

Explains a violation or event: what it means, the kernel path, a
source to read, and an example script that raises it. Without NAME,
lists every name. With NAME and --kernel, the kernel path names the
functions as release X.Y called them (an older name is followed by
the current one). With --kernel alone, lists the version-dependent mm
rules in force in release X.Y, each with the commit that merged it, and
the rules that release does not have yet or no longer has.
";

const HELP_LINK: &str = "\
Usage: pinlab link FILE|- [OPTIONS]

Prints the URL that opens the script in the playground, in the view
the options describe: the same link the page's 🔗 button makes for
that view (the script travels compressed in the URL fragment; no
server keeps it).

Options:
  --scheme S        the scheme the panels follow: legacy | refcount |
                    fake-vma
  --side            side by side
  --step N          the selected step
  --kernel X.Y, --set KEY=VALUE, --cost NAME=DUR
                    settings and cost overrides, as for `pinlab run`
  --base URL        the playground's address (default: $PINLAB_BASE_URL,
                    else http://127.0.0.1:8080/, where `make serve` runs)
";

const HELP_EXERCISE: &str = "\
Usage: pinlab exercise list
       pinlab exercise show NAME [--hints N] [--answer]
       pinlab exercise check NAME FILE|-
       pinlab exercise grade NAME DIR [--csv OUT]

Classroom exercises (docs/teaching.md). NAME is a shipped exercise
(`pinlab exercise list`; the number may be left out) or an .ex file.
show prints the task, the starting script, the visible checks and how
many are hidden; --hints N adds the first N hints, --answer the model
answer. check grades a script: every visible check with what was
observed, the hidden checks' tally; exit 0 when all pass, 1 when not,
2 when the script has errors. grade grades every *.pin of DIR (one
student per file) and writes a CSV: student, pass/fail per check,
passed, total.
";

const HELP_EXPLORE: &str = "\
Usage: pinlab explore FILE|- [--scheme S] [--max-schedules N] [--json]

Runs every interleaving of the script's thread blocks (the schedule
line is ignored) under each scheme, and prints per scheme and
violation `Observation SCHEME NAME Never|Sometimes|Always V/N` (V of
the N schedules raise it) with the shortest `schedule ...` line that
reproduces it, to paste back into the script. At most N schedules
(default 10000); when the bound cuts the exploration it says so.
Statements are atomic; there is no state deduplication or
partial-order reduction yet.
";

const HELP_COSTS: &str = "\
Usage: pinlab costs

Prints the cost table: primitive, duration, basis and source.
";

/// A failure that ends the command with exit code 2 (message to stderr).
pub struct Usage(pub String);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match dispatch(&args) {
        Ok(c) => c,
        Err(Usage(msg)) => {
            eprintln!("pinlab: {msg}");
            2
        }
    };
    ExitCode::from(code)
}

fn wants_help(args: &[String]) -> bool {
    args.iter().any(|a| a == "-h" || a == "--help")
}

fn dispatch(args: &[String]) -> Result<u8, Usage> {
    let Some(cmd) = args.first() else {
        eprint!("{HELP}\n{EXIT_CODES}");
        return Ok(2);
    };
    let rest = &args[1..];
    let help = |h: &str| {
        print!("{h}\n{EXIT_CODES}");
        Ok(0)
    };
    match cmd.as_str() {
        "-h" | "--help" | "help" => help(HELP),
        "-V" | "--version" => {
            println!("pinlab {VERSION}");
            Ok(0)
        }
        "run" if wants_help(rest) => help(HELP_RUN),
        "check" if wants_help(rest) => help(HELP_CHECK),
        "sweep" if wants_help(rest) => help(HELP_SWEEP),
        "export" if wants_help(rest) => help(HELP_EXPORT),
        "explain" if wants_help(rest) => help(HELP_EXPLAIN),
        "costs" if wants_help(rest) => help(HELP_COSTS),
        "link" if wants_help(rest) => help(HELP_LINK),
        "exercise" if wants_help(rest) => help(HELP_EXERCISE),
        "explore" if wants_help(rest) => help(HELP_EXPLORE),
        "run" => cmd_run(rest),
        "check" => cmd_check(rest),
        "sweep" => sweep::cmd_sweep(rest),
        "export" => cmd_export(rest),
        "explain" => cmd_explain(rest),
        "costs" => cmd_costs(rest),
        "link" => cmd_link(rest),
        "exercise" => exercise::cmd_exercise(rest),
        "explore" => explore::cmd_explore(rest),
        other => Err(Usage(format!(
            "unknown command `{other}`{}\nTry 'pinlab --help'.",
            did_you_mean(
                other,
                [
                    "run", "check", "sweep", "export", "explain", "costs", "link", "exercise",
                    "explore"
                ]
            )
        ))),
    }
}

/// `(--name, value)` pairs in command-line order.
type Options = Vec<(String, String)>;

/// Splits `--opt value` / `--opt=value` pairs; returns (options, positionals).
fn split_args(args: &[String], with_value: &[&str]) -> Result<(Options, Vec<String>), Usage> {
    let mut opts = Vec::new();
    let mut pos = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with("--") {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (a.clone(), None),
            };
            if !with_value.contains(&name.as_str()) {
                return Err(Usage(format!("unknown option `{name}`")));
            }
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| Usage(format!("option `{name}` needs a value")))?,
            };
            opts.push((name, value));
        } else if a.len() > 1 && a.starts_with('-') {
            return Err(Usage(format!("unknown option `{a}`")));
        } else {
            pos.push(a.clone());
        }
    }
    Ok((opts, pos))
}

/// Parses `250ns`, `2us`, `1.5ms`, `10.5ns`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, mul) = if let Some(n) = s.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e6)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_ns(v * mul))
}

/// Parses a `--cost NAME=DUR` value.
pub fn parse_cost(v: &str) -> Result<(String, Duration), Usage> {
    let (name, dur) = v
        .split_once('=')
        .ok_or_else(|| Usage(format!("--cost wants NAME=DURATION, got `{v}`")))?;
    if Primitive::from_name(name).is_none() {
        return Err(Usage(format!(
            "unknown cost entry `{name}`{}",
            did_you_mean(name, Primitive::ALL.iter().map(|p| p.name()))
        )));
    }
    let d = parse_duration(dur).ok_or_else(|| {
        Usage(format!(
            "bad duration `{dur}` (use a number and ns, us or ms, e.g. 250ns)"
        ))
    })?;
    Ok((name.to_string(), d))
}

fn kernel_version(v: &str) -> Result<KernelVersion, Usage> {
    KernelVersion::from_name(v).ok_or_else(|| {
        Usage(format!(
            "bad kernel version `{v}` (a release from {} to {}, e.g. 6.1, or 2018 = {})",
            KernelVersion::OLDEST,
            KernelVersion::NEWEST,
            KernelVersion::Y2018
        ))
    })
}

pub(crate) fn bad_value<'a>(
    what: &str,
    v: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Usage {
    let names: Vec<&str> = names.into_iter().collect();
    Usage(format!("bad {what} `{v}` (one of: {})", names.join(", ")))
}

/// How a FILE argument is named in messages (`-` is standard input).
pub(crate) fn display_name(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// Reads and parses FILE, printing its diagnostics to stderr; `None` (after saying the script
/// was not `done`) when it has errors.
pub(crate) fn parse_reporting(file: &str, done: &str) -> Result<Option<mm_model::Parse>, Usage> {
    let text = read_input(file)?;
    let name = display_name(file);
    let parse = mm_model::parse(&text);
    for d in &parse.diagnostics {
        eprint!("{}", d.render(&text, name));
    }
    if parse.has_errors() {
        let n = parse.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("pinlab: {name}: {n} error(s); not {done}");
        return Ok(None);
    }
    Ok(Some(parse))
}

pub fn read_input(file: &str) -> Result<String, Usage> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Usage(format!("cannot read standard input: {e}")))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| Usage(format!("cannot read `{file}`: {e}")))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Markdown,
}

/// Applies a `--kernel X.Y`, `--set KEY=VALUE` or `--cost NAME=DUR` option.
fn apply_override(o: &mut Overrides, k: &str, v: &str) -> Result<(), Usage> {
    match k {
        "--kernel" => o.era = Some(kernel_version(v)?),
        "--set" => {
            let (key, val) = v
                .split_once('=')
                .ok_or_else(|| Usage(format!("--set wants KEY=VALUE, got `{v}`")))?;
            match key {
                "writeback" => {
                    o.writeback = Some(WritebackPolicy::from_name(val).ok_or_else(|| {
                        bad_value(
                            "writeback",
                            val,
                            WritebackPolicy::ALL.iter().map(|x| x.name()),
                        )
                    })?)
                }
                "counter" => {
                    o.counter = Some(CounterMode::from_name(val).ok_or_else(|| {
                        bad_value("counter", val, CounterMode::ALL.iter().map(|x| x.name()))
                    })?)
                }
                "gup-fast" => {
                    o.gup_fast = Some(GupFastMode::from_name(val).ok_or_else(|| {
                        bad_value("gup-fast", val, GupFastMode::ALL.iter().map(|x| x.name()))
                    })?)
                }
                _ => {
                    return Err(bad_value(
                        "setting",
                        key,
                        ["writeback", "counter", "gup-fast"],
                    ))
                }
            }
        }
        "--cost" => o.costs.push(parse_cost(v)?),
        _ => return Err(Usage(format!("unknown option `{k}`"))),
    }
    Ok(())
}

fn cmd_link(args: &[String]) -> Result<u8, Usage> {
    let side = args.iter().any(|a| a == "--side");
    let args: Vec<String> = args.iter().filter(|a| *a != "--side").cloned().collect();
    let (opts, pos) = split_args(
        &args,
        &[
            "--scheme", "--step", "--set", "--kernel", "--cost", "--base",
        ],
    )?;
    let [file] = pos.as_slice() else {
        return Err(Usage(
            "link: exactly one FILE (or - for stdin) expected\nTry 'pinlab link --help'.".into(),
        ));
    };
    let mut o = Overrides::default();
    let (mut scheme, mut step) = (None, None);
    let mut base = std::env::var("PINLAB_BASE_URL")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_string());
    for (k, v) in &opts {
        match k.as_str() {
            "--scheme" => {
                scheme = Some(SchemeKind::from_name(v).ok_or_else(|| {
                    bad_value("scheme", v, SchemeKind::ALL.iter().map(|s| s.name()))
                })?)
            }
            "--step" => {
                step = Some(
                    v.parse::<u64>()
                        .map_err(|_| Usage(format!("--step wants a step number, got `{v}`")))?,
                )
            }
            "--base" => base = v.clone(),
            _ => apply_override(&mut o, k, v)?,
        }
    }
    let text = read_input(file)?;
    let share = mm_model::link::Share::new(&text, scheme, side, step, &o);
    println!("{}", share.url(&base));
    Ok(0)
}

fn cmd_run(args: &[String]) -> Result<u8, Usage> {
    let (opts, pos) = split_args(
        args,
        &["--scheme", "--set", "--kernel", "--cost", "--format"],
    )?;
    let file = match pos.as_slice() {
        [f] => f.clone(),
        [] => {
            return Err(Usage(
                "run: missing FILE (or - for stdin)\nTry 'pinlab run --help'.".into(),
            ))
        }
        _ => return Err(Usage("run: exactly one FILE expected".into())),
    };
    let mut o = Overrides::default();
    let mut format = Format::Text;
    for (k, v) in &opts {
        match k.as_str() {
            "--scheme" => {
                if v != "all" {
                    let s = SchemeKind::from_name(v).ok_or_else(|| {
                        bad_value("scheme", v, ["legacy", "refcount", "fake-vma", "all"])
                    })?;
                    if !o.schemes.contains(&s) {
                        o.schemes.push(s);
                    }
                }
            }
            "--kernel" | "--set" | "--cost" => apply_override(&mut o, k, v)?,
            "--format" => {
                format = match v.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "markdown" | "md" => Format::Markdown,
                    _ => return Err(bad_value("format", v, ["text", "json", "markdown"])),
                }
            }
            _ => unreachable!("split_args only returns known options"),
        }
    }
    let name = display_name(&file);
    let Some(parse) = parse_reporting(&file, "run")? else {
        return Ok(2);
    };
    let report = mm_model::run(&parse.script, &o);
    let out = match format {
        Format::Json => {
            serde_json::to_string_pretty(&report).expect("a report always serializes") + "\n"
        }
        Format::Text => report.run_text(name),
        Format::Markdown => markdown(name, &report),
    };
    print!("{out}");
    Ok(if report.passed() { 0 } else { 1 })
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn markdown(name: &str, report: &mm_model::Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## pinlab run `{name}` (script `{}`)\n", report.hash);
    out.push_str("```text\n");
    out.push_str(&report.text());
    out.push_str("```\n\n");
    out.push_str("| scheme | violations | cost |\n|---|---|---|\n");
    for t in &report.traces {
        let v = t.violation_list(", ");
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            t.scheme,
            md_escape(&v),
            fmt_ps(t.total_ps)
        );
    }
    let (p, total) = report.expect_tally(None);
    let _ = writeln!(out, "\nExpectations: {p}/{total} hold.");
    for e in report.expectations.iter().filter(|e| !e.passed) {
        let under = e.scheme.map(|s| format!(" under {s}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "- **FAIL** line {}{under}: expected `{}`, observed {}",
            e.line,
            e.text,
            md_escape(&e.observed)
        );
    }
    out
}

/// Word-wraps `text` into lines of at most `WIDTH` columns: the first starts with `first`,
/// the others with `cont`. Words longer than a line are cut.
pub fn wrap(first: &str, cont: &str, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let len = line.chars().count();
            let sep = usize::from(!empty);
            if len + sep + word.chars().count() <= WIDTH {
                if !empty {
                    line.push(' ');
                }
                line.push_str(&word);
                empty = false;
                break;
            }
            if empty {
                // A word too long for a whole line: cut it.
                let room = WIDTH.saturating_sub(len).max(1);
                let head: String = word.chars().take(room).collect();
                word = word.chars().skip(room).collect();
                line.push_str(&head);
                lines.push(std::mem::replace(&mut line, cont.to_string()));
                if word.is_empty() {
                    break;
                }
            } else {
                lines.push(std::mem::replace(&mut line, cont.to_string()));
                empty = true;
            }
        }
    }
    if !empty || lines.is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn collect_files(args: &[String]) -> Result<Vec<PathBuf>, Usage> {
    let mut files = Vec::new();
    for a in args {
        let p = Path::new(a);
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| Usage(format!("cannot read `{a}`: {e}")))?;
            let mut inside: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pin"))
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.to_path_buf());
        }
    }
    Ok(files)
}

fn cmd_check(args: &[String]) -> Result<u8, Usage> {
    let (opts, pos) = split_args(args, &["--kernel"])?;
    let mut overrides = Overrides::default();
    for (_, v) in &opts {
        overrides.era = Some(kernel_version(v)?);
    }
    if pos.is_empty() {
        return Err(Usage(
            "check: no FILES given\nTry 'pinlab check --help'.".into(),
        ));
    }
    let files = collect_files(&pos)?;
    let (mut passed, mut failed, mut errors) = (0usize, 0usize, false);
    let mut out = String::new();
    for path in &files {
        // Names are shortened (keeping their end) so every line fits 72 columns.
        let full = path.display().to_string();
        let name = shorten(&full, 40);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                for l in wrap(
                    &format!("ERROR   {name} "),
                    "        ",
                    &format!("cannot read: {e}"),
                ) {
                    let _ = writeln!(out, "{l}");
                }
                failed += 1;
                errors = true;
                continue;
            }
        };
        let parse = mm_model::parse(&text);
        if parse.has_errors() {
            for d in parse.diagnostics.iter().filter(|d| d.is_error()) {
                let msg = format!("{}:{} {}", d.line, d.col, d.message);
                for l in wrap(&format!("ERROR   {name} "), "        ", &msg) {
                    let _ = writeln!(out, "{l}");
                }
            }
            failed += 1;
            errors = true;
            continue;
        }
        let report = mm_model::run(&parse.script, &overrides);
        if report.passed() {
            passed += 1;
            let _ = writeln!(out, "ok      {}", shorten(&full, WIDTH - 8));
            continue;
        }
        failed += 1;
        for e in report.expectations.iter().filter(|e| !e.passed) {
            let under = e.scheme.map(|s| format!(" ({s})")).unwrap_or_default();
            let msg = format!(
                "line {}: expected {}, observed {}{under}",
                e.line,
                e.text.strip_prefix("expect ").unwrap_or(&e.text),
                e.observed
            );
            for l in wrap(&format!("FAIL    {name} "), "        ", &msg) {
                let _ = writeln!(out, "{l}");
            }
        }
        for t in &report.traces {
            if let Some(msg) = &t.budget_hit {
                let msg = format!("{}: {msg}", t.scheme);
                for l in wrap(&format!("FAIL    {name} "), "        ", &msg) {
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    print!("{out}");
    Ok(if errors {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}

fn cmd_export(args: &[String]) -> Result<u8, Usage> {
    let (opts, pos) = split_args(args, &["--c", "--out", "--fuzz", "--seed", "--observe"])?;
    let opt = |k: &str| opts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(n) = opt("--fuzz") {
        let num = |what: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| Usage(format!("export: {what} wants a number, got `{v}`")))
        };
        let count = num("--fuzz", n)?;
        let seed = num("--seed", opt("--seed").unwrap_or("1"))?;
        let out = opt("--out").ok_or_else(|| Usage("export --fuzz: give --out DIR".into()))?;
        return fuzz::write_scripts(count, seed, Path::new(out));
    }
    let file = opts
        .iter()
        .find(|(k, _)| k == "--c")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Usage("export: give --c FILE (the only format so far)".into()))?;
    if !pos.is_empty() {
        return Err(Usage(format!("export: unexpected `{}`", pos[0])));
    }
    let text = read_input(&file)?;
    let parse = mm_model::parse(&text);
    if parse.has_errors() {
        for d in parse.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{file}:{}:{} {}", d.line, d.col, d.message);
        }
        return Err(Usage(format!("{file}: script errors; not exported")));
    }
    let name = Path::new(&file)
        .file_stem()
        .map_or("script".into(), |s| s.to_string_lossy().to_string());
    let exported = match opt("--observe").unwrap_or("expects") {
        "expects" => mm_model::export::to_c(&parse.script, &name),
        "all" => mm_model::export::to_c_observing_all(&parse.script, &name),
        other => return Err(bad_value("--observe", other, ["expects", "all"])),
    };
    match exported {
        Ok(c) => {
            match opts.iter().find(|(k, _)| k == "--out") {
                Some((_, out)) => std::fs::write(out, c)
                    .map_err(|e| Usage(format!("cannot write `{out}`: {e}")))?,
                None => print!("{c}"),
            }
            Ok(0)
        }
        Err(errs) => {
            for e in errs {
                for l in wrap(
                    &format!("{file}:{}: not exportable: ", e.line),
                    "    ",
                    &e.reason,
                ) {
                    eprintln!("{l}");
                }
            }
            Ok(1)
        }
    }
}

fn cmd_explain(args: &[String]) -> Result<u8, Usage> {
    let (opts, pos) = split_args(args, &["--kernel"])?;
    let mut out = String::new();
    let kernel = match opts.last() {
        Some((_, v)) => Some(kernel_version(v)?),
        None => None,
    };
    if let (Some(k), []) = (kernel, pos.as_slice()) {
        print!("{}", explain_kernel(k));
        return Ok(0);
    }
    match pos.as_slice() {
        [] => {
            out.push_str("Violations (pinlab explain NAME):\n");
            for k in ViolationKind::ALL.iter().filter(|k| !k.informational()) {
                let _ = writeln!(out, "  {k}");
            }
            out.push_str("Informational events:\n");
            for k in ViolationKind::ALL.iter().filter(|k| k.informational()) {
                let _ = writeln!(out, "  {k}");
            }
        }
        [name] => {
            let Some(kind) = ViolationKind::from_name(name) else {
                return Err(Usage(format!(
                    "unknown violation `{name}`{}\nTry 'pinlab explain' for the list.",
                    did_you_mean(name, ViolationKind::ALL.iter().map(|k| k.name()))
                )));
            };
            out.push_str(&explain(kind, kernel));
        }
        _ => return Err(Usage("explain: one NAME at most".into())),
    }
    print!("{out}");
    Ok(0)
}

/// Schemes under which a script raises `kind`.
pub fn raised_under(script: &str, kind: ViolationKind) -> Vec<SchemeKind> {
    let parse = mm_model::parse(script);
    if parse.has_errors() {
        return Vec::new();
    }
    let report = mm_model::run(&parse.script, &Overrides::default());
    report
        .traces
        .iter()
        .filter(|t| t.count(kind) > 0)
        .map(|t| t.scheme)
        .collect()
}

/// The version-dependent rules of release `k`: in force, and not (yet or any more).
fn explain_kernel(k: KernelVersion) -> String {
    use mm_model::rules::{Rule, ALL};
    let mut out = String::new();
    let range = |r: &Rule| match r.until {
        Some(u) => format!("{}..{}", r.since, u),
        None => format!("{}+", r.since),
    };
    let section = |out: &mut String, title: &str, rules: &mut dyn Iterator<Item = &Rule>| {
        let _ = writeln!(out, "{title}");
        for r in rules {
            let _ = writeln!(out, "  {} ({})", r.id, range(r));
            for l in wrap("    ", "    ", r.what) {
                let _ = writeln!(out, "{l}");
            }
            for l in wrap("    commit: ", "      ", r.commit) {
                let _ = writeln!(out, "{l}");
            }
        }
    };
    let _ = writeln!(out, "Linux {k}: mm rules that depend on the release\n");
    section(&mut out, "In force:", &mut ALL.iter().filter(|r| k.has(r)));
    out.push('\n');
    section(
        &mut out,
        "Not in force:",
        &mut ALL.iter().filter(|r| !k.has(r)),
    );
    out
}

/// One kind; with a release, the kernel path names that release's functions.
fn explain(kind: ViolationKind, kernel: Option<KernelVersion>) -> String {
    let info = kind.info();
    let mut out = String::new();
    let what = if kind.informational() {
        "informational event"
    } else {
        "violation"
    };
    let _ = writeln!(out, "{kind} ({what})");
    for l in wrap("  ", "  ", info.explanation) {
        let _ = writeln!(out, "{l}");
    }
    out.push('\n');
    match kernel {
        Some(k) => {
            let _ = writeln!(out, "kernel path (Linux {k}):");
            for l in wrap("  ", "  ", &info.kernel_path_at(k)) {
                let _ = writeln!(out, "{l}");
            }
        }
        None => {
            for l in wrap("kernel path: ", "  ", info.kernel_path) {
                let _ = writeln!(out, "{l}");
            }
        }
    }
    if !info.link.is_empty() {
        // A URL is never wrapped: cut, it would not open.
        let _ = writeln!(out, "read:        {}", info.link);
    }
    let example = examples::example(kind);
    let under: Vec<&str> = raised_under(example, kind)
        .iter()
        .map(|s| s.name())
        .collect();
    let under = if under.is_empty() {
        "no scheme: the model's detecting schemes never miss a pin".to_string()
    } else {
        under.join(", ")
    };
    out.push('\n');
    for l in wrap("Example (raises it under ", "  ", &format!("{under}):")) {
        let _ = writeln!(out, "{l}");
    }
    out.push('\n');
    for l in example.lines() {
        let _ = writeln!(out, "    {l}");
    }
    out
}

fn cmd_costs(args: &[String]) -> Result<u8, Usage> {
    let (_, pos) = split_args(args, &[])?;
    if !pos.is_empty() {
        return Err(Usage("costs: takes no arguments".into()));
    }
    let table = CostTable::default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:>9}  {:<9} source",
        "primitive", "duration", "basis"
    );
    let cont = " ".repeat(36);
    for e in &table.entries {
        let first = format!(
            "{:<14} {:>9}  {:<9} ",
            e.primitive.name(),
            fmt_ps(e.duration.0),
            e.basis.name()
        );
        for l in wrap(&first, &cont, &e.source) {
            let _ = writeln!(out, "{l}");
        }
    }
    print!("{out}");
    Ok(0)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// ` (did you mean `x`?)` for the closest candidate, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| {
            let d = if c.starts_with(word) {
                0
            } else if c.contains(word) || word.contains(c) {
                1
            } else {
                levenshtein(word, c)
            };
            (d, c)
        })
        .min();
    match best {
        Some((d, c)) if d <= (word.len() / 2).max(2) => format!(" (did you mean `{c}`?)"),
        _ => String::new(),
    }
}
