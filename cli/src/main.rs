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

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use mm_model::cost::{fmt_ps, CostTable, Primitive};
use mm_model::settings::{CounterMode, GupFastMode, WritebackPolicy};
use mm_model::trace::shorten;
use mm_model::{Duration, KernelVersion, Overrides, SchemeKind, ViolationKind};

/// Output width of every text output.
pub const WIDTH: usize = 72;

/// The end of every help text.
const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  a check or expectation failed
  2  bad input or usage (unreadable file, script errors, bad option)";

/// Model Linux page pinning schemes side by side
///
/// A command's options and what it prints: pinlab COMMAND --help.
#[derive(Parser)]
#[command(
    name = "pinlab",
    version,
    term_width = WIDTH,
    args_override_self = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script under the schemes, print the traces
    ///
    /// Runs a script (- reads standard input) and prints every scheme's
    /// trace and a side-by-side summary.
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// Run self-checking scripts (files or directories)
    ///
    /// Runs each script (directories: every *.pin inside, sorted) under all
    /// three schemes with default settings (--kernel: that release's rules,
    /// whatever the scripts say) and prints one line per file:
    ///   ok      NAME
    ///   FAIL    NAME line N: expected ..., observed ...
    ///   ERROR   NAME line:col message
    /// then a totals line `N passed, M failed`.
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Per-page GUP + release cost against IO size
    ///
    /// Per-page cost of GUP + release against pages per call (1..512) for
    /// each scheme, with completion in process context (put io dirty) or in
    /// IRQ context (complete io dirty + workqueue), on a 512-page ext4 file
    /// mapped shared rw. --svg FILE also writes a log-log line chart.
    #[command(verbatim_doc_comment)]
    Sweep(sweep::SweepArgs),
    /// The script as a C program for a real kernel
    ///
    /// Writes a C program that performs the script with real syscalls on
    /// Linux (mmap, fork, mprotect, MADV_PAGEOUT, ftruncate, vmsplice,
    /// long-term pins as io_uring buffers or through the gup_test module,
    /// DMA through io_uring, move_pages) and prints the kernel's
    /// answers as `@LINE expect ...` lines: every operation's result, and
    /// at each `expect page` the page's mapcount and zeropage. It builds
    /// against oracle/lib/oracle.h; `make kernel-check` runs it on Linux 6.1
    /// (docs/fidelity.md). A statement userspace cannot perform is listed
    /// as `FILE:LINE: not exportable: REASON`, and nothing is written.
    /// --observe all: after every operation, observe every page of main's
    /// VMAs (the differential run's mode) instead of only at `expect page`.
    ///
    /// --fuzz writes N seeded random scripts of the exportable subset into
    /// DIR (fz-SEED.pin and fz-SEED.c, observing every page after every
    /// operation) for `make kernel-fuzz`; the same seed, the same scripts.
    #[command(verbatim_doc_comment)]
    Export(ExportArgs),
    /// A share link that opens the script in the playground
    ///
    /// Prints the URL that opens the script in the playground, in the view
    /// the options describe: the same link the page's 🔗 button makes for
    /// that view (the script travels compressed in the URL fragment; no
    /// server keeps it). --kernel, --set and --cost are the settings and
    /// cost overrides, as for `pinlab run`.
    #[command(verbatim_doc_comment)]
    Link(LinkArgs),
    /// Classroom exercises: list, show, check, grade
    ///
    /// Classroom exercises (docs/teaching.md). NAME is a shipped exercise
    /// (`pinlab exercise list`; the number may be left out) or an .ex file.
    /// show prints the task, the starting script, the visible checks and how
    /// many are hidden; --hints N adds the first N hints, --answer the model
    /// answer. check grades a script: every visible check with what was
    /// observed, the hidden checks' tally; exit 0 when all pass, 1 when not,
    /// 2 when the script has errors. grade grades every *.pin of DIR (one
    /// student per file) and writes a CSV: student, pass/fail per check,
    /// passed, total.
    #[command(verbatim_doc_comment, subcommand)]
    Exercise(exercise::ExerciseCommand),
    /// Every interleaving of the script's threads
    ///
    /// Runs every interleaving of the script's thread blocks (the schedule
    /// line is ignored) under each scheme, the kworker running queued
    /// deferred work at any point, and prints per scheme and violation
    /// `Observation SCHEME NAME Never|Sometimes|Always V/N` (V of the N
    /// schedules raise it) with the shortest `schedule ...` line that
    /// reproduces it, to paste back into the script.
    ///
    /// Statements are atomic. A state reached twice is explored once (the
    /// counts stay exact), and of two orders of independent statements
    /// only one is run, so N counts schedules up to such reorderings;
    /// --no-reduce runs and counts every interleaving. --max-states bounds
    /// the distinct states per scheme, --max-seconds the time; when a bound
    /// cuts the exploration, the report says `incomplete`. The last line
    /// gives the states explored and their rate. On a terminal, a progress
    /// line on stderr shows the scheme, states, transitions and states/s.
    ///
    /// The exit code is 0 whatever is found (exploring observes, it does
    /// not check), 2 when the script has errors.
    #[command(verbatim_doc_comment)]
    Explore(explore::ExploreArgs),
    /// Explain a violation (no NAME: list them)
    ///
    /// Explains a violation or event: what it means, the kernel path, a
    /// source to read, and an example script that raises it. Without NAME,
    /// lists every name. With NAME and --kernel, the kernel path names the
    /// functions as release X.Y called them (an older name is followed by
    /// the current one). With --kernel alone, lists the version-dependent mm
    /// rules in force in release X.Y, each with the commit that merged it, and
    /// the rules that release does not have yet or no longer has.
    #[command(verbatim_doc_comment)]
    Explain(ExplainArgs),
    /// Print the cost table
    ///
    /// Prints the cost table: primitive, duration, basis and source.
    #[command(verbatim_doc_comment)]
    Costs,
    /// Print a shell completion script
    ///
    /// Prints the completion script for SHELL. Save it where the shell
    /// looks for completions:
    ///   bash  ~/.local/share/bash-completion/completions/pinlab
    ///   zsh   _pinlab in a directory of $fpath
    ///   fish  ~/.config/fish/completions/pinlab.fish
    /// or, for this bash session only: source <(pinlab completions bash)
    #[command(verbatim_doc_comment)]
    Completions(CompletionsArgs),
}

