//! The Explore button: every interleaving of the script's threads ([`mm_model::explore`]), run
//! in a Web Worker of its own so the page stays live and Cancel is instant (the worker is
//! terminated; the model worker that runs the script is not involved).
//!
//! Request (app -> explore worker): `{kind: "explore", text, overrides, max_states}`. Replies:
//! `{kind: "explore-progress", scheme, index, schemes, states, transitions, schedules, ms}` at most every
//! [`PROGRESS_MS`], then `{kind: "explore-done", exploration, ms}` (`exploration` is
//! `serde_json` of [`Exploration`]). Without a worker (no `<meta name="pinlab-worker">`, as
//! under wasm-bindgen-test-runner) the exploration runs on the main thread with a small bound.

use std::cell::RefCell;
use std::rc::Rc;

use mm_model::explore::{explore_with, Bounds, Exploration, Progress};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::worker::{get, perf_now, set};
use crate::UiOverrides;

/// The page's bound on distinct states per scheme (the CLI's default is 1,000,000).
pub const WEB_MAX_STATES: u64 = 300_000;
/// Without a worker the main thread would freeze for the whole run: a much smaller bound.
const MAIN_THREAD_MAX_STATES: u64 = 5_000;
/// How often the worker reports progress (ms).
pub const PROGRESS_MS: f64 = 100.0;

/// An exploration's progress, as the panel shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Running {
    /// The scheme being explored.
    pub scheme: String,
    /// Its position (1-based) among the schemes, and their number.
    pub index: u32,
    /// The number of schemes.
    pub schemes: u32,
    /// Distinct states so far in this scheme.
    pub states: u64,
    /// Transitions executed so far in this scheme.
    pub transitions: u64,
    /// Complete schedules accounted for so far in this scheme.
    pub schedules: u64,
    /// Wall time since the start (ms).
    pub ms: f64,
}

/// A finished exploration and how long it took (ms, in the worker).
#[derive(Clone, Debug, PartialEq)]
pub struct Done {
    /// What it found.
    pub exploration: Exploration,
    /// Wall time (ms).
    pub ms: f64,
}

fn explore_text(
    text: &str,
    overrides_json: &str,
    max_states: u64,
    progress: &mut dyn FnMut(&Progress) -> bool,
) -> Exploration {
    let o = UiOverrides::from_json(overrides_json).unwrap_or_default();
    let parse = mm_model::parse(text);
    let bounds = Bounds {
        max_states,
        ..Bounds::default()
    };
    explore_with(&parse.script, &o.to_model(), bounds, progress)
}

/// In the explore worker: runs the request, posting progress through `post`; returns the
/// final message.
pub fn handle_in_worker(data: &JsValue, post: &dyn Fn(&JsValue)) -> JsValue {
    let text = get(data, "text").as_string().unwrap_or_default();
    let overrides = get(data, "overrides").as_string().unwrap_or_default();
    let max_states = get(data, "max_states")
        .as_f64()
        .map_or(WEB_MAX_STATES, |n| n as u64);
    let t0 = perf_now();
    let mut last = t0;
    let e = explore_text(&text, &overrides, max_states, &mut |p| {
        let now = perf_now();
        if now - last >= PROGRESS_MS {
            last = now;
            let msg = js_sys::Object::new();
            set(&msg, "kind", &JsValue::from_str("explore-progress"));
            set(&msg, "scheme", &JsValue::from_str(p.scheme.name()));
            set(
                &msg,
                "index",
                &JsValue::from_f64(p.scheme_index as f64 + 1.0),
            );
            set(&msg, "schemes", &JsValue::from_f64(p.schemes as f64));
            set(&msg, "states", &JsValue::from_f64(p.states as f64));
            set(
                &msg,
                "transitions",
                &JsValue::from_f64(p.transitions as f64),
            );
            set(&msg, "ms", &JsValue::from_f64(now - t0));
            post(&msg);
        }
        true
    });
    let msg = js_sys::Object::new();
    set(&msg, "kind", &JsValue::from_str("explore-done"));
    set(
        &msg,
        "exploration",
        &JsValue::from_str(&serde_json::to_string(&e).unwrap_or_default()),
    );
    set(&msg, "ms", &JsValue::from_f64(perf_now() - t0));
    msg.into()
}

