//! pinlab's browser playground: an editor for pinlab scripts, the step-by-step results of the
//! three pinning schemes, invariants, costs, a time-travelling state view and the text export.
//!
//! All user text is rendered as Yew text nodes; nothing is ever injected as raw HTML.

pub mod compare;
pub mod crash;
pub mod exercises;
pub mod explorer;
pub mod gallery;
pub mod logic;
mod overrides;
pub mod share;
mod storage;
mod view;
pub mod worker;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use mm_model::kernel::Kernel;

use mm_model::{Overrides, Parse, Report, SchemeKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use worker::{RunKey, Runner, Shown};
use yew::prelude::*;

pub use logic::DEFAULT_SCRIPT;
pub use overrides::{fmt_duration_compact, UiOverrides};
use storage::{
    load_item, load_overrides, load_scratch, load_script, remove_item, save_item, save_overrides,
    save_script,
};

/// localStorage key of the editor text.
pub const STORAGE_KEY: &str = "pinlab.script";
/// localStorage key of the user's own script, kept when a gallery entry replaces it.
pub const SCRATCH_KEY: &str = "pinlab.scratch";
/// The playground's cap on executed statements per scheme: the model runs in a Web Worker (or on
/// the main thread without one), about 0.4 s per million statements per scheme in Chromium, so
/// a bigger run would keep results stale for long. The CLI runs up to
/// `mm_model::settings::MAX_STEPS`.
pub const WEB_MAX_STEPS: u64 = 1_000_000;

/// localStorage key of the panels hidden in presentation mode (`steps,costs`).
pub const PRESENT_KEY: &str = "pinlab.present";

/// The panels presentation mode can show or hide: (name, label).
const PRESENT_PANELS: &[(&str, &str)] = &[
    ("steps", "steps"),
    ("state", "state"),
    ("invariants", "invariants"),
    ("costs", "costs"),
];

/// localStorage key of the colour scheme chosen with the toggle (`dark` / `light`; absent:
/// follow `prefers-color-scheme`).
pub const THEME_KEY: &str = "pinlab.theme";

/// The 2018 LKML thread where the pin counter and the fake VMA were argued (Jan Kara's reply).
pub const THREAD_URL: &str = "https://lore.kernel.org/all/20181210102846.GC29289@quack2.suse.cz/";

/// localStorage key of the settings and cost-table overrides (JSON, see [`UiOverrides::to_json`]).
pub const OVERRIDES_KEY: &str = "pinlab.overrides";
const MAX_SAMPLES: usize = 200;

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

/// Dark colours: the stored choice, else the system's `prefers-color-scheme`.
fn initial_dark() -> bool {
    match load_item(THEME_KEY).as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    }
}

