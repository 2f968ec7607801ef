//! The parser: script text to a [`Script`] plus diagnostics.
//!
//! The language is line-oriented: each line is lexed and parsed on its own, and a line with an
//! error is reported and left out of the script, so parsing never stops at the first error.
//! Blocks (`repeat N {`, `thread NAME {`, `}`) are tracked with an explicit stack of frames rather
//! than by recursion, and nesting deeper than [`MAX_DEPTH`] is an error.

use std::collections::HashMap;

/// The most pages one `file` or `mmap` may have (4 GiB of 4 KiB pages): every page is a
/// record the model visits, so a bigger one would freeze a front end for seconds.
pub const MAX_PAGES: u32 = 1 << 20;

use crate::diagnostic::LineIndex;
use crate::script::lexer::{clip, lex_line, Token, TokenKind};
use crate::script::{
    Cmp, DmaDir, Duration, Expect, GupFlags, Ident, Op, PageField, PageRange, Script, Setting,
    Span, Stmt, StmtKind,
};
use crate::settings::{
    CounterMode, FsKind, GupFastMode, KernelVersion, WritebackPolicy, Zone, MAX_STEPS,
};
use crate::{Diagnostic, OpResult, SchemeKind};

/// How deep `repeat` blocks may nest (a `thread` block counts as one level).
pub(super) const MAX_DEPTH: usize = 64;

/// How many lexical errors one line reports before it gives up.
const MAX_LEX_ERRORS_PER_LINE: usize = 8;

/// The words that can follow `expect`.
pub const EXPECT_KINDS: &[&str] = &[
    "ok",
    "violation",
    "no-violation",
    "result",
    "pinned",
    "not-pinned",
    "page",
    "cost",
];

/// Every statement keyword, for "did you mean" hints and editor highlighting.
pub const KEYWORDS: &[&str] = &[
    "scheme",
    "kernel",
    "set",
    "cost",
    "file",
    "mmap",
    "read",
    "write",
    "gup",
    "get",
    "vmsplice",
    "refs",
    "dma",
    "put",
    "put_page",
    "complete",
    "workqueue",
    "writeback",
    "writeback-done",
    "sync",
    "reclaim",
    "migrate",
    "truncate",
    "punch",
    "fork",
    "munmap",
    "mprotect",
    "exit",
    "expect",
    "repeat",
    "thread",
    "schedule",
    "irq",
];

