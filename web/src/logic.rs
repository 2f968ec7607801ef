//! Plain (browser-free) logic of the playground, so tests can target it directly: the editor's
//! tokenizer and its error marks, the cost-input duration parser, the state-diff used to
//! highlight changed fields and the re-run debounce decision. The comparison of the schemes'
//! runs is in [`crate::compare`].

use std::collections::BTreeSet;

use mm_model::kernel::Kernel;
use mm_model::Duration;

/// The class of a highlighted token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// `# ...` to the end of the line.
    Comment,
    /// A statement keyword or a modifier word of the language.
    Keyword,
    /// A number, duration (`250ns`), range (`0..3`) or signed count (`+2`).
    Number,
    /// Any other word: a name chosen by the script.
    Name,
    /// Punctuation (`=`, `{`, `:` ...).
    Punct,
    /// Spaces and tabs.
    Space,
}

impl Tok {
    /// CSS class of the token.
    pub fn class(self) -> &'static str {
        match self {
            Tok::Comment => "tk-comment",
            Tok::Keyword => "tk-kw",
            Tok::Number => "tk-num",
            Tok::Name => "tk-name",
            Tok::Punct => "tk-punct",
            Tok::Space => "tk-space",
        }
    }
}

/// Modifier words of the script language (the statement keywords come from the parser:
/// `mm_model::script::KEYWORDS`; scheme and filesystem names from their enums).
const MODIFIERS: &[&str] = &[
    "under", "shared", "private", "ro", "rw", "fast", "longterm", "dirty", "hold", "anon", "huge",
    "all", "times", "pages", "zone",
];

/// Is `word` highlighted as a keyword?
pub fn is_keyword(word: &str) -> bool {
    mm_model::script::KEYWORDS.contains(&word)
        || mm_model::script::EXPECT_KINDS.contains(&word)
        || MODIFIERS.contains(&word)
        || mm_model::SchemeKind::from_name(word).is_some()
        || mm_model::settings::FsKind::from_name(word).is_some()
}

/// Splits one line of script into highlighted tokens. Concatenating the token texts gives the
/// line back exactly (the overlay must line up with the textarea character for character).
pub fn tokenize_line(line: &str) -> Vec<(Tok, String)> {
    let mut out: Vec<(Tok, String)> = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = if c == '#' {
            i = chars.len();
            Tok::Comment
        } else if c == ' ' || c == '\t' {
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            Tok::Space
        } else if c.is_ascii_digit()
            || ((c == '+' || c == '-')
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && (i == 0 || !is_word_char(chars[i - 1])))
        {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            Tok::Number
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if is_keyword(&word) {
                Tok::Keyword
            } else {
                Tok::Name
            }
        } else {
            i += 1;
            Tok::Punct
        };
        let text: String = chars[start..i].iter().collect();
        match out.last_mut() {
            Some((k, t)) if *k == kind && kind == Tok::Punct => t.push_str(&text),
            _ => out.push((kind, text)),
        }
    }
    out
}

/// Splits highlighted tokens at the boundaries of `marks` (character ranges of the line, end
/// exclusive) and flags the pieces inside a mark: the editor underlines a diagnostic's span,
/// not its whole line. The pieces' texts still concatenate to the line.
pub fn mark_ranges(
    tokens: Vec<(Tok, String)>,
    marks: &[(usize, usize)],
) -> Vec<(Tok, String, bool)> {
    let inside = |i: usize| marks.iter().any(|&(a, b)| a <= i && i < b);
    let mut out = Vec::new();
    let mut pos = 0;
    for (kind, text) in tokens {
        let mut piece = String::new();
        let mut cur: Option<bool> = None;
        for c in text.chars() {
            let m = inside(pos);
            if let Some(was) = cur.filter(|&was| was != m) {
                out.push((kind, std::mem::take(&mut piece), was));
            }
            cur = Some(m);
            piece.push(c);
            pos += 1;
        }
        if let Some(m) = cur {
            out.push((kind, piece, m));
        }
    }
    out
}

/// The character range (end exclusive) of each error on line `line` (1-based) of `text`: from
/// the diagnostic's column over its span, clipped to the line, at least one character (a
/// range past the line's end marks its end).
pub fn error_ranges(text: &str, line: u32, diags: &[mm_model::Diagnostic]) -> Vec<(usize, usize)> {
    diags
        .iter()
        .filter(|d| d.is_error() && d.line == line)
        .map(|d| {
            let start = d.col.saturating_sub(1) as usize;
            let len = text
                .get(d.span.start..d.span.end)
                .map_or(0, |t| t.split('\n').next().unwrap_or("").chars().count());
            (start, start + len.max(1))
        })
        .collect()
}

