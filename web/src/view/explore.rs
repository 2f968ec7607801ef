//! The Explore panel: runs every interleaving of the script's threads in a worker
//! ([`crate::explorer`]), shows its progress with a Cancel button, then one lane per scheme with
//! each violation's Never / Sometimes / Always and a button that opens the counterexample in the
//! stepper (its `schedule` line applied to the script).

use std::cell::RefCell;
use std::rc::Rc;

use mm_model::explore::{Frequency, SchemeResult, Stop};
use mm_model::{SchemeKind, ViolationKind};
use yew::prelude::*;

use crate::explorer::{Done, Job, Running};

/// What opening a counterexample needs: the scheme, the schedule, the violation.
pub type Open = (SchemeKind, Vec<String>, ViolationKind);

#[derive(Properties, PartialEq)]
pub struct ExploreProps {
    /// The script as it is now.
    pub text: AttrValue,
    /// The overrides, as [`crate::UiOverrides::to_json`].
    pub overrides: AttrValue,
    /// Opens a counterexample in the stepper.
    pub on_open: Callback<Open>,
}

enum Status {
    Idle,
    Running(Running),
    Done(Rc<Done>, String),
    Failed(String),
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rate(states: u64, ms: f64) -> String {
    if ms <= 0.0 {
        return String::new();
    }
    format!(
        "{} states/s",
        thousands((states as f64 * 1000.0 / ms) as u64)
    )
}

#[function_component(ExplorePanel)]
pub fn explore_panel(props: &ExploreProps) -> Html {
    let status = use_state(|| Status::Idle);
    let job: Rc<RefCell<Option<Rc<RefCell<Job>>>>> = use_mut_ref(|| None);
    let on_run = {
        let status = status.clone();
        let job = job.clone();
        let text = props.text.to_string();
        let overrides = props.overrides.to_string();
        Callback::from(move |_: MouseEvent| {
            let progress = {
                let status = status.clone();
                Rc::new(move |r: Running| status.set(Status::Running(r)))
            };
            let done = {
                let status = status.clone();
                let text = text.clone();
                let job = job.clone();
                Rc::new(move |r: Result<Done, String>| {
                    job.borrow_mut().take();
                    status.set(match r {
                        Ok(d) => Status::Done(Rc::new(d), text.clone()),
                        Err(e) => Status::Failed(e),
                    });
                })
            };
            status.set(Status::Running(Running::default()));
            *job.borrow_mut() = Some(Job::start(text.clone(), overrides.clone(), progress, done));
        })
    };
    let on_cancel = {
        let status = status.clone();
        let job = job.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(j) = job.borrow_mut().take() {
                j.borrow_mut().cancel();
            }
            status.set(Status::Failed("cancelled".into()));
        })
    };
    let body = match &*status {
        Status::Idle => html! {
            <p class="note-inline">{ "Runs every order in which the threads can take their next statement (and the kworker its deferred work) under each scheme, and reports each violation as Never, Sometimes or Always." }</p>
        },
        Status::Running(r) => html! {
            <p id="explore-progress" class="explore-progress" role="status">
                { if r.schemes == 0 {
                    "starting…".to_string()
                } else {
                    format!("{} ({}/{}): {} states, {} schedules, {} transitions, {}", r.scheme, r.index, r.schemes,
                        thousands(r.states), thousands(r.schedules), thousands(r.transitions), rate(r.states, r.ms))
                } }
            </p>
        },
        Status::Failed(e) => {
            html! { <p id="explore-progress" class="explore-progress" role="status">{ format!("Exploration {e}.") }</p> }
        }
        Status::Done(d, for_text) => {
            let stale = *for_text != *props.text;
            let states: u64 = d.exploration.schemes.iter().map(|s| s.states).sum();
            html! {
                <>
                    <p id="explore-summary" class="explore-progress" role="status">
                        { format!("{} states in {:.0} ms ({}){}", thousands(states), d.ms, rate(states, d.ms),
                            if d.exploration.reduced { "; schedules counted up to reordering of independent statements" } else { "" }) }
                        if stale { <span class="stale-note">{ " — the script changed since: explore again" }</span> }
                    </p>
                    <div class="explore-lanes">
                        { for d.exploration.schemes.iter().map(|s| lane(s, &props.on_open, stale)) }
                    </div>
                </>
            }
        }
    };
    let running = matches!(*status, Status::Running(_));
    html! {
        <section class="panel explore" id="explore-panel" aria-labelledby="explore-title">
            <h2 id="explore-title">{ "Explore interleavings" }</h2>
            <div class="explore-buttons">
                <button id="explore-run" onclick={on_run} disabled={running}
                    title="every interleaving of the threads, under each scheme (pinlab explore)">{ "explore" }</button>
                if running {
                    <button id="explore-cancel" onclick={on_cancel}>{ "cancel" }</button>
                }
            </div>
            { body }
        </section>
    }
}

fn lane(s: &SchemeResult, on_open: &Callback<Open>, stale: bool) -> Html {
    let head = match s.stopped {
        None => format!(
            "all {} schedules, {} states",
            thousands(s.schedules),
            thousands(s.states)
        ),
        Some(Stop::States(n)) => format!("incomplete: bound hit after {} states", thousands(n)),
        Some(Stop::Cancelled) => {
            format!("incomplete: stopped after {} states", thousands(s.states))
        }
    };
    let scheme = s.scheme;
    html! {
        <div class="explore-lane" data-scheme={scheme.name()}>
            <h3>{ scheme.name() }</h3>
            <p class="lane-head">{ head }</p>
            if s.found.is_empty() {
                <p class="verdict-never">{ "Never: no violation in any schedule" }</p>
            }
            <ul>
                { for s.found.iter().map(|f| {
                    let freq = s.frequency(f);
                    let cls = match freq {
                        Frequency::Never => "freq never",
                        Frequency::Sometimes => "freq sometimes",
                        Frequency::Always => "freq always",
                    };
                    let (schedule, kind) = (f.schedule.clone(), f.kind);
                    let on_open = on_open.clone();
                    let onclick = Callback::from(move |_: MouseEvent| on_open.emit((scheme, schedule.clone(), kind)));
                    let line = if f.schedule.is_empty() {
                        "the default order".to_string()
                    } else {
                        format!("schedule {}", f.schedule.join(" "))
                    };
                    html! {
                        <li class="observation" data-violation={f.kind.name()} data-frequency={freq.name()}>
                            <span class={cls}>{ freq.name() }</span>
                            <span class="obs-name">{ f.kind.name() }</span>
                            <span class="obs-count" title="violating schedules of all explored">{ format!("{}/{}", thousands(f.violating), thousands(s.schedules)) }</span>
                            <code class="obs-schedule">{ line }</code>
                            <button class="explore-open small" onclick={onclick} disabled={stale}
                                title="apply this schedule to the script and step to the violation">{ "open in stepper" }</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
