//! The panels of the playground, as plain functions returning `Html`.

mod compare;
mod exercise;
mod explore;
mod help;
mod picture;

pub use compare::{grid, verdict, GridSel, Jump, VerdictProps};
pub use exercise::exercise;
pub use explore::{ExplorePanel, Open};
pub use help::help;
pub use picture::picture;

use std::collections::{BTreeMap, BTreeSet};

use mm_model::cost::{fmt_ps, Category};
use mm_model::kernel::{Kernel, RmapEntry};
use mm_model::settings::{CounterMode, GupFastMode, KernelVersion, WritebackPolicy};
use mm_model::trace::{Change, StepKind};
use mm_model::{Parse, Report, SchemeKind, Step, Trace};
use yew::prelude::*;

use crate::logic::{
    self, changed_fields, error_ranges, fmt_delta, mark_ranges, page_rows, tokenize_line,
};
use crate::UiOverrides;

pub fn editor(text: &str, parse: &Parse, on_input: Callback<InputEvent>) -> Html {
    let err_lines: BTreeSet<u32> = parse
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.line)
        .collect();
    let warn_lines: BTreeSet<u32> = parse.diagnostics.iter().map(|d| d.line).collect();
    let lines: Vec<&str> = text.split('\n').collect();
    let gutter = lines.iter().enumerate().map(|(i, _)| {
        let n = i as u32 + 1;
        let (cls, mark) = if err_lines.contains(&n) {
            ("gl err", "✖")
        } else if warn_lines.contains(&n) {
            ("gl warn", "▲")
        } else {
            ("gl", "")
        };
        let title = parse
            .diagnostics
            .iter()
            .filter(|d| d.line == n)
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        html! { <div class={cls} title={title}><span class="mark">{ mark }</span>{ n }</div> }
    });
    let hl =
        lines.iter().enumerate().map(|(i, l)| {
            let n = i as u32 + 1;
            if !err_lines.contains(&n) {
                let toks = tokenize_line(l)
                    .into_iter()
                    .map(|(k, t)| html! { <span class={k.class()}>{ t }</span> });
                return html! { <div class="hl-line">{ for toks }{ "\u{200b}" }</div> };
            }
            let marks = error_ranges(text, n, &parse.diagnostics);
            let len = l.chars().count();
            let past_end = marks.iter().any(|&(a, _)| a >= len);
            let toks = mark_ranges(tokenize_line(l), &marks).into_iter().map(|(k, t, m)| {
            html! { <span class={classes!(k.class(), m.then_some("err-span"))}>{ t }</span> }
        });
            html! { <div class="hl-line err">{ for toks }
            if past_end { <span class="err-span err-eol">{ " " }</span> }{ "\u{200b}" }</div> }
        });
    html! {
        <div class="editor-wrap">
            <div class="gutter" aria-hidden="true">{ for gutter }</div>
            <div class="code">
                <pre class="highlight" aria-hidden="true">{ for hl }</pre>
                <textarea id="editor" spellcheck="false" autocomplete="off" aria-label="script"
                    value={text.to_string()} oninput={on_input}
                    wrap="off" />
            </div>
        </div>
    }
}

