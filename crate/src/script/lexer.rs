//! The lexer: one line of script text to tokens with byte spans.
//!
//! The language is line-oriented, so the lexer works one line at a time and never sees a newline.
//! It never fails and never panics: characters it does not understand become [`TokenKind::Error`]
//! tokens (a run of them becomes one token), which the parser reports.

use crate::script::Span;

/// What a token is. The token's text is `line[span]`; the lexer keeps no copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// `[A-Za-z_][A-Za-z0-9_-]*`: a keyword or a name. A factor such as `x1.2` is also a word.
    Word,
    /// Decimal digits: `42`.
    Int,
    /// Digits, a dot and digits: `5.9`, `1.25`.
    Decimal,
    /// A number with a unit: `250ns`, `2us`, `1ms`, `10.5ns`. `unit_at` is the byte offset of
    /// the unit within the token.
    Duration {
        /// Offset of the unit in the token's text.
        unit_at: usize,
    },
    /// `A..B`, both decimal integers. `dots_at` is the byte offset of `..` within the token.
    Range {
        /// Offset of `..` in the token's text.
        dots_at: usize,
    },
    /// `+N` or `-N`.
    Signed,
    /// `=`
    Eq,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// Something that is not a token: a message and a hint.
    Error(String, &'static str),
}

/// A token: its kind and its byte span in the whole script text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is (absolute byte offsets into the script).
    pub span: Span,
}

/// Splits `line` (which starts at byte `base` of the script and contains no `\n`) into tokens,
/// stopping at a `#` comment. Returns the tokens and the byte length of the line's code (the part
/// before the comment).
pub(super) fn lex_line(line: &str, base: usize) -> (Vec<Token>, usize) {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let b = bytes[pos];
        let start = pos;
        let kind = match b {
            b'#' => return (tokens, pos),
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                pos += 1;
                continue;
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                pos = word_end(bytes, pos);
                // A cost factor: `x1.2` is `x1` followed by `.2`.
                let word = &bytes[start..pos];
                if word.len() > 1
                    && word[0] == b'x'
                    && word[1..].iter().all(u8::is_ascii_digit)
                    && bytes.get(pos) == Some(&b'.')
                    && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit)
                {
                    pos = digits_end(bytes, pos + 1);
                }
                TokenKind::Word
            }
            b'0'..=b'9' => {
                let (end, kind) = number(bytes, pos);
                pos = end;
                kind
            }
            b'+' | b'-' => {
                pos += 1;
                if bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                    pos = digits_end(bytes, pos);
                    if bytes
                        .get(pos)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
                    {
                        pos = junk_end(bytes, pos);
                        TokenKind::Error(
                            format!("malformed count `{}`", clip(&line[start..pos])),
                            "a count is `+N` or `-N`",
                        )
                    } else {
                        TokenKind::Signed
                    }
                } else {
                    TokenKind::Error(
                        format!("`{}` must be followed by a number", b as char),
                        "write `+N` or `-N` with no space after the sign",
                    )
                }
            }
            b'=' => single(&mut pos, TokenKind::Eq),
            b'{' => single(&mut pos, TokenKind::LBrace),
            b'}' => single(&mut pos, TokenKind::RBrace),
            b',' => single(&mut pos, TokenKind::Comma),
            b':' => single(&mut pos, TokenKind::Colon),
            b'<' => single(&mut pos, TokenKind::Lt),
            b'>' => single(&mut pos, TokenKind::Gt),
            b'[' => single(&mut pos, TokenKind::LBracket),
            b']' => single(&mut pos, TokenKind::RBracket),
            b'.' => {
                pos = junk_end(bytes, pos);
                TokenKind::Error(
                    format!("unexpected `{}`", clip(&line[start..pos])),
                    "a range needs a start, as in `0..4`",
                )
            }
            _ => {
                // A run of characters that start no token (unicode whitespace included, which
                // we do not treat as a separator: it is almost always a paste accident).
                pos = start + 1;
                while pos < bytes.len() && !starts_token(bytes[pos]) {
                    pos += 1;
                }
                // `pos` stops on an ASCII byte or at the end, so it is a char boundary.
                let junk = &line[start..pos];
                let first = junk.chars().next().unwrap_or('?');
                TokenKind::Error(
                    format!("unexpected character {}", describe_char(first)),
                    "scripts are ASCII outside comments; `#` starts a comment",
                )
            }
        };
        tokens.push(Token {
            kind,
            span: base + start..base + pos,
        });
    }
    (tokens, bytes.len())
}

