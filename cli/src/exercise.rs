//! `pinlab exercise`: list, show and check classroom exercises, and grade a class's
//! submissions into a CSV (`mm_model::exercise` does the grading).

use std::fmt::Write as _;
use std::path::PathBuf;

use mm_model::exercise::{self, Exercise, Grade};
use mm_model::Overrides;

use crate::{read_input, Usage, WIDTH};

/// Words of `text` wrapped at `width` columns: the first line starts with `first`, the others
/// are indented as deep.
fn wrap(text: &str, width: usize, first: &str) -> String {
    let rest = " ".repeat(first.chars().count());
    let mut out = String::new();
    let mut line = String::new();
    let mut prefix = first.to_string();
    for w in text.split_whitespace() {
        if !line.is_empty() && prefix.chars().count() + line.len() + 1 + w.len() > width {
            let _ = writeln!(out, "{prefix}{line}");
            line.clear();
            prefix = rest.clone();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix}{line}");
    }
    out
}

/// A shipped exercise by name, or an exercise file by path.
fn load(name: &str) -> Result<Exercise, Usage> {
    if let Some(ex) = exercise::builtin(name) {
        return Ok(ex);
    }
    if std::path::Path::new(name).is_file() {
        let text = read_input(name)?;
        let stem = std::path::Path::new(name)
            .file_stem()
            .map_or(name.to_string(), |s| s.to_string_lossy().to_string());
        return exercise::parse(&stem, &text).map_err(|errs| {
            let list: Vec<String> = errs.iter().map(|e| format!("{name}:{e}")).collect();
            Usage(list.join("\n"))
        });
    }
    Err(Usage(format!(
        "no exercise `{name}` (try `pinlab exercise list`, or give an .ex file)"
    )))
}

fn list() -> String {
    let mut out = String::new();
    for (name, text) in exercise::BUILTIN {
        let title = exercise::parse(name, text).map_or_else(|_| "?".to_string(), |e| e.title);
        out.push_str(&wrap(&title, WIDTH, &format!("{name:<24} ")));
    }
    out
}

fn show(ex: &Exercise, hints: usize, answer: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}\n", ex.name, ex.title);
    out.push_str(&wrap(&ex.task, WIDTH, ""));
    out.push_str("\nStart from:\n");
    for l in ex.start.lines() {
        let _ = writeln!(out, "  {l}");
    }
    out.push_str("\nChecks:\n");
    for c in ex.checks.iter().filter(|c| !c.hidden) {
        out.push_str(&wrap(&c.text, WIDTH, "  - "));
    }
    let hidden = ex.checks.iter().filter(|c| c.hidden).count();
    if hidden > 0 {
        let _ = writeln!(out, "  and {hidden} hidden check(s)");
    }
    for (i, h) in ex.hints.iter().enumerate().take(hints) {
        let _ = write!(out, "\nHint {}:\n{}", i + 1, wrap(h, WIDTH, "  "));
    }
    if hints < ex.hints.len() {
        let _ = writeln!(
            out,
            "\n{} hint(s) available: --hints N shows the first N.",
            ex.hints.len()
        );
    }
    if answer {
        out.push_str("\nModel answer:\n");
        for l in ex.answer.lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    out
}

/// The student's view of a grade: every visible check with what was observed, then the
/// hidden checks' tally.
pub fn render_grade(g: &Grade) -> String {
    let mut out = String::new();
    for e in &g.errors {
        let _ = writeln!(out, "ERROR   {e}");
    }
    for r in g.results.iter().filter(|r| !r.check.hidden) {
        let mark = if r.passed { "ok    " } else { "FAIL  " };
        out.push_str(&wrap(&r.check.text, WIDTH, mark));
        if !r.passed {
            out.push_str(&wrap(&r.detail, WIDTH, "        observed: "));
        }
    }
    let (hp, ht) = g.tally(true);
    if ht > 0 {
        let _ = writeln!(out, "hidden checks: {hp} of {ht} pass");
    }
    let (p, t) = g.score();
    let _ = writeln!(
        out,
        "{}: {p} of {t} checks pass",
        if g.passed() { "PASS" } else { "not yet" }
    );
    out
}

/// A CSV field, quoted when it needs to be.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The class's grades: a header (student, one column per check, passed, total), then one row
/// per `*.pin` file of `dir` by name (student = the file stem).
pub fn grade_dir(ex: &Exercise, dir: &std::path::Path) -> Result<String, Usage> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Usage(format!("cannot read `{}`: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pin"))
        .collect();
    files.sort();
    let mut out = String::from("student");
    for c in &ex.checks {
        let label = if c.hidden {
            format!("hidden: {}", c.text)
        } else {
            c.text.clone()
        };
        let _ = write!(out, ",{}", csv(&label));
    }
    out.push_str(",passed,total\n");
    let o = Overrides::default();
    for f in files {
        let student = f
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().to_string());
        let text = std::fs::read_to_string(&f)
            .map_err(|e| Usage(format!("cannot read `{}`: {e}", f.display())))?;
        let g = exercise::grade(ex, &text, &o);
        let _ = write!(out, "{}", csv(&student));
        for r in &g.results {
            out.push_str(if r.passed { ",pass" } else { ",fail" });
        }
        let (p, t) = g.score();
        let _ = writeln!(out, ",{p},{t}");
    }
    Ok(out)
}

/// `pinlab exercise list|show|check|grade ...`
#[derive(clap::Subcommand)]
pub enum ExerciseCommand {
    /// List the shipped exercises
    List,
    /// Print an exercise: task, starting script, visible checks
    Show {
        /// A shipped exercise or an .ex file
        #[arg(value_name = "NAME")]
        name: String,
        /// Add the first N hints
        #[arg(long, value_name = "N", default_value_t = 0)]
        hints: usize,
        /// Add the model answer
        #[arg(long)]
        answer: bool,
    },
    /// Grade a script against an exercise's checks
    Check {
        /// A shipped exercise or an .ex file
        #[arg(value_name = "NAME")]
        name: String,
        /// The script; - reads standard input
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Grade every *.pin of DIR into a CSV
    Grade {
        /// A shipped exercise or an .ex file
        #[arg(value_name = "NAME")]
        name: String,
        /// One script per student
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Write the CSV to OUT (default: standard output)
        #[arg(long, value_name = "OUT")]
        csv: Option<PathBuf>,
    },
}

pub fn cmd_exercise(c: &ExerciseCommand) -> Result<u8, Usage> {
    match c {
        ExerciseCommand::List => {
            print!("{}", list());
            Ok(0)
        }
        ExerciseCommand::Show {
            name,
            hints,
            answer,
        } => {
            print!("{}", show(&load(name)?, *hints, *answer));
            Ok(0)
        }
        ExerciseCommand::Check { name, file } => {
            let ex = load(name)?;
            let text = read_input(file)?;
            let g = exercise::grade(&ex, &text, &Overrides::default());
            print!("{}", render_grade(&g));
            Ok(if !g.errors.is_empty() {
                2
            } else if g.passed() {
                0
            } else {
                1
            })
        }
        ExerciseCommand::Grade { name, dir, csv } => {
            let table = grade_dir(&load(name)?, dir)?;
            match csv {
                Some(path) => std::fs::write(path, &table)
                    .map_err(|e| Usage(format!("cannot write `{}`: {e}", path.display())))?,
                None => print!("{table}"),
            }
            Ok(0)
        }
    }
}
