//! The panels of the playground, as plain functions returning `Html`.

use std::collections::{BTreeMap, BTreeSet};

use mm_model::cost::fmt_ps;
use mm_model::kernel::{Kernel, RmapEntry};
use mm_model::settings::{CounterMode, GupFastMode, KernelVersion, WritebackPolicy};
use mm_model::trace::{Change, StepKind};
use mm_model::{Parse, Report, SchemeKind, Step, Trace};
use yew::prelude::*;

use crate::logic::{self, changed_fields, fmt_delta, page_rows, tokenize_line};
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
    let hl = lines.iter().enumerate().map(|(i, l)| {
        let cls = if err_lines.contains(&(i as u32 + 1)) {
            "hl-line err"
        } else {
            "hl-line"
        };
        let toks = tokenize_line(l)
            .into_iter()
            .map(|(k, t)| html! { <span class={k.class()}>{ t }</span> });
        html! { <div class={cls}>{ for toks }{ "\u{200b}" }</div> }
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

pub fn diagnostics(parse: &Parse) -> Html {
    let items = parse.diagnostics.iter().map(|d| {
        let sev = if d.is_error() { "error" } else { "warning" };
        let hint = d.hint.clone().unwrap_or_default();
        let title = format!("{}:{} {} {}", d.line, d.col, d.message, hint);
        html! {
            <li class={sev} title={title}>
                <b>{ if d.is_error() { "✖ " } else { "▲ " } }{ format!("{}:{} ", d.line, d.col) }</b>
                { d.message.clone() }
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
    report: &Report,
    o: &UiOverrides,
    on: Callback<(&'static str, String)>,
    on_reset: Callback<MouseEvent>,
) -> Html {
    let s = &report.settings;
    let sel = |id: &'static str,
               which: &'static str,
               names: Vec<String>,
               cur: &Option<String>,
               eff: String| {
        let on = on.clone();
        let onchange = Callback::from(move |e: Event| on.emit((which, crate::select_value(&e))));
        let opts = names.into_iter().map(|n| {
            html! { <option value={n.clone()} selected={cur.as_deref() == Some(n.as_str())}>{ n }</option> }
        });
        html! {
            <label>{ which }{ " " }
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
                if !o.is_empty() { <span id="overrides-note" class="note-inline">{ "overrides active (saved in this browser)" }</span> }
            </h2>
            { sel("set-kernel", "kernel", KernelVersion::PRESETS.iter().map(|e| e.to_string()).collect(), &o.era, s.era.to_string()) }
            { sel("set-writeback", "writeback", WritebackPolicy::ALL.iter().map(|e| e.name().to_string()).collect(), &o.writeback, s.writeback.name().to_string()) }
            { sel("set-counter", "counter", CounterMode::ALL.iter().map(|e| e.name().to_string()).collect(), &o.counter, s.counter.name().to_string()) }
            { sel("set-gup-fast", "gup-fast", GupFastMode::ALL.iter().map(|e| e.name().to_string()).collect(), &o.gup_fast, s.gup_fast.name().to_string()) }
            <div class="equiv">
                <span>{ "as script lines:" }</span>
                <pre id="settings-script">{ if lines.is_empty() { "(none: the script's own settings)".to_string() } else { lines.join("\n") } }</pre>
            </div>
        </div>
    }
}

fn result_text(s: &Step) -> String {
    match &s.kind {
        StepKind::Expect { passed, .. } => (if *passed { "✔ pass" } else { "✖ FAIL" }).into(),
        _ => s.result.name().to_string(),
    }
}

fn step_text(s: &Step) -> String {
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

fn idx_text(s: &Step) -> String {
    match &s.kind {
        StepKind::Repeat { last_index, .. } => format!("{}..{}", s.index, last_index),
        _ => s.index.to_string(),
    }
}

fn change_text(c: &Change) -> String {
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

pub fn steps(t: &Trace, sel: u64, on_select: Callback<u64>) -> Html {
    let rows = t.steps.iter().map(|s| {
        let idx = s.index;
        let on_select = on_select.clone();
        let onclick = Callback::from(move |_| on_select.emit(idx));
        let bad = s.findings.iter().any(|f| !f.kind.informational());
        let cls = classes!(
            "step",
            covers(s, sel).then_some("selected"),
            bad.then_some("bad"),
            matches!(s.kind, StepKind::Repeat { .. }).then_some("repeat"),
            matches!(s.kind, StepKind::Expect { passed: false, .. }).then_some("fail")
        );
        let findings = s.findings.iter().map(|f| {
            let (c, mark) = if f.kind.informational() { ("info", "~") } else { ("viol", "!") };
            html! { <div class={classes!("finding", c)}>{ format!("{mark} {}: {}", f.kind.name(), f.detail) }</div> }
        });
        html! {
            <tr class={cls} {onclick} tabindex="0" data-index={idx.to_string()}>
                <td class="idx">{ if covers(s, sel) { "▶ " } else { "" } }{ idx_text(s) }</td>
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
        <div class="panel">
            <h2>{ format!("Steps — {}", t.scheme.name()) }</h2>
            if let Some(msg) = &t.budget_hit { <p class="budget">{ format!("!! {msg}") }</p> }
            <table id="steps" class="steps">
                <thead><tr><th>{ "#" }</th><th>{ "statement / changes / findings" }</th><th>{ "result" }</th><th>{ "cost" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

pub fn lanes(report: &Report, sel: u64, on_select: Callback<u64>) -> Html {
    let all: Vec<&[Step]> = report.traces.iter().map(|t| t.steps.as_slice()).collect();
    let diff = logic::first_difference(&all);
    let banner = match diff {
        Some(i) => format!("⚠ outcomes first differ at step {i}"),
        None => "= all schemes agree on every step".to_string(),
    };
    let lanes = report.traces.iter().map(|t| {
        let rows = t.steps.iter().map(|s| {
            let idx = s.index;
            let on_select = on_select.clone();
            let onclick = Callback::from(move |_| on_select.emit(idx));
            let names: Vec<String> = s
                .findings
                .iter()
                .map(|f| format!("{}{}", if f.kind.informational() { "~" } else { "!" }, f.kind.name()))
                .collect();
            let bad = s.findings.iter().any(|f| !f.kind.informational());
            html! {
                <tr class={classes!("step", covers(s, sel).then_some("selected"), bad.then_some("bad"), (diff == Some(idx)).then_some("diff"))} {onclick}>
                    <td class="idx">{ idx_text(s) }</td>
                    <td class="stmt"><code title={step_text(s)}>{ step_text(s) }</code>
                        { for names.iter().map(|n| html!{ <div class="finding">{ n.clone() }</div> }) }</td>
                    <td class="res">{ result_text(s) }
                        if s.cost_ps > 0 { <div class="lcost">{ fmt_ps(s.cost_ps) }</div> }</td>
                </tr>
            }
        });
        html! {
            <div class="lane" id={format!("lane-{}", t.scheme.name())}>
                <h3>{ t.scheme.name() }{ " — " }{ fmt_ps(t.total_ps) }</h3>
                <table class="steps"><tbody>{ for rows }</tbody></table>
            </div>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Side by side" }</h2>
            <p id="first-diff" class={classes!("banner", diff.is_some().then_some("warn"))}>{ banner }</p>
            <div class="lanes">{ for lanes }</div>
        </div>
    }
}

pub fn violations(t: &Trace, on_select: Callback<u64>) -> Html {
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
                <div class="expl">{ info.explanation }</div>
                <div class="kpath">{ "kernel: " }<code>{ info.kernel_path }</code></div>
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
            <h2>{ format!("Invariants — {}", t.scheme.name()) }</h2>
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

const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

pub fn costs(report: &Report, sel: &Trace) -> Html {
    let max = report
        .traces
        .iter()
        .map(|t| t.total_ps)
        .max()
        .unwrap_or(1)
        .max(1);
    let w = 560.0;
    let bars = report.traces.iter().enumerate().map(|(row, t)| {
        let mut x = 0.0;
        let y = row as f64 * 26.0;
        let segs: Vec<Html> = t
            .total
            .iter()
            .map(|(p, n)| {
                let ps = report.costs.get(p).0.saturating_mul(n);
                let width = ps as f64 / max as f64 * w;
                let rect = html! {
                    <rect x={format!("{:.1}", 90.0 + x)} y={format!("{y}")} width={format!("{width:.1}")} height="20"
                        fill={PALETTE[p as usize % PALETTE.len()]} stroke="#fff">
                        <title>{ format!("{}: {} × {} = {}", p.name(), n, fmt_ps(report.costs.get(p).0), fmt_ps(ps)) }</title>
                    </rect>
                };
                x += width;
                rect
            })
            .collect();
        html! {
            <g>
                <text x="0" y={format!("{}", y + 15.0)} class="svg-label">{ t.scheme.name() }</text>
                { for segs }
                <text x={format!("{:.1}", 94.0 + x)} y={format!("{}", y + 15.0)} class="svg-label">{ fmt_ps(t.total_ps) }</text>
            </g>
        }
    });
    let used: BTreeSet<mm_model::Primitive> = report
        .traces
        .iter()
        .flat_map(|t| t.total.iter().map(|(p, _)| p))
        .collect();
    let legend = used.iter().map(|p| {
        html! { <span class="legend-item"><span class="swatch" style={format!("background:{}", PALETTE[*p as usize % PALETTE.len()])}></span>{ p.name() }</span> }
    });
    let deltas = report.traces.iter().filter(|t| t.scheme != sel.scheme).map(|t| {
        let pct = if sel.total_ps > 0 {
            (t.total_ps as f64 - sel.total_ps as f64) / sel.total_ps as f64 * 100.0
        } else {
            0.0
        };
        html! { <li>{ format!("{} vs {}: {} ({pct:+.0}%)", t.scheme.name(), sel.scheme.name(), fmt_delta(sel.total_ps, t.total_ps)) }</li> }
    });
    html! {
        <div class="panel">
            <h2>{ "Costs" }</h2>
            <p class="total">{ format!("total ({}): ", sel.scheme.name()) }<b id="cost-total">{ fmt_ps(sel.total_ps) }</b></p>
            <svg class="bars" viewBox={format!("0 0 720 {}", report.traces.len() * 26)} role="img" aria-label="cost by primitive per scheme">
                { for bars }
            </svg>
            <div class="legend">{ for legend }</div>
            <ul class="deltas">{ for deltas }</ul>
        </div>
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

pub fn state(
    scheme: SchemeKind,
    sel: u64,
    prev: &Kernel,
    cur: &Kernel,
    raw_map: bool,
    on_raw: Callback<MouseEvent>,
    loading: bool,
) -> Html {
    let prows = page_rows(prev);
    let rows = page_rows(cur);
    let changed = changed_fields(&prows, &rows);
    let cell = |ch: &BTreeSet<&'static str>, f: &'static str, v: String| {
        if ch.contains(f) {
            html! { <td class="changed" title="changed by this step">{ "◆ " }{ v }</td> }
        } else {
            html! { <td>{ v }</td> }
        }
    };
    let page_trs = rows.iter().zip(changed.iter()).map(|(r, ch)| {
        let map = if raw_map { r.mapcount - 1 } else { r.mapcount };
        html! {
            <tr>
                { cell(ch, "pfn", format!("p{}", r.pfn)) }
                { cell(ch, "refcount", r.refcount.to_string()) }
                { cell(ch, "mapcount", map.to_string()) }
                { cell(ch, "pincount", r.pincount.to_string()) }
                { cell(ch, "flags", r.flags.clone()) }
                { cell(ch, "zone", r.zone.clone()) }
                { cell(ch, "owner", r.owner.clone()) }
                { cell(ch, "pinned", r.pinned.clone()) }
                { cell(ch, "state", r.state.clone()) }
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
                <div>{ format!("disk versions: {:?}", f.disk) }</div>
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
                <td>{ h.name.clone() }</td><td>{ api }</td><td>{ format!("{:?}", h.state).to_lowercase() }</td>
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
                <thead><tr><th>{ "vma" }</th><th>{ "proc" }</th><th>{ "backing" }</th><th>{ "prot" }</th><th>{ "ptes" }</th><th>{ "" }</th></tr></thead>
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
            <p>{ format!("context: {} · nr_foll_pin_acquired {} · nr_foll_pin_released {}", cur.ctx.name(), cur.vmstat.nr_foll_pin_acquired, cur.vmstat.nr_foll_pin_released) }</p>
        </div>
    }
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
                <td><input id={format!("cost-{name}")} class={classes!((!valid).then_some("invalid"))}
                    aria-invalid={(!valid).to_string()} value={value} {oninput} size="8" />
                    if !valid { <span class="badval">{ " ✖ use e.g. 5us, 250ns" }</span> }</td>
                <td>{ fmt_ps(e.default.0) }</td>
                <td>{ format!("{}–{}", fmt_ps(e.range.0 .0), fmt_ps(e.range.1 .0)) }</td>
                <td>{ e.basis.name() }</td>
                <td class="src">{ e.source.to_string() }</td>
            </tr>
        }
    });
    html! {
        <div class="panel">
            <h2>{ "Cost table" }<button id="reset-costs" class="small" onclick={on_reset} title="back to the default costs">{ "reset" }</button></h2>
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
    match mm_model::export::to_c(&parse.script, "script") {
        Ok(c) => html! {
            <>
                <p class="note-inline">{ "builds against oracle/lib/oracle.h; make kernel-check runs such programs on Linux 6.1 (docs/fidelity.md)" }</p>
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
