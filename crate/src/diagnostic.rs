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
    /// A diagnostic at `span`, which starts at 1-based `line`:`col`.
    fn at(severity: Severity, span: Span, (line, col): (u32, u32), message: String) -> Self {
        Diagnostic {
            severity,
            span,
            line,
            col,
            message,
            hint: None,
        }
    }
    /// An error at `span` of `text`.
    pub fn error(text: &str, span: Span, message: impl Into<String>) -> Self {
        let lc = line_col(text, span.start);
        Diagnostic::at(Severity::Error, span, lc, message.into())
    }
    /// A warning at `span` of `text`.
    pub fn warning(text: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(text, span, message)
        }
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

    /// Renders the diagnostic as rustc-like plain text (no colour), quoting its line of `text`:
    ///
    /// ```text
    /// error: unknown statement `wrtie`
    ///  --> demo.pin:3:1
    ///   |
    /// 3 | wrtie buf 0
    ///   | ^^^^^
    ///   = hint: did you mean `write`?
    /// ```
    ///
    /// The caret underlines the span on its first line (at least one column). Tabs in the quoted
    /// line are shown as spaces and other control characters as U+FFFD, so the text stays
    /// printable and the caret stays aligned.
    pub fn render(&self, text: &str, file_name: &str) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line_no = self.line.to_string();
        let pad = " ".repeat(line_no.len());
        let mut start = self.span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let shown: String = text[line_start..line_end]
            .trim_end_matches('\r')
            .chars()
            .map(|c| match c {
                '\t' => ' ',
                c if c.is_control() => '\u{FFFD}',
                c => c,
            })
            .collect();
        let caret_col = text[line_start..start].chars().count();
        let end = self.span.end.clamp(start, line_end);
        let width = text.get(start..end).map_or(0, |s| s.chars().count()).max(1);
        let mut out = format!(
            "{label}: {}\n{pad}--> {file_name}:{}:{}\n",
            self.message, self.line, self.col
        );
        out.push_str(&format!("{pad} |\n{line_no} | {}\n", shown.trim_end()));
        out.push_str(&format!(
            "{pad} | {}{}\n",
            " ".repeat(caret_col),
            "^".repeat(width)
        ));
        if let Some(hint) = &self.hint {
            out.push_str(&format!("{pad} = hint: {hint}\n"));
        }
        out
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

/// The line starts of a text, so that many diagnostics can find their line and column without
/// rescanning the text from the start each time ([`Diagnostic::error`] does that, which is
/// quadratic for a script with an error on every line).
#[derive(Clone, Debug)]
pub struct LineIndex<'t> {
    /// The text.
    text: &'t str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`.
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// 1-based line and character column of byte offset `at` (clamped to the text); the same
    /// answer as [`line_col`].
    pub fn line_col(&self, at: usize) -> (u32, u32) {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let line_idx = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let line_start = self.starts.get(line_idx).copied().unwrap_or(0);
        let col = self.text[line_start..at].chars().count();
        (
            u32::try_from(line_idx + 1).unwrap_or(u32::MAX),
            u32::try_from(col + 1).unwrap_or(u32::MAX),
        )
    }

    /// An error at `span`.
    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        let lc = self.line_col(span.start);
        Diagnostic::at(Severity::Error, span, lc, message.into())
    }

    /// A warning at `span`.
    pub fn warning(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..self.error(span, message)
        }
    }
}