/// Adds `closure` as the `event` listener of `target`; the returned function removes it (an
/// effect's cleanup).
fn listen<F: ?Sized + 'static>(
    target: Option<web_sys::EventTarget>,
    event: &'static str,
    closure: Closure<F>,
) -> impl FnOnce() {
    if let Some(t) = &target {
        let _ = t.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    }
    move || {
        if let Some(t) = &target {
            let _ = t.remove_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        }
        drop(closure);
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
    // The scheme the panels follow and the side-by-side view start from what the script's
    // expect lines are about (`compare::focus`), and follow every gallery switch.
    let first_focus = {
        let t = (*text).clone();
        *use_memo((), move |_| compare::focus(&mm_model::parse(&t).script))
    };
    let scheme = use_state(|| first_focus.scheme);
    let side = use_state(|| first_focus.side);
    let help_open = use_state(|| false);
    // A share link that did not open, or other things the user must read.
    let notice = use_state(|| None::<String>);
    let share_open = use_state(|| false);
    let present = use_state(|| false);
    // The panels presentation mode hides (kept in this browser): a comma list of names.
    let present_hidden = use_state(|| load_item(PRESENT_KEY).unwrap_or_default());
    let embed = *use_memo((), |_| share::embed_mode());
    let sweep_open = use_state(|| false);
    // Side by side, the state pictures of every scheme (two replays per scheme per edit: on
    // request only, so typing stays fast).
    let all_pictures = use_state(|| false);
    // Exercises: every exercise's progress, the one open now, its last grade.
    let book_corrupt = use_mut_ref(|| false);
    let book = {
        let corrupt = book_corrupt.clone();
        use_state(move || match load_item(exercises::PROGRESS_KEY) {
            None => exercises::Book::new(),
            Some(t) => exercises::from_json(&t).unwrap_or_else(|| {
                *corrupt.borrow_mut() = true;
                exercises::Book::new()
            }),
        })
    };
    let exercise = use_state(|| {
        let query = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .and_then(|q| exercises::from_query(&q));
        query
            .or_else(|| load_item(exercises::CURRENT_KEY))
            .and_then(|n| mm_model::exercise::builtin(&n).map(|e| e.name))
    });
    let ex_grade = use_state(|| None::<mm_model::exercise::Grade>);
    // Below 600 px one column shows: the results (first) or the script.
    let phone_script = use_state(|| false);
    let dark = use_state(initial_dark);
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
    // When the last keystroke was (`now_ms`), for the debounce's "was the keyboard quiet".
    let last_key = use_mut_ref(|| f64::NEG_INFINITY);
    let explore_focus = use_mut_ref(|| None::<(String, SchemeKind, mm_model::ViolationKind)>);
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
    {
        let explore_focus = explore_focus.clone();
        let selected = selected.clone();
        let eval = eval.clone();
        let key_text = shown.key.0.clone();
        use_effect_with(generation, move |_| {
            let hit = matches!(&*explore_focus.borrow(), Some((t, _, _)) if *t == key_text);
            if hit {
                if let Some((_, k, kind)) = explore_focus.borrow_mut().take() {
                    let first = eval.report.trace(k).and_then(|t| {
                        t.first_step
                            .iter()
                            .find(|(v, _)| *v == kind)
                            .map(|(_, i)| *i)
                    });
                    if first.is_some() {
                        selected.set(first);
                    }
                }
            }
        });
    }
    let stale = shown.key.0 != *text || shown.key.1 != *overrides || shown.key.2 != *nonce;
    let report = &eval.report;
    let trace = (*scheme)
        .and_then(|k| report.trace(k))
        .or_else(|| report.trace(report.primary))
        .or(report.traces.first());
    let cur_scheme = trace.map_or(report.primary, |t| t.scheme);
    let steps: &[mm_model::Step] = trace.map_or(&[], |t| t.steps.as_slice());
    // The comparison of the schemes: one grid row per statement, the first differences.
    let schemes: Vec<SchemeKind> = report.traces.iter().map(|t| t.scheme).collect();
    let cur_lane = schemes.iter().position(|k| *k == cur_scheme).unwrap_or(0);
    let cmp = {
        let eval = eval.clone();
        use_memo(generation, move |_| {
            let lanes: Vec<&[mm_model::Step]> = eval
                .report
                .traces
                .iter()
                .map(|t| t.steps.as_slice())
                .collect();
            let schemes: Vec<SchemeKind> = eval.report.traces.iter().map(|t| t.scheme).collect();
            let rows = compare::grid(&lanes);
            let (outcome, info) = compare::first_differences(&schemes, &lanes, &rows);
            (rows, outcome, info)
        })
    };
    let lanes: Vec<&[mm_model::Step]> = report.traces.iter().map(|t| t.steps.as_slice()).collect();
    // A row's step: the followed scheme's when it has one, else the first lane's.
    let row_target = |r: usize| -> Option<(SchemeKind, u64)> {
        let row = cmp.0.get(r)?;
        let lane = if row.cells.get(cur_lane).copied().flatten().is_some() {
            cur_lane
        } else {
            row.cells.iter().position(Option::is_some)?
        };
        let i = row.cells[lane]?;
        Some((schemes[lane], lanes[lane].get(i)?.index))
    };
    // The selected step: the chosen index if the trace has it, else the first outcome
    // difference (what the script is about), else the last step.
    let default_pos = cmp
        .1
        .as_ref()
        .and_then(|d| cmp.0.get(d.row))
        .and_then(|row| row.cells.get(cur_lane).copied().flatten())
        .unwrap_or(steps.len().saturating_sub(1));
    let sel_pos = match *selected {
        Some(i) => steps
            .iter()
            .position(|s| s.index == i || (repeat_last(s) >= i && s.index <= i))
            .unwrap_or(steps.len().saturating_sub(1)),
        None => default_pos,
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
    use_effect_with((*overrides).clone(), move |o| {
        if !embed {
            save_overrides(o);
        }
    });

    // The gallery select shows the entry matching the editor (a `<select>`'s displayed choice
    // follows its `value` property, not the `selected` attributes, once the user touched it).
    let ex_option = (*exercise).as_ref().map(|n| format!("ex:{n}"));
    let gallery_id: &str = match &ex_option {
        Some(id) => id.as_str(),
        None => gallery::find(&text).map_or(gallery::SCRATCH_ID, |e| e.id),
    };
    {
        let gallery_ref = gallery_ref.clone();
        let gallery_id = gallery_id.to_string();
        use_effect(move || {
            if let Some(sel) = gallery_ref.cast::<HtmlSelectElement>() {
                if sel.value() != gallery_id {
                    sel.set_value(&gallery_id);
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
        let last_key = last_key.clone();
        Callback::from(move |e: InputEvent| {
            let Some(ta) = e.target_dyn_into::<HtmlTextAreaElement>() else {
                return;
            };
            let now = now_ms();
            *pending.borrow_mut() = Some(now);
            let since_last_key = now - std::mem::replace(&mut *last_key.borrow_mut(), now);
            let v = ta.value();
            save_script(&v);
            // Dropping a pending timeout cancels it: only the last keystroke's text runs.
            timer.borrow_mut().take();
            let delay = logic::debounce_delay_ms(*run_ms.borrow(), since_last_key);
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
    // Opens an exploration's counterexample: the script with its schedule line, on that
    // scheme, stepped to the violation's first step once the new results arrive.
    let on_explore_open = {
        let text = text.clone();
        let run_text = run_text.clone();
        let timer = timer.clone();
        let pending = pending.clone();
        let scheme = scheme.clone();
        let side = side.clone();
        let left_px = left_px.clone();
        let selected = selected.clone();
        let explore_focus = explore_focus.clone();
        Callback::from(move |(k, names, kind): view::Open| {
            let new = explorer::set_schedule(&text, &names);
            timer.borrow_mut().take();
            *pending.borrow_mut() = Some(now_ms());
            save_script(&new);
            *explore_focus.borrow_mut() = Some((new.clone(), k, kind));
            scheme.set(Some(k));
            if *side {
                left_px.set(None);
                side.set(false);
            }
            selected.set(None);
            run_text.set(new.clone());
            text.set(new);
        })
    };
    // Opens an exercise: its saved script, or its starting script (the user's own script is
    // kept as "my script"); the progress survives reloads.
    let enter_exercise = {
        let replace_text = replace_text.clone();
        let exercise = exercise.clone();
        let ex_grade = ex_grade.clone();
        let book = book.clone();
        let notice = notice.clone();
        let scheme = scheme.clone();
        let side = side.clone();
        let left_px = left_px.clone();
        Callback::from(move |name: String| {
            let Some(ex) = mm_model::exercise::builtin(&name) else {
                notice.set(Some(format!("There is no exercise `{name}`.")));
                return;
            };
            let saved = book
                .get(&ex.name)
                .map(|p| p.script.clone())
                .filter(|s| !s.trim().is_empty());
            save_item(exercises::CURRENT_KEY, &ex.name);
            ex_grade.set(None);
            exercise.set(Some(ex.name.clone()));
            // Like a gallery scenario, the exercise opens on what its script is about.
            let script = saved.unwrap_or(ex.start);
            let f = compare::focus(&mm_model::parse(&script).script);
            scheme.set(f.scheme);
            if *side != f.side {
                left_px.set(None);
            }
            side.set(f.side);
            replace_text.emit(script);
        })
    };
    // A gallery scenario opens on what it is about: its own kernel and settings (settings
    // overrides are dropped; cost overrides stay, the chip says so), on the scheme its expect
    // lines name, side by side when they contrast schemes.
    let on_gallery = {
        let replace_text = replace_text.clone();
        let scratch = scratch.clone();
        let overrides = overrides.clone();
        let scheme = scheme.clone();
        let side = side.clone();
        let left_px = left_px.clone();
        let enter_exercise = enter_exercise.clone();
        let exercise = exercise.clone();
        Callback::from(move |e: Event| {
            let id = select_value(&e);
            if let Some(name) = id.strip_prefix("ex:") {
                enter_exercise.emit(name.to_string());
                return;
            }
            if exercise.is_some() {
                exercise.set(None);
                remove_item(exercises::CURRENT_KEY);
            }
            let new = if id == gallery::SCRATCH_ID {
                (*scratch).clone().or_else(load_scratch)
            } else {
                gallery::by_id(&id).map(|g| g.text.to_string())
            };
            if let Some(new) = new {
                if id != gallery::SCRATCH_ID {
                    let f = compare::focus(&mm_model::parse(&new).script);
                    scheme.set(f.scheme);
                    if *side != f.side {
                        left_px.set(None);
                    }
                    side.set(f.side);
                    overrides.set(overrides.costs_only());
                }
                replace_text.emit(new);
            }
        })
    };

    // Opens a share link: its script (the user's own is kept as "my script"), its overrides,
    // its scheme, view and step. A link that does not decode changes nothing but says why.
    let open_link = {
        let replace_text = replace_text.clone();
        let exercise = exercise.clone();
        let text = text.clone();
        let run_text = run_text.clone();
        let overrides = overrides.clone();
        let cost_text = cost_text.clone();
        let scheme = scheme.clone();
        let side = side.clone();
        let selected = selected.clone();
        let left_px = left_px.clone();
        let notice = notice.clone();
        Callback::from(
            move |r: Result<mm_model::link::Share, mm_model::link::LinkError>| {
                match r {
                    Ok(l) => {
                        // A shared view is not an exercise attempt: leave exercise mode
                        // first, so the link's script is not saved as the exercise's progress.
                        if exercise.is_some() && !embed {
                            exercise.set(None);
                            remove_item(exercises::CURRENT_KEY);
                        }
                        let o = share::overrides_of(&l);
                        cost_text.set(
                            o.costs
                                .iter()
                                .map(|(k, v)| (k.clone(), fmt_duration_compact(*v)))
                                .collect(),
                        );
                        overrides.set(o);
                        if embed {
                            // An embedded view is read-only and leaves the user's own pinlab
                            // (localStorage of this origin) alone.
                            run_text.set(l.script.clone());
                            text.set(l.script.clone());
                        } else {
                            replace_text.emit(l.script.clone());
                        }
                        scheme.set(l.scheme_kind());
                        left_px.set(None);
                        side.set(l.side);
                        selected.set(l.step);
                        notice.set(None);
                    }
                    Err(e) => notice.set(Some(format!(
                        "This link could not be opened: {e}. Your own script is unchanged."
                    ))),
                }
                share::clear_location_fragment();
            },
        )
    };
    let link_ref: Rc<RefCell<Option<Callback<()>>>> = use_mut_ref(|| None);
    *link_ref.borrow_mut() = Some({
        let open_link = open_link.clone();
        Callback::from(move |()| {
            if let Some(r) = share::from_location() {
                open_link.emit(r);
            }
        })
    });
    {
        let link_ref = link_ref.clone();
        use_effect_with((), move |_| {
            let check = move || {
                let cb = link_ref.borrow().clone();
                if let Some(cb) = cb {
                    cb.emit(());
                }
            };
            check();
            // A link pasted into the address bar of an open page.
            let target = web_sys::window().map(|w| w.unchecked_into::<web_sys::EventTarget>());
            listen(target, "hashchange", Closure::<dyn Fn()>::new(check))
        });
    }

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

    // Keyboard: Ctrl+Enter re-runs; Alt+Arrow steps; [ / ] step outside the editor; ? opens
    // the help sheet, Escape closes it.
    let key_cb = {
        let step_by = step_by.clone();
        let rerun = rerun.clone();
        let help_open = help_open.clone();
        let present = present.clone();
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
            } else if !in_field && !e.ctrl_key() && !e.alt_key() && key == "?" {
                e.prevent_default();
                help_open.set(true);
            } else if key == "Escape" && *help_open {
                help_open.set(false);
            } else if !in_field && !e.ctrl_key() && !e.alt_key() && key == "p" {
                present.set(!*present);
            } else if key == "Escape" && *present {
                present.set(false);
            } else if *present
                && !in_field
                && matches!(
                    key.as_str(),
                    "PageDown" | "PageUp" | "ArrowRight" | "ArrowLeft"
                )
            {
                // A presenter's clicker sends PageDown / PageUp.
                e.prevent_default();
                step_by.emit(if matches!(key.as_str(), "PageDown" | "ArrowRight") {
                    1
                } else {
                    -1
                });
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
            let target = web_sys::window()
                .and_then(|w| w.document())
                .map(|d| d.unchecked_into::<web_sys::EventTarget>());
            listen(target, "keydown", closure)
        });
    }

    // Header controls: the labels a kernel developer reads right; the part in parentheses
    // hides on narrow screens.
    let scheme_buttons = SchemeKind::ALL.iter().map(|&k| {
        let scheme = scheme.clone();
        let active = k == cur_scheme;
        let onclick = Callback::from(move |_| scheme.set(Some(k)));
        let (short, rest) = compare::label(k).split_once(" (").unwrap_or((compare::label(k), ""));
        html! {
            <button id={format!("scheme-{}", k.name())} class={classes!("scheme-btn", active.then_some("active"))}
                aria-pressed={active.to_string()} {onclick} title={compare::tooltip(k)}>
                { short }
                if !rest.is_empty() { <span class="long">{ format!(" ({rest}") }</span> }
            </button>
        }
    });
    let on_pick_scheme = {
        let scheme = scheme.clone();
        Callback::from(move |k: SchemeKind| scheme.set(Some(k)))
    };
    // Jumps to a grid row: the followed scheme's step there, or the first scheme that has one.
    let on_row = {
        let scheme = scheme.clone();
        let selected = selected.clone();
        let cmp = cmp.clone();
        let eval = eval.clone();
        Callback::from(move |(r, lane): (usize, Option<usize>)| {
            let Some(row) = cmp.0.get(r) else { return };
            let lane = lane
                .or_else(|| row.cells.get(cur_lane).copied().flatten().map(|_| cur_lane))
                .or_else(|| row.cells.iter().position(Option::is_some));
            let Some(j) = lane else { return };
            let Some(t) = eval.report.traces.get(j) else {
                return;
            };
            if let Some(st) = row.cells[j].and_then(|i| t.steps.get(i)) {
                scheme.set(Some(t.scheme));
                selected.set(Some(st.index));
            }
        })
    };
    let on_jump = {
        let on_row = on_row.clone();
        Callback::from(move |r: usize| on_row.emit((r, None)))
    };
    // Step rows: Enter / Space select the focused row, Up / Down step.
    let row_key = |e: &KeyboardEvent| -> Option<i64> {
        match e.key().as_str() {
            "Enter" | " " => Some(0),
            "ArrowUp" => Some(-1),
            "ArrowDown" => Some(1),
            _ => None,
        }
    };
    let on_step_key = {
        let selected = selected.clone();
        let step_by = step_by.clone();
        Callback::from(move |(e, idx): (KeyboardEvent, u64)| match row_key(&e) {
            Some(0) => {
                e.prevent_default();
                selected.set(Some(idx));
            }
            Some(d) => {
                e.prevent_default();
                step_by.emit(d);
            }
            None => {}
        })
    };
    let on_grid_key = {
        let on_row = on_row.clone();
        let step_by = step_by.clone();
        Callback::from(move |(e, r): (KeyboardEvent, usize)| match row_key(&e) {
            Some(0) => {
                e.prevent_default();
                on_row.emit((r, None));
            }
            Some(d) => {
                e.prevent_default();
                step_by.emit(d);
            }
            None => {}
        })
    };
    // Keyboard stepping moves the focus with the selection; any selection change scrolls the
    // selected row into view inside its scrolling panel.
    use_effect_with((sel_index, cur_scheme, *side), |_| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(Some(row)) = doc.query_selector("tr.step.selected") else {
            return;
        };
        let on_row = doc
            .active_element()
            .is_some_and(|a| a.tag_name() == "TR" && a.class_list().contains("step"));
        // Only the steps' own scrolling panel moves, never the page.
        if let Ok(Some(panel)) = row.closest(".gridwrap, .steps-panel") {
            let (r, p) = (
                row.get_bounding_client_rect(),
                panel.get_bounding_client_rect(),
            );
            let head = panel
                .query_selector("thead")
                .ok()
                .flatten()
                .map_or(0.0, |h| h.get_bounding_client_rect().height());
            let top = p.top() + head;
            let dy = if r.top() < top {
                r.top() - top
            } else if r.bottom() > p.bottom() {
                (r.bottom() - p.bottom()).min(r.top() - top)
            } else {
                0.0
            };
            if dy != 0.0 {
                panel.set_scroll_top(panel.scroll_top() + dy as i32);
            }
        }
        if on_row {
            if let Ok(el) = row.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
    // A diagnostic puts the caret at its line:col.
    let on_goto = {
        let text = text.clone();
        Callback::from(move |(line, col): (u32, u32)| {
            let doc = web_sys::window().and_then(|w| w.document());
            let ta = doc
                .as_ref()
                .and_then(|d| d.get_element_by_id("editor"))
                .and_then(|e| e.dyn_into::<HtmlTextAreaElement>().ok());
            if let Some(ta) = ta {
                let off = logic::utf16_offset(&text, line, col);
                let _ = ta.focus();
                let _ = ta.set_selection_range(off, off);
            }
            let wrap = doc.and_then(|d| d.query_selector(".editor-wrap").ok().flatten());
            if let Some(w) = wrap {
                let y = (f64::from(line) - 1.0) * 20.0 - f64::from(w.client_height()) / 2.0;
                w.set_scroll_top(y.max(0.0) as i32);
            }
        })
    };
    let on_help = {
        let help_open = help_open.clone();
        Callback::from(move |_: MouseEvent| help_open.set(!*help_open))
    };
    let on_theme = {
        let dark = dark.clone();
        Callback::from(move |_: MouseEvent| {
            save_item(THEME_KEY, if *dark { "light" } else { "dark" });
            dark.set(!*dark);
        })
    };
    use_effect_with(*dark, |dark| {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(r) = root {
            let _ = r.set_attribute("data-theme", if *dark { "dark" } else { "light" });
        }
    });
    let on_phone = {
        let phone_script = phone_script.clone();
        Callback::from(move |script: bool| phone_script.set(script))
    };
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
    // Exercises: the open one, its progress (the script follows the editor), Check, hints.
    let current_ex = (*exercise).as_deref().and_then(mm_model::exercise::builtin);
    {
        let book = book.clone();
        use_effect_with(((*text).clone(), (*exercise).clone()), move |(text, ex)| {
            if let Some(name) = ex {
                if book.get(name).map(|p| &p.script) != Some(text) {
                    let mut b = (*book).clone();
                    b.entry(name.clone()).or_default().script = text.clone();
                    save_item(exercises::PROGRESS_KEY, &exercises::to_json(&b));
                    book.set(b);
                }
            }
        });
    }
    {
        let corrupt = book_corrupt.clone();
        let notice = notice.clone();
        let enter_exercise = enter_exercise.clone();
        use_effect_with((), move |_| {
            if *corrupt.borrow() {
                notice.set(Some(
                    "The saved exercise progress in this browser could not be read; it was set aside and starts afresh.".into(),
                ));
            }
            // An exercise link (`?exercise=NAME`) opens it with its saved script or its start.
            let query = web_sys::window()
                .and_then(|w| w.location().search().ok())
                .and_then(|q| exercises::from_query(&q));
            if let Some(name) = query {
                enter_exercise.emit(name);
            }
        });
    }
    let on_ex_check = {
        let (ex, text, book, ex_grade) = (
            current_ex.clone(),
            (*text).clone(),
            book.clone(),
            ex_grade.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(ex) = &ex else { return };
            let o = mm_model::Overrides {
                max_steps: Some(WEB_MAX_STEPS),
                ..Default::default()
            };
            let g = mm_model::exercise::grade(ex, &text, &o);
            let mut b = (*book).clone();
            let p = b.entry(ex.name.clone()).or_default();
            p.script = text.clone();
            p.passed = p.passed || g.passed();
            save_item(exercises::PROGRESS_KEY, &exercises::to_json(&b));
            book.set(b);
            ex_grade.set(Some(g));
        })
    };
    let on_ex_hint = {
        let (ex, book) = (current_ex.clone(), book.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(ex) = &ex else { return };
            let mut b = (*book).clone();
            let p = b.entry(ex.name.clone()).or_default();
            p.hints = (p.hints + 1).min(ex.hints.len() as u32);
            save_item(exercises::PROGRESS_KEY, &exercises::to_json(&b));
            book.set(b);
        })
    };
    let on_ex_leave = {
        let exercise = exercise.clone();
        Callback::from(move |_: MouseEvent| {
            exercise.set(None);
            remove_item(exercises::CURRENT_KEY);
        })
    };
    let on_export = {
        let export = export.clone();
        Callback::from(move |_| export.set(!*export))
    };
    // Share: the link of this view (copied at once), the email text, downloads. The link and
    // the email text (a whole text trace) are only built while someone looks at them.
    let wants_link = *share_open || embed;
    let link_now = if wants_link {
        share::link(&text, cur_scheme, *side, sel_index, &overrides)
    } else {
        String::new()
    };
    let script_name =
        gallery::find(&text).map_or("script.pin".to_string(), |e| format!("{}.pin", e.id));
    let email_now = if *share_open {
        share::email(report, &script_name, &link_now)
    } else {
        String::new()
    };
    let on_share = {
        let share_open = share_open.clone();
        let (t, o, sd) = ((*text).clone(), (*overrides).clone(), *side);
        Callback::from(move |_: MouseEvent| {
            if !*share_open {
                share::copy(&share::link(&t, cur_scheme, sd, sel_index, &o));
            }
            share_open.set(!*share_open);
        })
    };
    let on_copy_link = {
        let l = link_now.clone();
        Callback::from(move |_: MouseEvent| share::copy(&l))
    };
    let on_copy_email = {
        let m = email_now.clone();
        Callback::from(move |_: MouseEvent| share::copy(&m))
    };
    let on_download_pin = {
        let (t, n) = ((*text).clone(), script_name.clone());
        Callback::from(move |_: MouseEvent| share::download(&n, "text/plain", &t))
    };
    let on_download_json = {
        let (r, n) = (eval.clone(), script_name.replace(".pin", ".json"));
        Callback::from(move |_: MouseEvent| {
            let json = serde_json::to_string_pretty(&r.report).unwrap_or_default();
            share::download(&n, "application/json", &json)
        })
    };
    let on_download_txt = {
        let (m, n) = (email_now.clone(), script_name.replace(".pin", ".txt"));
        Callback::from(move |_: MouseEvent| share::download(&n, "text/plain", &m))
    };
    let on_present = {
        let present = present.clone();
        Callback::from(move |_: MouseEvent| present.set(!*present))
    };
    let hidden_panels: Vec<&str> = present_hidden
        .split(',')
        .filter(|p| !p.is_empty())
        .collect();
    let present_bar = if *present {
        let buttons = PRESENT_PANELS.iter().map(|&(name, label)| {
            let shown = !hidden_panels.contains(&name);
            let present_hidden = present_hidden.clone();
            let onclick = Callback::from(move |_: MouseEvent| {
                let mut h: Vec<String> = present_hidden
                    .split(',')
                    .filter(|p| !p.is_empty() && *p != name)
                    .map(str::to_string)
                    .collect();
                if shown {
                    h.push(name.to_string());
                }
                let v = h.join(",");
                save_item(PRESENT_KEY, &v);
                present_hidden.set(v);
            });
            html! { <button id={format!("present-{name}")} class="small" aria-pressed={shown.to_string()} {onclick}>{ label }</button> }
        });
        html! { <nav class="present-bar" aria-label="panels to present">{ "show: " }{ for buttons }</nav> }
    } else {
        Html::default()
    };
    let hide_classes: Vec<String> = hidden_panels.iter().map(|p| format!("hide-{p}")).collect();
    let on_notice_close = {
        let notice = notice.clone();
        Callback::from(move |_: MouseEvent| notice.set(None))
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
    // The splitter by keyboard: Left / Right move it by 24 px, Home resets it.
    let on_split_key = {
        let left_px = left_px.clone();
        Callback::from(move |e: KeyboardEvent| {
            let delta = match e.key().as_str() {
                "ArrowLeft" => -24.0,
                "ArrowRight" => 24.0,
                "Home" => {
                    e.prevent_default();
                    left_px.set(None);
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            let w = web_sys::window();
            let vw = w
                .as_ref()
                .and_then(|w| w.inner_width().ok())
                .and_then(|v| v.as_f64())
                .unwrap_or(1280.0);
            let now = (*left_px).unwrap_or_else(|| {
                w.and_then(|w| w.document())
                    .and_then(|d| d.query_selector("section.left").ok().flatten())
                    .map_or(560.0, |el| el.get_bounding_client_rect().width())
            });
            left_px.set(Some(logic::clamp_split(now + delta, vw)));
        })
    };
    let vw = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(1280.0)
        .max(1.0);
    let split_pct = left_px.map_or(if *side { 34.0 } else { 54.0 }, |px| px / vw * 100.0);
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
    let has_threads = parse_now
        .script
        .stmts
        .iter()
        .any(|st| matches!(st.kind, mm_model::script::StmtKind::Thread { .. }));
    let show_scratch = gallery_id == gallery::SCRATCH_ID || scratch.is_some();

    // The sweep runs 20 small scripts: only while its panel is open, again when the costs change.
    let sweep_rows = {
        let o = shown.key.1.clone();
        use_memo((*sweep_open, o), |(open, o)| {
            open.then(|| mm_model::sweep::compute(&o.to_model()))
        })
    };
    let on_sweep = {
        let sweep_open = sweep_open.clone();
        Callback::from(move |open: bool| sweep_open.set(open))
    };
    let verdicts = compare::verdicts(report);
    let jump = |d: &Option<compare::Difference>| -> Option<(usize, u64)> {
        let d = d.as_ref()?;
        Some((d.row, row_target(d.row)?.1))
    };
    let (outcome_at, info_at) = (jump(&cmp.1), jump(&cmp.2));
    let lead = compare::lead(&shown.key.0);
    let vprops = view::VerdictProps {
        current: cur_scheme,
        lead: &lead,
        outcome: cmp
            .1
            .as_ref()
            .zip(outcome_at)
            .map(|(diff, (_, index))| view::Jump { diff, index }),
        info: cmp
            .2
            .as_ref()
            .zip(info_at)
            .map(|(diff, (_, index))| view::Jump { diff, index }),
        overrides: overrides.script_lines(),
    };
    let sel_row = cmp
        .0
        .iter()
        .position(|r| r.cells.get(cur_lane).copied().flatten() == Some(sel_pos));
    // The state as a picture: the followed scheme's; side by side, every scheme's at the
    // selected row (replayed here, so only for runs small enough for the main thread).
    let others = {
        let eval = eval.clone();
        let ov = shown.key.1.to_model();
        let row = sel_row.and_then(|r| cmp.0.get(r)).map(|r| r.cells.clone());
        let want = *side && *all_pictures && !shown.in_worker;
        use_memo((generation, row, want), move |(_, row, want)| {
            let mut out: Vec<(SchemeKind, u64, Kernel, Kernel)> = Vec::new();
            let (Some(row), true) = (row, *want) else {
                return out;
            };
            for (t, cell) in eval.report.traces.iter().zip(row) {
                let Some(i) = *cell else { continue };
                let Some(st) = t.steps.get(i) else { continue };
                let prev = if i == 0 {
                    0
                } else {
                    t.steps.get(i - 1).map_or(0, repeat_last)
                };
                let s = &eval.parse.script;
                out.push((
                    t.scheme,
                    st.index,
                    mm_model::run::state_at(s, &ov, t.scheme, prev),
                    mm_model::run::state_at(s, &ov, t.scheme, repeat_last(st)),
                ));
            }
            out
        })
    };
    let on_all_pictures = {
        let all_pictures = all_pictures.clone();
        Callback::from(move |_: MouseEvent| all_pictures.set(!*all_pictures))
    };
    let pictures_toggle = if *side && !shown.in_worker {
        html! {
            <button id="all-pictures" class="small" aria-pressed={all_pictures.to_string()} onclick={on_all_pictures}>
                { if *all_pictures { "only this scheme's picture" } else { "a picture per scheme" } }
            </button>
        }
    } else {
        Html::default()
    };
    let pictures = if others.is_empty() {
        html! {
            <>
                { pictures_toggle }
                { view::picture(
                    format!("{} after step {sel_index}", compare::label(cur_scheme)),
                    &prev_k,
                    &cur_k,
                ) }
            </>
        }
    } else {
        html! {
            <>
                { pictures_toggle }
                <div class="pictures">
                    { for others.iter().map(|(k, i, p, c)| view::picture(format!("{} after step {i}", compare::label(*k)), p, c)) }
                </div>
            </>
        }
    };
    let own_settings =
        mm_model::run::configure(&eval.parse.script, &mm_model::Overrides::default()).0;
    let on_show_script = {
        let on_phone = on_phone.clone();
        Callback::from(move |_: MouseEvent| on_phone.emit(true))
    };
    let on_show_results = Callback::from(move |_: MouseEvent| on_phone.emit(false));

    html! {
        <div class={classes!("app", present.then_some("present"), embed.then_some("embed"), present.then_some(hide_classes))}>
            if embed {
                <a id="open-full" class="open-full" href={link_now.clone()} target="_blank" rel="noopener">{ "open in pinlab ↗" }</a>
            }
            <header class="top">
                <h1>{ "pinlab" }</h1>
                <label class="gallery"><span class="lbl">{ "scenario " }</span>
                    <select id="gallery" ref={gallery_ref} onchange={on_gallery} title="load an example scenario (your edited script is kept as “my script”)">
                        { for gallery::GALLERY.iter().map(|g| html! {
                            <option value={g.id} selected={gallery_id == g.id}>{ g.title }</option>
                        }) }
                        if show_scratch {
                            <option value={gallery::SCRATCH_ID} selected={gallery_id == gallery::SCRATCH_ID}>{ scratch_label }</option>
                        }
                        <optgroup label="Exercises (graded)">
                            { for mm_model::exercise::BUILTIN.iter().enumerate().map(|(i, (name, text))| {
                                let title = text.lines().find_map(|l| l.strip_prefix("title:")).unwrap_or(name).trim();
                                let id = format!("ex:{name}");
                                html! { <option value={id.clone()} selected={gallery_id == id}>{ format!("Exercise {}: {title}", i + 1) }</option> }
                            }) }
                        </optgroup>
                    </select>
                </label>
                <nav class="schemes" aria-label="scheme">
                    { for scheme_buttons }
                    <button id="side-by-side" class={classes!("scheme-btn", side.then_some("active"))}
                        aria-pressed={side.to_string()} onclick={on_side} title="compare the schemes in one grid, a row per statement">
                        { if *side { "▣ side by side" } else { "□ side by side" } }
                    </button>
                </nav>
                <div class="tools">
                    <button id="rerun" title="runs are live; Ctrl+Enter forces a re-run" aria-label="re-run" onclick={on_rerun}>{ "↻" }<span class="long">{ " run" }</span></button>
                    <button id="share" onclick={on_share} aria-pressed={share_open.to_string()} title="copy a link to this view (script, scheme, step, overrides); email text; downloads">{ "share" }</button>
                    <button id="export" onclick={on_export} aria-pressed={export.to_string()} title="the plain-text trace for email, and the script as C">{ "⇩ export" }</button>
                    <button id="present" onclick={on_present} aria-pressed={present.to_string()} title="presentation mode: large type, the story only; PageDown / PageUp step (p; Esc leaves)">{ "▶" }<span class="long">{ " present" }</span></button>
                    <button id="theme-toggle" onclick={on_theme} aria-pressed={dark.to_string()}
                        title="dark or light colours (kept in this browser)" aria-label="dark colours">{ if *dark { "☀" } else { "☾" } }</button>
                    <button id="help-open" onclick={on_help.clone()} title="keys, schemes and syntax (?)" aria-label="help">{ "?" }</button>
                </div>
            </header>
            <aside class="intro" id="intro" aria-label="about pinlab">
                <p>{ "What happens to a page pinned for DMA under three designs: plain get_page references, the FOLL_PIN pin counter, and the 2018 fake-VMA proposal. Edit the script; every run checks the kernel's invariants and models the cost." }</p>
                <nav class="links" aria-label="documentation">
                    <a href="docs/language.md">{ "Syntax" }</a>
                    <a href="docs/model.md">{ "Model" }</a>
                    <a href="README.md">{ "README" }</a>
                    <a href={THREAD_URL} target="_blank" rel="noopener" title="Jan Kara's reply on LKML, 2018-12-10">{ "2018 thread" }</a>
                </nav>
            </aside>
            <nav class="phone-switch" aria-label="show the script or the results">
                <button id="show-results" aria-pressed={(!*phone_script).to_string()} onclick={on_show_results}>{ "Results" }</button>
                <button id="show-script" aria-pressed={phone_script.to_string()} onclick={on_show_script}>{ "Script" }</button>
            </nav>
            <main class={classes!("columns", side.then_some("side"), if *phone_script { "phone-script" } else { "phone-results" })} style={columns_style}>
                <section class="left" aria-labelledby="script-title">
                    <h2 id="script-title" class="sr-only">{ "Script" }</h2>
                    if let Some(ex) = &current_ex {
                        { view::exercise(ex, &book.get(&ex.name).cloned().unwrap_or_default(), ex_grade.as_ref(), on_ex_check, on_ex_hint, on_ex_leave) }
                    }
                    { view::editor(&text, &parse_now, on_input) }
                    <p class="runline">{ run_status }</p>
                    { view::diagnostics(&parse_now, on_goto) }
                    { view::settings(&own_settings, &overrides, on_setting, on_reset_all.clone()) }
                    <p class="help">{ "Keys: ? help · Ctrl+Enter re-run · Alt+←/→ or [ ] step" }</p>
                </section>
                <div class="splitter" id="splitter" role="separator" aria-orientation="vertical" tabindex="0"
                    aria-label="editor width" aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{split_pct:.0}")}
                    title="drag or use ←/→ to resize the editor; double-click or Home to reset"
                    onpointerdown={on_split_down} onpointermove={on_split_move}
                    onpointerup={on_split_up.clone()} onpointercancel={on_split_up}
                    ondblclick={on_split_reset} onkeydown={on_split_key}></div>
                <section class={classes!("right", stale.then_some("is-stale"))} aria-labelledby="results-title">
                    <h2 id="results-title" class="sr-only">{ "Results" }</h2>
                    if let Some(n) = &*notice {
                        <p id="notice" class="errbanner" role="alert">{ n.clone() }
                            <button class="small" onclick={on_notice_close} aria-label="dismiss">{ "✕" }</button></p>
                    }
                    if *share_open {
                        <section class="panel share" id="share-panel" aria-labelledby="share-title">
                            <h2 id="share-title">{ "Share this view" }</h2>
                            <p class="note-inline">{ "The link carries the script, the scheme, the view, the step and any overrides, compressed in its #fragment: no server keeps it. pinlab link FILE prints the same link." }</p>
                            <input id="share-url" readonly=true value={link_now.clone()} aria-label="share link" />
                            <div class="share-buttons">
                                <button id="copy-link" onclick={on_copy_link}>{ "copy link" }</button>
                                <button id="copy-email" onclick={on_copy_email}>{ "copy as email" }</button>
                                <button id="download-pin" onclick={on_download_pin}>{ format!("⇩ {script_name}") }</button>
                                <button id="download-txt" onclick={on_download_txt}>{ "⇩ trace .txt" }</button>
                                <button id="download-json" onclick={on_download_json} title="the run as JSON (docs/json.md)">{ "⇩ run .json" }</button>
                            </div>
                            <pre id="email-text">{ email_now.clone() }</pre>
                        </section>
                    }
                    if eval.parse.has_errors() {
                        <p class="errbanner" role="alert">{ "✖ the script has errors (see Diagnostics): results cover the statements that parsed" }</p>
                    }
                    { present_bar }
                    { view::verdict(&verdicts, vprops, on_pick_scheme, on_jump, on_reset_all) }
                    if has_threads {
                        <view::ExplorePanel text={(*text).clone()} overrides={overrides.to_json()} on_open={on_explore_open} />
                    }
                    if *export {
                        <section class="panel" aria-labelledby="export-title">
                            <h2 id="export-title">{ "Export (plain text, for email)" }</h2>
                            <pre id="export-text">{ report.text() }</pre>
                            <h2>{ "Export as C (the same script on a real Linux: pinlab export --c)" }</h2>
                            { view::export_c(&parse_now) }
                        </section>
                    }
                    <div class="workbench"><div class="workbench-grid">
                        <div class="trail">
                            <div class="stepper">
                                <button id="step-prev" onclick={prev_cb} title="Alt+← or [">{ "◀ prev" }</button>
                                <span id="step-index">{ format!("step {} / {}", sel_index, steps.last().map_or(0, repeat_last)) }</span>
                                <button id="step-next" onclick={next_cb} title="Alt+→ or ]">{ "next ▶" }</button>
                                <span class="cur-stmt">{ sel_step.map(|s| s.text.clone()).unwrap_or_default() }</span>
                            </div>
                            if *side {
                                { view::grid(&schemes, &lanes, &cmp.0, view::GridSel { lane: cur_lane, row: sel_row, outcome: cmp.1.as_ref().map(|d| d.row) }, on_row, on_grid_key) }
                            } else if let Some(t) = trace {
                                { view::steps(t, sel_index, select_step.clone(), on_step_key) }
                            }
                        </div>
                        { view::state(cur_scheme, sel_index, &prev_k, &cur_k, *raw_map, on_raw, state_loading, pictures) }
                    </div></div>
                    if let Some(t) = trace {
                        { view::violations(t, report.settings.era, select_step.clone()) }
                        { view::costs(report, t, view::sweep(sweep_rows.as_ref().as_ref().map(|r| r.as_slice()), on_sweep)) }
                    }
                    { view::expectations(report) }
                    { view::cost_table(report, &cost_text, on_cost, on_reset_costs) }
                </section>
            </main>
            if *help_open { { view::help(on_help) } }
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