/// Moves past a one-byte token.
fn single(pos: &mut usize, kind: TokenKind) -> TokenKind {
    *pos += 1;
    kind
}

/// Can this byte start (or separate) a token? Non-ASCII bytes and ASCII junk cannot.
fn starts_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_#+-={}:,<>[]. \t\r".contains(&b)
}

/// The end of a word starting at `pos`.
fn word_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len()
        && (bytes[pos].is_ascii_alphanumeric() || bytes[pos] == b'_' || bytes[pos] == b'-')
    {
        pos += 1;
    }
    pos
}

/// The end of a run of ASCII digits starting at `pos`.
fn digits_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    pos
}

/// The end of a malformed token: everything up to the next separator.
fn junk_end(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && (bytes[pos].is_ascii_alphanumeric() || b"._".contains(&bytes[pos])) {
        pos += 1;
    }
    pos
}

/// Lexes a number-like token starting with a digit at `start`.
fn number(bytes: &[u8], start: usize) -> (usize, TokenKind) {
    let int_end = digits_end(bytes, start);
    let mut pos = int_end;
    let mut kind = TokenKind::Int;
    if bytes.get(pos) == Some(&b'.') && bytes.get(pos + 1) == Some(&b'.') {
        let end_start = pos + 2;
        let end = digits_end(bytes, end_start);
        if end == end_start {
            let stop = junk_end(bytes, end_start);
            return (
                stop,
                TokenKind::Error(
                    "a range needs an end".into(),
                    "ranges are half-open: `0..4` is pages 0 to 3",
                ),
            );
        }
        pos = end;
        kind = TokenKind::Range {
            dots_at: int_end - start,
        };
    } else if bytes.get(pos) == Some(&b'.') && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        pos = digits_end(bytes, pos + 1);
        kind = TokenKind::Decimal;
    }
    let suffix_start = pos;
    let stop = junk_end(bytes, pos);
    if stop == suffix_start {
        return (pos, kind);
    }
    let suffix = &bytes[suffix_start..stop];
    let is_unit = matches!(suffix, b"ns" | b"us" | b"ms");
    if is_unit && matches!(kind, TokenKind::Int | TokenKind::Decimal) {
        return (
            stop,
            TokenKind::Duration {
                unit_at: suffix_start - start,
            },
        );
    }
    let text = String::from_utf8_lossy(&bytes[start..stop]).into_owned();
    let err = if matches!(kind, TokenKind::Range { .. }) || suffix.first() == Some(&b'.') {
        TokenKind::Error(
            format!("malformed number `{}`", clip(&text)),
            "numbers are `42`, `1.5`, ranges `0..4`, durations `250ns`",
        )
    } else {
        TokenKind::Error(
            format!("`{}` is not a number or a duration", clip(&text)),
            "durations take the units ns, us or ms: `250ns`, `2us`, `1ms`",
        )
    };
    (stop, err)
}

/// Names a character for a message: printable ones quoted, others as `U+XXXX`.
fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

/// Shortens user text quoted in a message to at most 40 characters.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(TokenKind, &str)> {
        lex_line(line, 0)
            .0
            .into_iter()
            .map(|t| (t.kind, &line[t.span]))
            .collect()
    }

    #[test]
    fn lexes_every_token_kind() {
        let toks =
            kinds("child: gup io buf 0..4 x1.2 250ns 10.5ns 5.19 +3 -2 pages=4 { } , < > [ ] # c");
        let texts: Vec<&str> = toks.iter().map(|t| t.1).collect();
        assert_eq!(
            texts,
            [
                "child", ":", "gup", "io", "buf", "0..4", "x1.2", "250ns", "10.5ns", "5.19", "+3",
                "-2", "pages", "=", "4", "{", "}", ",", "<", ">", "[", "]"
            ]
        );
        assert!(toks.iter().all(|t| !matches!(t.0, TokenKind::Error(..))));
    }

    #[test]
    fn junk_is_an_error_token() {
        let toks = kinds("read \u{0}\u{1}é buf 3.. 2sec ..4");
        let errors = toks
            .iter()
            .filter(|t| matches!(t.0, TokenKind::Error(..)))
            .count();
        assert_eq!(errors, 4, "{toks:?}");
    }
}