/// The settings and cost overrides of `run` and `link`.
#[derive(Args)]
struct OverrideArgs {
    /// Kernel release whose rules apply: 4.14 .. 6.18 (2018 = 4.19)
    #[arg(long, value_name = "X.Y", value_parser = parse_kernel)]
    kernel: Option<KernelVersion>,
    /// A setting: writeback=none|keep-dirty|bounce|wait,
    /// counter=bias|exact, gup-fast=fallback|preregistered (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting)]
    settings: Vec<Setting>,
    /// Override a cost entry, e.g. atomic=8ns (repeatable)
    #[arg(long = "cost", value_name = "NAME=DUR", value_parser = parse_cost)]
    costs: Vec<(String, Duration)>,
}

impl OverrideArgs {
    fn to_overrides(&self) -> Overrides {
        let mut o = Overrides {
            era: self.kernel,
            costs: self.costs.clone(),
            ..Overrides::default()
        };
        for s in &self.settings {
            match *s {
                Setting::Writeback(x) => o.writeback = Some(x),
                Setting::Counter(x) => o.counter = Some(x),
                Setting::GupFast(x) => o.gup_fast = Some(x),
            }
        }
        o
    }
}

#[derive(Args)]
struct RunArgs {
    /// The script; - reads standard input
    #[arg(value_name = "FILE")]
    file: String,
    /// legacy | refcount | fake-vma | all (default all; repeatable)
    #[arg(long, value_name = "SCHEME", value_parser = parse_scheme_or_all)]
    scheme: Vec<Option<SchemeKind>>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Output format
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    #[value(alias = "md")]
    Markdown,
}

#[derive(Args)]
struct CheckArgs {
    /// Scripts, or directories of *.pin scripts
    #[arg(value_name = "FILES", required = true)]
    files: Vec<String>,
    /// Kernel release whose rules apply: 4.14 .. 6.18 (2018 = 4.19)
    #[arg(long, value_name = "X.Y", value_parser = parse_kernel)]
    kernel: Option<KernelVersion>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["c", "fuzz"])))]
