//! The model off the main thread: the message protocol between the app and its model worker (a
//! dedicated module Web Worker running the page's own wasm module, see [`serve`]), and the
//! app's side of it.
//!
//! Request (app -> worker): `{id, text, overrides}` (`overrides` in [`UiOverrides::to_json`]'s
//! format; the model's `Overrides` is not serde). Reply (worker -> app): `{id, report, ms}`
//! (`report` is `serde_json` of [`mm_model::Report`], `ms` the worker's parse + run time).
//! The worker first posts `{ready: true}` once its handler is installed; requests wait for it.
//! State requests `{id, kind: "state", text, overrides, scheme, step}` replay the script to a
//! step for the state view ([`mm_model::run::state_at`]) and are answered with
//! `{id, kind: "state", step, kernel, ms}` (`kernel` is `serde_json` of [`mm_model::Kernel`]);
//! the app sends them, one at a time, when the run itself went to the worker, and ignores a
//! reply the view no longer waits for ([`Runner::want_states`]).
//! The app parses the text itself (cheap: it needs the script for the state view's replays).
//!
//! Small fast scripts skip the worker ([`crate::logic::run_in_worker`]): they run in about
//! 1 ms, less than the round trip. Requests to the worker are serial: at most one is in flight; a newer request waits as the single queued
//! one (replacing any older queued request), and a reply is applied only when nothing newer is
//! queued. When there is no worker (no `<meta name="pinlab-worker">` in the page, e.g. under
//! wasm-bindgen-test-runner, or the worker failed to load) the model runs on the main thread.

use std::cell::RefCell;
use std::rc::Rc;

use mm_model::{Report, SchemeKind};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{evaluate, Evaluated, UiOverrides};

/// What a result is for: script text, overrides, re-run nonce.
pub type RunKey = (String, UiOverrides, u32);

/// Results the panels show, with the key they were computed for.
pub struct Shown {
    /// The text, overrides and nonce these results are for.
    pub key: RunKey,
    /// Parse + report.
    pub eval: Rc<Evaluated>,
    /// Parse + run time (ms), in the worker or on the main thread.
    pub ms: f64,
    /// Increments with every result applied (keys the state-view cache).
    pub generation: u64,
    /// The run went to the worker: the state view's replays go there too.
    pub in_worker: bool,
}

/// A state-view replay: (results generation, scheme, step index).
pub type StateKey = (u64, SchemeKind, u64);

/// What a state request needs besides its key: the script text and the overrides' JSON.
pub type StateWant = (StateKey, String, String);

/// Called with a state reply that is still wanted (`None`: the worker's answer did not decode,
/// or the worker failed and the app must replay on the main thread).
pub type OnState = Rc<dyn Fn(StateKey, Option<mm_model::Kernel>)>;

pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) fn set(obj: &js_sys::Object, key: &str, v: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), v);
}

/// Test probes on `window`: `pinlabWorker` (whether runs go to the worker) and
/// `pinlabWorkerReplies` (`performance.now()` of the last replies' arrival, newest last).
fn probe_worker(on: bool) {
    if let Some(w) = web_sys::window() {
        set(&w, "pinlabWorker", &JsValue::from_bool(on));
    }
}

fn probe_reply() {
    let Some(w) = web_sys::window() else { return };
    let arr = match get(&w, "pinlabWorkerReplies").dyn_into::<js_sys::Array>() {
        Ok(a) => a,
        Err(_) => {
            let a = js_sys::Array::new();
            set(&w, "pinlabWorkerReplies", &a);
            a
        }
    };
    arr.push(&JsValue::from_f64(perf_now()));
    if arr.length() > 50 {
        arr.shift();
    }
}

/// `performance.now()` in a window or a worker (0 when there is none).
pub fn perf_now() -> f64 {
    get(&js_sys::global(), "performance")
        .dyn_into::<web_sys::Performance>()
        .map_or(0.0, |p| p.now())
}

