//! Share links: a script and the view of it (the scheme followed, side by side, the selected
//! step, settings and cost overrides) in a URL fragment, with no server. `pinlab link` and the
//! page build the same URL for the same view (one encoder, [`crate::deflate`]).
//!
//! Format 1: `BASE#v1.` + base64url (no padding) of raw DEFLATE of a UTF-8 text: header lines
//! `key=value`, an empty line, then the script verbatim. Keys: `scheme` (the scheme the panels
//! follow), `side` (`1`: side by side), `step` (the selected step index), `kernel`,
//! `writeback`, `counter`, `gup-fast` (settings overrides), `cost` (`NAME=DURATION ...`,
//! overrides of the cost table). Unknown keys are ignored, so later versions may add keys
//! without a new format number; a new number is for changes old readers would misread.

use std::fmt::Write as _;

use crate::cost::Primitive;
use crate::deflate;
use crate::settings::{CounterMode, GupFastMode, KernelVersion, Overrides, WritebackPolicy};
use crate::{Duration, SchemeKind};

/// The format this version writes.
pub const FORMAT: u32 = 1;

/// What a link carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// The script text, exactly.
    pub script: String,
    /// The scheme the panels follow (`SchemeKind::name`).
    pub scheme: Option<String>,
    /// Side by side.
    pub side: bool,
    /// The selected step index.
    pub step: Option<u64>,
    /// Settings overrides, in this order: kernel, writeback, counter, gup-fast (values as the
    /// script language spells them).
    pub settings: Vec<(String, String)>,
    /// Cost-table overrides: `NAME=DURATION` as the script language spells them.
    pub costs: Vec<(String, String)>,
}

/// Why a fragment did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// No `#v1.` style prefix: not a pinlab link.
    NotALink,
    /// A format this version does not read (a newer pinlab made it).
    Version(u32),
    /// Not base64url.
    Base64,
    /// Not a DEFLATE stream (or over the size cap).
    Inflate(deflate::InflateError),
    /// The text is not UTF-8 or has no header end.
    Text,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::NotALink => f.write_str("not a pinlab link (expected #v1.…)"),
            LinkError::Version(v) => write!(
                f,
                "the link is in format {v}, made by a newer pinlab; this one reads format {FORMAT}"
            ),
            LinkError::Base64 => f.write_str("the link is damaged (not base64url): was it cut?"),
            LinkError::Inflate(deflate::InflateError::TooLarge) => {
                f.write_str("the link's script is larger than 1 MiB")
            }
            LinkError::Inflate(_) => {
                f.write_str("the link is damaged (its data does not decompress): was it cut?")
            }
            LinkError::Text => f.write_str("the link's data is not a pinlab script"),
        }
    }
}