/// The syntax of each statement, shown as the hint of a "missing operand" error.
fn syntax(keyword: &str) -> &'static str {
    match keyword {
        "scheme" => "scheme legacy|refcount|fake-vma",
        "kernel" => "kernel 2018|5.9|5.19|6.5",
        "set" => "set writeback=none|keep-dirty|bounce|wait | counter=bias|exact | gup-fast=fallback|preregistered | steps=N",
        "cost" => "cost NAME=DURATION ...",
        "file" => "file NAME ext4|xfs|btrfs|tmpfs|dax pages=N [zone=normal|movable|cma]",
        "mmap" => "mmap VMA FILE [RANGE] shared|private ro|rw  or  mmap VMA anon pages=N ro|rw [huge] [zone=Z]",
        "read" => "read VMA [RANGE]",
        "write" => "write VMA [RANGE]",
        "gup" => "gup HANDLE VMA [RANGE] [write] [fast] [longterm] [times=N]",
        "get" => "get HANDLE VMA [RANGE] [write] [fast] [times=N]",
        "vmsplice" => "vmsplice HANDLE VMA [RANGE]",
        "refs" => "refs VMA PAGE +N|-N",
        "dma" => "dma HANDLE read|write [RANGE]",
        "put" => "put HANDLE [dirty]",
        "put_page" => "put_page HANDLE",
        "complete" => "complete HANDLE [dirty]",
        "workqueue" => "workqueue",
        "writeback" => "writeback FILE [RANGE] [sync] [hold]",
        "writeback-done" => "writeback-done FILE",
        "sync" => "sync",
        "reclaim" => "reclaim [FILE|VMA] [RANGE]",
        "migrate" => "migrate VMA [RANGE]",
        "truncate" => "truncate FILE PAGES",
        "punch" => "punch FILE RANGE",
        "fork" => "fork NAME",
        "munmap" => "munmap VMA",
        "mprotect" => "mprotect VMA ro|rw",
        "exit" => "exit",
        "repeat" => "repeat N {",
        "thread" => "thread NAME {",
        "schedule" => "schedule THREAD THREAD ...",
        "expect ok" => "expect ok [under SCHEME, ...]",
        "expect violation" => "expect violation NAME [under SCHEME, ...]",
        "expect no-violation" => "expect no-violation NAME [under SCHEME, ...]",
        "expect result" => "expect result ERRNO|ok|fallback [under SCHEME, ...]",
        "expect pinned" => "expect pinned VMA PAGE [under SCHEME, ...]",
        "expect not-pinned" => "expect not-pinned VMA PAGE [under SCHEME, ...]",
        "expect page" => "expect page VMA PAGE [refcount=N] [mapcount=N] [pincount=N] [dirty=yes|no] [under SCHEME, ...]",
        "expect cost" => "expect cost >|< DURATION  or  expect cost SCHEME >|< SCHEME [xF]  [under SCHEME, ...]",
        "expect" => "expect ok | violation NAME | no-violation NAME | result ERRNO|ok|fallback | pinned VMA PAGE | not-pinned VMA PAGE | page VMA PAGE [refcount=N] [mapcount=N] [pincount=N] [dirty=yes|no] | cost < DURATION | cost SCHEME >|< SCHEME [xF]  [under SCHEME, ...]",
        _ => "",
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
///
/// The first candidate equal to `word` up to ASCII case wins; otherwise the first one at the
/// smallest [optimal-string-alignment distance](edit_distance_within), counted in chars after
/// ASCII lowercasing, if that distance is within the limit for `word`'s length (1 up to 3
/// chars, 2 up to 6, 3 beyond). Runs for every unknown word, junk included (the fuzzer's
/// inputs are full of them), so it allocates nothing and gives up on a candidate as soon as it
/// cannot beat the best so far within the limit.
pub(super) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    if word.is_empty() || word.len() > MAX_SUGGEST_LEN {
        return None;
    }
    // At most MAX_SUGGEST_LEN bytes, so at most as many chars.
    let mut buf = ['\0'; MAX_SUGGEST_LEN];
    let mut n = 0;
    for c in word.chars() {
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    let word_chars = &buf[..n];
    let word_set = CharSet::of(word_chars.iter().copied());
    let limit = match n {
        0..=3 => 1,
        4..=6 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        if cand.eq_ignore_ascii_case(word) {
            return Some(cand);
        }
        // Distance 0 is equality up to ASCII case, handled above: a candidate that differs is
        // at least 1 away, and replaces the best only if strictly closer.
        let bound = best.map_or(limit, |(d, _)| d - 1);
        if bound == 0 {
            continue;
        }
        if let Some(dist) = edit_distance_within(word_chars, word_set, cand, bound) {
            best = Some((dist, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// Words longer than this (in bytes) get no suggestion.
const MAX_SUGGEST_LEN: usize = 40;
/// The largest limit of [`suggest`].
const MAX_SUGGEST_DIST: usize = 3;
/// The longest candidate (in chars) that can be within the limit of a word of at most
/// [`MAX_SUGGEST_LEN`] chars.
const MAX_CAND_CHARS: usize = MAX_SUGGEST_LEN + MAX_SUGGEST_DIST;

/// The ASCII chars of a string, and whether it has any other: a cheap lower bound on the edit
/// distance before the table.
#[derive(Clone, Copy)]
struct CharSet {
    ascii: u128,
    other: bool,
}

impl CharSet {
    fn of(chars: impl Iterator<Item = char>) -> CharSet {
        let mut set = CharSet {
            ascii: 0,
            other: false,
        };
        for c in chars {
            if c.is_ascii() {
                set.ascii |= 1 << (c as u32);
            } else {
                set.other = true;
            }
        }
        set
    }

    /// How many of `chars` are surely not in the set (a char other than ASCII may be).
    fn missing(self, chars: &[char]) -> usize {
        chars
            .iter()
            .filter(|&&c| c.is_ascii() && self.ascii & (1 << (c as u32)) == 0)
            .count()
    }
}

/// The optimal-string-alignment distance (Levenshtein plus transpositions of adjacent chars)
/// between `a` (chars already ASCII-lowercased, whose set is `a_set`) and `b` (compared
/// ASCII-lowercased), if it is at most `bound` (at most [`MAX_SUGGEST_DIST`]); `None` as soon
/// as it cannot be.
fn edit_distance_within(a: &[char], a_set: CharSet, b: &str, bound: usize) -> Option<usize> {
    debug_assert!(bound <= MAX_SUGGEST_DIST && a.len() <= MAX_SUGGEST_LEN);
    // The distance is at least the difference in length.
    let m = b.chars().count();
    if m > a.len() + bound || a.len() > m + bound {
        return None;
    }
    let mut bbuf = ['\0'; MAX_CAND_CHARS];
    for (slot, c) in bbuf.iter_mut().zip(b.chars()) {
        *slot = c.to_ascii_lowercase();
    }
    let b = &bbuf[..m];
    // Each char of one string that the other lacks takes an edit of its own (a substitution,
    // insertion or deletion changes one char; a transposition none).
    let b_set = CharSet::of(b.iter().copied());
    if b_set.missing(a) > bound || a_set.missing(b) > bound {
        return None;
    }
    // Rows i-2, i-1 and i of the (a.len()+1) x (m+1) table.
    let mut prev2 = [0usize; MAX_CAND_CHARS + 1];
    let mut prev = [0usize; MAX_CAND_CHARS + 1];
    let mut cur = [0usize; MAX_CAND_CHARS + 1];
    for (j, cell) in prev.iter_mut().enumerate().take(m + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        // No cell of a row is below the smallest of the row before (a transposition's
        // d[i-2][j-2] + 1 is at least d[i-1][j-1]), so the distance is at least `row_min`.
        if row_min > bound {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= bound)
}

/// A "did you mean" hint, or a list of the valid spellings when nothing is close.
fn choice_hint(word: &str, candidates: &[&str]) -> String {
    match suggest(word, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

/// Parses `text`. Never fails; see the module docs.
pub(super) fn parse(text: &str) -> (Script, Vec<Diagnostic>) {
    let index = LineIndex::new(text);
    let mut parser = Parser {
        text,
        index: &index,
        diags: Vec::new(),
        frames: vec![Frame {
            kind: FrameKind::Top,
            header: None,
            stmts: Vec::new(),
            in_repeat: false,
        }],
        first_op_line: None,
        settings_seen: HashMap::new(),
    };
    let mut offset = 0;
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        parser.line(raw, offset, line_no);
        offset += raw.len() + 1;
    }
    parser.finish()
}

/// What kind of block a frame is.
enum FrameKind {
    /// The script itself.
    Top,
    /// `repeat N {`.
    Repeat(u64),
    /// `thread NAME {`.
    Thread(Ident),
    /// A block whose header had an error: its body is parsed for diagnostics and dropped.
    Discard,
}

/// An open block.
struct Frame {
    /// Its kind.
    kind: FrameKind,
    /// The header's line number, span and keyword (none for the top frame).
    header: Option<(u32, Span)>,
    /// The statements parsed so far.
    stmts: Vec<Stmt>,
    /// This block or an enclosing one is a `repeat`.
    in_repeat: bool,
}

/// The parser's state across lines.
struct Parser<'t> {
    /// The whole script.
    text: &'t str,
    /// Its line starts.
    index: &'t LineIndex<'t>,
    /// Diagnostics so far.
    diags: Vec<Diagnostic>,
    /// Open blocks; `frames[0]` is the script.
    frames: Vec<Frame>,
    /// The line of the first operation (or block, or schedule): settings after it are errors.
    first_op_line: Option<u32>,
    /// Where each setting was first given, to warn about overrides.
    settings_seen: HashMap<String, u32>,
}

impl<'t> Parser<'t> {
    /// Handles one line.
    fn line(&mut self, raw: &'t str, base: usize, line_no: u32) {
        let (tokens, _) = lex_line(raw, base);
        let mut n_lex_errors = 0;
        for tok in &tokens {
            if let TokenKind::Error(msg, hint) = &tok.kind {
                n_lex_errors += 1;
                if n_lex_errors > MAX_LEX_ERRORS_PER_LINE {
                    let msg = "more unexpected characters on this line are not shown";
                    self.diags
                        .push(self.index.error(tok.span.clone(), msg).with_hint(*hint));
                    break;
                }
                self.diags.push(
                    self.index
                        .error(tok.span.clone(), msg.clone())
                        .with_hint(*hint),
                );
            }
        }
        let lex_errors = n_lex_errors > 0;
        let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
            return;
        };
        let span = first.span.start..last.span.end;
        if first.kind == TokenKind::RBrace {
            self.close_block(&tokens, span);
            return;
        }
        if lex_errors {
            // Still track block structure, so that one bad header does not unbalance the rest.
            if last.kind == TokenKind::LBrace {
                self.push_frame(FrameKind::Discard, (line_no, span));
            }
            return;
        }
        let mut lp = LineParser {
            text: self.text,
            index: self.index,
            toks: &tokens,
            pos: 0,
            end: span.end,
            errs: Vec::new(),
            keyword: "",
            syntax_key: "",
        };
        if last.kind == TokenKind::LBrace {
            self.open_block(&mut lp, line_no, span);
            self.diags.append(&mut lp.errs);
            return;
        }
        let res = lp.statement();
        self.diags.append(&mut lp.errs);
        let keyword = lp.keyword;
        if is_op_keyword(keyword) || keyword == "schedule" {
            self.first_op_line.get_or_insert(line_no);
        }
        let Some(kind) = res else { return };
        if let Some(kind) = self.check_placement(kind, &tokens, line_no) {
            if let Some(frame) = self.frames.last_mut() {
                frame.stmts.push(Stmt {
                    kind,
                    span,
                    line: line_no,
                });
            }
        }
    }

    /// Checks that a statement may stand where it is (settings first, no declarations in
    /// `repeat`, `schedule` at top level). Returns it if so.
    fn check_placement(
        &mut self,
        kind: StmtKind,
        tokens: &[Token],
        line_no: u32,
    ) -> Option<StmtKind> {
        let head = tokens.first().map_or(0..0, |t| t.span.clone());
        let top = self.frames.len() == 1;
        let in_repeat = self.frames.last().is_some_and(|f| f.in_repeat);
        let setting_key = match &kind {
            StmtKind::Scheme(_) => Some("scheme".to_string()),
            StmtKind::Kernel(_) => Some("kernel".to_string()),
            StmtKind::Set(s) => Some(format!("set {}", setting_name(s))),
            StmtKind::Cost(_) => Some(String::new()),
            _ => None,
        };
        if let Some(key) = setting_key {
            if !top {
                self.error(
                    head,
                    "settings cannot stand inside a block",
                    "move it to the top of the script, before the first operation",
                );
                return None;
            }
            if let Some(op_line) = self.first_op_line {
                self.error(
                    head,
                    "settings must come before the first operation",
                    format!("move it above line {op_line}, the first operation"),
                );
                return None;
            }
            if !key.is_empty() {
                if let Some(prev) = self.settings_seen.get(&key) {
                    let msg = format!("`{key}` was already set on line {prev}; this one wins");
                    self.diags.push(
                        self.index
                            .warning(head, msg)
                            .with_hint("remove one of the two"),
                    );
                } else {
                    self.settings_seen.insert(key, line_no);
                }
            }
            return Some(kind);
        }
        match &kind {
            StmtKind::File { .. } | StmtKind::MmapFile { .. } | StmtKind::MmapAnon { .. }
                if in_repeat =>
            {
                self.error(
                    head,
                    "declarations cannot repeat",
                    "declare files and mappings before the `repeat` block",
                );
                None
            }
            StmtKind::Op {
                op: Op::Fork { child },
                ..
            } if in_repeat => {
                let msg = format!(
                    "`fork {}` inside `repeat` would create process `{}` again in every iteration",
                    child.name, child.name
                );
                self.error(head, msg, "fork before the `repeat` block");
                None
            }
            StmtKind::Schedule(_) if !top => {
                self.error(
                    head,
                    "`schedule` must stand at the top level",
                    "move it outside the block",
                );
                None
            }
            _ => Some(kind),
        }
    }

    /// Handles a line ending in `{`: a `repeat` or `thread` header.
    fn open_block(&mut self, lp: &mut LineParser<'_>, line_no: u32, span: Span) {
        self.first_op_line.get_or_insert(line_no);
        let header = (line_no, span.clone());
        let discarding = self
            .frames
            .last()
            .is_some_and(|f| matches!(f.kind, FrameKind::Discard));
        let kind = match lp.block_header() {
            Some(kind) => kind,
            None => FrameKind::Discard,
        };
        let kind = match kind {
            FrameKind::Discard => FrameKind::Discard,
            _ if discarding => FrameKind::Discard,
            _ if self.frames.len() > MAX_DEPTH => {
                let msg = format!("blocks nest too deeply (at most {MAX_DEPTH} levels)");
                lp.errs.push(self.index.error(span, msg).with_hint(
                    "flatten the script: multiply the counts of nested `repeat` blocks",
                ));
                FrameKind::Discard
            }
            FrameKind::Thread(_) if self.frames.len() > 1 => {
                lp.errs.push(
                    self.index
                        .error(span, "`thread` blocks must stand at the top level")
                        .with_hint(
                            "threads cannot nest or repeat; put `repeat` inside the thread instead",
                        ),
                );
                FrameKind::Discard
            }
            other => other,
        };
        self.push_frame(kind, header);
    }

    /// Handles a line starting with `}`.
    fn close_block(&mut self, tokens: &[Token], span: Span) {
        if tokens.len() > 1 {
            let rest = tokens[1].span.start..span.end;
            self.error(
                rest,
                "`}` must stand on its own line",
                "put the rest on the next line",
            );
        }
        if self.frames.len() == 1 {
            self.error(
                tokens[0].span.clone(),
                "unmatched `}`",
                "no `repeat` or `thread` block is open here",
            );
            return;
        }
        self.pop_frame();
    }

    /// Opens a block. A block inside a discarded block is discarded too.
    fn push_frame(&mut self, kind: FrameKind, header: (u32, Span)) {
        let parent_in_repeat = self.frames.last().is_some_and(|f| f.in_repeat);
        let kind = match self.frames.last() {
            Some(Frame {
                kind: FrameKind::Discard,
                ..
            }) => FrameKind::Discard,
            _ => kind,
        };
        let in_repeat = parent_in_repeat || matches!(kind, FrameKind::Repeat(_));
        self.frames.push(Frame {
            kind,
            header: Some(header),
            stmts: Vec::new(),
            in_repeat,
        });
    }

    /// Closes the innermost block and adds it to its parent.
    fn pop_frame(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let Some((line, span)) = frame.header else {
            return;
        };
        let kind = match frame.kind {
            FrameKind::Repeat(count) => StmtKind::Repeat {
                count,
                body: frame.stmts,
            },
            FrameKind::Thread(name) => StmtKind::Thread {
                name,
                body: frame.stmts,
            },
            FrameKind::Top | FrameKind::Discard => return,
        };
        if let Some(parent) = self.frames.last_mut() {
            parent.stmts.push(Stmt { kind, span, line });
        }
    }

    /// Reports unclosed blocks and returns the script.
    fn finish(mut self) -> (Script, Vec<Diagnostic>) {
        while self.frames.len() > 1 {
            if let Some(Frame {
                header: Some((_, span)),
                ..
            }) = self.frames.last()
            {
                let span = span.clone();
                self.error(
                    span,
                    "this block is never closed",
                    "add a line with `}` after its last statement",
                );
            }
            self.pop_frame();
        }
        let stmts = self.frames.pop().map(|f| f.stmts).unwrap_or_default();
        (Script { stmts }, self.diags)
    }

    /// Records an error with a hint.
    fn error(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(self.index.error(span, msg).with_hint(hint));
    }
}

/// The key of a `set` statement.
fn setting_name(s: &Setting) -> &'static str {
    match s {
        Setting::Writeback(_) => "writeback",
        Setting::Counter(_) => "counter",
        Setting::GupFast(_) => "gup-fast",
        Setting::Steps(_) => "steps",
    }
}

/// Is `keyword` an operation (which ends the settings section)?
fn is_op_keyword(keyword: &str) -> bool {
    !matches!(
        keyword,
        "" | "scheme"
            | "kernel"
            | "set"
            | "cost"
            | "file"
            | "mmap"
            | "expect"
            | "schedule"
            | "repeat"
            | "thread"
    ) && KEYWORDS.contains(&keyword)
}

/// What follows the required operands of a statement: flags, `key=value` options, an optional
/// range and (for `expect`) an `under` list.
#[derive(Default)]
struct Tail<'t> {
    /// Bare-word flags given, with their spans.
    flags: Vec<(&'static str, Span)>,
    /// Options given: key, value token, span of the whole `key=value`.
    opts: Vec<(&'static str, &'t Token, Span)>,
    /// The range, if given.
    range: Option<PageRange>,
    /// `under` schemes.
    under: Vec<SchemeKind>,
}

impl Tail<'_> {
    /// Was flag `name` given?
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(f, _)| *f == name)
    }
    /// The value token of option `key`.
    fn opt(&self, key: &str) -> Option<&Token> {
        self.opts
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, _)| *v)
    }
}