/// Parses and runs `text` with overrides in [`UiOverrides::to_json`]'s format; the report as
/// JSON. Unreadable overrides count as none.
pub fn run_to_json(text: &str, overrides_json: &str) -> String {
    let o = UiOverrides::from_json(overrides_json).unwrap_or_default();
    let parse = mm_model::parse(text);
    let report = mm_model::run(&parse.script, &o.to_model());
    serde_json::to_string(&report).unwrap_or_default()
}

/// For benchmarks (`e2e/tests/30-stress.mjs`, `make bench`): runs `text` under the one scheme
/// named `scheme`, nothing else (parsed once, untimed, as the criterion bench does; no JSON, no
/// state view), `times` times on this thread; the fastest run in ms, or -1 when the scheme is
/// unknown. The page exports it as
/// `window.wasmBindings.model_ms`, so a test can time the model itself in the browser against
/// the native criterion bench of the same script.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn model_ms(text: &str, scheme: &str, times: u32) -> f64 {
    let Some(kind) = scheme_by_name(scheme) else {
        return -1.0;
    };
    let o = mm_model::Overrides {
        schemes: vec![kind],
        ..mm_model::Overrides::default()
    };
    let parse = mm_model::parse(text);
    (0..times.max(1))
        .map(|_| {
            let t0 = perf_now();
            std::hint::black_box(mm_model::run(&parse.script, &o));
            perf_now() - t0
        })
        .fold(f64::INFINITY, f64::min)
}

/// Reads [`run_to_json`]'s output back.
pub fn report_from_json(json: &str) -> Option<Report> {
    serde_json::from_str(json).ok()
}

/// The state view's time-travel replay: the kernel state after step `step` of `text` under
/// `scheme` (a [`SchemeKind::name`]), as JSON of [`mm_model::Kernel`]; empty when the scheme
/// is unknown.
pub fn state_to_json(text: &str, overrides_json: &str, scheme: &str, step: u64) -> String {
    let Some(kind) = scheme_by_name(scheme) else {
        return String::new();
    };
    let o = UiOverrides::from_json(overrides_json).unwrap_or_default();
    let parse = mm_model::parse(text);
    let kernel = mm_model::run::state_at(&parse.script, &o.to_model(), kind, step);
    serde_json::to_string(&kernel).unwrap_or_default()
}

/// Reads [`state_to_json`]'s output back.
pub fn kernel_from_json(json: &str) -> Option<mm_model::Kernel> {
    serde_json::from_str::<mm_model::Kernel>(json).ok()
}

/// The scheme named `name` ([`SchemeKind::name`]).
pub fn scheme_by_name(name: &str) -> Option<SchemeKind> {
    SchemeKind::ALL.iter().copied().find(|k| k.name() == name)
}

/// The URL of the worker script, from the page's `<meta name="pinlab-worker">` (none under
/// wasm-bindgen-test-runner), with the page's own wasm-bindgen glue and wasm (Trunk's
/// `<link rel="modulepreload">` and `<link rel="preload" as="fetch">`) in its query: the
/// worker runs the same module as the page.
fn worker_url() -> Option<String> {
    let doc = web_sys::window().and_then(|w| w.document())?;
    let attr = |sel: &str, name: &str| {
        doc.query_selector(sel)
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute(name))
            .filter(|u| !u.is_empty())
    };
    let loader = attr("meta[name=pinlab-worker]", "content")?;
    let glue = attr("link[rel=modulepreload]", "href")?;
    let wasm = attr("link[rel=preload][as=fetch]", "href")?;
    let q = |s: &str| String::from(js_sys::encode_uri_component(s));
    Some(format!("{loader}?glue={}&wasm={}", q(&glue), q(&wasm)))
}

/// Starts a worker on the page's module ([`worker_url`]); `None` when the page has none.
pub fn spawn() -> Option<web_sys::Worker> {
    let url = worker_url()?;
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    web_sys::Worker::new_with_options(&url, &opts).ok()
}

/// The module's entry in a worker (`main` finds no window): answers each message with
/// [`handle_request`], after posting `{ready: true}` once the handler is installed.
pub fn serve() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let post = |m: &JsValue| {
                if let Err(err) = reply_to.post_message(m) {
                    web_sys::console::error_1(&err);
                }
            };
            let reply = handle_request(&e.data(), &post);
            post(&reply);
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages that arrived before the handler was set were dropped: the app waits for this.
    let ready = js_sys::Object::new();
    set(&ready, "ready", &JsValue::TRUE);
    if let Err(err) = scope.post_message(&ready) {
        web_sys::console::error_1(&err);
    }
}