/// A running exploration; dropping it (or [`Job::cancel`]) terminates its worker.
pub struct Job {
    worker: Option<web_sys::Worker>,
    _closures: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Job {
    /// Starts exploring `text`; `on_progress` and `on_done` are called from the event loop.
    pub fn start(
        text: String,
        overrides_json: String,
        on_progress: Rc<dyn Fn(Running)>,
        on_done: Rc<dyn Fn(Result<Done, String>)>,
    ) -> Rc<RefCell<Job>> {
        let job = Rc::new(RefCell::new(Job {
            worker: None,
            _closures: Vec::new(),
        }));
        let worker = crate::worker::spawn();
        let Some(worker) = worker else {
            // No worker: a small exploration on the main thread, after this event.
            let t = gloo_timers::callback::Timeout::new(0, move || {
                let t0 = perf_now();
                let e = explore_text(&text, &overrides_json, MAIN_THREAD_MAX_STATES, &mut |_| {
                    true
                });
                on_done(Ok(Done {
                    exploration: e,
                    ms: perf_now() - t0,
                }));
            });
            t.forget();
            return job;
        };
        let request = js_sys::Object::new();
        set(&request, "kind", &JsValue::from_str("explore"));
        set(&request, "text", &JsValue::from_str(&text));
        set(&request, "overrides", &JsValue::from_str(&overrides_json));
        set(
            &request,
            "max_states",
            &JsValue::from_f64(WEB_MAX_STATES as f64),
        );
        let weak = Rc::downgrade(&job);
        let done = on_done.clone();
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let data = get(&e, "data");
            if get(&data, "ready").as_bool() == Some(true) {
                if let Some(job) = weak.upgrade() {
                    if let Some(w) = &job.borrow().worker {
                        let _ = w.post_message(&request);
                    }
                }
                return;
            }
            match get(&data, "kind").as_string().as_deref() {
                Some("explore-progress") => {
                    let n = |k: &str| get(&data, k).as_f64().unwrap_or(0.0);
                    on_progress(Running {
                        scheme: get(&data, "scheme").as_string().unwrap_or_default(),
                        index: n("index") as u32,
                        schemes: n("schemes") as u32,
                        states: n("states") as u64,
                        transitions: n("transitions") as u64,
                        schedules: n("schedules") as u64,
                        ms: n("ms"),
                    });
                }
                Some("explore-done") => {
                    let e = get(&data, "exploration")
                        .as_string()
                        .and_then(|j| serde_json::from_str::<Exploration>(&j).ok());
                    if let Some(job) = weak.upgrade() {
                        job.borrow_mut().cancel();
                    }
                    done(
                        e.map(|exploration| Done {
                            exploration,
                            ms: get(&data, "ms").as_f64().unwrap_or(0.0),
                        })
                        .ok_or_else(|| "the explorer's answer did not decode".to_string()),
                    );
                }
                _ => {}
            }
        });
        let weak = Rc::downgrade(&job);
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            if let Some(job) = weak.upgrade() {
                job.borrow_mut().cancel();
            }
            on_done(Err(
                "the explorer's worker failed (see the console)".to_string()
            ));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        {
            let mut j = job.borrow_mut();
            j.worker = Some(worker);
            j._closures = vec![on_message, on_error];
        }
        job
    }

    /// Stops the exploration at once: its worker is terminated.
    pub fn cancel(&mut self) {
        if let Some(w) = self.worker.take() {
            w.set_onmessage(None);
            w.set_onerror(None);
            w.terminate();
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// `text` with its top-level `schedule` line set to `names` (the first such line is
/// replaced, any other removed; without one, the line goes after the last thread block, or at
/// the end). Empty `names` removes the line: the default round-robin order is the schedule.
pub fn set_schedule(text: &str, names: &[String]) -> String {
    let line = (!names.is_empty()).then(|| format!("schedule {}", names.join(" ")));
    let mut out: Vec<String> = Vec::new();
    let mut placed = false;
    let mut depth = 0i32;
    let mut after_thread = None;
    for l in text.lines() {
        let t = l.trim_start();
        let word = t.split_whitespace().next().unwrap_or("");
        if depth == 0 && word == "schedule" {
            if !placed {
                placed = true;
                if let Some(new) = &line {
                    out.push(new.clone());
                }
            }
            continue;
        }
        let code = t.split('#').next().unwrap_or("");
        if depth == 0 && word == "thread" && code.trim_end().ends_with('{') {
            depth = 1;
        } else if depth > 0 {
            if code.trim_end().ends_with('{') {
                depth += 1;
            } else if code.trim() == "}" {
                depth -= 1;
                if depth == 0 {
                    after_thread = Some(out.len() + 1);
                }
            }
        }
        out.push(l.to_string());
    }
    if let (false, Some(new)) = (placed, line) {
        match after_thread {
            Some(i) => out.insert(i, new),
            None => out.push(new),
        }
    }
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_line_is_set_in_place_or_after_the_threads() {
        let text = "mmap a anon pages=1 rw\nthread x {\n  repeat 2 {\n    write a\n  }\n}\nthread y {\n  read a\n}\nexpect ok\n";
        let names = vec!["y".to_string(), "x".to_string()];
        let once = set_schedule(text, &names);
        assert_eq!(
            once,
            "mmap a anon pages=1 rw\nthread x {\n  repeat 2 {\n    write a\n  }\n}\nthread y {\n  read a\n}\nschedule y x\nexpect ok\n"
        );
        // Replaced, not duplicated; and removed for the default order.
        let twice = set_schedule(&once, &["x".to_string()]);
        assert_eq!(twice.matches("schedule").count(), 1);
        assert!(twice.contains("schedule x\n"));
        assert_eq!(set_schedule(&twice, &[]), text);
        // The result parses and names only defined threads.
        assert!(!mm_model::parse(&once).has_errors());
    }
}