pub fn diagnostics(parse: &Parse, on_goto: Callback<(u32, u32)>) -> Html {
    let items = parse.diagnostics.iter().map(|d| {
        let sev = if d.is_error() { "error" } else { "warning" };
        let hint = d.hint.clone().unwrap_or_default();
        let at = (d.line, d.col);
        let on_goto = on_goto.clone();
        let onclick = Callback::from(move |_| on_goto.emit(at));
        html! {
            <li class={sev}>
                <button class="goto-diag" {onclick} title="put the cursor there">
                    <b>{ if d.is_error() { "✖ " } else { "▲ " } }{ format!("{}:{} ", d.line, d.col) }</b>
                    { d.message.clone() }
                </button>
                if !hint.is_empty() { <div class="hint">{ "hint: " }{ hint }</div> }
            </li>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Diagnostics" }</h2>
            <ul id="diagnostics" class="diags">
                if parse.diagnostics.is_empty() { <li class="ok">{ "✔ no problems" }</li> }
                { for items }
            </ul>
        </div>
    }
}

pub fn settings(
    own: &mm_model::Settings,
    o: &UiOverrides,
    on: Callback<(&'static str, String)>,
    on_reset: Callback<MouseEvent>,
) -> Html {
    let s = own;
    let sel = |id: &'static str,
               which: &'static str,
               names: Vec<String>,
               cur: &Option<String>,
               eff: String,
               title: &'static str| {
        let on = on.clone();
        let onchange = Callback::from(move |e: Event| on.emit((which, crate::select_value(&e))));
        let opts = names.into_iter().map(|n| {
            html! { <option value={n.clone()} selected={cur.as_deref() == Some(n.as_str())}>{ n }</option> }
        });
        html! {
            <label {title}>{ which }{ " " }
                <select id={id} {onchange}>
                    <option value="" selected={cur.is_none()}>{ format!("script ({eff})") }</option>
                    { for opts }
                </select>
            </label>
        }
    };
    let lines = o.script_lines();
    html! {
        <div class="panel settings">
            <h2>{ "Settings" }
                <button id="reset-overrides" class="small" onclick={on_reset} disabled={o.is_empty()}
                    title="clear every settings and cost-table override (kept in this browser)">{ "reset overrides" }</button>
                if !o.is_empty() { <span id="overrides-note" class="note-inline">{ "overrides active (kept in this browser)" }</span> }
            </h2>
            { sel("set-kernel", "kernel", KernelVersion::PRESETS.iter().map(|e| e.to_string()).collect(), &o.era, s.era.to_string(), "the release whose rules apply (COW reuse, PageAnonExclusive, FOLL_LONGTERM checks, function names)") }
            { sel("set-writeback", "writeback", WritebackPolicy::ALL.iter().map(|e| e.name().to_string()).collect(), &o.writeback, s.writeback.name().to_string(), "what writeback does with a page it knows is pinned; none is what mainline does. A pin counter only makes pins visible: this decides what the kernel does with them") }
            { sel("set-counter", "counter", CounterMode::ALL.iter().map(|e| e.name().to_string()).collect(), &o.counter, s.counter.name().to_string(), "the pin counter: GUP_PIN_COUNTING_BIAS (1024) in the refcount, or an exact pincount") }
            { sel("set-gup-fast", "gup-fast", GupFastMode::ALL.iter().map(|e| e.name().to_string()).collect(), &o.gup_fast, s.gup_fast.name().to_string(), "fake VMA under GUP-fast (no locks allowed): fall back to the slow path, or use a fake registered earlier") }
            <div class="equiv">
                <span>{ "as script lines:" }</span>
                <pre id="settings-script">{ if lines.is_empty() { "(none: the script's own settings)".to_string() } else { lines.join("\n") } }</pre>
            </div>
        </div>
    }
}

pub(super) fn result_text(s: &Step) -> String {
    match &s.kind {
        StepKind::Expect { passed, .. } => (if *passed { "✔ pass" } else { "✖ FAIL" }).into(),
        _ => s.result.name().to_string(),
    }
}

pub(super) fn step_text(s: &Step) -> String {
    match &s.kind {
        StepKind::Repeat {
            iterations, body, ..
        } => format!(
            "↻ {iterations} more × {{ {body} statements }} (line {})",
            s.line
        ),
        _ => s.text.clone(),
    }
}

pub(super) fn idx_text(s: &Step) -> String {
    match &s.kind {
        StepKind::Repeat { last_index, .. } => format!("{}..{}", s.index, last_index),
        _ => s.index.to_string(),
    }
}

pub(super) fn change_text(c: &Change) -> String {
    let pages = if c.pages == 1 {
        format!("p{}", c.first)
    } else {
        format!("p{}..p{} ({})", c.first, c.last, c.pages)
    };
    let fields: Vec<String> = c
        .fields
        .iter()
        .map(|f| format!("{} {}→{}", f.field, f.old, f.new))
        .collect();
    format!("{pages} {}", fields.join(" "))
}

fn covers(s: &Step, sel: u64) -> bool {
    s.index <= sel && crate::repeat_last(s) >= sel
}

pub fn steps(
    t: &Trace,
    sel: u64,
    on_select: Callback<u64>,
    on_key: Callback<(KeyboardEvent, u64)>,
) -> Html {
    let rows = t.steps.iter().map(|s| {
        let idx = s.index;
        let on_select = on_select.clone();
        let onclick = Callback::from(move |_| on_select.emit(idx));
        let on_key = on_key.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| on_key.emit((e, idx)));
        let bad = s.findings.iter().any(|f| !f.kind.informational());
        let cls = classes!(
            "step",
            covers(s, sel).then_some("selected"),
            bad.then_some("bad"),
            matches!(s.kind, StepKind::Repeat { .. }).then_some("repeat"),
            matches!(s.kind, StepKind::Expect { passed: false, .. }).then_some("fail")
        );
        let findings = s.finding_lines().map(|(kind, line)| {
            let c = if kind.informational() { "info" } else { "viol" };
            html! { <div class={classes!("finding", c)}>{ line }</div> }
        });
        html! {
            <tr class={cls} {onclick} {onkeydown} tabindex="0" data-index={idx.to_string()}
                aria-selected={covers(s, sel).to_string()}>
                <td class="idx">{ idx_text(s) }</td>
                <td class="stmt">
                    <code>{ step_text(s) }</code>
                    { for s.changes.iter().map(|c| html!{ <div class="change">{ change_text(c) }</div> }) }
                    { for s.notes.iter().map(|n| html!{ <div class="note">{ format!(". {n}") }</div> }) }
                    if let StepKind::Expect { passed: false, observed } = &s.kind {
                        <div class="note">{ format!("observed: {observed}") }</div>
                    }
                    { for findings }
                </td>
                <td class="res">{ result_text(s) }</td>
                <td class="cost">{ if s.cost_ps > 0 { fmt_ps(s.cost_ps) } else { String::new() } }</td>
            </tr>
        }
    });
    html! {
        <section class="panel steps-panel" aria-label="steps">
            <h2>{ format!("Steps — {}", crate::compare::label(t.scheme)) }</h2>
            if let Some(msg) = &t.budget_hit { <p class="budget">{ format!("!! {msg}") }</p> }
            <table id="steps" class="steps">
                <thead><tr><th>{ "#" }</th><th>{ "statement / changes / findings" }</th><th>{ "result" }</th><th>{ "cost" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}

pub fn violations(t: &Trace, era: KernelVersion, on_select: Callback<u64>) -> Html {
    let item = |k: mm_model::ViolationKind, n: u64| {
        let info = k.info();
        let first = t.first(k).unwrap_or(0);
        let on_select = on_select.clone();
        let onclick = Callback::from(move |_| on_select.emit(first));
        let informational = k.informational();
        html! {
            <li class={if informational { "info" } else { "viol" }}>
                <b class="vname">{ if informational { "~ " } else { "! " } }{ k.name() }</b>
                { if n > 1 { format!(" ×{n}") } else { String::new() } }
                { " " }<button class="goto" {onclick}>{ format!("→ step {first}") }</button>
                <div class="expl">{ mm_model::kfuncs::at(info.explanation, era) }</div>
                <div class="kpath">{ format!("kernel {era}: ") }<code>{ info.kernel_path_at(era) }</code>
                    if !info.link.is_empty() { { " · " }<a href={info.link} target="_blank" rel="noopener">{ "source" }</a> }</div>
            </li>
        }
    };
    let viol: Vec<Html> = t
        .counts
        .iter()
        .filter(|(k, n)| *n > 0 && !k.informational())
        .map(|&(k, n)| item(k, n))
        .collect();
    let info: Vec<Html> = t
        .counts
        .iter()
        .filter(|(k, n)| *n > 0 && k.informational())
        .map(|&(k, n)| item(k, n))
        .collect();
    html! {
        <div class="panel" id="violations">
            <h2>{ format!("Invariants — {}", crate::compare::label(t.scheme)) }</h2>
            if viol.is_empty() {
                <p class="clean">{ "✔ none: no invariant violated" }</p>
            } else {
                <ul class="viols">{ for viol }</ul>
            }
            if !info.is_empty() {
                <h3>{ "Informational events (not violations)" }</h3>
                <ul class="infos">{ for info }</ul>
            }
        </div>
    }
}

/// One colour per cost category (Okabe-Ito: distinct for colour-blind readers too).
fn category_colour(c: Category) -> &'static str {
    match c {
        Category::Locking => "#0072b2",
        Category::Allocation => "#e69f00",
        Category::Rmap => "#009e73",
        Category::Gup => "#cc79a7",
        Category::Deferral => "#d55e00",
        Category::PageWork => "#56b4e9",
    }
}

/// A category's share of a run: its total and its primitives' (largest first).
type CategoryCost = (Category, u64, Vec<(mm_model::Primitive, u64)>);

/// A trace's cost per category, and per primitive within it (largest first).
fn by_category(report: &Report, t: &Trace) -> Vec<CategoryCost> {
    let mut out: Vec<CategoryCost> = Vec::new();
    for (p, n) in t.total.iter() {
        let ps = report.costs.get(p).0.saturating_mul(n);
        match out.iter_mut().find(|c| c.0 == p.category()) {
            Some(c) => {
                c.1 += ps;
                c.2.push((p, ps));
            }
            None => out.push((p.category(), ps, vec![(p, ps)])),
        }
    }
    out.sort_by_key(|c| Category::ALL.iter().position(|x| *x == c.0));
    for c in &mut out {
        c.2.sort_by_key(|p| std::cmp::Reverse(p.1));
    }
    out
}

/// `data:` URL of an SVG document (shown through `<img>`: never parsed into the page).
fn svg_data_url(svg: &str) -> String {
    let mut out = String::from("data:image/svg+xml;charset=utf-8,");
    for c in svg.chars() {
        match c {
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push_str("%22"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// The sweep (`pinlab sweep`'s table and chart, from the same code), computed when opened.
pub fn sweep(rows: Option<&[mm_model::sweep::Row]>, on_toggle: Callback<bool>) -> Html {
    let ontoggle = Callback::from(move |e: Event| {
        if let Some(d) = e.target_dyn_into::<web_sys::HtmlDetailsElement>() {
            on_toggle.emit(d.open());
        }
    });
    html! {
        <details id="sweep" class="sweep" open={rows.is_some()} {ontoggle}>
            <summary>{ "Per-page cost against pages per call, every scheme, process vs IRQ completion (pinlab sweep)" }</summary>
            if let Some(rows) = rows {
                <img id="sweep-chart" src={svg_data_url(&mm_model::sweep::render_svg(rows))}
                    alt="per-page cost of GUP + release against pages per call, log-log, one line per scheme and completion context" />
                <pre id="sweep-table">{ mm_model::sweep::render_table(rows) }</pre>
            }
        </details>
    }
}

pub fn costs(report: &Report, sel: &Trace, sweep_view: Html) -> Html {
    let max = report
        .traces
        .iter()
        .map(|t| t.total_ps)
        .max()
        .unwrap_or(1)
        .max(1);
    let (x0, w) = (150.0, 480.0);
    let bars = report.traces.iter().enumerate().map(|(row, t)| {
        let mut x = 0.0;
        let y = row as f64 * 28.0;
        let segs: Vec<Html> = by_category(report, t)
            .into_iter()
            .map(|(c, ps, prims)| {
                let width = ps as f64 / max as f64 * w;
                let parts: Vec<String> = prims.iter().map(|(p, ps)| format!("{} {}", p.name(), fmt_ps(*ps))).collect();
                let share = if t.total_ps > 0 { ps as f64 / t.total_ps as f64 } else { 0.0 };
                let rect = html! {
                    <>
                        <rect x={format!("{:.1}", x0 + x)} y={format!("{y}")} width={format!("{width:.1}")} height="22"
                            fill={category_colour(c)} class="seg">
                            <title>{ format!("{}: {} ({:.0}%): {}", c.name(), fmt_ps(ps), share * 100.0, parts.join(", ")) }</title>
                        </rect>
                        if width > w * 0.08 {
                            <text x={format!("{:.1}", x0 + x + 4.0)} y={format!("{}", y + 15.0)} class="seg-label">{ format!("{:.0}%", share * 100.0) }</text>
                        }
                    </>
                };
                x += width;
                rect
            })
            .collect();
        html! {
            <g>
                <text x="0" y={format!("{}", y + 15.0)} class="svg-label">{ crate::compare::short_label(t.scheme) }</text>
                { for segs }
                <text x={format!("{:.1}", x0 + 4.0 + x)} y={format!("{}", y + 15.0)} class="svg-label">{ fmt_ps(t.total_ps) }</text>
            </g>
        }
    });
    let sel_cats = by_category(report, sel);
    let used: BTreeSet<Category> = report
        .traces
        .iter()
        .flat_map(|t| t.total.iter().map(|(p, _)| p.category()))
        .collect();
    let legend = Category::ALL.iter().filter(|c| used.contains(c)).map(|c| {
        let prims: Vec<&str> = mm_model::Primitive::ALL.iter().filter(|p| p.category() == *c).map(|p| p.name()).collect();
        html! { <span class="legend-item" title={prims.join(", ")}><span class="swatch" style={format!("background:{}", category_colour(*c))}></span>{ c.name() }</span> }
    });
    let dominant = sel_cats
        .iter()
        .flat_map(|(_, _, prims)| prims.iter())
        .max_by_key(|(_, ps)| *ps)
        .map(|(p, ps)| {
            let pct = if sel.total_ps > 0 {
                *ps as f64 / sel.total_ps as f64 * 100.0
            } else {
                0.0
            };
            format!(
                "largest term: {} ({}) {} of {} ({pct:.0}%)",
                p.name(),
                p.category().name(),
                fmt_ps(*ps),
                fmt_ps(sel.total_ps)
            )
        });
    let deltas = report.traces.iter().filter(|t| t.scheme != sel.scheme).map(|t| {
        let pct = if sel.total_ps > 0 {
            (t.total_ps as f64 - sel.total_ps as f64) / sel.total_ps as f64 * 100.0
        } else {
            0.0
        };
        html! { <li>{ format!("{} costs {pct:+.0}% ({}) relative to {}", crate::compare::short_label(t.scheme), fmt_delta(sel.total_ps, t.total_ps), crate::compare::short_label(sel.scheme)) }</li> }
    });
    html! {
        <section class="panel costs-panel" aria-labelledby="costs-title">
            <h2 id="costs-title">{ "Costs" }</h2>
            <p class="total">{ format!("total ({}): ", crate::compare::label(sel.scheme)) }<b id="cost-total">{ fmt_ps(sel.total_ps) }</b></p>
            if let Some(d) = dominant { <p id="cost-dominant" class="dominant">{ d }</p> }
            <svg class="bars" viewBox={format!("0 0 720 {}", report.traces.len() * 28)} role="img" aria-label="cost by category per scheme">
                { for bars }
            </svg>
            <div class="legend">{ for legend }</div>
            <ul class="deltas">{ for deltas }</ul>
            { sweep_view }
        </section>
    }
}

pub fn expectations(report: &Report) -> Html {
    let items = report.expectations.iter().map(|e| {
        let under = e
            .scheme
            .map(|s| format!(" [{}]", s.name()))
            .unwrap_or_default();
        html! {
            <li class={if e.passed { "pass" } else { "fail" }}>
                { if e.passed { "✔ pass " } else { "✖ FAIL " } }
                { format!("line {}{under}: {} — observed {}", e.line, e.text, e.observed) }
            </li>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Expectations" }</h2>
            <ul id="expectations">
                if report.expectations.is_empty() { <li>{ "(no expect lines)" }</li> }
                { for items }
            </ul>
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
pub fn state(
    scheme: SchemeKind,
    sel: u64,
    prev: &Kernel,
    cur: &Kernel,
    raw_map: bool,
    on_raw: Callback<MouseEvent>,
    loading: bool,
    pictures: Html,
) -> Html {
    let prows = page_rows(prev);
    let rows = page_rows(cur);
    let changed = changed_fields(&prows, &rows);
    // A changed cell shows old → new (a new page shows its values alone).
    let cell = |ch: &BTreeSet<&'static str>, f: &'static str, old: Option<String>, v: String| {
        if ch.contains(f) {
            let text = match old {
                Some(o) if o != v => format!("{o}→{v}"),
                _ => v,
            };
            html! { <td class="changed" title="changed by this step">{ "◆ " }{ text }</td> }
        } else {
            html! { <td>{ v }</td> }
        }
    };
    let shown_map = |m: i64| if raw_map { m - 1 } else { m };
    let prev_by_pfn: BTreeMap<u32, &logic::PageRow> = prows.iter().map(|p| (p.pfn, p)).collect();
    let page_trs = rows.iter().zip(changed.iter()).map(|(r, ch)| {
        let p = prev_by_pfn.get(&r.pfn).copied();
        let old = |f: fn(&logic::PageRow) -> String| p.map(f);
        html! {
            <tr>
                { cell(ch, "pfn", None, format!("p{}", r.pfn)) }
                { cell(ch, "refcount", old(|p| p.refcount.to_string()), r.refcount.to_string()) }
                { cell(ch, "mapcount", p.map(|p| shown_map(p.mapcount).to_string()), shown_map(r.mapcount).to_string()) }
                { cell(ch, "pincount", old(|p| p.pincount.to_string()), r.pincount.to_string()) }
                { flags_cell(ch.contains("flags"), p.map(|p| p.flags.as_str()), &r.flags) }
                { cell(ch, "zone", old(|p| p.zone.clone()), r.zone.clone()) }
                { cell(ch, "owner", old(|p| p.owner.clone()), r.owner.clone()) }
                { cell(ch, "pinned", old(|p| p.pinned.clone()), r.pinned.clone()) }
                { cell(ch, "state", old(|p| p.state.clone()), r.state.clone()) }
            </tr>
        }
    });
    let proc_name = |id: u32| {
        cur.procs
            .get(id as usize)
            .map_or("?".to_string(), |p| p.name.clone())
    };
    let vmas = cur.vmas.iter().map(|v| {
        let ptes: Vec<String> = v
            .ptes
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                None => format!("{i}:-"),
                Some(mm_model::kernel::Pte::Present { pfn, write, dirty }) => format!(
                    "{i}:p{pfn}{}{}",
                    if *write { " w" } else { "" },
                    if *dirty { " d" } else { "" }
                ),
                Some(mm_model::kernel::Pte::Swap { .. }) => format!("{i}:swap"),
            })
            .collect();
        let backing = match v.backing {
            mm_model::kernel::Backing::File {
                file,
                pgoff,
                shared,
            } => format!(
                "file {} @{pgoff} {}",
                cur.files
                    .get(file as usize)
                    .map_or("?", |f| f.name.as_str()),
                if shared { "shared" } else { "private" }
            ),
            mm_model::kernel::Backing::Anon { huge, zone } => {
                format!("anon{} {}", if huge { " huge" } else { "" }, zone.name())
            }
        };
        html! {
            <tr class={(!v.live).then_some("dead")}>
                <td>{ v.name.clone() }</td><td>{ proc_name(v.proc_) }</td><td>{ backing }</td>
                <td>{ if v.writable { "rw" } else { "ro" } }</td><td>{ ptes.join(", ") }</td>
                <td>{ if v.live { "live" } else { "gone" } }</td>
            </tr>
        }
    });
    let files = cur.files.iter().map(|f| {
        let cache: Vec<String> = f.cache.iter().map(|(i, p)| format!("{i}→p{p}")).collect();
        let entries = f.i_mmap.iter().map(|(s, l, e)| match e {
            RmapEntry::Vma(id) => {
                let name = cur.vmas.get(id as usize).map_or("?".to_string(), |v| v.name.clone());
                html! { <li>{ format!("[{s}..{l}] VMA {name}") }</li> }
            }
            RmapEntry::Fake(id) => html! {
                <li class="fake"><b>{ "FAKE" }</b>{ format!(" [{s}..{l}] F{id}") }</li>
            },
        });
        html! {
            <div class="file">
                <b>{ format!("{} ({}, {} pages)", f.name, f.fs.name(), f.size) }</b>
                <div>{ format!("page cache: {}", if cache.is_empty() { "-".into() } else { cache.join(" ") }) }</div>
                <div>{ format!("on disk: {}", disk_text(&f.disk)) }</div>
                <div>{ "i_mmap:" }</div>
                <ul class="immap">
                    if f.i_mmap.is_empty() { <li>{ "(empty)" }</li> }
                    { for entries }
                </ul>
            </div>
        }
    });
    let handles = cur.handles.iter().map(|h| {
        let pages: Vec<String> = h.pages.iter().map(|p| format!("p{p}")).collect();
        let mut flags = Vec::new();
        if h.flags.write {
            flags.push("write");
        }
        if h.flags.fast {
            flags.push("fast");
        }
        if h.flags.longterm {
            flags.push("longterm");
        }
        let api = match h.api {
            mm_model::kernel::Api::Get => "get (put_page)".to_string(),
            mm_model::kernel::Api::Pin => "pin (unpin_user_page)".to_string(),
            mm_model::kernel::Api::Fake(id) => format!("fake F{id}"),
        };
        html! {
            <tr>
                <td>{ h.name.clone() }</td><td>{ api }</td><td>{ handle_state(h.state) }</td>
                <td>{ pages.join(" ") }</td><td>{ flags.join(" ") }</td><td>{ h.times }</td>
            </tr>
        }
    });
    let work: Vec<String> = cur
        .workqueue
        .iter()
        .map(|w| match w {
            mm_model::kernel::Work::BioDirty(h) => format!(
                "bio_dirty_fn({})",
                cur.handles
                    .get(*h as usize)
                    .map_or("?", |x| x.name.as_str())
            ),
            mm_model::kernel::Work::FakeRelease(f) => format!("fake_release(F{f})"),
        })
        .collect();
    html! {
        <div class={classes!("panel", loading.then_some("loading"))} id="state" aria-busy={loading.to_string()}>
            <h2>{ format!("State after step {sel} — {}", scheme.name()) }
                if loading { <span id="state-loading" class="state-loading" role="status">{ " loading state…" }</span> }
            </h2>
            { pictures }
            <p class="legend-note">{ "◆ = changed by this step" }
                <label class="toggle"><input type="checkbox" id="raw-mapcount" checked={raw_map} onclick={on_raw} />
                { " show kernel _mapcount (−1-based)" }</label></p>
            <h3>{ "Pages" }</h3>
            <table class="pages">
                <thead><tr><th>{ "pfn" }</th><th>{ "refcount" }</th>
                    <th>{ if raw_map { "_mapcount" } else { "mapcount" } }</th><th>{ "pincount" }</th>
                    <th>{ "flags" }</th><th>{ "zone" }</th><th>{ "owner" }</th><th>{ "pinned?" }</th><th>{ "state" }</th></tr></thead>
                <tbody>
                    if rows.is_empty() { <tr><td colspan="9">{ "(no pages)" }</td></tr> }
                    { for page_trs }
                </tbody>
            </table>
            <h3>{ "VMAs" }</h3>
            <table class="vmas">
                <thead><tr><th>{ "vma" }</th><th>{ "proc" }</th><th>{ "backing" }</th><th>{ "prot" }</th><th>{ "ptes" }</th><th>{ "state" }</th></tr></thead>
                <tbody>{ for vmas }</tbody>
            </table>
            <h3>{ "Files" }</h3>
            { for files }
            <h3>{ "Handles" }</h3>
            <table class="handles">
                <thead><tr><th>{ "handle" }</th><th>{ "api" }</th><th>{ "state" }</th><th>{ "pages" }</th><th>{ "flags" }</th><th>{ "times" }</th></tr></thead>
                <tbody>{ for handles }</tbody>
            </table>
            <p>{ format!("workqueue: {}", if work.is_empty() { "(empty)".to_string() } else { work.join(", ") }) }</p>
            <p>{ format!("context: {} · nr_foll_pin_acquired {} · nr_foll_pin_released {}", context_text(cur.ctx), cur.vmstat.nr_foll_pin_acquired, cur.vmstat.nr_foll_pin_released) }</p>
        </div>
    }
}

/// The flags cell: a change shows the flags set (`+dirty`) and cleared (`−buffers`).
fn flags_cell(changed: bool, old: Option<&str>, new: &str) -> Html {
    let Some(old) = old.filter(|_| changed) else {
        return html! { <td>{ new.to_string() }</td> };
    };
    let (was, now): (BTreeSet<&str>, BTreeSet<&str>) = (
        old.split_whitespace().collect(),
        new.split_whitespace().collect(),
    );
    let mut diff: Vec<String> = now.difference(&was).map(|f| format!("+{f}")).collect();
    diff.extend(was.difference(&now).map(|f| format!("−{f}")));
    html! { <td class="changed" title={format!("was: {old}; now: {new}")}>{ "◆ " }{ diff.join(" ") }</td> }
}

/// `block 0: v2, block 1: never written`: what the disk holds.
fn disk_text(disk: &[u64]) -> String {
    if disk.is_empty() {
        return "nothing (no blocks)".into();
    }
    let blocks: Vec<String> = disk
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            0 => format!("block {i}: never written"),
            v => format!("block {i}: data v{v}"),
        })
        .collect();
    blocks.join(", ")
}

fn handle_state(s: mm_model::kernel::HandleState) -> &'static str {
    use mm_model::kernel::HandleState as H;
    match s {
        H::Live => "holds its pages",
        H::Completing => "completing (release deferred to the workqueue)",
        H::Released => "released",
        H::Failed => "GUP failed: holds nothing",
    }
}

fn context_text(c: mm_model::kernel::Context) -> String {
    use mm_model::kernel::Context as C;
    let what = match c {
        C::Process => "may sleep",
        C::ProcessIrqsOff => "IRQs off: no sleeping",
        C::HardIrq => "hard IRQ: no sleeping",
    };
    format!("{} ({what})", c.name())
}

pub fn cost_table(
    report: &Report,
    texts: &BTreeMap<String, String>,
    on: Callback<(String, String)>,
    on_reset: Callback<MouseEvent>,
) -> Html {
    let rows = report.costs.entries.iter().map(|e| {
        let name = e.primitive.name().to_string();
        let value = texts
            .get(&name)
            .cloned()
            .unwrap_or_else(|| crate::fmt_duration_compact(e.duration.0));
        let valid = logic::parse_duration(&value).is_some();
        let on = on.clone();
        let n2 = name.clone();
        let oninput = Callback::from(move |ev: InputEvent| on.emit((n2.clone(), crate::input_value(&ev))));
        html! {
            <tr>
                <td><code>{ name.clone() }</code><div class="what">{ e.what.to_string() }</div></td>
                <td><input id={format!("cost-{name}")} aria-label={format!("{name} duration")} class={classes!((!valid).then_some("invalid"))}
                    aria-invalid={(!valid).to_string()} value={value} {oninput} size="8" />
                    if !valid { <span class="badval">{ " ✖ use e.g. 5us, 250ns" }</span> }</td>
                <td>{ fmt_ps(e.default.0) }</td>
                <td>{ format!("{}–{}", fmt_ps(e.range.0 .0), fmt_ps(e.range.1 .0)) }</td>
                <td>{ e.basis.name() }</td>
                <td class="src">{ e.source.to_string() }
                    if let Some(l) = &e.link { { " " }<a href={l.to_string()} target="_blank" rel="noopener">{ "link" }</a> }</td>
            </tr>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Cost table" }<button id="reset-costs" class="small" onclick={on_reset} title="back to the default costs (settings overrides stay)">{ "reset costs" }</button></h2>
            <table id="cost-table" class="costs">
                <thead><tr><th>{ "primitive" }</th><th>{ "duration" }</th><th>{ "default" }</th><th>{ "range" }</th><th>{ "basis" }</th><th>{ "source" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

/// The script as a C program for a real kernel (`pinlab export --c`), or why it cannot be one.
pub fn export_c(parse: &mm_model::Parse) -> Html {
    if parse.has_errors() {
        return html! { <p id="export-c-refused">{ "fix the script's errors first" }</p> };
    }
    match mm_model::export::to_c_including_header(&parse.script, "script") {
        Ok(c) => html! {
            <>
                <p class="note-inline">{ "needs " }<a href="oracle.h" download="oracle.h">{ "oracle.h" }</a>{ " beside it (pinlab export --c inlines it); make kernel-check runs such programs on Linux 6.1 (docs/fidelity.md)" }</p>
                <pre id="export-c">{ c }</pre>
            </>
        },
        Err(errs) => html! {
            <ul id="export-c-refused">
                { for errs.iter().map(|e| html! { <li>{ format!("line {}: not exportable: {}", e.line, e.reason) }</li> }) }
            </ul>
        },
    }
}