/// What a statement's tail may contain.
struct TailSpec {
    /// Allowed bare-word flags.
    flags: &'static [&'static str],
    /// Allowed option keys.
    keys: &'static [&'static str],
    /// Whether an optional range may appear.
    range: bool,
    /// Whether an `under` list may end the line.
    under: bool,
}

impl TailSpec {
    /// Nothing may follow.
    const NONE: TailSpec = TailSpec {
        flags: &[],
        keys: &[],
        range: false,
        under: false,
    };
    /// Only a range may follow.
    const RANGE: TailSpec = TailSpec {
        flags: &[],
        keys: &[],
        range: true,
        under: false,
    };
    /// Only an `under` list may follow.
    const UNDER: TailSpec = TailSpec {
        flags: &[],
        keys: &[],
        range: false,
        under: true,
    };
}

/// Parses the tokens of one line.
struct LineParser<'t> {
    /// The whole script.
    text: &'t str,
    /// Its line starts.
    index: &'t LineIndex<'t>,
    /// The line's tokens.
    toks: &'t [Token],
    /// The next token.
    pos: usize,
    /// Byte offset just after the line's last token.
    end: usize,
    /// Errors found on this line.
    errs: Vec<Diagnostic>,
    /// The statement keyword, once read.
    keyword: &'static str,
    /// Which syntax to show in hints (the keyword, or e.g. `expect page`).
    syntax_key: &'static str,
}

/// A result whose error has already been recorded.
type Res<T> = Option<T>;

