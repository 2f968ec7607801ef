//! The sweep: per-page cost of GUP + release against IO size, per scheme and completion
//! context, computed by generating scripts and running them through the model; its table,
//! its crossovers and its chart. `pinlab sweep` prints it and the page draws it, from this
//! one code, so their numbers are the same.

use std::fmt::Write as _;

use crate::{Overrides, SchemeKind};

/// Pages per call: 1, 2, 4, ..., 512.
pub const SIZES: [u32; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/// Where the release runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// `put io dirty` from the task.
    Proc,
    /// `complete io dirty` in hard IRQ, then `workqueue`.
    Irq,
}

impl Context {
    /// Both, in table order.
    pub const ALL: [Context; 2] = [Context::Proc, Context::Irq];
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Context::Proc => "proc",
            Context::Irq => "irq",
        }
    }
}

/// The line of the `gup` statement in every generated script.
const GUP_LINE: u32 = 4;

/// The script for `n` pages per call in context `cx`.
pub fn script(n: u32, cx: Context) -> String {
    let mut s = String::from("file   F  ext4  pages=512\nmmap   buf  F  shared rw\nwrite  buf\n");
    let _ = writeln!(s, "gup    io  buf 0..{n}  write fast");
    match cx {
        Context::Proc => s.push_str("put    io dirty\n"),
        Context::Irq => s.push_str("dma    io  write\ncomplete io dirty\nworkqueue\n"),
    }
    s
}

/// Per-page cost in picoseconds, per scheme in `SchemeKind::ALL` order.
pub fn per_page(n: u32, cx: Context, o: &Overrides) -> Vec<(SchemeKind, f64)> {
    let text = script(n, cx);
    // The generated scripts parse (a test checks); a parse error would give empty traces.
    let parse = crate::parse(&text);
    let report = crate::run(&parse.script, o);
    report
        .traces
        .iter()
        .map(|t| {
            let ps: u64 = t
                .steps
                .iter()
                .filter(|s| s.line >= GUP_LINE)
                .map(|s| s.cost_ps)
                .sum();
            (t.scheme, ps as f64 / f64::from(n))
        })
        .collect()
}

/// One row: N and the six per-page costs (ps): proc legacy/refcount/fake-vma, irq ditto.
pub type Row = (u32, Vec<f64>);

/// The whole sweep.
pub fn compute(o: &Overrides) -> Vec<Row> {
    SIZES
        .iter()
        .map(|&n| {
            let mut v = Vec::new();
            for cx in Context::ALL {
                v.extend(per_page(n, cx, o).into_iter().map(|(_, c)| c));
            }
            (n, v)
        })
        .collect()
}

/// Where one scheme's per-page cost line crosses another's in the same context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossover {
    /// The context.
    pub context: Context,
    /// The scheme that is dearer for small calls and cheaper from `pages` on.
    pub falls: SchemeKind,
    /// The scheme it passes.
    pub below: SchemeKind,
    /// Pages per call where the lines cross (interpolated on the log-log chart).
    pub pages: f64,
    /// The per-page cost there (ns).
    pub ns: f64,
}