/// The UTF-16 offset (what a textarea's selection counts) of 1-based `line`:`col` (col in
/// characters) in `text`, clamped to the text.
pub fn utf16_offset(text: &str, line: u32, col: u32) -> u32 {
    let mut off = 0u32;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line as usize {
            let col = col.saturating_sub(1) as usize;
            return off
                + l.chars()
                    .take(col)
                    .map(|c| c.len_utf16() as u32)
                    .sum::<u32>();
        }
        off += l.encode_utf16().count() as u32 + 1;
    }
    off.saturating_sub(1)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Parses a cost input: a number with an optional unit (`ps`, `ns`, `us`, `µs`, `ms`, `s`;
/// none = ns), spaces allowed: `5us`, `250ns`, `10.5ns`, `5 us`, `7`. `None` when invalid.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() || num.matches('.').count() > 1 || num.starts_with('.') || num.ends_with('.')
    {
        return None;
    }
    let value: f64 = num.parse().ok()?;
    let factor = match unit.trim() {
        "ps" => 0.001,
        "" | "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    let ns = value * factor;
    if !ns.is_finite() || ns > 1e12 {
        return None;
    }
    Some(Duration::from_ns(ns))
}

/// One row of the state view's pages table, as displayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRow {
    /// Page frame number.
    pub pfn: u32,
    /// `_refcount`.
    pub refcount: i64,
    /// Mapcount (1-based: number of mappings).
    pub mapcount: i64,
    /// Pin count.
    pub pincount: i64,
    /// Flags that are set, space-separated.
    pub flags: String,
    /// Zone.
    pub zone: String,
    /// Owner.
    pub owner: String,
    /// The scheme's "is it pinned?" answer.
    pub pinned: String,
    /// `freed`, `zombie` or `live`.
    pub state: String,
}