impl<'t> LineParser<'t> {
    /// The text of a token.
    fn tok_text(&self, tok: &Token) -> &'t str {
        self.text.get(tok.span.clone()).unwrap_or("")
    }
    /// The next token, if any.
    fn peek(&self) -> Option<&'t Token> {
        self.toks.get(self.pos)
    }
    /// The next token's text if it is a word.
    fn peek_word(&self) -> Option<&'t str> {
        self.peek()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| self.tok_text(t))
    }
    /// Takes the next token.
    fn bump(&mut self) -> Option<&'t Token> {
        let tok = self.toks.get(self.pos);
        self.pos += 1;
        tok
    }
    /// Records an error with the statement's syntax as hint.
    fn err(&mut self, span: Span, msg: impl Into<String>) {
        let mut d = self.index.error(span, msg);
        let syn = syntax(self.syntax_key);
        if !syn.is_empty() {
            d = d.with_hint(format!("syntax: `{syn}`"));
        }
        self.errs.push(d);
    }
    /// Records an error with a specific hint.
    fn err_hint(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.errs.push(self.index.error(span, msg).with_hint(hint));
    }
    /// Records "missing X" at the end of the line (or at the offending token).
    fn missing(&mut self, what: &str) {
        match self.peek() {
            None => self.err(self.end..self.end, format!("missing {what}")),
            Some(tok) => {
                let msg = format!("expected {what}, found `{}`", clip(self.tok_text(tok)));
                self.err(tok.span.clone(), msg);
            }
        }
    }

    /// Parses a whole statement line (not a block header or `}`).
    fn statement(&mut self) -> Res<StmtKind> {
        let mut proc_: Option<Ident> = None;
        let mut irq: Option<Span> = None;
        // Prefixes: `PROC:` and `irq`, in either order.
        loop {
            let Some(tok) = self.peek() else {
                self.err_hint(
                    self.end..self.end,
                    "missing a statement after the prefix",
                    "write e.g. `child: write buf 0`",
                );
                return None;
            };
            let word = self.peek_word();
            if word.is_some()
                && self
                    .toks
                    .get(self.pos + 1)
                    .is_some_and(|t| t.kind == TokenKind::Colon)
            {
                let name = self.name("a process name")?;
                let colon = self.bump().map_or(0..0, |t| t.span.clone());
                if proc_.is_some() {
                    self.err_hint(
                        name.span.start..colon.end,
                        "a statement takes one `PROC:` prefix",
                        "remove one",
                    );
                    return None;
                }
                proc_ = Some(name);
                continue;
            }
            if word == Some("irq") {
                self.bump();
                if irq.is_some() {
                    self.err_hint(tok.span.clone(), "duplicate `irq` prefix", "remove one");
                    return None;
                }
                irq = Some(tok.span.clone());
                continue;
            }
            break;
        }
        let Some(tok) = self.bump() else {
            self.missing("an operation after the prefix");
            return None;
        };
        let word = self.tok_text(tok);
        if tok.kind != TokenKind::Word {
            self.err_hint(
                tok.span.clone(),
                format!("expected a statement, found `{}`", clip(word)),
                "a statement starts with a keyword such as `read`, `gup` or `expect`",
            );
            return None;
        }
        let Some(keyword) = KEYWORDS.iter().copied().find(|k| *k == word) else {
            let hint = match suggest(word, KEYWORDS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "a statement starts with a keyword such as `read`, `gup` or `expect`"
                    .to_string(),
            };
            self.err_hint(
                tok.span.clone(),
                format!("unknown statement `{}`", clip(word)),
                hint,
            );
            return None;
        };
        self.keyword = keyword;
        self.syntax_key = keyword;
        let prefix_span = proc_
            .as_ref()
            .map(|p| p.span.clone())
            .or_else(|| irq.clone());
        if !is_op_keyword(keyword) {
            if let Some(span) = prefix_span {
                self.err_hint(
                    span,
                    format!("`{keyword}` cannot take a `PROC:` or `irq` prefix"),
                    "only operations run in a process or in IRQ context",
                );
                return None;
            }
        }
        let kind = match keyword {
            "scheme" => StmtKind::Scheme(self.enum_operand(
                "scheme",
                SchemeKind::ALL,
                SchemeKind::name,
                SchemeKind::from_name,
            )?),
            "kernel" => StmtKind::Kernel(self.era()?),
            "set" => StmtKind::Set(self.setting()?),
            "cost" => StmtKind::Cost(self.cost_entries()?),
            "file" => self.file()?,
            "mmap" => self.mmap()?,
            "expect" => self.expect()?,
            "schedule" => self.schedule()?,
            "repeat" | "thread" => {
                self.err_hint(
                    self.end..self.end,
                    format!("`{keyword}` needs `{{` at the end of the line"),
                    format!(
                        "syntax: `{}`, with `}}` on its own line after the body",
                        syntax(keyword)
                    ),
                );
                return None;
            }
            _ => {
                let op = self.op(keyword)?;
                if let (Op::Complete { .. }, Some(span)) = (&op, &irq) {
                    self.errs.push(
                        self.index
                            .warning(span.clone(), "`complete` always runs in hard-IRQ context")
                            .with_hint("the `irq` prefix is redundant here"),
                    );
                }
                StmtKind::Op {
                    proc_,
                    irq: irq.is_some(),
                    op,
                }
            }
        };
        if self.errs.iter().any(Diagnostic::is_error) {
            return None;
        }
        Some(kind)
    }

    /// Parses a block header (`repeat N {` or `thread NAME {`); the last token is `{`.
    fn block_header(&mut self) -> Option<FrameKind> {
        let toks = self.toks;
        let body = &toks[..toks.len().saturating_sub(1)];
        self.toks = body;
        let Some(tok) = self.bump() else {
            self.err_hint(
                toks.last().map_or(0..0, |t| t.span.clone()),
                "a block needs a header",
                "write `repeat N {` or `thread NAME {`",
            );
            return None;
        };
        let word = self.tok_text(tok);
        let kind = match word {
            "repeat" => {
                self.keyword = "repeat";
                self.syntax_key = "repeat";
                let count = self.int_u64("a repeat count")?;
                if count == 0 {
                    let span = self.toks.get(self.pos - 1).map_or(0..0, |t| t.span.clone());
                    self.errs.push(
                        self.index
                            .warning(span, "`repeat 0` never runs its body")
                            .with_hint("remove the block, or give a count of at least 1"),
                    );
                }
                FrameKind::Repeat(count)
            }
            "thread" => {
                self.keyword = "thread";
                self.syntax_key = "thread";
                FrameKind::Thread(self.name("a thread name")?)
            }
            _ => {
                let hint = match suggest(word, ["repeat", "thread"]) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "only `repeat N {` and `thread NAME {` open blocks".to_string(),
                };
                self.err_hint(
                    tok.span.clone(),
                    format!("`{}` cannot open a block", clip(word)),
                    hint,
                );
                return None;
            }
        };
        self.end_of_line()?;
        Some(kind)
    }

    /// Requires that nothing is left on the line.
    fn end_of_line(&mut self) -> Res<()> {
        match self.peek() {
            None => Some(()),
            Some(tok) => {
                let span = tok.span.start..self.toks.last().map_or(tok.span.end, |t| t.span.end);
                let msg = format!("unexpected `{}`", clip(self.tok_text(tok)));
                self.err(span, msg);
                None
            }
        }
    }

    /// A name (file, VMA, handle, process, thread): an identifier.
    fn name(&mut self, what: &str) -> Res<Ident> {
        let Some(tok) = self.peek().filter(|t| t.kind == TokenKind::Word) else {
            self.missing(what);
            return None;
        };
        self.bump();
        let text = self.tok_text(tok);
        if !is_ident(text) {
            self.err_hint(
                tok.span.clone(),
                format!("`{}` is not a valid name", clip(text)),
                "names are identifiers: letters, digits and `_`, not starting with a digit",
            );
            return None;
        }
        Some(Ident {
            name: text.to_string(),
            span: tok.span.clone(),
        })
    }

    /// A name being declared: also rejects the reserved words `all` and `anon`.
    fn decl_name(&mut self, what: &str) -> Res<Ident> {
        let name = self.name(what)?;
        if matches!(name.name.as_str(), "all" | "anon") {
            self.err_hint(
                name.span.clone(),
                format!("`{}` is reserved and cannot name a file or VMA", name.name),
                "choose another name",
            );
            return None;
        }
        Some(name)
    }

    /// A word naming a value of a closed vocabulary.
    fn enum_operand<T: Copy>(
        &mut self,
        what: &str,
        all: &[T],
        name: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) -> Res<T> {
        let Some(tok) = self.peek() else {
            self.missing(&format!("a {what}"));
            return None;
        };
        self.bump();
        let text = self.tok_text(tok);
        if let Some(v) = from_name(text) {
            return Some(v);
        }
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        self.err_hint(
            tok.span.clone(),
            format!("unknown {what} `{}`", clip(text)),
            choice_hint(text, &names),
        );
        None
    }

    /// `kernel` operand: a release `X.Y` (4.14 to the newest modelled) or `2018`.
    fn era(&mut self) -> Res<KernelVersion> {
        let Some(tok) = self.peek() else {
            self.missing("a kernel version");
            return None;
        };
        self.bump();
        let text = self.tok_text(tok);
        let Some(k) = KernelVersion::from_name(text) else {
            let names: Vec<String> = KernelVersion::PRESETS
                .iter()
                .map(|k| k.to_string())
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            self.err_hint(
                tok.span.clone(),
                format!("unknown kernel version `{}`", clip(text)),
                format!(
                    "a release from {} to {} such as {}, or 2018 (= {})",
                    KernelVersion::OLDEST,
                    KernelVersion::NEWEST,
                    names.join(", "),
                    KernelVersion::Y2018
                ),
            );
            return None;
        };
        self.end_of_line()?;
        Some(k)
    }

    /// The next token, when it is an unsigned integer; otherwise `what` is missing.
    fn int_token(&mut self, what: &str) -> Res<Token> {
        let Some(tok) = self.peek().filter(|t| t.kind == TokenKind::Int) else {
            self.missing(what);
            return None;
        };
        self.bump();
        Some(tok.clone())
    }

    /// An unsigned integer token.
    fn int_u64(&mut self, what: &str) -> Res<u64> {
        let tok = self.int_token(what)?;
        self.u64_of(&tok)
    }

    /// An unsigned integer token that fits in 32 bits.
    fn int_u32(&mut self, what: &str) -> Res<u32> {
        let tok = self.int_token(what)?;
        self.u32_of(&tok)
    }

    /// The value of an integer token, at most `max`; `limit` says what the limit is.
    fn uint_of(&mut self, tok: &Token, max: u64, limit: String) -> Res<u64> {
        let text = self.tok_text(tok);
        if tok.kind != TokenKind::Int {
            self.err(
                tok.span.clone(),
                format!("expected a whole number, found `{}`", clip(text)),
            );
            return None;
        }
        match text.parse::<u64>().ok().filter(|&v| v <= max) {
            Some(v) => Some(v),
            None => {
                self.err_hint(
                    tok.span.clone(),
                    format!("number `{}` is too large", clip(text)),
                    limit,
                );
                None
            }
        }
    }

    /// The value of an integer token as `u64`.
    fn u64_of(&mut self, tok: &Token) -> Res<u64> {
        self.uint_of(
            tok,
            u64::MAX,
            format!("the largest allowed here is {}", u64::MAX),
        )
    }

    /// The value of an integer token as `u32`.
    fn u32_of(&mut self, tok: &Token) -> Res<u32> {
        let limit = format!("page counts and indices are at most {}", u32::MAX);
        self.uint_of(tok, u64::from(u32::MAX), limit)
            .map(|v| v as u32)
    }

    /// A signed value (`5`, `+5`, `-5`) as `i64`.
    fn i64_of(&mut self, tok: &Token) -> Res<i64> {
        let text = self.tok_text(tok);
        if !matches!(tok.kind, TokenKind::Int | TokenKind::Signed) {
            self.err(
                tok.span.clone(),
                format!("expected a number, found `{}`", clip(text)),
            );
            return None;
        }
        let (neg, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let Ok(magnitude) = digits.parse::<u64>() else {
            self.err(
                tok.span.clone(),
                format!("number `{}` is too large", clip(text)),
            );
            return None;
        };
        let value = i64::try_from(magnitude)
            .ok()
            .map(|v| if neg { -v } else { v });
        if value.is_none() {
            self.err(
                tok.span.clone(),
                format!("number `{}` is too large", clip(text)),
            );
        }
        value
    }

    /// The page range of a range token (`3`, `0..4`, `all`).
    fn range_of(&mut self, tok: &Token) -> Res<PageRange> {
        let text = self.tok_text(tok);
        match tok.kind {
            TokenKind::Word if text == "all" => Some(PageRange::All),
            TokenKind::Int => Some(PageRange::One(self.u32_of(tok)?)),
            TokenKind::Range { dots_at } => {
                let (a, b) = (
                    text.get(..dots_at).unwrap_or(""),
                    text.get(dots_at + 2..).unwrap_or(""),
                );
                let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
                    self.err_hint(
                        tok.span.clone(),
                        format!("range `{}` is too large", clip(text)),
                        format!("page indices are at most {}", u32::MAX),
                    );
                    return None;
                };
                if a >= b {
                    self.err_hint(
                        tok.span.clone(),
                        format!("range `{}` is empty", clip(text)),
                        "ranges are half-open: `0..4` is pages 0, 1, 2 and 3",
                    );
                    return None;
                }
                Some(PageRange::Span(a, b))
            }
            _ => {
                self.missing("a page range");
                None
            }
        }
    }

    /// Is `tok` a range (number, `A..B` or `all`)?
    fn is_range(&self, tok: &Token) -> bool {
        matches!(tok.kind, TokenKind::Int | TokenKind::Range { .. })
            || (tok.kind == TokenKind::Word && self.tok_text(tok) == "all")
    }

    /// Parses the rest of the line as flags, options, a range and `under`.
    fn tail(&mut self, spec: &TailSpec) -> Tail<'t> {
        let mut tail = Tail::default();
        let mut range_span: Option<Span> = None;
        while let Some(tok) = self.bump() {
            let text = self.tok_text(tok);
            if spec.range && self.is_range(tok) {
                if let Some(prev) = &range_span {
                    let msg = format!("a second page range `{}`", clip(text));
                    let hint = format!(
                        "the range was already given at column {}",
                        crate::diagnostic::line_col(self.text, prev.start).1
                    );
                    self.err_hint(tok.span.clone(), msg, hint);
                    continue;
                }
                range_span = Some(tok.span.clone());
                tail.range = self.range_of(tok);
                continue;
            }
            if tok.kind != TokenKind::Word {
                let msg = format!("unexpected `{}`", clip(text));
                self.err(tok.span.clone(), msg);
                continue;
            }
            if spec.under && text == "under" {
                tail.under = self.under(tok);
                return tail;
            }
            if self.peek().is_some_and(|t| t.kind == TokenKind::Eq) {
                let eq = self.bump().map_or(0..0, |t| t.span.clone());
                let value = self.peek().filter(|t| {
                    !matches!(t.kind, TokenKind::Eq | TokenKind::Comma | TokenKind::Colon)
                });
                let Some(value) = value else {
                    self.err(eq, format!("`{}=` needs a value", clip(text)));
                    continue;
                };
                self.bump();
                let whole = tok.span.start..value.span.end;
                let Some(key) = spec.keys.iter().copied().find(|k| *k == text) else {
                    let hint = if spec.keys.is_empty() {
                        format!(
                            "`{}` takes no options; syntax: `{}`",
                            self.keyword,
                            syntax(self.syntax_key)
                        )
                    } else {
                        choice_hint(text, spec.keys)
                    };
                    self.err_hint(
                        tok.span.clone(),
                        format!("unknown option `{}` for `{}`", clip(text), self.keyword),
                        hint,
                    );
                    continue;
                };
                if tail.opts.iter().any(|(k, _, _)| *k == key) {
                    self.err_hint(whole, format!("`{key}=` is given twice"), "remove one");
                    continue;
                }
                tail.opts.push((key, value, whole));
                continue;
            }
            let Some(flag) = spec.flags.iter().copied().find(|f| *f == text) else {
                let mut known: Vec<&str> = spec.flags.to_vec();
                known.extend(spec.keys);
                let hint = match suggest(text, known.iter().copied()) {
                    Some(s) if spec.keys.contains(&s) => format!("did you mean `{s}=...`?"),
                    Some(s) => format!("did you mean `{s}`?"),
                    None if spec.under => format!("syntax: `{}`", syntax(self.syntax_key)),
                    None if known.is_empty() => format!(
                        "`{}` takes nothing more here; syntax: `{}`",
                        self.keyword,
                        syntax(self.syntax_key)
                    ),
                    None => format!("syntax: `{}`", syntax(self.syntax_key)),
                };
                self.err_hint(
                    tok.span.clone(),
                    format!("unexpected `{}`", clip(text)),
                    hint,
                );
                continue;
            };
            if tail.has(flag) {
                self.err_hint(
                    tok.span.clone(),
                    format!("flag `{flag}` is given twice"),
                    "remove one",
                );
                continue;
            }
            tail.flags.push((flag, tok.span.clone()));
        }
        tail
    }

    /// Parses `under SCHEME[, SCHEME...]` after the `under` keyword token.
    fn under(&mut self, under_tok: &Token) -> Vec<SchemeKind> {
        let mut schemes = Vec::new();
        let names: Vec<&str> = SchemeKind::ALL.iter().map(|s| s.name()).collect();
        let hint = "write `under SCHEME[, SCHEME...]` with schemes legacy, refcount, fake-vma";
        loop {
            let Some(tok) = self.bump() else {
                let span = self
                    .toks
                    .last()
                    .map_or(under_tok.span.clone(), |t| t.span.clone());
                let msg = if schemes.is_empty() {
                    "`under` needs at least one scheme"
                } else {
                    "expected a scheme after `,`"
                };
                self.err_hint(span, msg, hint);
                return schemes;
            };
            let text = self.tok_text(tok);
            match SchemeKind::from_name(text) {
                Some(s) if schemes.contains(&s) => {
                    self.errs.push(
                        self.index
                            .warning(tok.span.clone(), format!("scheme `{text}` is listed twice"))
                            .with_hint("remove one"),
                    );
                }
                Some(s) => schemes.push(s),
                None => {
                    self.err_hint(
                        tok.span.clone(),
                        format!("unknown scheme `{}`", clip(text)),
                        choice_hint(text, &names),
                    );
                    return schemes;
                }
            }
            match self.bump() {
                None => return schemes,
                Some(t) if t.kind == TokenKind::Comma => {}
                Some(t) => {
                    let msg = format!(
                        "expected `,` or the end of the line, found `{}`",
                        clip(self.tok_text(t))
                    );
                    self.err_hint(
                        t.span.clone(),
                        msg,
                        "separate schemes with `,`; `under` ends the line",
                    );
                    return schemes;
                }
            }
        }
    }

    /// Requires exactly one of two exclusive flags; returns whether the first was given.
    fn either(&mut self, tail: &Tail<'_>, a: &str, b: &str) -> Res<bool> {
        match (
            tail.flags.iter().find(|f| f.0 == a),
            tail.flags.iter().find(|f| f.0 == b),
        ) {
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (Some(x), Some(y)) => {
                let span = x.1.start.min(y.1.start)..x.1.end.max(y.1.end);
                self.err_hint(
                    span,
                    format!("`{a}` and `{b}` conflict"),
                    "give one of them",
                );
                None
            }
            (None, None) => {
                self.missing(&format!("`{a}` or `{b}`"));
                None
            }
        }
    }

    /// The value of a `zone=` option, `normal` by default.
    fn zone(&mut self, tail: &Tail<'_>) -> Res<Zone> {
        let Some(tok) = tail.opt("zone") else {
            return Some(Zone::Normal);
        };
        self.value_enum(tok, "zone", Zone::ALL, Zone::name, Zone::from_name)
    }

    /// A value token naming a value of a closed vocabulary.
    fn value_enum<T: Copy>(
        &mut self,
        tok: &Token,
        what: &str,
        all: &[T],
        name: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) -> Res<T> {
        let text = self.tok_text(tok);
        if let Some(v) = from_name(text) {
            return Some(v);
        }
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        self.err_hint(
            tok.span.clone(),
            format!("unknown {what} `{}`", clip(text)),
            choice_hint(text, &names),
        );
        None
    }

    /// A required `pages=N` option (1 to [`MAX_PAGES`]).
    fn pages_opt(&mut self, tail: &Tail<'_>) -> Res<u32> {
        let Some(tok) = tail.opt("pages") else {
            self.missing("`pages=N`");
            return None;
        };
        let pages = self.u32_of(tok)?;
        if pages == 0 {
            self.err_hint(
                tok.span.clone(),
                "a file or mapping needs at least one page",
                "write `pages=1` or more",
            );
            return None;
        }
        if pages > MAX_PAGES {
            self.err_hint(
                tok.span.clone(),
                format!("at most {MAX_PAGES} pages (4 GiB) per file or mapping"),
                "the model keeps a record per page and visits each one: 262144 pages is 1 GiB",
            );
            return None;
        }
        Some(pages)
    }

    /// `set KEY=VALUE`.
    fn setting(&mut self) -> Res<Setting> {
        const KEYS: &[&str] = &["writeback", "counter", "gup-fast", "steps"];
        let Some(key_tok) = self.peek().filter(|t| t.kind == TokenKind::Word) else {
            self.missing("`KEY=VALUE`");
            return None;
        };
        let key_text = self.tok_text(key_tok);
        if !KEYS.contains(&key_text) {
            self.err_hint(
                key_tok.span.clone(),
                format!("unknown setting `{}`", clip(key_text)),
                choice_hint(key_text, KEYS),
            );
            return None;
        }
        let spec = TailSpec {
            flags: &[],
            keys: KEYS,
            range: false,
            under: false,
        };
        let tail = self.tail(&spec);
        if tail.opts.len() > 1 {
            let span = tail.opts[1].2.clone();
            self.err_hint(
                span,
                "one setting per `set` line",
                "put each setting on its own line",
            );
            return None;
        }
        let Some((key, value, _)) = tail.opts.first() else {
            if self.errs.is_empty() {
                self.err(key_tok.span.clone(), format!("`{key_text}` needs a value"));
            }
            return None;
        };
        let setting = match *key {
            "writeback" => Setting::Writeback(self.value_enum(
                value,
                "writeback policy",
                WritebackPolicy::ALL,
                WritebackPolicy::name,
                WritebackPolicy::from_name,
            )?),
            "counter" => Setting::Counter(self.value_enum(
                value,
                "counter mode",
                CounterMode::ALL,
                CounterMode::name,
                CounterMode::from_name,
            )?),
            "gup-fast" => Setting::GupFast(self.value_enum(
                value,
                "gup-fast mode",
                GupFastMode::ALL,
                GupFastMode::name,
                GupFastMode::from_name,
            )?),
            _ => {
                let steps = self.u64_of(value)?;
                if steps == 0 {
                    self.err_hint(
                        value.span.clone(),
                        "the step budget must be at least 1",
                        "write `steps=1` or more",
                    );
                    return None;
                }
                if steps > MAX_STEPS {
                    let msg = format!("the runner caps the step budget at {MAX_STEPS}");
                    self.errs.push(
                        self.index
                            .warning(value.span.clone(), msg)
                            .with_hint("scripts stop at the cap whatever `steps=` says"),
                    );
                }
                Setting::Steps(steps)
            }
        };
        Some(setting)
    }

    /// `cost NAME=DURATION ...` (names are resolved by the checker).
    fn cost_entries(&mut self) -> Res<Vec<(Ident, Duration)>> {
        let mut entries: Vec<(Ident, Duration)> = Vec::new();
        if self.peek().is_none() {
            self.missing("`NAME=DURATION`");
            return None;
        }
        while let Some(tok) = self.bump() {
            let text = self.tok_text(tok);
            if tok.kind != TokenKind::Word || self.peek().is_none_or(|t| t.kind != TokenKind::Eq) {
                self.err(
                    tok.span.clone(),
                    format!("expected `NAME=DURATION`, found `{}`", clip(text)),
                );
                return None;
            }
            let eq = self.bump().map_or(0..0, |t| t.span.clone());
            let Some(value) = self.bump() else {
                self.err(eq, format!("`{}=` needs a duration", clip(text)));
                return None;
            };
            let duration = self.duration_of(value)?;
            if entries.iter().any(|(n, _)| n.name == text) {
                self.err_hint(
                    tok.span.start..value.span.end,
                    format!("cost `{}` is given twice", clip(text)),
                    "remove one",
                );
                return None;
            }
            entries.push((
                Ident {
                    name: text.to_string(),
                    span: tok.span.clone(),
                },
                duration,
            ));
        }
        Some(entries)
    }

    /// The value of a duration token (`250ns`, `10.5ns`, `2us`, `1ms`), exact to the picosecond.
    fn duration_of(&mut self, tok: &Token) -> Res<Duration> {
        let text = self.tok_text(tok);
        let TokenKind::Duration { unit_at } = tok.kind else {
            let hint = if matches!(tok.kind, TokenKind::Int | TokenKind::Decimal) {
                format!(
                    "add a unit: `{}ns`, `{}us` or `{}ms`",
                    clip(text),
                    clip(text),
                    clip(text)
                )
            } else {
                "a duration is a number with a unit: `250ns`, `2us`, `1ms`".to_string()
            };
            self.err_hint(
                tok.span.clone(),
                format!("expected a duration, found `{}`", clip(text)),
                hint,
            );
            return None;
        };
        let (number, unit) = (
            text.get(..unit_at).unwrap_or(""),
            text.get(unit_at..).unwrap_or(""),
        );
        let unit_ps: u128 = match unit {
            "ns" => 1_000,
            "us" => 1_000_000,
            _ => 1_000_000_000,
        };
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let too_large = |p: &mut Self| {
            p.err_hint(
                tok.span.clone(),
                format!("duration `{}` is too large", clip(text)),
                "durations are kept in picoseconds and must fit in 64 bits",
            );
        };
        let Ok(int) = int.parse::<u128>() else {
            too_large(self);
            return None;
        };
        let mut ps = int.checked_mul(unit_ps);
        if !frac.is_empty() {
            let scale = u32::try_from(frac.len())
                .ok()
                .and_then(|n| 10u128.checked_pow(n));
            let frac_v = frac.parse::<u128>().ok();
            // frac_v / scale of a unit in picoseconds, if whole: `unit_ps` and `scale` are
            // powers of ten, so the product `frac_v * unit_ps` (which overflows for a long
            // fraction) is never formed.
            let frac_ps = match (scale, frac_v) {
                (Some(scale), Some(f)) if scale >= unit_ps => {
                    let per_ps = scale / unit_ps;
                    (f % per_ps == 0).then(|| f / per_ps)
                }
                (Some(scale), Some(f)) => f.checked_mul(unit_ps / scale),
                _ => None,
            };
            match frac_ps {
                Some(f) => {
                    ps = ps.and_then(|p| p.checked_add(f));
                }
                None => {
                    self.err_hint(
                        tok.span.clone(),
                        format!(
                            "duration `{}` is more precise than a picosecond",
                            clip(text)
                        ),
                        "use fewer decimals",
                    );
                    return None;
                }
            }
        }
        match ps.and_then(|p| u64::try_from(p).ok()) {
            Some(p) => Some(Duration(p)),
            None => {
                too_large(self);
                None
            }
        }
    }

    /// `file NAME FS pages=N [zone=Z]`.
    fn file(&mut self) -> Res<StmtKind> {
        let name = self.decl_name("a file name")?;
        let fs = self.enum_operand("filesystem", FsKind::ALL, FsKind::name, FsKind::from_name)?;
        let tail = self.tail(&TailSpec {
            flags: &[],
            keys: &["pages", "zone"],
            range: false,
            under: false,
        });
        let pages = self.pages_opt(&tail)?;
        let zone = self.zone(&tail)?;
        Some(StmtKind::File {
            name,
            fs,
            pages,
            zone,
        })
    }

    /// `mmap VMA FILE [RANGE] shared|private ro|rw` or `mmap VMA anon pages=N ro|rw [huge] [zone=Z]`.
    fn mmap(&mut self) -> Res<StmtKind> {
        let vma = self.decl_name("a VMA name")?;
        if self.peek_word() == Some("anon") {
            self.bump();
            let tail = self.tail(&TailSpec {
                flags: &["ro", "rw", "huge"],
                keys: &["pages", "zone"],
                range: false,
                under: false,
            });
            let pages = self.pages_opt(&tail)?;
            let writable = !self.either(&tail, "ro", "rw")?;
            let zone = self.zone(&tail)?;
            return Some(StmtKind::MmapAnon {
                vma,
                pages,
                writable,
                huge: tail.has("huge"),
                zone,
            });
        }
        let file = self.name("a file name (or `anon`)")?;
        // `FILE[RANGE]` is accepted as well as `FILE RANGE`.
        let mut bracket_range = None;
        if self.peek().is_some_and(|t| t.kind == TokenKind::LBracket) {
            self.bump();
            let Some(tok) = self.bump() else {
                self.missing("a page range");
                return None;
            };
            bracket_range = Some(self.range_of(tok)?);
            if self.peek().is_none_or(|t| t.kind != TokenKind::RBracket) {
                self.missing("`]`");
                return None;
            }
            self.bump();
        }
        let spec = TailSpec {
            flags: &["shared", "private", "ro", "rw"],
            keys: &[],
            range: bracket_range.is_none(),
            under: false,
        };
        let tail = self.tail(&spec);
        let shared = self.either(&tail, "shared", "private")?;
        let writable = !self.either(&tail, "ro", "rw")?;
        let range = bracket_range.or(tail.range).unwrap_or(PageRange::All);
        Some(StmtKind::MmapFile {
            vma,
            file,
            range,
            shared,
            writable,
        })
    }

    /// `schedule NAME NAME ...`.
    fn schedule(&mut self) -> Res<StmtKind> {
        let mut names = Vec::new();
        if self.peek().is_none() {
            self.missing("a thread name");
            return None;
        }
        while self.peek().is_some() {
            names.push(self.name("a thread name")?);
        }
        Some(StmtKind::Schedule(names))
    }

    /// An operation, after its keyword.
    fn op(&mut self, keyword: &str) -> Res<Op> {
        const GUP: TailSpec = TailSpec {
            flags: &["write", "fast", "longterm"],
            keys: &["times"],
            range: true,
            under: false,
        };
        let op = match keyword {
            "read" | "write" | "migrate" => {
                let vma = self.name("a VMA name")?;
                let range = self.tail(&TailSpec::RANGE).range.unwrap_or(PageRange::All);
                match keyword {
                    "read" => Op::Read { vma, range },
                    "write" => Op::Write { vma, range },
                    _ => Op::Migrate { vma, range },
                }
            }
            "gup" | "get" => {
                let handle = self.name("a handle name")?;
                let vma = self.name("a VMA name")?;
                let tail = self.tail(&GUP);
                let flags = GupFlags {
                    write: tail.has("write"),
                    fast: tail.has("fast"),
                    longterm: tail.has("longterm"),
                };
                let times = match tail.opt("times") {
                    None => 1,
                    Some(tok) => {
                        let n = self.u64_of(tok)?;
                        if n == 0 {
                            self.err_hint(
                                tok.span.clone(),
                                "`times=0` makes no call",
                                "write `times=1` or more",
                            );
                            return None;
                        }
                        n
                    }
                };
                let range = tail.range.unwrap_or(PageRange::All);
                if keyword == "gup" {
                    Op::Gup {
                        handle,
                        vma,
                        range,
                        flags,
                        times,
                    }
                } else {
                    if let Some((_, span)) = tail.flags.iter().find(|f| f.0 == "longterm") {
                        self.err_hint(span.clone(), "`get` takes no `longterm` flag", "`get` is plain FOLL_GET; write `gup ... longterm` for a FOLL_LONGTERM pin");
                        return None;
                    }
                    Op::Get {
                        handle,
                        vma,
                        range,
                        flags,
                        times,
                    }
                }
            }
            "vmsplice" => {
                let handle = self.name("a handle name")?;
                let vma = self.name("a VMA name")?;
                let range = self.tail(&TailSpec::RANGE).range.unwrap_or(PageRange::All);
                Op::Vmsplice { handle, vma, range }
            }
            "refs" => {
                let vma = self.name("a VMA name")?;
                let page = self.int_u32("a page index")?;
                let Some(tok) = self.peek() else {
                    self.missing("`+N` or `-N`");
                    return None;
                };
                if tok.kind != TokenKind::Signed {
                    let msg = format!(
                        "expected `+N` or `-N`, found `{}`",
                        clip(self.tok_text(tok))
                    );
                    self.err_hint(
                        tok.span.clone(),
                        msg,
                        "`+N` takes N references with get_page(), `-N` drops N with put_page()",
                    );
                    return None;
                }
                self.bump();
                let delta = self.i64_of(tok)?;
                self.end_of_line()?;
                Op::Refs { vma, page, delta }
            }
            "dma" => {
                let handle = self.name("a handle name")?;
                let tail = self.tail(&TailSpec {
                    flags: &["read", "write"],
                    keys: &[],
                    range: true,
                    under: false,
                });
                let dir = if self.either(&tail, "read", "write")? {
                    DmaDir::Read
                } else {
                    DmaDir::Write
                };
                Op::Dma {
                    handle,
                    dir,
                    range: tail.range.unwrap_or(PageRange::All),
                }
            }
            "put" | "complete" => {
                let handle = self.name("a handle name")?;
                let dirty = self
                    .tail(&TailSpec {
                        flags: &["dirty"],
                        keys: &[],
                        range: false,
                        under: false,
                    })
                    .has("dirty");
                if keyword == "put" {
                    Op::Put { handle, dirty }
                } else {
                    Op::Complete { handle, dirty }
                }
            }
            "put_page" => {
                let handle = self.name("a handle name")?;
                self.end_of_line()?;
                Op::PutPage { handle }
            }
            "writeback" => {
                let file = self.name("a file name")?;
                let tail = self.tail(&TailSpec {
                    flags: &["sync", "hold"],
                    keys: &[],
                    range: true,
                    under: false,
                });
                Op::Writeback {
                    file,
                    range: tail.range.unwrap_or(PageRange::All),
                    sync: tail.has("sync"),
                    hold: tail.has("hold"),
                }
            }
            "writeback-done" => {
                let file = self.name("a file name")?;
                self.end_of_line()?;
                Op::WritebackDone { file }
            }
            "reclaim" => {
                let target = match self.peek_word() {
                    Some(w) if w != "all" => Some(self.name("a file or VMA name")?),
                    _ => None,
                };
                let range = self.tail(&TailSpec::RANGE).range.unwrap_or(PageRange::All);
                if target.is_none() && range != PageRange::All {
                    let span = self.toks.get(1).map_or(0..0, |t| t.span.clone());
                    self.err(span, "a page range needs a file or VMA to apply to");
                    return None;
                }
                Op::Reclaim { target, range }
            }
            "truncate" => {
                let file = self.name("a file name")?;
                let pages = self.int_u32("the new size in pages")?;
                self.end_of_line()?;
                Op::Truncate { file, pages }
            }
            "punch" => {
                let file = self.name("a file name")?;
                let Some(tok) = self.peek().filter(|t| self.is_range(t)) else {
                    self.missing("a page range");
                    return None;
                };
                self.bump();
                let range = self.range_of(tok)?;
                self.end_of_line()?;
                Op::Punch { file, range }
            }
            "fork" => {
                let child = self.name("a process name")?;
                self.end_of_line()?;
                Op::Fork { child }
            }
            "munmap" => {
                let vma = self.name("a VMA name")?;
                self.end_of_line()?;
                Op::Munmap { vma }
            }
            "mprotect" => {
                let vma = self.name("a VMA name")?;
                let tail = self.tail(&TailSpec {
                    flags: &["ro", "rw"],
                    keys: &[],
                    range: false,
                    under: false,
                });
                Op::Mprotect {
                    vma,
                    writable: !self.either(&tail, "ro", "rw")?,
                }
            }
            "workqueue" | "sync" | "exit" => {
                self.tail(&TailSpec::NONE);
                match keyword {
                    "workqueue" => Op::Workqueue,
                    "sync" => Op::Sync,
                    _ => Op::Exit,
                }
            }
            _ => {
                self.missing("an operation");
                return None;
            }
        };
        Some(op)
    }

    /// `expect ...` after the keyword, including the `under` suffix.
    fn expect(&mut self) -> Res<StmtKind> {
        const KINDS: &[&str] = EXPECT_KINDS;
        let Some(tok) = self.bump() else {
            self.missing("what to expect");
            return None;
        };
        let text = self.tok_text(tok);
        let Some(kind) = KINDS.iter().copied().find(|k| *k == text) else {
            self.err_hint(
                tok.span.clone(),
                format!("unknown expectation `{}`", clip(text)),
                choice_hint(text, KINDS),
            );
            return None;
        };
        self.syntax_key = match kind {
            "ok" => "expect ok",
            "violation" => "expect violation",
            "no-violation" => "expect no-violation",
            "result" => "expect result",
            "pinned" => "expect pinned",
            "not-pinned" => "expect not-pinned",
            "page" => "expect page",
            _ => "expect cost",
        };
        let (expect, tail) = match kind {
            "ok" => (Expect::Ok, self.tail(&TailSpec::UNDER)),
            "violation" | "no-violation" => {
                let Some(tok) = self.peek().filter(|t| t.kind == TokenKind::Word) else {
                    self.missing("a violation name");
                    return None;
                };
                self.bump();
                let name = Ident {
                    name: self.tok_text(tok).to_string(),
                    span: tok.span.clone(),
                };
                let e = if kind == "violation" {
                    Expect::Violation { name }
                } else {
                    Expect::NoViolation { name }
                };
                (e, self.tail(&TailSpec::UNDER))
            }
            "result" => {
                let r = self.enum_operand(
                    "result",
                    OpResult::ALL,
                    OpResult::name,
                    OpResult::from_name,
                )?;
                (Expect::Result { result: r }, self.tail(&TailSpec::UNDER))
            }
            "pinned" | "not-pinned" => {
                let vma = self.name("a VMA name")?;
                let page = self.int_u32("a page index")?;
                (
                    Expect::Pinned {
                        vma,
                        page,
                        pinned: kind == "pinned",
                    },
                    self.tail(&TailSpec::UNDER),
                )
            }
            "page" => {
                let vma = self.name("a VMA name")?;
                let page = self.int_u32("a page index")?;
                let spec = TailSpec {
                    flags: &[],
                    keys: &["refcount", "mapcount", "pincount", "dirty", "zeropage"],
                    range: false,
                    under: true,
                };
                let tail = self.tail(&spec);
                let mut fields = Vec::new();
                for (key, value, _) in &tail.opts {
                    let field = match *key {
                        "dirty" | "zeropage" => {
                            let yes = match self.tok_text(value) {
                                "yes" => true,
                                "no" => false,
                                other => {
                                    self.err_hint(
                                        value.span.clone(),
                                        format!("`{key}=` takes yes or no, not `{}`", clip(other)),
                                        format!("write `{key}=yes` or `{key}=no`"),
                                    );
                                    return None;
                                }
                            };
                            if *key == "dirty" {
                                PageField::Dirty(yes)
                            } else {
                                PageField::Zeropage(yes)
                            }
                        }
                        "refcount" => PageField::Refcount(self.i64_of(value)?),
                        "mapcount" => PageField::Mapcount(self.i64_of(value)?),
                        _ => PageField::Pincount(self.i64_of(value)?),
                    };
                    fields.push(field);
                }
                if fields.is_empty() && self.errs.is_empty() {
                    self.missing("a field to compare (`refcount=N`, `mapcount=N`, `pincount=N`, `dirty=yes|no` or `zeropage=yes|no`)");
                    return None;
                }
                (Expect::Page { vma, page, fields }, tail)
            }
            _ => self.expect_cost()?,
        };
        Some(StmtKind::Expect {
            expect,
            under: tail.under,
        })
    }

    /// `expect cost < DURATION` or `expect cost SCHEME >|< SCHEME [xF]`, after `cost`.
    fn expect_cost(&mut self) -> Res<(Expect, Tail<'t>)> {
        let cmp_of = |t: &Token| match t.kind {
            TokenKind::Lt => Some(Cmp::Lt),
            TokenKind::Gt => Some(Cmp::Gt),
            _ => None,
        };
        if let Some(cmp) = self.peek().and_then(cmp_of) {
            self.bump();
            let Some(tok) = self.bump() else {
                self.missing("a duration");
                return None;
            };
            let bound = self.duration_of(tok)?;
            return Some((
                Expect::CostTotal { cmp, bound },
                self.tail(&TailSpec::UNDER),
            ));
        }
        let left = self.enum_operand(
            "scheme (or `<`/`>`)",
            SchemeKind::ALL,
            SchemeKind::name,
            SchemeKind::from_name,
        )?;
        let Some(cmp) = self.peek().and_then(cmp_of) else {
            self.missing("`<` or `>`");
            return None;
        };
        self.bump();
        let right = self.enum_operand(
            "scheme",
            SchemeKind::ALL,
            SchemeKind::name,
            SchemeKind::from_name,
        )?;
        let mut factor_milli = 1000;
        if let Some(word) = self
            .peek_word()
            .filter(|w| w.starts_with('x') && w.len() > 1 && w.as_bytes()[1].is_ascii_digit())
        {
            let tok = self.bump().map_or(0..0, |t| t.span.clone());
            factor_milli = self.factor(word, tok)?;
        }
        Some((
            Expect::CostCompare {
                left,
                cmp,
                right,
                factor_milli,
            },
            self.tail(&TailSpec::UNDER),
        ))
    }

    /// A factor `xF` (`x2`, `x1.25`) in thousandths.
    fn factor(&mut self, word: &str, span: Span) -> Res<u64> {
        let number = word.get(1..).unwrap_or("");
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        let valid = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            self.err_hint(
                span,
                format!("malformed factor `{}`", clip(word)),
                "a factor is `x` and a number: `x2`, `x1.5`",
            );
            return None;
        }
        if frac.len() > 3 {
            self.err_hint(
                span,
                format!("factor `{}` has more than three decimals", clip(word)),
                "factors are kept in thousandths",
            );
            return None;
        }
        let frac_milli = format!("{frac:0<3}").parse::<u64>().unwrap_or(0);
        match int
            .parse::<u64>()
            .ok()
            .and_then(|i| i.checked_mul(1000))
            .and_then(|i| i.checked_add(frac_milli))
        {
            Some(v) => Some(v),
            None => {
                self.err_hint(
                    span,
                    format!("factor `{}` is too large", clip(word)),
                    "use a smaller factor",
                );
                None
            }
        }
    }
}