/// Every crossing of two schemes' lines within one context, by pages per call.
pub fn crossovers(rows: &[Row]) -> Vec<Crossover> {
    let mut out = Vec::new();
    for (ci, cx) in Context::ALL.iter().enumerate() {
        for a in 0..3 {
            for b in 0..3 {
                if a == b {
                    continue;
                }
                let (ia, ib) = (ci * 3 + a, ci * 3 + b);
                for w in rows.windows(2) {
                    let (n0, v0) = (&w[0].0, &w[0].1);
                    let (n1, v1) = (&w[1].0, &w[1].1);
                    let (Some(&a0), Some(&b0), Some(&a1), Some(&b1)) =
                        (v0.get(ia), v0.get(ib), v1.get(ia), v1.get(ib))
                    else {
                        continue;
                    };
                    // a is dearer at n0 and cheaper at n1: it falls below b in between.
                    if a0 > b0 && a1 < b1 && a0 > 0.0 && b0 > 0.0 && a1 > 0.0 && b1 > 0.0 {
                        let d0 = a0.ln() - b0.ln();
                        let d1 = a1.ln() - b1.ln();
                        let t = d0 / (d0 - d1);
                        let x = f64::from(*n0).log2()
                            + t * (f64::from(*n1).log2() - f64::from(*n0).log2());
                        let y = a0.ln() + t * (a1.ln() - a0.ln());
                        out.push(Crossover {
                            context: *cx,
                            falls: SchemeKind::ALL[a],
                            below: SchemeKind::ALL[b],
                            pages: x.exp2(),
                            ns: y.exp() / 1000.0,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The text table (at most 72 columns), then one line per crossover.
pub fn render_table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("per-page cost of GUP + release (ns/page), ext4 shared rw mapping\n");
    let head = format!(
        "{:<5} {:^32} {:^32}",
        "", "process context", "irq completion"
    );
    let _ = writeln!(out, "{}", head.trim_end());
    let _ = write!(out, "{:<5}", "pages");
    for _ in Context::ALL {
        for s in SchemeKind::ALL {
            let _ = write!(out, " {:>10}", s.name());
        }
    }
    out.push('\n');
    for (n, v) in rows {
        let _ = write!(out, "{n:<5}");
        for c in v {
            let _ = write!(out, " {:>10.1}", c / 1000.0);
        }
        out.push('\n');
    }
    for c in crossovers(rows) {
        let _ = writeln!(
            out,
            "crossover ({}): {} falls below {} at ~{:.0} pages per call",
            c.context.name(),
            c.falls,
            c.below,
            c.pages
        );
    }
    out
}

const COLORS: [&str; 3] = ["#d62728", "#1f77b4", "#2ca02c"];

/// A log-x, log-y line chart: one polyline per scheme x context.
pub fn render_svg(rows: &[Row]) -> String {
    let (w, h) = (720.0_f64, 440.0_f64);
    let (left, right, top, bottom) = (70.0, 180.0, 30.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    // Both axes are logarithmic: costs span two orders of magnitude.
    let all_ns = || rows.iter().flat_map(|(_, v)| v.iter()).map(|c| c / 1000.0);
    let lo = all_ns()
        .fold(f64::INFINITY, f64::min)
        .max(0.1)
        .log10()
        .floor() as i32;
    let hi = all_ns().fold(1.0_f64, f64::max).log10().ceil() as i32;
    let hi = hi.max(lo + 1);
    let x_of = |n: u32| left + pw * f64::from(n).log2() / 9.0;
    let y_of = |ns: f64| {
        let t = (ns.max(1e-3).log10() - f64::from(lo)) / f64::from(hi - lo);
        top + ph * (1.0 - t)
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="18" text-anchor="middle" font-size="14">Per-page cost of GUP + release</text>"#,
        left + pw / 2.0
    );
    // Axes.
    let _ = writeln!(
        s,
        r#"<path d="M{left},{top} V{} H{}" fill="none" stroke="black"/>"#,
        top + ph,
        left + pw
    );
    for &n in &SIZES {
        let x = x_of(n);
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="black"/><text x="{x:.1}" y="{}" text-anchor="middle">{n}</text>"#,
            top + ph,
            top + ph + 5.0,
            top + ph + 18.0
        );
    }
    for e in lo..=hi {
        let v = 10f64.powi(e);
        let y = y_of(v);
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{y:.1}" x2="{left}" y2="{y:.1}" stroke="black"/><line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 5.0,
            left + pw,
            left - 8.0,
            y + 4.0,
            trim_num(v)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">pages per call (log scale)</text>"#,
        left + pw / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">ns per page (log scale)</text>"#,
        top + ph / 2.0,
        top + ph / 2.0
    );
    // Lines and legend.
    let mut li = 0;
    for (ci, cx) in Context::ALL.iter().enumerate() {
        for (si, scheme) in SchemeKind::ALL.iter().enumerate() {
            let col = ci * 3 + si;
            let pts: Vec<String> = rows
                .iter()
                .map(|(n, v)| format!("{:.1},{:.1}", x_of(*n), y_of(v[col] / 1000.0)))
                .collect();
            let dash = if *cx == Context::Irq {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                pts.join(" "),
                COLORS[si]
            );
            let ly = top + 10.0 + 20.0 * f64::from(li);
            let lx = left + pw + 15.0;
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{scheme} {}</text>"#,
                lx + 30.0,
                COLORS[si],
                lx + 36.0,
                ly + 4.0,
                cx.name()
            );
            li += 1;
        }
    }
    for c in crossovers(rows) {
        let (x, y) = (left + pw * c.pages.log2() / 9.0, y_of(c.ns));
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="none" stroke="black" stroke-width="2"/><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="black"/><text x="{x:.1}" y="{:.1}" text-anchor="end" stroke="white" stroke-width="4" paint-order="stroke">{} &lt; {} ({}) from ~{:.0} pages</text>"#,
            y - 6.0,
            y - 60.0,
            y - 64.0,
            c.falls,
            c.below,
            c.context.name(),
            c.pages
        );
    }
    s.push_str("</svg>\n");
    s
}

fn trim_num(v: f64) -> String {
    let s = format!("{v:.1}");
    // Decades below 1 ns keep their digits; the rest print as integers.
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_scripts_parse() {
        for n in SIZES {
            for cx in Context::ALL {
                let p = crate::parse(&script(n, cx));
                assert!(p.diagnostics.is_empty(), "{n} {cx:?}: {:?}", p.diagnostics);
            }
        }
    }

    #[test]
    fn crossovers_are_found_between_the_points() {
        // Column order: proc legacy, refcount, fake-vma, irq legacy, refcount, fake-vma.
        let rows: Vec<Row> = vec![
            (64, vec![1.0, 84_000.0, 88_000.0, 1.0, 1.0, 1.0]),
            (128, vec![1.0, 82_000.0, 81_000.0, 1.0, 1.0, 1.0]),
        ];
        let c = crossovers(&rows);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            (c[0].context, c[0].falls, c[0].below),
            (Context::Proc, SchemeKind::FakeVma, SchemeKind::Refcount)
        );
        assert!(c[0].pages > 64.0 && c[0].pages < 128.0, "{}", c[0].pages);
        assert!(c[0].ns > 81.0 && c[0].ns < 88.0, "{}", c[0].ns);
        let table = render_table(&rows);
        assert!(
            table.contains("crossover (proc): fake-vma falls below refcount at ~"),
            "{table}"
        );
    }
}
