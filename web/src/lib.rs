//! pinlab's browser playground: an editor for pinlab scripts, the step-by-step results of the
//! three pinning schemes, invariants, costs, a time-travelling state view and the text export.
//!
//! All user text is rendered as Yew text nodes; nothing is ever injected as raw HTML.

pub mod gallery;
pub mod logic;
mod view;
pub mod worker;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use mm_model::kernel::Kernel;

use mm_model::settings::{CounterMode, GupFastMode, KernelVersion, WritebackPolicy};
use mm_model::{Overrides, Parse, Report, SchemeKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use worker::{RunKey, Runner, Shown};
use yew::prelude::*;

pub use logic::DEFAULT_SCRIPT;

/// localStorage key of the editor text.
pub const STORAGE_KEY: &str = "pinlab.script";
/// localStorage key of the user's own script, kept when a gallery entry replaces it.
pub const SCRATCH_KEY: &str = "pinlab.scratch";
/// The playground's cap on executed statements per scheme: the model runs in a Web Worker (or on
/// the main thread without one), about 0.4 s per million statements per scheme in Chromium, so
/// a bigger run would keep results stale for long. The CLI runs up to
/// `mm_model::settings::MAX_STEPS`.
pub const WEB_MAX_STEPS: u64 = 1_000_000;

/// localStorage key of the settings and cost-table overrides (JSON, see [`UiOverrides::to_json`]).
pub const OVERRIDES_KEY: &str = "pinlab.overrides";
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
            era: self.era.as_deref().and_then(KernelVersion::from_name),
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
            max_steps: Some(WEB_MAX_STEPS),
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

    /// No override at all.
    pub fn is_empty(&self) -> bool {
        *self == UiOverrides::default()
    }

    /// JSON for localStorage: `{"era":"4.19","writeback":null,...,"costs":{"atomic":6000}}`
    /// (cost values in picoseconds). Written and read by hand ([`logic::json`]): serde_json's
    /// parser would add ~28 KB to the wasm for this one small object.
    pub fn to_json(&self) -> String {
        use logic::json::quote;
        let opt = |v: &Option<String>| v.as_deref().map_or("null".to_string(), quote);
        let costs: Vec<String> = self
            .costs
            .iter()
            .map(|(k, v)| format!("{}:{v}", quote(k)))
            .collect();
        format!(
            "{{\"era\":{},\"writeback\":{},\"counter\":{},\"gup_fast\":{},\"costs\":{{{}}}}}",
            opt(&self.era),
            opt(&self.writeback),
            opt(&self.counter),
            opt(&self.gup_fast),
            costs.join(",")
        )
    }

    /// Reads [`UiOverrides::to_json`]'s format back. Unknown setting names, unknown primitives
    /// and non-integer costs are dropped (stored data may come from an older version);
    /// `None` only when the text is not a JSON object.
    pub fn from_json(text: &str) -> Option<UiOverrides> {
        use logic::json::Value;
        let Value::Object(obj) = logic::json::parse(text)? else {
            return None;
        };
        let get = |key: &str| obj.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let name = |key: &str, valid: fn(&str) -> bool| match get(key) {
            Some(Value::Str(s)) if valid(s) => Some(s.clone()),
            _ => None,
        };
        let known: Vec<&'static str> = mm_model::cost::CostTable::default()
            .entries
            .iter()
            .map(|e| e.primitive.name())
            .collect();
        let mut costs = BTreeMap::new();
        if let Some(Value::Object(c)) = get("costs") {
            for (k, v) in c {
                if let (true, Value::Int(n)) = (known.contains(&k.as_str()), v) {
                    costs.insert(k.clone(), *n);
                }
            }
        }
        Some(UiOverrides {
            // Stored by an older version as an era token (`2018`): kept as the release it means.
            era: name("era", |s| KernelVersion::from_name(s).is_some())
                .and_then(|s| KernelVersion::from_name(&s))
                .map(|k| k.to_string()),
            writeback: name("writeback", |s| WritebackPolicy::from_name(s).is_some()),
            counter: name("counter", |s| CounterMode::from_name(s).is_some()),
            gup_fast: name("gup_fast", |s| GupFastMode::from_name(s).is_some()),
            costs,
        })
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

/// States of one evaluated script under one scheme, by step index: time travel replays the
/// script from the start, so each index is computed once and stepping reuses the neighbour.
/// Replays of runs that went to the model worker are computed there too
/// ([`Runner::want_states`]) and land here when they come back.
#[derive(Default)]
struct StateCache {
    /// The results generation and scheme the states are for.
    key: Option<(u64, SchemeKind)>,
    states: BTreeMap<u64, Rc<Kernel>>,
    /// The last (previous, selected) states shown: shown dimmed while the worker replays.
    last: Option<(Rc<Kernel>, Rc<Kernel>)>,
    /// When the view started waiting for the worker's states (`now_ms`).
    waiting_since: Option<f64>,
    /// The worker's states for this key did not arrive (bad reply, worker gone): replay here.
    worker_failed: bool,
}

impl StateCache {
    const MAX: usize = 64;

    /// Starts over for another evaluation or scheme (keeps the last states shown).
    fn reset_for(&mut self, key: (u64, SchemeKind)) {
        if self.key != Some(key) {
            self.key = Some(key);
            self.states.clear();
            self.waiting_since = None;
            self.worker_failed = false;
        }
    }

    /// A state computed elsewhere (the worker) for `key`; ignored when the view moved on.
    fn insert(&mut self, key: worker::StateKey, k: Option<Kernel>) {
        if self.key != Some((key.0, key.1)) {
            return;
        }
        match k {
            Some(k) => {
                if self.states.len() >= Self::MAX {
                    self.states.clear();
                }
                self.states.insert(key.2, Rc::new(k));
            }
            None => self.worker_failed = true,
        }
    }

    fn get(
        &mut self,
        eval: &Evaluated,
        o: &Overrides,
        scheme: SchemeKind,
        index: u64,
    ) -> Rc<Kernel> {
        if let Some(k) = self.states.get(&index) {
            return k.clone();
        }
        if self.states.len() >= Self::MAX {
            self.states.clear();
        }
        let k = Rc::new(mm_model::run::state_at(
            &eval.parse.script,
            o,
            scheme,
            index,
        ));
        self.states.insert(index, k.clone());
        k
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load_item(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

fn save_item(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

fn remove_item(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

fn load_script() -> String {
    load_item(STORAGE_KEY)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SCRIPT.to_string())
}

fn save_script(text: &str) {
    save_item(STORAGE_KEY, text);
}

fn load_scratch() -> Option<String> {
    load_item(SCRATCH_KEY).filter(|t| !t.trim().is_empty())
}

fn load_overrides() -> UiOverrides {
    load_item(OVERRIDES_KEY)
        .and_then(|t| UiOverrides::from_json(&t))
        .unwrap_or_default()
}

fn save_overrides(o: &UiOverrides) {
    if o.is_empty() {
        remove_item(OVERRIDES_KEY);
    } else {
        save_item(OVERRIDES_KEY, &o.to_json());
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn set_global(name: &str, v: &JsValue) {
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str(name), v);
    }
}

/// `window.pinlabLatencies` (the last samples, ms), `window.pinlabLatencyCount` (samples taken
/// since load) and `window.pinlabRunMs` (the last model run: parse + run, measured where it ran,
/// in the model worker or on the main thread, + the state view's replay on the main thread, ms;
/// of which `window.pinlabStateMs` was getting the state view's time-travel replays: the replay
/// on the main thread, or the wall time waiting for the worker's when the run went there).
fn publish_latencies(samples: &[f64], count: u64, run_ms: f64) {
    let arr = js_sys::Array::new();
    for s in samples {
        arr.push(&JsValue::from_f64(*s));
    }
    set_global("pinlabLatencies", &arr);
    set_global("pinlabLatencyCount", &JsValue::from_f64(count as f64));
    set_global("pinlabRunMs", &JsValue::from_f64(run_ms));
}

/// `0.4 ms`, `12 ms`: a measured time for the status line.
fn fmt_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// The application root.
#[function_component(App)]
pub fn app() -> Html {
    // `text` is the editor's content; `run_text` the text the panels show results for. They
    // differ while a slow script waits for the keyboard to go quiet (see `logic::debounce_delay_ms`).
    let text = use_state(load_script);
    let run_text = {
        let t = (*text).clone();
        use_state(move || t)
    };
    let scratch = use_state(load_scratch);
    let scheme = use_state(|| None::<SchemeKind>);
    let side = use_state(|| false);
    let selected = use_state(|| None::<u64>);
    let raw_map = use_state(|| false);
    let overrides = use_state(load_overrides);
    let cost_text = {
        let o = (*overrides).clone();
        use_state(move || {
            o.costs
                .iter()
                .map(|(k, v)| (k.clone(), fmt_duration_compact(*v)))
                .collect::<BTreeMap<String, String>>()
        })
    };
    let export = use_state(|| false);
    let nonce = use_state(|| 0u32);
    let left_px = use_state(|| None::<f64>);
    let dragging = use_mut_ref(|| false);
    let pending = use_mut_ref(|| None::<f64>);
    let samples = use_mut_ref(Vec::<f64>::new);
    let sample_count = use_mut_ref(|| 0u64);
    // Timing of the last state-view replay; with the shown results' run time (parse + run, in
    // the worker) it is the cost of a re-run, which decides the debounce.
    let state_ms = use_mut_ref(|| 0.0f64);
    let state_gen = use_mut_ref(|| 0u64);
    let cache = use_mut_ref(StateCache::default);
    let force = use_force_update();
    let run_ms = use_mut_ref(|| 0.0f64);
    let timer = use_mut_ref(|| None::<Timeout>);
    let gallery_ref = use_node_ref();

    // The editor's own parse (diagnostics, gutter marks) always follows the text: parsing is
    // cheap; running is what a slow script defers.
    let parse_now = use_memo((*text).clone(), |t| mm_model::parse(t));
    // The results shown. The first run of a small script is synchronous (the page opens with
    // results); a big one starts from the empty script's results, marked stale. Later runs of
    // big or slow scripts go to the model worker (`worker::Runner`) and replace `shown` when
    // they come back, so the panels keep the previous results (marked stale) meanwhile.
    let shown = {
        let mut key: RunKey = ((*run_text).clone(), (*overrides).clone(), *nonce);
        use_state(move || {
            let stmts = logic::estimated_statements(&mm_model::parse(&key.0).script.stmts);
            if logic::run_in_worker(stmts, 0.0) {
                key.0 = String::new();
            }
            let t0 = now_ms();
            let eval = evaluate(&key.0, &key.1);
            Rc::new(Shown {
                key,
                eval: Rc::new(eval),
                ms: now_ms() - t0,
                generation: 0,
                in_worker: false,
            })
        })
    };
    let runner = {
        let setter = shown.setter();
        let cache = cache.clone();
        let force = force.clone();
        use_memo((), move |_| {
            let on_state = move |key: worker::StateKey, k: Option<Kernel>| {
                cache.borrow_mut().insert(key, k);
                force.force_update();
            };
            Runner::start(
                Rc::new(move |s: Shown| setter.set(Rc::new(s))),
                Rc::new(on_state),
                0,
            )
        })
    };
    {
        let runner = (*runner).clone();
        let key: RunKey = ((*run_text).clone(), (*overrides).clone(), *nonce);
        let shown_key = shown.key.clone();
        let last_ms = shown.ms;
        use_effect_with(key, move |key| {
            if *key == shown_key {
                Runner::cancel(&runner);
            } else {
                Runner::request(&runner, key.clone(), last_ms);
            }
        });
    }
    let eval = shown.eval.clone();
    let generation = shown.generation;
    if *state_gen.borrow() != generation {
        *state_gen.borrow_mut() = generation;
        *state_ms.borrow_mut() = 0.0;
    }
    let stale = shown.key.0 != *text || shown.key.1 != *overrides || shown.key.2 != *nonce;
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

    // Selecting a step never re-runs the report: the cache (one per evaluation and scheme)
    // replays only up to the selected step and its predecessor, each index at most once. When
    // the run went to the model worker, so do the replays (a 400k-statement replay would block
    // the page for a fifth of a second); meanwhile the view shows the last states, dimmed.
    let (prev_k, cur_k, state_loading) = {
        let t0 = now_ms();
        // The overrides the shown results were run with (the current ones may be newer).
        let ov = shown.key.1.to_model();
        let mut c = cache.borrow_mut();
        c.reset_for((generation, cur_scheme));
        let via_worker = shown.in_worker && runner.borrow().has_worker() && !c.worker_failed;
        let (prev, cur, loading) = if via_worker {
            let cur = c.states.get(&state_index).cloned();
            let prev = c.states.get(&prev_index).cloned();
            if let (Some(prev), Some(cur)) = (prev, cur) {
                if let Some(since) = c.waiting_since.take() {
                    *state_ms.borrow_mut() = t0 - since;
                }
                Runner::want_states(&runner, Vec::new());
                (prev, cur, false)
            } else {
                if c.waiting_since.is_none() {
                    c.waiting_since = Some(t0);
                }
                let mut wants: Vec<worker::StateWant> = Vec::new();
                for i in [state_index, prev_index] {
                    if !c.states.contains_key(&i) && !wants.iter().any(|w| w.0 .2 == i) {
                        let key = (generation, cur_scheme, i);
                        wants.push((key, shown.key.0.clone(), shown.key.1.to_json()));
                    }
                }
                Runner::want_states(&runner, wants);
                let (prev, cur) = c.last.clone().unwrap_or_else(|| {
                    let empty = mm_model::parse("");
                    let k = Rc::new(mm_model::run::state_at(&empty.script, &ov, cur_scheme, 0));
                    (k.clone(), k)
                });
                (prev, cur, true)
            }
        } else {
            let cur = c.get(&eval, &ov, cur_scheme, state_index);
            let prev = c.get(&eval, &ov, cur_scheme, prev_index);
            let dt = now_ms() - t0;
            if dt > 0.5 {
                *state_ms.borrow_mut() = dt;
            }
            (prev, cur, false)
        };
        if !loading {
            c.last = Some((prev.clone(), cur.clone()));
        }
        *run_ms.borrow_mut() = shown.ms + *state_ms.borrow();
        (prev, cur, loading)
    };

    // Latency: time from the edit (before parse + run) to the DOM update that shows its
    // results. A render that still shows stale results (debounce pending) does not count.
    {
        let pending = pending.clone();
        let samples = samples.clone();
        let sample_count = sample_count.clone();
        let run_ms = run_ms.clone();
        let state_ms = state_ms.clone();
        use_effect(move || {
            let ms = *run_ms.borrow();
            set_global("pinlabStateMs", &JsValue::from_f64(*state_ms.borrow()));
            if stale {
                return;
            }
            if let Some(t0) = pending.borrow_mut().take() {
                let mut s = samples.borrow_mut();
                s.push(now_ms() - t0);
                if s.len() > MAX_SAMPLES {
                    let extra = s.len() - MAX_SAMPLES;
                    s.drain(..extra);
                }
                *sample_count.borrow_mut() += 1;
                publish_latencies(&s, *sample_count.borrow(), ms);
            } else {
                publish_latencies(&samples.borrow(), *sample_count.borrow(), ms);
            }
        });
    }

    // Overrides persist on every change; none at all removes the key.
    use_effect_with((*overrides).clone(), save_overrides);

    // The gallery select shows the entry matching the editor (a `<select>`'s displayed choice
    // follows its `value` property, not the `selected` attributes, once the user touched it).
    let gallery_id = gallery::find(&text).map_or(gallery::SCRATCH_ID, |e| e.id);
    {
        let gallery_ref = gallery_ref.clone();
        use_effect(move || {
            if let Some(sel) = gallery_ref.cast::<HtmlSelectElement>() {
                if sel.value() != gallery_id {
                    sel.set_value(gallery_id);
                }
            }
        });
    }

    let on_input = {
        let text = text.clone();
        let run_text = run_text.clone();
        let pending = pending.clone();
        let timer = timer.clone();
        let run_ms = run_ms.clone();
        Callback::from(move |e: InputEvent| {
            let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            *pending.borrow_mut() = Some(now_ms());
            let v = ta.value();
            save_script(&v);
            // Dropping a pending timeout cancels it: only the last keystroke's text runs.
            timer.borrow_mut().take();
            let delay = logic::debounce_delay_ms(*run_ms.borrow());
            if delay == 0 {
                run_text.set(v.clone());
            } else {
                let run_text = run_text.clone();
                let v2 = v.clone();
                *timer.borrow_mut() = Some(Timeout::new(delay, move || run_text.set(v2)));
            }
            text.set(v);
        })
    };

    // Replaces the editor text (gallery, "my script"), keeping unsaved work as the scratch.
    let replace_text = {
        let text = text.clone();
        let run_text = run_text.clone();
        let scratch = scratch.clone();
        let selected = selected.clone();
        let timer = timer.clone();
        let pending = pending.clone();
        Callback::from(move |new: String| {
            let cur = (*text).clone();
            if gallery::needs_scratch(&cur) {
                save_item(SCRATCH_KEY, &cur);
                scratch.set(Some(cur));
            }
            timer.borrow_mut().take();
            *pending.borrow_mut() = Some(now_ms());
            save_script(&new);
            selected.set(None);
            run_text.set(new.clone());
            text.set(new);
        })
    };
    let on_gallery = {
        let replace_text = replace_text.clone();
        let scratch = scratch.clone();
        Callback::from(move |e: Event| {
            let id = select_value(&e);
            let new = if id == gallery::SCRATCH_ID {
                (*scratch).clone().or_else(load_scratch)
            } else {
                gallery::by_id(&id).map(|g| g.text.to_string())
            };
            if let Some(new) = new {
                replace_text.emit(new);
            }
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

    // Re-run now: also flushes a debounced edit.
    let rerun = {
        let nonce = nonce.clone();
        let pending = pending.clone();
        let timer = timer.clone();
        let text = text.clone();
        let run_text = run_text.clone();
        Callback::from(move |()| {
            timer.borrow_mut().take();
            *pending.borrow_mut() = Some(now_ms());
            run_text.set((*text).clone());
            nonce.set(nonce.wrapping_add(1));
        })
    };

    // Keyboard: Ctrl+Enter re-runs; Alt+Arrow steps; [ / ] step outside the editor.
    let key_cb = {
        let step_by = step_by.clone();
        let rerun = rerun.clone();
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
                rerun.emit(());
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
        let left_px = left_px.clone();
        Callback::from(move |_| {
            left_px.set(None);
            side.set(!*side);
        })
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
    let on_reset_all = {
        let overrides = overrides.clone();
        let cost_text = cost_text.clone();
        Callback::from(move |_| {
            overrides.set(UiOverrides::default());
            cost_text.set(BTreeMap::new());
            remove_item(OVERRIDES_KEY);
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
        let rerun = rerun.clone();
        Callback::from(move |_| rerun.emit(()))
    };
    let prev_cb = {
        let s = step_by.clone();
        Callback::from(move |_| s.emit(-1))
    };
    let next_cb = {
        let s = step_by.clone();
        Callback::from(move |_| s.emit(1))
    };

    // The splitter between the columns: drag to resize (pointer capture keeps the moves on the
    // handle), double-click to go back to the default width.
    let on_split_down = {
        let dragging = dragging.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some(el) = e.target_dyn_into::<web_sys::Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            *dragging.borrow_mut() = true;
            e.prevent_default();
        })
    };
    let on_split_move = {
        let dragging = dragging.clone();
        let left_px = left_px.clone();
        Callback::from(move |e: PointerEvent| {
            if *dragging.borrow() {
                let vw = web_sys::window()
                    .and_then(|w| w.inner_width().ok())
                    .and_then(|v| v.as_f64())
                    .unwrap_or(1280.0);
                let x = logic::clamp_split(f64::from(e.client_x()) - 10.0, vw);
                left_px.set(Some(x));
            }
        })
    };
    let on_split_up = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| *dragging.borrow_mut() = false)
    };
    let on_split_reset = {
        let left_px = left_px.clone();
        Callback::from(move |_: MouseEvent| left_px.set(None))
    };
    let columns_style =
        left_px.map(|px| format!("grid-template-columns:{px:.0}px 8px minmax(0,1fr)"));

    let run_status = if stale {
        html! { <span id="run-status" class="status stale" role="status">{ "↻ running… (results are for the previous text)" }</span> }
    } else {
        let ms = *run_ms.borrow();
        html! { <span id="run-status" class={classes!("status", (ms > logic::SLOW_RUN_MS).then_some("slow"))} role="status"
        title="time of the last model run (parse + run all schemes, in the model worker for big scripts; + state view replay)">{ format!("✓ up to date · run {}", fmt_ms(ms)) }</span> }
    };
    let scratch_label = if gallery_id == gallery::SCRATCH_ID {
        "my script (edited)"
    } else {
        "my script (saved before the last switch)"
    };
    let show_scratch = gallery_id == gallery::SCRATCH_ID || scratch.is_some();

    html! {
        <div class="app">
            <header class="top">
                <h1>{ "pinlab" }</h1>
                <span class="tagline">{ "page-pinning designs, step by step" }</span>
                <label class="gallery">{ "scenario " }
                    <select id="gallery" ref={gallery_ref} onchange={on_gallery} title="load an example scenario (your edited script is kept as “my script”)">
                        { for gallery::GALLERY.iter().map(|g| html! {
                            <option value={g.id} selected={gallery_id == g.id}>{ g.title }</option>
                        }) }
                        if show_scratch {
                            <option value={gallery::SCRATCH_ID} selected={gallery_id == gallery::SCRATCH_ID}>{ scratch_label }</option>
                        }
                    </select>
                </label>
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
            <div class={classes!("columns", side.then_some("side"))} style={columns_style}>
                <section class="left">
                    { view::editor(&text, &parse_now, on_input) }
                    <p class="runline">{ run_status }</p>
                    { view::diagnostics(&parse_now) }
                    { view::settings(report, &overrides, on_setting, on_reset_all) }
                    <p class="help">{ "Keys: Ctrl+Enter re-run · Alt+←/→ step · [ / ] step (outside the editor)" }</p>
                </section>
                <div class="splitter" id="splitter" role="separator" aria-orientation="vertical"
                    title="drag to resize the editor; double-click to reset"
                    onpointerdown={on_split_down} onpointermove={on_split_move}
                    onpointerup={on_split_up.clone()} onpointercancel={on_split_up}
                    ondblclick={on_split_reset}></div>
                <section class={classes!("right", stale.then_some("is-stale"))}>
                    if *export {
                        <div class="panel">
                            <h2>{ "Export (plain text, for email)" }</h2>
                            <pre id="export-text">{ report.text() }</pre>
                            <h2>{ "Export as C (the same script on a real Linux: pinlab export --c)" }</h2>
                            { view::export_c(&parse_now) }
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
                    { view::state(cur_scheme, sel_index, &prev_k, &cur_k, *raw_map, on_raw, state_loading) }
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