/// The worker's message handler: one request in, one reply out. `kind: "state"` requests
/// (`{id, kind, text, overrides, scheme, step}`) are answered with `{id, kind, step, kernel, ms}`;
/// `kind: "explore"` requests post their progress through `post` before the final reply
/// ([`crate::explorer`]); others are runs.
pub fn handle_request(data: &JsValue, post: &dyn Fn(&JsValue)) -> JsValue {
    if get(data, "kind").as_string().as_deref() == Some("explore") {
        return crate::explorer::handle_in_worker(data, post);
    }
    let id = get(data, "id");
    if get(data, "kind").as_string().as_deref() == Some("state") {
        let text = get(data, "text").as_string().unwrap_or_default();
        let overrides = get(data, "overrides").as_string().unwrap_or_default();
        let scheme = get(data, "scheme").as_string().unwrap_or_default();
        let step = get(data, "step");
        let t0 = perf_now();
        let kernel = state_to_json(
            &text,
            &overrides,
            &scheme,
            step.as_f64().unwrap_or(0.0) as u64,
        );
        let ms = perf_now() - t0;
        let reply = js_sys::Object::new();
        set(&reply, "id", &id);
        set(&reply, "kind", &JsValue::from_str("state"));
        set(&reply, "step", &step);
        set(&reply, "kernel", &JsValue::from_str(&kernel));
        set(&reply, "ms", &JsValue::from_f64(ms));
        return reply.into();
    }
    let text = get(data, "text").as_string().unwrap_or_default();
    let overrides = get(data, "overrides").as_string().unwrap_or_default();
    let t0 = perf_now();
    let report = run_to_json(&text, &overrides);
    let ms = perf_now() - t0;
    let reply = js_sys::Object::new();
    set(&reply, "id", &id);
    set(&reply, "report", &JsValue::from_str(&report));
    set(&reply, "ms", &JsValue::from_f64(ms));
    reply.into()
}

/// The app's side: the worker (if any), what is in flight and what waits.
pub struct Runner {
    worker: Option<web_sys::Worker>,
    next_id: u32,
    inflight: Option<(u32, RunKey)>,
    queued: Option<RunKey>,
    /// The worker said `{ready: true}`: its handler is installed. Messages posted before that
    /// would be lost (the handler is set once its wasm has loaded), so requests wait.
    ready: bool,
    /// The in-flight request's result is no longer wanted (the text went back to what is shown).
    discard: bool,
    generation: u64,
    apply: Rc<dyn Fn(Shown)>,
    /// The state request in the worker (at most one: stepping fast must not pile up replays).
    state_inflight: Option<(u32, StateKey)>,
    /// The states the view waits for, first first; replaced on every render that misses some.
    state_want: Vec<StateWant>,
    on_state: OnState,
    _closures: Vec<Closure<dyn FnMut(JsValue)>>,
    /// Gives up on a worker that never says it is ready (e.g. its wasm failed to load).
    ready_timeout: Option<gloo_timers::callback::Timeout>,
}

/// How long (ms) the worker may take to load before the app runs the model itself.
const READY_TIMEOUT_MS: u32 = 15_000;

