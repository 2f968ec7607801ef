//! The script language (`spec/language.md`): syntax tree, lexer, parser, name resolution and
//! the canonical printer. [`parse`] never fails: it returns a [`Script`] plus every diagnostic.

mod ast;
mod check;
mod lexer;
mod parser;
mod print;

pub use ast::*;
pub use parser::{EXPECT_KINDS, KEYWORDS};

use serde::Serialize;

use crate::Diagnostic;

/// The result of parsing: the script (with erroneous statements left out) and every diagnostic.
#[derive(Clone, Debug, Serialize)]
pub struct Parse {
    /// The statements that parsed.
    pub script: Script,
    /// Every error and warning, in text order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    /// True when some diagnostic is an error (the script must not run).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and resolves a script. Never panics, whatever the input.
pub fn parse(text: &str) -> Parse {
    let (script, mut diagnostics) = parser::parse(text);
    // Name resolution runs on what parsed. Past the first syntax error a name may be unknown only
    // because its declaration did not parse, so only the findings before it are reported.
    let first_error = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.span.start)
        .min()
        .unwrap_or(usize::MAX);
    diagnostics.extend(
        check::check(text, &script)
            .into_iter()
            .filter(|d| d.span.start < first_error),
    );
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parse {
        script,
        diagnostics,
    }
}