/// Is `s` an identifier: `[A-Za-z_][A-Za-z0-9_]*`?
pub(super) fn is_ident(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `suggest` as it was before it was bounded: the full table for every candidate.
    fn suggest_reference<'c>(
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        fn edit_distance(a: &str, b: &str) -> usize {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            let width = b.len() + 1;
            let mut d = vec![0usize; (a.len() + 1) * width];
            for i in 0..=a.len() {
                d[i * width] = i;
            }
            for (j, cell) in d.iter_mut().enumerate().take(width) {
                *cell = j;
            }
            for i in 1..=a.len() {
                for j in 1..=b.len() {
                    let cost = usize::from(a[i - 1] != b[j - 1]);
                    let mut v = (d[(i - 1) * width + j] + 1)
                        .min(d[i * width + j - 1] + 1)
                        .min(d[(i - 1) * width + j - 1] + cost);
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        v = v.min(d[(i - 2) * width + j - 2] + 1);
                    }
                    d[i * width + j] = v;
                }
            }
            d[a.len() * width + b.len()]
        }
        if word.is_empty() || word.len() > 40 {
            return None;
        }
        let lower = word.to_ascii_lowercase();
        let mut best: Option<(usize, &str)> = None;
        for cand in candidates {
            if cand.eq_ignore_ascii_case(word) {
                return Some(cand);
            }
            let dist = edit_distance(&lower, &cand.to_ascii_lowercase());
            if best.is_none_or(|(d, _)| dist < d) {
                best = Some((dist, cand));
            }
        }
        let limit = match word.chars().count() {
            0..=3 => 1,
            4..=6 => 2,
            _ => 3,
        };
        best.filter(|&(d, _)| d <= limit).map(|(_, c)| c)
    }

    #[test]
    fn suggest_examples() {
        let kw = KEYWORDS.iter().copied();
        assert_eq!(suggest("wirte", kw.clone()), Some("write"));
        assert_eq!(suggest("GUP", kw.clone()), Some("gup"));
        assert_eq!(suggest("put_pag", kw.clone()), Some("put_page"));
        assert_eq!(suggest("zzzzzzzzzzzzzzzzzzzz", kw.clone()), None);
        assert_eq!(suggest("", kw.clone()), None);
        assert_eq!(suggest(&"a".repeat(41), ["a".repeat(41).as_str()]), None);
        assert_eq!(suggest("ab", ["", "abcd", "b"]), Some("b"));
        assert_eq!(suggest("éx", ["ex", "éX"]), Some("éX"));
    }

    /// A word built from a candidate by a few edits, or from the candidates' letters.
    fn word_near(cands: &'static [&'static str]) -> impl Strategy<Value = String> {
        let alphabet: Vec<char> = "abcdeprtuwxyzABCDEPRTW_-=0éß ".chars().collect();
        (
            0..cands.len(),
            proptest::collection::vec(
                (0u8..4, 0usize..64, proptest::sample::select(alphabet)),
                0..6,
            ),
            proptest::collection::vec(
                proptest::sample::select("aeinoprstuwgm_é".chars().collect::<Vec<_>>()),
                0..45,
            ),
            any::<bool>(),
        )
            .prop_map(move |(k, edits, junk, from_cand)| {
                let mut w: Vec<char> = if from_cand {
                    cands[k].chars().collect()
                } else {
                    junk
                };
                for (op, at, c) in edits {
                    let at = if w.is_empty() { 0 } else { at % (w.len() + 1) };
                    match op {
                        0 => w.insert(at, c),
                        1 if at < w.len() => {
                            w.remove(at);
                        }
                        2 if at < w.len() => w[at] = c,
                        3 if at + 1 < w.len() => w.swap(at, at + 1),
                        _ => {}
                    }
                }
                w.into_iter().collect()
            })
    }

    const NAMES: &[&str] = &[
        "buf",
        "Buf2",
        "io",
        "a",
        "",
        "dma_buf",
        "éa",
        "writeback",
        "A",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The bounded `suggest` picks exactly what the full-table one did.
        #[test]
        fn suggest_matches_reference_on_keywords(w in word_near(KEYWORDS)) {
            prop_assert_eq!(
                suggest(&w, KEYWORDS.iter().copied()),
                suggest_reference(&w, KEYWORDS.iter().copied())
            );
        }

        #[test]
        fn suggest_matches_reference_on_names(w in word_near(NAMES)) {
            prop_assert_eq!(
                suggest(&w, NAMES.iter().copied()),
                suggest_reference(&w, NAMES.iter().copied())
            );
        }
    }
}