/// The displayed pages of a kernel state.
pub fn page_rows(k: &Kernel) -> Vec<PageRow> {
    k.pages
        .iter()
        .map(|p| {
            let f = &p.flags;
            let flags: Vec<&str> = [
                (f.dirty, "dirty"),
                (f.writeback, "writeback"),
                (f.buffers, "buffers"),
                (f.lru, "lru"),
                (f.anon_exclusive, "anon-excl"),
                (f.swapcache, "swapcache"),
                (f.uptodate, "uptodate"),
                (f.active, "active"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
            let owner = match p.owner {
                mm_model::kernel::Owner::File { file, index } => {
                    format!("{}:{index}", file_name(k, file))
                }
                mm_model::kernel::Owner::Orphan { file, index } => {
                    format!("orphan ({}:{index})", file_name(k, file))
                }
                mm_model::kernel::Owner::Dax { file, index } => {
                    format!("dax {}:{index}", file_name(k, file))
                }
                mm_model::kernel::Owner::DaxFreed { file, index } => {
                    format!("dax-freed ({}:{index})", file_name(k, file))
                }
                mm_model::kernel::Owner::Anon { root, index } => {
                    let vma = k.vmas.get(root as usize).map_or("?", |v| v.name.as_str());
                    format!("anon {vma}:{index}")
                }
                mm_model::kernel::Owner::Zero => "zero page (ZERO_PAGE)".to_string(),
            };
            PageRow {
                pfn: p.pfn,
                refcount: p.refcount,
                mapcount: p.mapcount,
                pincount: p.pincount,
                flags: flags.join(" "),
                zone: p.zone.name().to_string(),
                owner,
                pinned: match k.maybe_dma_pinned(p.pfn) {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "cannot know".into(),
                },
                state: if p.freed {
                    "freed".into()
                } else if p.zombie {
                    "zombie".into()
                } else {
                    "live".into()
                },
            }
        })
        .collect()
}

fn file_name(k: &Kernel, id: u32) -> &str {
    k.files.get(id as usize).map_or("?", |f| f.name.as_str())
}

/// For each current row, the names of the fields that differ from the previous state's row of
/// the same pfn (`pfn` itself when the page is new).
pub fn changed_fields(prev: &[PageRow], cur: &[PageRow]) -> Vec<BTreeSet<&'static str>> {
    let by_pfn: std::collections::BTreeMap<u32, &PageRow> =
        prev.iter().map(|p| (p.pfn, p)).collect();
    cur.iter()
        .map(|c| {
            let mut out = BTreeSet::new();
            let Some(p) = by_pfn.get(&c.pfn) else {
                out.insert("pfn");
                return out;
            };
            let pairs: [(&'static str, bool); 8] = [
                ("refcount", p.refcount != c.refcount),
                ("mapcount", p.mapcount != c.mapcount),
                ("pincount", p.pincount != c.pincount),
                ("flags", p.flags != c.flags),
                ("zone", p.zone != c.zone),
                ("owner", p.owner != c.owner),
                ("pinned", p.pinned != c.pinned),
                ("state", p.state != c.state),
            ];
            out.extend(pairs.iter().filter(|(_, d)| *d).map(|(n, _)| *n));
            out
        })
        .collect()
}

/// `+1.2 us` / `-300 ns` / `±0`: a signed cost difference.
pub fn fmt_delta(a_ps: u64, b_ps: u64) -> String {
    use mm_model::cost::fmt_ps;
    match b_ps.cmp(&a_ps) {
        std::cmp::Ordering::Equal => "±0".into(),
        std::cmp::Ordering::Greater => format!("+{}", fmt_ps(b_ps - a_ps)),
        std::cmp::Ordering::Less => format!("-{}", fmt_ps(a_ps - b_ps)),
    }
}

/// Jan Kara's DIO-vs-reclaim race, the scenario shown when the editor is empty.
pub const DEFAULT_SCRIPT: &str = "\
# Jan Kara's race (linux-fsdevel, 2018): an O_DIRECT read into a shared ext4
# mapping while writeback cleans the page and reclaim strips its buffers.
# Look at the workqueue step: under get_page and the pin counter the
# completion dirties a page that has no buffers (the ext4 BUG); the fake VMA
# keeps reclaim off the page. The counter only makes the pin visible: add
# `set writeback=keep-dirty` and writeback acts on it.
file A ext4 pages=1
mmap buf A shared rw
write buf 0                 # page_mkwrite: dirty, buffers attached
gup io buf 0 write fast     # the DIO takes its reference / pin
writeback A                 # page cleaned
reclaim A                   # buffers released, unmap
dma io write                # the device writes the page
complete io dirty           # bio completion: set_page_dirty deferred
workqueue                   # ... runs here: dirty without buffers?
writeback A
expect violation dirty-without-buffers under legacy, refcount
expect no-violation dirty-without-buffers under fake-vma
";

/// A run that took longer than this (milliseconds: parse + run + state view) makes further
/// keystrokes of a burst wait for [`DEBOUNCE_MS`] of quiet before the model runs again.
pub const SLOW_RUN_MS: f64 = 30.0;

/// The quiet period (milliseconds) after the last keystroke before a slow script re-runs.
pub const DEBOUNCE_MS: u32 = 250;

/// How long to wait after a keystroke before re-running, given how long the last run took and
/// how long ago the keystroke before this one was: 0 (re-run at once) for fast scripts, and
/// for a slow one (the last run took more than [`SLOW_RUN_MS`]) at once too when the keyboard
/// had been quiet for [`DEBOUNCE_MS`] (a single edit, or the first key of a burst: its run
/// goes to the worker, which the page never waits for), else [`DEBOUNCE_MS`] of quiet, so a
/// burst of typing runs once more after its last key rather than on every key. A NaN or
/// negative duration (no measurement) counts as fast; `since_last_key_ms` is infinite for the
/// first keystroke.
pub fn debounce_delay_ms(last_run_ms: f64, since_last_key_ms: f64) -> u32 {
    let quiet = since_last_key_ms >= f64::from(DEBOUNCE_MS);
    if last_run_ms > SLOW_RUN_MS && !quiet {
        DEBOUNCE_MS
    } else {
        0
    }
}

/// Scripts up to this many executed statements (by [`estimated_statements`]) may run on the
/// main thread: a round trip through the model worker costs more than running them.
pub const MAIN_THREAD_MAX_STATEMENTS: u64 = 5_000;

/// A run that took longer than this (ms) sends the next one to the model worker whatever the
/// estimate says (one frame: a statement may touch many pages).
pub const MAIN_THREAD_MAX_MS: f64 = 16.0;

/// Statements a script executes per scheme — `repeat N { body }` counts N times its body — plus
/// the pages it declares, since one statement may touch every page of a VMA (a 1 GiB mapping is
/// 262,144 pages). Saturating: a cheap upper estimate of the run's cost; the step budget cuts
/// runs anyway.
pub fn estimated_statements(stmts: &[mm_model::script::Stmt]) -> u64 {
    use mm_model::script::StmtKind;
    stmts.iter().fold(0u64, |acc, s| {
        let n = match &s.kind {
            StmtKind::File { pages, .. } | StmtKind::MmapAnon { pages, .. } => {
                1 + u64::from(*pages)
            }
            StmtKind::Repeat { count, body } => count.saturating_mul(estimated_statements(body)),
            StmtKind::Thread { body, .. } => estimated_statements(body),
            _ => 1,
        };
        acc.saturating_add(n)
    })
}

/// Whether a run goes to the model worker (when there is one): a big script, or one whose last
/// run took more than a frame. Small fast scripts run on the main thread (about 1 ms).
pub fn run_in_worker(estimated_statements: u64, last_run_ms: f64) -> bool {
    estimated_statements > MAIN_THREAD_MAX_STATEMENTS || last_run_ms > MAIN_THREAD_MAX_MS
}

/// The editor column's width (px) for a splitter dragged to `x` in a viewport `viewport_px`
/// wide: at least 360 px, and at least 420 px left for the results.
pub fn clamp_split(x: f64, viewport_px: f64) -> f64 {
    let max = (viewport_px - 420.0).max(360.0);
    x.clamp(360.0, max)
}

/// A minimal JSON reader and string quoting, enough for the overrides kept in localStorage
/// (objects, strings, non-negative integers, `null`, booleans; other numbers read as
/// [`Value::Other`]). Never panics; `None` on malformed input.
pub mod json {
    /// A JSON value.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        /// `null`.
        Null,
        /// `true` / `false`.
        Bool(bool),
        /// A non-negative integer that fits `u64`.
        Int(u64),
        /// Any other number (negative, fractional, exponent, too large).
        Other,
        /// A string.
        Str(String),
        /// An array.
        Array(Vec<Value>),
        /// An object, keys in input order.
        Object(Vec<(String, Value)>),
    }

    /// `"text"` with JSON escapes.
    pub fn quote(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// Parses one JSON value (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Option<Value> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
        depth: u32,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
                self.i += 1;
            }
        }
        fn eat(&mut self, b: u8) -> bool {
            self.ws();
            if self.s.get(self.i) == Some(&b) {
                self.i += 1;
                true
            } else {
                false
            }
        }
        fn lit(&mut self, word: &str, v: Value) -> Option<Value> {
            let end = self.i + word.len();
            (self.s.get(self.i..end) == Some(word.as_bytes())).then(|| {
                self.i = end;
                v
            })
        }
        fn value(&mut self) -> Option<Value> {
            self.ws();
            self.depth += 1;
            if self.depth > 32 {
                return None;
            }
            let v = match *self.s.get(self.i)? {
                b'n' => self.lit("null", Value::Null),
                b't' => self.lit("true", Value::Bool(true)),
                b'f' => self.lit("false", Value::Bool(false)),
                b'"' => self.string().map(Value::Str),
                b'{' => self.object(),
                b'[' => self.array(),
                b'-' | b'0'..=b'9' => self.number(),
                _ => None,
            };
            self.depth -= 1;
            v
        }
        fn number(&mut self) -> Option<Value> {
            let start = self.i;
            while self
                .s
                .get(self.i)
                .is_some_and(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
            {
                self.i += 1;
            }
            let t = std::str::from_utf8(&self.s[start..self.i]).ok()?;
            if t.bytes().all(|b| b.is_ascii_digit()) {
                Some(t.parse().map_or(Value::Other, Value::Int))
            } else {
                t.parse::<f64>().ok().map(|_| Value::Other)
            }
        }
        fn string(&mut self) -> Option<String> {
            self.i += 1; // the opening quote
            let mut out = String::new();
            loop {
                let rest = std::str::from_utf8(self.s.get(self.i..)?).ok()?;
                let c = rest.chars().next()?;
                self.i += c.len_utf8();
                match c {
                    '"' => return Some(out),
                    '\\' => {
                        let e = *self.s.get(self.i)?;
                        self.i += 1;
                        out.push(match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'u' => {
                                let hex =
                                    std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                                self.i += 4;
                                char::from_u32(u32::from_str_radix(hex, 16).ok()?)
                                    .unwrap_or('\u{fffd}')
                            }
                            _ => return None,
                        });
                    }
                    c if (c as u32) < 0x20 => return None,
                    c => out.push(c),
                }
            }
        }
        fn object(&mut self) -> Option<Value> {
            self.i += 1;
            let mut out = Vec::new();
            if self.eat(b'}') {
                return Some(Value::Object(out));
            }
            loop {
                self.ws();
                if self.s.get(self.i) != Some(&b'"') {
                    return None;
                }
                let k = self.string()?;
                if !self.eat(b':') {
                    return None;
                }
                let v = self.value()?;
                out.push((k, v));
                if self.eat(b'}') {
                    return Some(Value::Object(out));
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        fn array(&mut self) -> Option<Value> {
            self.i += 1;
            let mut out = Vec::new();
            if self.eat(b']') {
                return Some(Value::Array(out));
            }
            loop {
                out.push(self.value()?);
                if self.eat(b']') {
                    return Some(Value::Array(out));
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
    }
}
