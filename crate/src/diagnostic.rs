//! Diagnostics as data: a byte span, its line and column, a message and an optional hint.
//! Rendered late, for a terminal (caret under the span) or as data for the editor.

use serde::Serialize;

use crate::script::Span;

/// How bad a diagnostic is. Errors stop a script from running; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The script does not run.
    Error,
    /// Worth a look; the script runs.
    Warning,
}

/// One problem found in a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Byte range in the text.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: u32,
    /// 1-based column (in characters) of `span.start`.
    pub col: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it, e.g. "did you mean 'writeback'?".
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span` of `text`.
    pub fn error(text: &str, span: Span, message: impl Into<String>) -> Self {
        let (line, col) = line_col(text, span.start);
        Diagnostic { severity: Severity::Error, span, line, col, message: message.into(), hint: None }
    }
    /// A warning at `span` of `text`.
    pub fn warning(text: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(text, span, message) }
    }
    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// Is this an error?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// 1-based line and character column of byte offset `at` in `text` (clamped to the text).
pub fn line_col(text: &str, at: usize) -> (u32, u32) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..at].chars().count() as u32 + 1;
    (line, col)
}
