//! pinlab's browser playground: an editor for pinlab scripts, the step-by-step results of the
//! three pinning schemes, invariants, costs, a time-travelling state view and the text export.
//!
//! All user text is rendered as Yew text nodes; nothing is ever injected as raw HTML.

pub mod logic;
mod view;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use mm_model::settings::{CounterMode, Era, GupFastMode, WritebackPolicy};
use mm_model::{Overrides, Parse, Report, SchemeKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

pub use logic::DEFAULT_SCRIPT;

/// localStorage key of the editor text.
pub const STORAGE_KEY: &str = "pinlab.script";
const MAX_SAMPLES: usize = 200;

/// The settings the UI overrides (compared to decide when to re-run).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UiOverrides {
    /// Kernel era.
    pub era: Option<String>,
    /// Writeback policy.
    pub writeback: Option<String>,
    /// Counter mode.
    pub counter: Option<String>,
    /// GUP-fast mode.
    pub gup_fast: Option<String>,
    /// Cost overrides: primitive name -> picoseconds.
    pub costs: BTreeMap<String, u64>,
}

impl UiOverrides {
    /// The model's overrides.
    pub fn to_model(&self) -> Overrides {
        Overrides {
            schemes: Vec::new(),
            era: self.era.as_deref().and_then(Era::from_name),
            writeback: self
                .writeback
                .as_deref()
                .and_then(WritebackPolicy::from_name),
            counter: self.counter.as_deref().and_then(CounterMode::from_name),
            gup_fast: self.gup_fast.as_deref().and_then(GupFastMode::from_name),
            costs: self
                .costs
                .iter()
                .map(|(k, v)| (k.clone(), mm_model::Duration(*v)))
                .collect(),
        }
    }
    /// The script lines equivalent to these overrides.
    pub fn script_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.era {
            out.push(format!("kernel {e}"));
        }
        if let Some(w) = &self.writeback {
            out.push(format!("set writeback={w}"));
        }
        if let Some(c) = &self.counter {
            out.push(format!("set counter={c}"));
        }
        if let Some(g) = &self.gup_fast {
            out.push(format!("set gup-fast={g}"));
        }
        if !self.costs.is_empty() {
            let parts: Vec<String> = self
                .costs
                .iter()
                .map(|(k, v)| format!("{k}={}", fmt_duration_compact(*v)))
                .collect();
            out.push(format!("cost {}", parts.join(" ")));
        }
        out
    }
}

/// `5us`, `250ns`, `10.5ns`: a duration as the script language spells it.
pub fn fmt_duration_compact(ps: u64) -> String {
    if ps % 1_000_000 == 0 && ps > 0 {
        format!("{}us", ps / 1_000_000)
    } else {
        let ns = ps as f64 / 1000.0;
        let s = format!("{ns:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}ns")
    }
}

/// A parsed and run script.
pub struct Evaluated {
    /// Parse result (diagnostics, script).
    pub parse: Parse,
    /// Run report.
    pub report: Report,
}

/// Parses and runs a script with overrides.
pub fn evaluate(text: &str, o: &UiOverrides) -> Evaluated {
    let parse = mm_model::parse(text);
    let report = mm_model::run(&parse.script, &o.to_model());
    Evaluated { parse, report }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load_script() -> String {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SCRIPT.to_string())
}

fn save_script(text: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORAGE_KEY, text);
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn publish_latencies(samples: &[f64]) {
    let arr = js_sys::Array::new();
    for s in samples {
        arr.push(&JsValue::from_f64(*s));
    }
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str("pinlabLatencies"), &arr);
    }
}