impl Runner {
    /// A runner that hands its results to `apply`; it starts the worker named by the page's
    /// `<meta name="pinlab-worker" content="...">` (a URL relative to the page), if any.
    pub fn start(
        apply: Rc<dyn Fn(Shown)>,
        on_state: OnState,
        generation: u64,
    ) -> Rc<RefCell<Runner>> {
        let this = Rc::new(RefCell::new(Runner {
            worker: None,
            next_id: 0,
            inflight: None,
            queued: None,
            discard: false,
            ready: false,
            generation,
            apply,
            state_inflight: None,
            state_want: Vec::new(),
            on_state,
            _closures: Vec::new(),
            ready_timeout: None,
        }));
        probe_worker(false);
        let Some(worker) = spawn() else {
            return this;
        };
        probe_worker(true);
        let weak = Rc::downgrade(&this);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            if let Some(this) = weak.upgrade() {
                Runner::on_reply(&this, &get(&e, "data"));
            }
        });
        let weak = Rc::downgrade(&this);
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            if let Some(this) = weak.upgrade() {
                Runner::on_worker_error(&this);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let weak = Rc::downgrade(&this);
        let timeout = gloo_timers::callback::Timeout::new(READY_TIMEOUT_MS, move || {
            if let Some(this) = weak.upgrade() {
                let stuck = {
                    let r = this.borrow();
                    !r.ready && r.worker.is_some()
                };
                if stuck {
                    Runner::on_worker_error(&this);
                }
            }
        });
        {
            let mut r = this.borrow_mut();
            r.worker = Some(worker);
            r._closures = vec![on_message, on_error];
            r.ready_timeout = Some(timeout);
        }
        this
    }

    /// Whether runs go to a worker.
    pub fn has_worker(&self) -> bool {
        self.worker.is_some()
    }

    /// Runs `key`: in the worker (serially, the newest request replacing a queued one), or
    /// at once on the main thread when there is no worker or the script is small and its last
    /// run (`last_ms`) was fast ([`crate::logic::run_in_worker`]).
    pub fn request(this: &Rc<RefCell<Runner>>, key: RunKey, last_ms: f64) {
        let mut r = this.borrow_mut();
        let big = || {
            let stmts = crate::logic::estimated_statements(&mm_model::parse(&key.0).script.stmts);
            crate::logic::run_in_worker(stmts, last_ms)
        };
        if r.worker.is_none() || !big() {
            // Whatever the worker is doing is superseded.
            r.queued = None;
            r.discard = r.inflight.is_some();
            drop(r);
            Runner::run_here(this, key);
            return;
        }
        if r.inflight.is_some() || !r.ready {
            r.queued = Some(key);
        } else {
            r.send(key);
        }
    }

    /// The state view waits for `wants` (computed in the worker, one request at a time, in
    /// order); an empty list drops what was wanted (a reply still in flight is then ignored).
    pub fn want_states(this: &Rc<RefCell<Runner>>, wants: Vec<StateWant>) {
        let mut r = this.borrow_mut();
        if r.state_want
            .iter()
            .map(|w| w.0)
            .eq(wants.iter().map(|w| w.0))
        {
            return;
        }
        r.state_want = wants;
        r.send_state();
    }

    /// Sends the first wanted state when no state request is in flight.
    fn send_state(&mut self) {
        if self.state_inflight.is_some() || !self.ready {
            return;
        }
        let Some((key, text, overrides)) = self.state_want.first() else {
            return;
        };
        let Some(w) = &self.worker else { return };
        self.next_id = self.next_id.wrapping_add(1);
        let msg = js_sys::Object::new();
        set(&msg, "id", &JsValue::from_f64(f64::from(self.next_id)));
        set(&msg, "kind", &JsValue::from_str("state"));
        set(&msg, "text", &JsValue::from_str(text));
        set(&msg, "overrides", &JsValue::from_str(overrides));
        set(&msg, "scheme", &JsValue::from_str(key.1.name()));
        set(&msg, "step", &JsValue::from_f64(key.2 as f64));
        if w.post_message(&msg).is_ok() {
            self.state_inflight = Some((self.next_id, *key));
        }
    }

    /// A state reply: delivered if it answers the request in flight and is still wanted.
    fn on_state_reply(this: &Rc<RefCell<Runner>>, data: &JsValue) {
        let id = get(data, "id").as_f64().unwrap_or(-1.0);
        let (wanted, on_state) = {
            let mut r = this.borrow_mut();
            let wanted = match r.state_inflight {
                Some((iid, key)) if f64::from(iid) == id => {
                    r.state_inflight = None;
                    let pos = r.state_want.iter().position(|w| w.0 == key);
                    pos.map(|p| r.state_want.remove(p).0)
                }
                _ => return,
            };
            r.send_state();
            (wanted, r.on_state.clone())
        };
        let Some(key) = wanted else { return };
        let kernel = get(data, "kernel")
            .as_string()
            .and_then(|j| kernel_from_json(&j));
        on_state(key, kernel);
    }

    /// The shown results are current again: drop the queued request and the in-flight result.
    pub fn cancel(this: &Rc<RefCell<Runner>>) {
        let mut r = this.borrow_mut();
        r.queued = None;
        r.discard = r.inflight.is_some();
    }

    fn send(&mut self, key: RunKey) {
        self.discard = false;
        let Some(w) = &self.worker else { return };
        self.next_id = self.next_id.wrapping_add(1);
        let msg = js_sys::Object::new();
        set(&msg, "id", &JsValue::from_f64(f64::from(self.next_id)));
        set(&msg, "text", &JsValue::from_str(&key.0));
        set(&msg, "overrides", &JsValue::from_str(&key.1.to_json()));
        if w.post_message(&msg).is_ok() {
            self.inflight = Some((self.next_id, key));
        }
    }

    fn run_here(this: &Rc<RefCell<Runner>>, key: RunKey) {
        let t0 = perf_now();
        let eval = evaluate(&key.0, &key.1);
        let ms = perf_now() - t0;
        Runner::deliver(this, key, eval, ms, false);
    }

    fn deliver(this: &Rc<RefCell<Runner>>, key: RunKey, eval: Evaluated, ms: f64, in_worker: bool) {
        let apply = {
            let mut r = this.borrow_mut();
            r.generation += 1;
            (r.apply.clone(), r.generation)
        };
        (apply.0)(Shown {
            key,
            eval: Rc::new(eval),
            ms,
            generation: apply.1,
            in_worker,
        });
    }

    fn on_reply(this: &Rc<RefCell<Runner>>, data: &JsValue) {
        if get(data, "ready").as_bool() == Some(true) {
            let mut r = this.borrow_mut();
            r.ready = true;
            r.ready_timeout = None;
            if r.inflight.is_none() {
                if let Some(next) = r.queued.take() {
                    r.send(next);
                }
            }
            r.send_state();
            return;
        }
        if get(data, "kind").as_string().as_deref() == Some("state") {
            Runner::on_state_reply(this, data);
            return;
        }
        probe_reply();
        let id = get(data, "id").as_f64().unwrap_or(-1.0);
        let done = {
            let mut r = this.borrow_mut();
            match r.inflight.take() {
                Some((iid, key)) if f64::from(iid) == id => {
                    if let Some(next) = r.queued.take() {
                        // Superseded while it ran: skip it, run the newest text.
                        r.send(next);
                        None
                    } else if r.discard {
                        r.discard = false;
                        None
                    } else {
                        Some(key)
                    }
                }
                other => {
                    r.inflight = other;
                    None
                }
            }
        };
        let Some(key) = done else { return };
        let ms = get(data, "ms").as_f64().unwrap_or(0.0);
        let report = get(data, "report")
            .as_string()
            .and_then(|j| report_from_json(&j));
        match report {
            Some(report) => {
                let parse = mm_model::parse(&key.0);
                Runner::deliver(this, key, Evaluated { parse, report }, ms, true);
            }
            None => Runner::run_here(this, key),
        }
    }

    /// The worker failed (e.g. its script did not load): run on the main thread from now on.
    fn on_worker_error(this: &Rc<RefCell<Runner>>) {
        let (key, states, on_state) = {
            let mut r = this.borrow_mut();
            if let Some(w) = r.worker.take() {
                w.terminate();
            }
            probe_worker(false);
            let inflight = r.inflight.take().map(|(_, k)| k);
            r.state_inflight = None;
            let states: Vec<StateKey> = r.state_want.drain(..).map(|w| w.0).collect();
            (r.queued.take().or(inflight), states, r.on_state.clone())
        };
        // The state view replays on the main thread from now on.
        for s in states {
            on_state(s, None);
        }
        web_sys::console::warn_1(&JsValue::from_str(
            "pinlab: the model worker failed; running the model on the main thread",
        ));
        if let Some(key) = key {
            Runner::run_here(this, key);
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(w) = self.worker.take() {
            w.terminate();
        }
    }
}
