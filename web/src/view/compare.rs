//! The comparison views: the verdict strip at the top of the results, the first-difference
//! banners and the step x scheme grid of the side-by-side view.

use mm_model::cost::fmt_ps;
use mm_model::trace::StepKind;
use mm_model::{SchemeKind, Step};
use yew::prelude::*;

use super::{change_text, idx_text, result_text, step_text};
use crate::compare::{self, Difference, Row, Verdict};

/// A difference banner's target: the row and the step number shown for it.
pub struct Jump<'a> {
    /// The difference.
    pub diff: &'a Difference,
    /// The step index shown (the selected scheme's, when it has the row).
    pub index: u64,
}

/// What the verdict strip shows besides the verdicts.
pub struct VerdictProps<'a> {
    /// The scheme the panels follow.
    pub current: SchemeKind,
    /// The script's leading comment: what to look at.
    pub lead: &'a str,
    /// First outcome difference.
    pub outcome: Option<Jump<'a>>,
    /// First informational difference.
    pub info: Option<Jump<'a>>,
    /// Settings or cost overrides are active: their script lines.
    pub overrides: Vec<String>,
}

pub fn verdict(
    v: &[Verdict],
    p: VerdictProps<'_>,
    on_scheme: Callback<SchemeKind>,
    on_row: Callback<usize>,
    on_reset: Callback<MouseEvent>,
) -> Html {
    let rows = v.iter().map(|x| {
        let k = x.scheme;
        let cur = k == p.current;
        let on_scheme = on_scheme.clone();
        let onclick = Callback::from(move |_| on_scheme.emit(k));
        let viols = if x.violations.is_empty() {
            html! { <span class="v-ok">{ "no violation" }</span> }
        } else {
            html! { <>{ for x.violations.iter().map(|(kind, n)| html! {
                <span class="vname">{ kind.name() }{ if *n > 1 { format!(" ×{n}") } else { String::new() } }</span>
            }) }</> }
        };
        let events = x.events.iter().map(|(kind, n)| {
            html! { <span class="ev" title={kind.info().explanation}>{ "~" }{ kind.name() }{ if *n > 1 { format!(" ×{n}") } else { String::new() } }</span> }
        });
        let refusals = x.refusals.iter().map(|(r, n)| {
            html! { <span class="refusal">{ r.name() }{ if *n > 1 { format!(" ×{n}") } else { String::new() } }</span> }
        });
        let (held, total) = x.expects;
        html! {
            <tr class={classes!("vrow", cur.then_some("current"))}
                id={format!("verdict-{}", k.name())}>
                <th scope="row">
                    <button class="vscheme" {onclick} aria-pressed={cur.to_string()} title={compare::tooltip(k)}>
                        { compare::label(k) }
                    </button>
                </th>
                <td class="vviol">{ viols }{ for events }{ for refusals }
                    if x.budget_hit { <span class="refusal">{ "step budget hit" }</span> }
                </td>
                <td class="vexp">
                    if total > 0 {
                        <span class={if held == total { "v-ok" } else { "v-bad" }} title="expect lines that hold under this scheme">
                            { if held == total { "✔ " } else { "✖ " } }{ format!("{held}/{total} expects") }
                        </span>
                    }
                </td>
                <td class="vcost">{ fmt_ps(x.total_ps) }</td>
            </tr>
        }
    });
    let banner = |id: &'static str, what: &str, j: &Option<Jump<'_>>| match j {
        Some(j) => {
            let row = j.diff.row;
            let on_row = on_row.clone();
            let onclick = Callback::from(move |_| on_row.emit(row));
            html! {
                <button {id} class={classes!("diffbtn", what.to_string())} {onclick} title="go to this step">
                    <b>{ format!("step {}", j.index) }</b>{ format!(": {}", j.diff.text) }
                </button>
            }
        }
        None => Html::default(),
    };
    let same = p.outcome.is_none() && p.info.is_none() && v.len() > 1;
    html! {
        <section class="panel verdict" id="verdict" aria-labelledby="verdict-title">
            <h2 id="verdict-title">{ "Verdict" }
                if !p.overrides.is_empty() {
                    <span id="overrides-chip" class="chip" title={p.overrides.join("\n")}>
                        { "overrides active" }
                        <button id="overrides-chip-reset" class="small" onclick={on_reset}
                            title="clear every settings and cost override (kept in this browser)">{ "reset" }</button>
                    </span>
                }
            </h2>
            if !p.lead.is_empty() { <p id="lead" class="lead">{ p.lead }</p> }
            <table class="verdicts">
                <thead><tr><th>{ "scheme" }</th><th>{ "violations · events · refusals" }</th><th>{ "expects" }</th><th>{ "cost" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if v.len() > 1 {
                <div class="diffs">
                    { banner("first-outcome", "outcome", &p.outcome) }
                    { banner("first-info", "info", &p.info) }
                    if same { <p id="first-outcome" class="diffbtn same">{ "= every scheme has the same outcome at every step" }</p> }
                    else if p.outcome.is_none() { <p id="first-outcome" class="diffbtn same">{ "= outcomes agree at every step (only informational events differ)" }</p> }
                </div>
            }
        </section>
    }
}

/// One cell: the result when it is not plain `ok`, the counter changes, the findings, the
/// cost.
fn cell(s: &Step) -> Html {
    let res = match &s.kind {
        StepKind::Expect { .. } => Some(result_text(s)),
        _ if s.result == mm_model::OpResult::Ok => None,
        _ => Some(result_text(s)),
    };
    html! {
        <>
            if let Some(r) = res { <div class={classes!("cres", (s.result != mm_model::OpResult::Ok && s.result != mm_model::OpResult::Fallback).then_some("refused"))}>{ r }</div> }
            { for s.changes.iter().map(|c| html! { <div class="change">{ change_text(c) }</div> }) }
            { for s.findings.iter().map(|f| {
                let (c, mark) = if f.kind.informational() { ("info", "~") } else { ("viol", "!") };
                html! { <div class={classes!("finding", c)} title={f.detail.clone()}>{ format!("{mark}{}", f.kind.name()) }</div> }
            }) }
            if s.cost_ps > 0 { <div class="lcost">{ fmt_ps(s.cost_ps) }</div> }
        </>
    }
}

/// What the grid needs to know about the selection.
pub struct GridSel {
    /// The lane the panels follow.
    pub lane: usize,
    /// The selected row.
    pub row: Option<usize>,
    /// The row of the first outcome difference.
    pub outcome: Option<usize>,
}

pub fn grid(
    schemes: &[SchemeKind],
    lanes: &[&[Step]],
    rows: &[Row],
    sel: GridSel,
    on_cell: Callback<(usize, Option<usize>)>,
    on_key: Callback<(KeyboardEvent, usize)>,
) -> Html {
    let head = schemes.iter().enumerate().map(|(j, k)| {
        html! { <th class={classes!("lanehead", (j == sel.lane).then_some("current"))} title={compare::tooltip(*k)}
            id={format!("lane-{}", k.name())}>{ compare::label(*k) }</th> }
    });
    let trs = rows.iter().enumerate().map(|(r, row)| {
        let Some(first) = row.any(lanes) else {
            return Html::default();
        };
        let bad = row
            .cells
            .iter()
            .zip(lanes)
            .filter_map(|(c, l)| c.and_then(|i| l.get(i)))
            .any(|s| s.findings.iter().any(|f| !f.kind.informational()));
        let own = row.cells.get(sel.lane).copied().flatten().and_then(|i| lanes[sel.lane].get(i));
        let shown = own.unwrap_or(first);
        let selected = sel.row == Some(r);
        let on_row = on_cell.clone();
        let onclick = Callback::from(move |_| on_row.emit((r, None)));
        let on_key = on_key.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| on_key.emit((e, r)));
        let cells = row.cells.iter().enumerate().map(|(j, c)| {
            let cur = j == sel.lane;
            match c.and_then(|i| lanes[j].get(i)) {
                Some(s) => {
                    let on_cell = on_cell.clone();
                    let onclick = Callback::from(move |e: MouseEvent| {
                        e.stop_propagation();
                        on_cell.emit((r, Some(j)));
                    });
                    let bad = s.findings.iter().any(|f| !f.kind.informational());
                    html! { <td class={classes!("gcell", cur.then_some("current"), bad.then_some("bad"))} {onclick}>{ cell(s) }</td> }
                }
                None => html! { <td class={classes!("gcell", "empty", cur.then_some("current"))}>{ "—" }</td> },
            }
        });
        html! {
            <tr class={classes!("step", selected.then_some("selected"), bad.then_some("bad"), (sel.outcome == Some(r)).then_some("diff"))}
                tabindex="0" data-row={r.to_string()} data-index={shown.index.to_string()} {onclick} {onkeydown}
                aria-selected={selected.to_string()}>
                <td class="idx">{ if own.is_some() { idx_text(shown) } else { "·".to_string() } }</td>
                <td class="stmt"><code>{ step_text(shown) }</code>
                    if let StepKind::Expect { .. } = shown.kind { <div class="note">{ "expectation" }</div> }</td>
                { for cells }
            </tr>
        }
    });
    html! {
        <section class="panel gridpanel" aria-labelledby="grid-title">
            <h2 id="grid-title">{ "Side by side: one row per statement" }</h2>
            <div class="gridwrap" tabindex="0" role="region" aria-label="steps of every scheme">
                <table id="grid" class="steps grid">
                    <thead><tr><th>{ "#" }</th><th>{ "statement" }</th>{ for head }</tr></thead>
                    <tbody>{ for trs }</tbody>
                </table>
            </div>
        </section>
    }
}