/// The application root.
#[function_component(App)]
pub fn app() -> Html {
    let text = use_state(load_script);
    let scheme = use_state(|| None::<SchemeKind>);
    let side = use_state(|| false);
    let selected = use_state(|| None::<u64>);
    let raw_map = use_state(|| false);
    let overrides = use_state(UiOverrides::default);
    let cost_text = use_state(BTreeMap::<String, String>::new);
    let export = use_state(|| false);
    let nonce = use_state(|| 0u32);
    let pending = use_mut_ref(|| None::<f64>);
    let samples = use_mut_ref(Vec::<f64>::new);

    let eval = {
        let deps = ((*text).clone(), (*overrides).clone(), *nonce);
        use_memo(deps, |(t, o, _)| evaluate(t, o))
    };
    let report = &eval.report;
    let cur_scheme = (*scheme).unwrap_or(report.primary);
    let trace = report.trace(cur_scheme).or(report.traces.first());
    let steps: &[mm_model::Step] = trace.map_or(&[], |t| t.steps.as_slice());
    // The selected step: the chosen index if the trace has it, else the last step.
    let sel_pos = match *selected {
        Some(i) => steps
            .iter()
            .position(|s| s.index == i || (repeat_last(s) >= i && s.index <= i))
            .unwrap_or(steps.len().saturating_sub(1)),
        None => steps.len().saturating_sub(1),
    };
    let sel_step = steps.get(sel_pos);
    let sel_index = sel_step.map_or(0, |s| s.index);
    let state_index = sel_step.map_or(0, repeat_last);
    let prev_index = if sel_pos == 0 {
        0
    } else {
        steps.get(sel_pos - 1).map_or(0, repeat_last)
    };

    let states = {
        let eval = eval.clone();
        let deps = (
            (*text).clone(),
            (*overrides).clone(),
            *nonce,
            cur_scheme,
            state_index,
            prev_index,
        );
        use_memo(deps, move |(_, o, _, sch, cur, prev)| {
            let ov = o.to_model();
            let k = mm_model::run::state_at(&eval.parse.script, &ov, *sch, *cur);
            let p = mm_model::run::state_at(&eval.parse.script, &ov, *sch, *prev);
            (p, k)
        })
    };

    // Latency: time from the input event (before parse + run) to after the DOM update.
    {
        let pending = pending.clone();
        let samples = samples.clone();
        use_effect(move || {
            if let Some(t0) = pending.borrow_mut().take() {
                let mut s = samples.borrow_mut();
                s.push(now_ms() - t0);
                if s.len() > MAX_SAMPLES {
                    let extra = s.len() - MAX_SAMPLES;
                    s.drain(..extra);
                }
                publish_latencies(&s);
            } else if samples.borrow().is_empty() {
                publish_latencies(&[]);
            }
        });
    }

    let on_input = {
        let text = text.clone();
        let pending = pending.clone();
        Callback::from(move |e: InputEvent| {
            let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            *pending.borrow_mut() = Some(now_ms());
            let v = ta.value();
            save_script(&v);
            text.set(v);
        })
    };

    let select_step = {
        let selected = selected.clone();
        Callback::from(move |i: u64| selected.set(Some(i)))
    };

    let step_by = {
        let selected = selected.clone();
        let idxs: Vec<u64> = steps.iter().map(|s| s.index).collect();
        Callback::from(move |delta: i64| {
            if idxs.is_empty() {
                return;
            }
            let pos = sel_pos as i64 + delta;
            let pos = pos.clamp(0, idxs.len() as i64 - 1) as usize;
            selected.set(Some(idxs[pos]));
        })
    };

    // Keyboard: Ctrl+Enter re-runs; Alt+Arrow steps; [ / ] step outside the editor.
    let key_cb = {
        let step_by = step_by.clone();
        let nonce = nonce.clone();
        let pending = pending.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_field = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    let tag = el.tag_name().to_ascii_lowercase();
                    tag == "textarea" || tag == "input" || tag == "select"
                });
            let key = e.key();
            if e.ctrl_key() && key == "Enter" {
                e.prevent_default();
                *pending.borrow_mut() = Some(now_ms());
                nonce.set(nonce.wrapping_add(1));
            } else if e.alt_key() && key == "ArrowLeft" {
                e.prevent_default();
                step_by.emit(-1);
            } else if e.alt_key() && key == "ArrowRight" {
                e.prevent_default();
                step_by.emit(1);
            } else if !in_field && !e.ctrl_key() && !e.alt_key() && key == "[" {
                step_by.emit(-1);
            } else if !in_field && !e.ctrl_key() && !e.alt_key() && key == "]" {
                step_by.emit(1);
            }
        })
    };
    let key_ref: Rc<RefCell<Option<Callback<KeyboardEvent>>>> = use_mut_ref(|| None);
    *key_ref.borrow_mut() = Some(key_cb);
    {
        let key_ref = key_ref.clone();
        use_effect_with((), move |_| {
            let closure = Closure::<dyn Fn(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                let cb = key_ref.borrow().clone();
                if let Some(cb) = cb {
                    cb.emit(e);
                }
            });
            let doc = web_sys::window().and_then(|w| w.document());
            if let Some(d) = &doc {
                let _ =
                    d.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref());
            }
            move || {
                if let Some(d) = &doc {
                    let _ = d.remove_event_listener_with_callback(
                        "keydown",
                        closure.as_ref().unchecked_ref(),
                    );
                }
                drop(closure);
            }
        });
    }

    // Header controls.
    let scheme_buttons = SchemeKind::ALL.iter().map(|&k| {
        let scheme = scheme.clone();
        let active = k == cur_scheme;
        let onclick = Callback::from(move |_| scheme.set(Some(k)));
        html! {
            <button id={format!("scheme-{}", k.name())} class={classes!("scheme-btn", active.then_some("active"))}
                aria-pressed={active.to_string()} {onclick}>
                { if active { "● " } else { "○ " } }{ k.name() }
            </button>
        }
    });
    let on_side = {
        let side = side.clone();
        Callback::from(move |_| side.set(!*side))
    };

    let on_cost = {
        let overrides = overrides.clone();
        let cost_text = cost_text.clone();
        let pending = pending.clone();
        Callback::from(move |(name, value): (String, String)| {
            let mut ct = (*cost_text).clone();
            ct.insert(name.clone(), value.clone());
            cost_text.set(ct);
            if let Some(d) = logic::parse_duration(&value) {
                let mut o = (*overrides).clone();
                o.costs.insert(name, d.0);
                *pending.borrow_mut() = Some(now_ms());
                overrides.set(o);
            }
        })
    };
    let on_setting = {
        let overrides = overrides.clone();
        let pending = pending.clone();
        Callback::from(move |(which, value): (&'static str, String)| {
            let mut o = (*overrides).clone();
            let v = (!value.is_empty()).then_some(value);
            match which {
                "kernel" => o.era = v,
                "writeback" => o.writeback = v,
                "counter" => o.counter = v,
                _ => o.gup_fast = v,
            }
            *pending.borrow_mut() = Some(now_ms());
            overrides.set(o);
        })
    };
    let on_reset_costs = {
        let overrides = overrides.clone();
        let cost_text = cost_text.clone();
        Callback::from(move |_| {
            let mut o = (*overrides).clone();
            o.costs.clear();
            overrides.set(o);
            cost_text.set(BTreeMap::new());
        })
    };
    let on_export = {
        let export = export.clone();
        Callback::from(move |_| export.set(!*export))
    };
    let on_raw = {
        let raw_map = raw_map.clone();
        Callback::from(move |_| raw_map.set(!*raw_map))
    };
    let on_rerun = {
        let nonce = nonce.clone();
        let pending = pending.clone();
        Callback::from(move |_| {
            *pending.borrow_mut() = Some(now_ms());
            nonce.set(nonce.wrapping_add(1));
        })
    };
    let prev_cb = {
        let s = step_by.clone();
        Callback::from(move |_| s.emit(-1))
    };
    let next_cb = {
        let s = step_by.clone();
        Callback::from(move |_| s.emit(1))
    };

    let (prev_k, cur_k) = &*states;
    html! {
        <div class="app">
            <header class="top">
                <h1>{ "pinlab" }</h1>
                <span class="tagline">{ "page-pinning designs, step by step" }</span>
                <nav class="schemes" aria-label="scheme">
                    { for scheme_buttons }
                    <button id="side-by-side" class={classes!("scheme-btn", side.then_some("active"))}
                        aria-pressed={side.to_string()} onclick={on_side}>
                        { if *side { "▣ side by side" } else { "□ side by side" } }
                    </button>
                </nav>
                <button id="rerun" title="Ctrl+Enter" onclick={on_rerun}>{ "↻ run" }</button>
                <button id="export" onclick={on_export}>{ "⇩ export text" }</button>
            </header>
            <div class={classes!("columns", side.then_some("side"))}>
                <section class="left">
                    { view::editor(&text, &eval.parse, on_input) }
                    { view::diagnostics(&eval.parse) }
                    { view::settings(report, &overrides, on_setting) }
                    <p class="help">{ "Keys: Ctrl+Enter re-run · Alt+←/→ step · [ / ] step (outside the editor)" }</p>
                </section>
                <section class="right">
                    if *export {
                        <div class="panel">
                            <h2>{ "Export (plain text, for email)" }</h2>
                            <pre id="export-text">{ report.text() }</pre>
                        </div>
                    }
                    if eval.parse.has_errors() {
                        <p class="errbanner" role="alert">{ "✖ the script has errors (see Diagnostics): results cover the statements that parsed" }</p>
                    }
                    <div class="stepper">
                        <button id="step-prev" onclick={prev_cb} title="Alt+← or [">{ "◀ prev" }</button>
                        <span id="step-index">{ format!("step {} / {}", sel_index, steps.last().map_or(0, repeat_last)) }</span>
                        <button id="step-next" onclick={next_cb} title="Alt+→ or ]">{ "next ▶" }</button>
                        <span class="cur-stmt">{ sel_step.map(|s| s.text.clone()).unwrap_or_default() }</span>
                    </div>
                    if *side {
                        { view::lanes(report, sel_index, select_step.clone()) }
                    } else if let Some(t) = trace {
                        { view::steps(t, sel_index, select_step.clone()) }
                    }
                    if let Some(t) = trace {
                        { view::violations(t, select_step.clone()) }
                        { view::costs(report, t) }
                    }
                    { view::expectations(report) }
                    { view::state(cur_scheme, sel_index, prev_k, cur_k, *raw_map, on_raw) }
                    { view::cost_table(report, &cost_text, on_cost, on_reset_costs) }
                </section>
            </div>
        </div>
    }
}

/// The last step index a row covers (a repeat summary covers several).
pub fn repeat_last(s: &mm_model::Step) -> u64 {
    match s.kind {
        mm_model::trace::StepKind::Repeat { last_index, .. } => last_index,
        _ => s.index,
    }
}

/// Reads a `<select>`'s value from a change event.
pub(crate) fn select_value(e: &Event) -> String {
    e.target_dyn_into::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

/// Reads an `<input>`'s value from an input event.
pub(crate) fn input_value(e: &InputEvent) -> String {
    e.target_dyn_into::<HtmlInputElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}