/// A cost override's duration, read as the script language reads `cost NAME=DURATION`.
fn cost_value(name: &str, d: &str) -> Option<Duration> {
    if name.contains(char::is_whitespace) || d.contains(char::is_whitespace) {
        return None;
    }
    let p = crate::script::parse(&format!("cost {name}={d}\n"));
    if p.has_errors() {
        return None;
    }
    match &p.script.stmts.first()?.kind {
        crate::script::StmtKind::Cost(entries) => entries.first().map(|(_, d)| *d),
        _ => None,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 3);
    for chunk in data.chunks(3) {
        let v = chunk
            .iter()
            .enumerate()
            .fold(0u32, |v, (i, &b)| v | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(v >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Reads base64url, with or without padding; `None` on any other character.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut n) = (0u32, 0);
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = acc << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
    Some(out)
}

impl Share {
    /// The link of a view, spelled canonically, so that every front end builds the same bytes
    /// for the same view: settings as the script language names them, costs sorted by name
    /// with the shortest exact duration (`50us`). `o.schemes` and `o.max_steps` are not part of
    /// a view.
    pub fn new(
        script: &str,
        scheme: Option<SchemeKind>,
        side: bool,
        step: Option<u64>,
        o: &Overrides,
    ) -> Share {
        let mut settings = Vec::new();
        if let Some(v) = o.era {
            settings.push(("kernel".to_string(), v.to_string()));
        }
        if let Some(v) = o.writeback {
            settings.push(("writeback".to_string(), v.name().to_string()));
        }
        if let Some(v) = o.counter {
            settings.push(("counter".to_string(), v.name().to_string()));
        }
        if let Some(v) = o.gup_fast {
            settings.push(("gup-fast".to_string(), v.name().to_string()));
        }
        let mut costs: Vec<(String, String)> = o
            .costs
            .iter()
            .filter(|(n, _)| Primitive::from_name(n).is_some())
            .map(|(n, d)| (n.clone(), d.to_string()))
            .collect();
        costs.sort();
        costs.dedup_by(|a, b| a.0 == b.0);
        Share {
            script: script.to_string(),
            scheme: scheme.map(|k| k.name().to_string()),
            side,
            step,
            settings,
            costs,
        }
    }

    /// The scheme the view follows, when this version knows it.
    pub fn scheme_kind(&self) -> Option<SchemeKind> {
        self.scheme.as_deref().and_then(SchemeKind::from_name)
    }

    /// The settings and cost overrides this version understands (unknown values dropped).
    pub fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        for (k, v) in &self.settings {
            match k.as_str() {
                "kernel" => o.era = KernelVersion::from_name(v),
                "writeback" => o.writeback = WritebackPolicy::from_name(v),
                "counter" => o.counter = CounterMode::from_name(v),
                "gup-fast" => o.gup_fast = GupFastMode::from_name(v),
                _ => {}
            }
        }
        o.costs = self
            .costs
            .iter()
            .filter(|(n, _)| Primitive::from_name(n).is_some())
            .filter_map(|(n, d)| Some((n.clone(), cost_value(n, d)?)))
            .collect();
        o
    }

    /// The fragment, `v1.…`, without the `#`.
    pub fn fragment(&self) -> String {
        let mut text = String::new();
        if let Some(s) = &self.scheme {
            let _ = writeln!(text, "scheme={s}");
        }
        if self.side {
            text.push_str("side=1\n");
        }
        if let Some(s) = self.step {
            let _ = writeln!(text, "step={s}");
        }
        for (k, v) in &self.settings {
            let _ = writeln!(text, "{k}={v}");
        }
        if !self.costs.is_empty() {
            let parts: Vec<String> = self.costs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(text, "cost={}", parts.join(" "));
        }
        text.push('\n');
        text.push_str(&self.script);
        format!(
            "v{FORMAT}.{}",
            b64_encode(&deflate::deflate(text.as_bytes()))
        )
    }

    /// The whole URL: `base` (its own fragment dropped) + `#` + [`Share::fragment`].
    pub fn url(&self, base: &str) -> String {
        let base = base.split('#').next().unwrap_or(base);
        format!("{base}#{}", self.fragment())
    }

    /// Reads a fragment (with or without the leading `#`, or a whole URL).
    pub fn from_fragment(frag: &str) -> Result<Share, LinkError> {
        let frag = frag.rsplit_once('#').map_or(frag, |(_, f)| f);
        let rest = frag.strip_prefix('v').ok_or(LinkError::NotALink)?;
        let (ver, data) = rest.split_once('.').ok_or(LinkError::NotALink)?;
        let ver: u32 = ver.parse().map_err(|_| LinkError::NotALink)?;
        if ver != FORMAT {
            return Err(LinkError::Version(ver));
        }
        let bytes = b64_decode(data).ok_or(LinkError::Base64)?;
        let raw = deflate::inflate(&bytes).map_err(LinkError::Inflate)?;
        let text = String::from_utf8(raw).map_err(|_| LinkError::Text)?;
        let (head, script) = if let Some(rest) = text.strip_prefix('\n') {
            ("", rest)
        } else {
            text.split_once("\n\n").ok_or(LinkError::Text)?
        };
        let mut s = Share {
            script: script.to_string(),
            ..Share::default()
        };
        for line in head.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k {
                "scheme" => s.scheme = Some(v.to_string()),
                "side" => s.side = v == "1",
                "step" => s.step = v.parse().ok(),
                "kernel" | "writeback" | "counter" | "gup-fast" => {
                    s.settings.push((k.to_string(), v.to_string()))
                }
                "cost" => {
                    for part in v.split_whitespace() {
                        if let Some((n, d)) = part.split_once('=') {
                            s.costs.push((n.to_string(), d.to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Share {
        Share {
            script: "# <script>alert(1)</script>\nmmap m anon pages=1 rw\nwrite m\n".into(),
            scheme: Some("fake-vma".into()),
            side: true,
            step: Some(2),
            settings: vec![
                ("kernel".into(), "6.5".into()),
                ("writeback".into(), "keep-dirty".into()),
            ],
            costs: vec![("worker-wakeup".into(), "50us".into())],
        }
    }

    #[test]
    fn round_trip() {
        let s = sample();
        let url = s.url("http://127.0.0.1:8080/?x=1#old");
        assert!(url.starts_with("http://127.0.0.1:8080/?x=1#v1."), "{url}");
        assert_eq!(Share::from_fragment(&url), Ok(s.clone()));
        assert_eq!(
            Share::from_fragment(&format!("#{}", s.fragment())),
            Ok(s.clone())
        );
        let plain = Share {
            script: "write m\n".into(),
            ..Share::default()
        };
        assert_eq!(Share::from_fragment(&plain.fragment()), Ok(plain));
        let empty = Share::default();
        assert_eq!(Share::from_fragment(&empty.fragment()), Ok(empty));
    }

    #[test]
    fn the_fragment_is_url_safe_and_stable() {
        let f = sample().fragment();
        assert!(
            f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{f}"
        );
        // The format is a contract: this exact fragment must keep decoding (links in old mail).
        let pinned = "v1.K07OSM1Ntc1JTU9MruTiKi_KLElVyOUCAA";
        let s = Share {
            script: "write m\n".into(),
            scheme: Some("legacy".into()),
            ..Share::default()
        };
        assert_eq!(
            s.fragment(),
            pinned,
            "the encoder's output changed: links differ now"
        );
        assert_eq!(Share::from_fragment(pinned), Ok(s));
    }

    #[test]
    fn views_spell_canonically() {
        let mut o = Overrides {
            era: KernelVersion::from_name("2018"),
            writeback: Some(WritebackPolicy::KeepDirty),
            ..Overrides::default()
        };
        o.costs.push(("worker-wakeup".into(), Duration(50_000_000)));
        o.costs.push(("atomic".into(), Duration(6_500)));
        o.costs.push(("no-such".into(), Duration(1)));
        let s = Share::new("write m\n", Some(SchemeKind::FakeVma), true, Some(3), &o);
        assert_eq!(s.scheme.as_deref(), Some("fake-vma"));
        assert_eq!(
            s.settings,
            vec![
                ("kernel".into(), "4.19".into()),
                ("writeback".into(), "keep-dirty".into())
            ]
        );
        assert_eq!(
            s.costs,
            vec![
                ("atomic".into(), "6.5ns".into()),
                ("worker-wakeup".into(), "50us".into())
            ]
        );
        let back = Share::from_fragment(&s.fragment()).unwrap();
        assert_eq!(back.scheme_kind(), Some(SchemeKind::FakeVma));
        let o2 = back.overrides();
        assert_eq!((o2.era, o2.writeback), (o.era, o.writeback));
        assert_eq!(
            o2.costs,
            vec![
                ("atomic".into(), Duration(6_500)),
                ("worker-wakeup".into(), Duration(50_000_000))
            ]
        );
        // The same view, the same link, whatever order the costs came in.
        o.costs.reverse();
        assert_eq!(
            Share::new("write m\n", Some(SchemeKind::FakeVma), true, Some(3), &o),
            s
        );
    }

    #[test]
    fn b64_round_trips() {
        for n in 0..40u8 {
            let d: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64_decode(&b64_encode(&d)), Some(d));
        }
        assert_eq!(b64_encode(b"\xfb\xff"), "-_8");
        assert_eq!(b64_decode("a+b"), None);
    }

    #[test]
    fn damaged_links_say_why() {
        assert_eq!(Share::from_fragment("#hello"), Err(LinkError::NotALink));
        assert_eq!(Share::from_fragment("#v9.AAAA"), Err(LinkError::Version(9)));
        assert_eq!(Share::from_fragment("#v1.a*b"), Err(LinkError::Base64));
        assert!(matches!(
            Share::from_fragment("#v1.AAAA"),
            Err(LinkError::Inflate(_))
        ));
        let f = sample().fragment();
        assert!(Share::from_fragment(&f[..f.len() - 10]).is_err());
        for e in [
            LinkError::NotALink,
            LinkError::Version(2),
            LinkError::Base64,
            LinkError::Text,
        ] {
            assert!(!e.to_string().is_empty());
        }
    }
}