struct ExportArgs {
    /// Export the script FILE (- reads standard input) as C
    #[arg(long = "c", value_name = "FILE")]
    c: Option<String>,
    /// Where to write the C program (default: standard output); with
    /// --fuzz, the directory (required)
    #[arg(long, value_name = "OUT")]
    out: Option<PathBuf>,
    /// Observe pages at each `expect page` only, or after every
    /// operation
    #[arg(long, value_enum, default_value_t = Observe::Expects, conflicts_with = "fuzz")]
    observe: Observe,
    /// Write N random exportable scripts and their C programs
    #[arg(long, value_name = "N", requires = "out")]
    fuzz: Option<u64>,
    /// The first seed of --fuzz
    #[arg(long, value_name = "S", default_value_t = 1, requires = "fuzz")]
    seed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Observe {
    Expects,
    All,
}

#[derive(Args)]
struct LinkArgs {
    /// The script; - reads standard input
    #[arg(value_name = "FILE")]
    file: String,
    /// The scheme the panels follow: legacy | refcount | fake-vma
    #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
    scheme: Option<SchemeKind>,
    /// Side by side
    #[arg(long)]
    side: bool,
    /// The selected step
    #[arg(long, value_name = "N")]
    step: Option<u64>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// The playground's address (default: $PINLAB_BASE_URL, else
    /// http://127.0.0.1:8080/, where `make serve` runs)
    #[arg(long, value_name = "URL")]
    base: Option<String>,
}

#[derive(Args)]
struct ExplainArgs {
    /// A violation or event (without it: the list)
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// Name the kernel path's functions as release X.Y did; alone, list
    /// the mm rules of X.Y
    #[arg(long, value_name = "X.Y", value_parser = parse_kernel)]
    kernel: Option<KernelVersion>,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell
    #[arg(value_name = "SHELL", value_enum)]
    shell: clap_complete::Shell,
}

/// A failure that ends the command with exit code 2 (message to stderr).
pub struct Usage(pub String);

/// The command line: every (sub)command's help ends with the exit codes.
fn command() -> clap::Command {
    fn with_exit_codes(c: clap::Command) -> clap::Command {
        c.after_help(EXIT_CODES).mut_subcommands(with_exit_codes)
    }
    with_exit_codes(Cli::command())
}

fn main() -> ExitCode {
    // Usage errors exit 2 (stderr); --help and --version exit 0 (stdout).
    let matches = command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let code = match dispatch(cli.command) {
        Ok(c) => c,
        Err(Usage(msg)) => {
            eprintln!("pinlab: {msg}");
            2
        }
    };
    ExitCode::from(code)
}

fn dispatch(cmd: Command) -> Result<u8, Usage> {
    match cmd {
        Command::Run(a) => cmd_run(&a),
        Command::Check(a) => cmd_check(&a),
        Command::Sweep(a) => sweep::cmd_sweep(&a),
        Command::Export(a) => cmd_export(&a),
        Command::Link(a) => cmd_link(&a),
        Command::Exercise(c) => exercise::cmd_exercise(&c),
        Command::Explore(a) => explore::cmd_explore(&a),
        Command::Explain(a) => cmd_explain(&a),
        Command::Costs => cmd_costs(),
        Command::Completions(a) => {
            clap_complete::generate(a.shell, &mut command(), "pinlab", &mut std::io::stdout());
            Ok(0)
        }
    }
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
pub fn parse_cost(v: &str) -> Result<(String, Duration), String> {
    let (name, dur) = v
        .split_once('=')
        .ok_or_else(|| format!("--cost wants NAME=DURATION, got `{v}`"))?;
    if Primitive::from_name(name).is_none() {
        return Err(format!(
            "unknown cost entry `{name}`{}",
            did_you_mean(name, Primitive::ALL.iter().map(|p| p.name()))
        ));
    }
    let d = parse_duration(dur).ok_or_else(|| {
        format!("bad duration `{dur}` (use a number and ns, us or ms, e.g. 250ns)")
    })?;
    Ok((name.to_string(), d))
}

/// Parses a `--kernel X.Y` value.
fn parse_kernel(v: &str) -> Result<KernelVersion, String> {
    KernelVersion::from_name(v).ok_or_else(|| {
        format!(
            "not a kernel release from {} to {} (e.g. 6.1, or 2018 = {})",
            KernelVersion::OLDEST,
            KernelVersion::NEWEST,
            KernelVersion::Y2018
        )
    })
}

/// Parses a `--scheme` value.
pub(crate) fn parse_scheme(v: &str) -> Result<SchemeKind, String> {
    SchemeKind::from_name(v).ok_or_else(|| {
        let names: Vec<&str> = SchemeKind::ALL.iter().map(|s| s.name()).collect();
        format!("not a scheme (one of: {})", names.join(", "))
    })
}

/// Parses a `--scheme` value of `run`: a scheme, or `all` (`None`).
fn parse_scheme_or_all(v: &str) -> Result<Option<SchemeKind>, String> {
    if v == "all" {
        return Ok(None);
    }
    SchemeKind::from_name(v)
        .map(Some)
        .ok_or_else(|| "not a scheme (one of: legacy, refcount, fake-vma, all)".to_string())
}

/// One `--set KEY=VALUE`.
#[derive(Clone, Copy)]
enum Setting {
    Writeback(WritebackPolicy),
    Counter(CounterMode),
    GupFast(GupFastMode),
}

/// Parses a `--set KEY=VALUE` value.
fn parse_setting(v: &str) -> Result<Setting, String> {
    let (key, val) = v
        .split_once('=')
        .ok_or_else(|| format!("--set wants KEY=VALUE, got `{v}`"))?;
    match key {
        "writeback" => WritebackPolicy::from_name(val)
            .map(Setting::Writeback)
            .ok_or_else(|| {
                bad_value(
                    "writeback",
                    val,
                    WritebackPolicy::ALL.iter().map(|x| x.name()),
                )
            }),
        "counter" => CounterMode::from_name(val)
            .map(Setting::Counter)
            .ok_or_else(|| bad_value("counter", val, CounterMode::ALL.iter().map(|x| x.name()))),
        "gup-fast" => GupFastMode::from_name(val)
            .map(Setting::GupFast)
            .ok_or_else(|| bad_value("gup-fast", val, GupFastMode::ALL.iter().map(|x| x.name()))),
        _ => Err(bad_value(
            "setting",
            key,
            ["writeback", "counter", "gup-fast"],
        )),
    }
}

pub(crate) fn bad_value<'a>(
    what: &str,
    v: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    format!("bad {what} `{v}` (one of: {})", names.join(", "))
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

fn cmd_link(a: &LinkArgs) -> Result<u8, Usage> {
    let base = a.base.clone().unwrap_or_else(|| {
        std::env::var("PINLAB_BASE_URL")
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "http://127.0.0.1:8080/".to_string())
    });
    let text = read_input(&a.file)?;
    let o = a.overrides.to_overrides();
    let share = mm_model::link::Share::new(&text, a.scheme, a.side, a.step, &o);
    println!("{}", share.url(&base));
    Ok(0)
}

fn cmd_run(a: &RunArgs) -> Result<u8, Usage> {
    let mut o = a.overrides.to_overrides();
    for s in a.scheme.iter().flatten() {
        if !o.schemes.contains(s) {
            o.schemes.push(*s);
        }
    }
    let name = display_name(&a.file);
    let Some(parse) = parse_reporting(&a.file, "run")? else {
        return Ok(2);
    };
    let report = mm_model::run(&parse.script, &o);
    let out = match a.format {
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

fn cmd_check(a: &CheckArgs) -> Result<u8, Usage> {
    let overrides = Overrides {
        era: a.kernel,
        ..Overrides::default()
    };
    let files = collect_files(&a.files)?;
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

fn cmd_export(a: &ExportArgs) -> Result<u8, Usage> {
    if let Some(count) = a.fuzz {
        let out = a.out.as_deref().expect("clap: --fuzz requires --out");
        return fuzz::write_scripts(count, a.seed, out);
    }
    let file = a.c.as_deref().expect("clap: --c or --fuzz is required");
    let text = read_input(file)?;
    let parse = mm_model::parse(&text);
    if parse.has_errors() {
        for d in parse.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{file}:{}:{} {}", d.line, d.col, d.message);
        }
        return Err(Usage(format!("{file}: script errors; not exported")));
    }
    let name = Path::new(file)
        .file_stem()
        .map_or("script".into(), |s| s.to_string_lossy().to_string());
    let exported = match a.observe {
        Observe::Expects => mm_model::export::to_c(&parse.script, &name),
        Observe::All => mm_model::export::to_c_observing_all(&parse.script, &name),
    };
    match exported {
        Ok(c) => {
            match &a.out {
                Some(out) => std::fs::write(out, c)
                    .map_err(|e| Usage(format!("cannot write `{}`: {e}", out.display())))?,
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

fn cmd_explain(a: &ExplainArgs) -> Result<u8, Usage> {
    let mut out = String::new();
    let kernel = a.kernel;
    if let (Some(k), None) = (kernel, &a.name) {
        print!("{}", explain_kernel(k));
        return Ok(0);
    }
    match &a.name {
        None => {
            out.push_str("Violations (pinlab explain NAME):\n");
            for k in ViolationKind::ALL.iter().filter(|k| !k.informational()) {
                let _ = writeln!(out, "  {k}");
            }
            out.push_str("Informational events:\n");
            for k in ViolationKind::ALL.iter().filter(|k| k.informational()) {
                let _ = writeln!(out, "  {k}");
            }
        }
        Some(name) => {
            let Some(kind) = ViolationKind::from_name(name) else {
                return Err(Usage(format!(
                    "unknown violation `{name}`{}\nTry 'pinlab explain' for the list.",
                    did_you_mean(name, ViolationKind::ALL.iter().map(|k| k.name()))
                )));
            };
            out.push_str(&explain(kind, kernel));
        }
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

fn cmd_costs() -> Result<u8, Usage> {
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
