//! The script language (`spec/language.md`): syntax tree, lexer, parser, name resolution and
//! the canonical printer. [`parse`] never fails: it returns a [`Script`] plus every diagnostic.

mod ast;
mod check;
mod lexer;
mod parser;
mod print;

pub use ast::*;
pub use parser::KEYWORDS;

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
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(check::check(text, &script));
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parse {
        script,
        diagnostics,
    }
}
