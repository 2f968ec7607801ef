//! The exercise panel beside the editor: the task, the visible checks with their results after
//! a Check, the hidden checks' tally, hints one at a time.

use mm_model::exercise::{Exercise, Grade};
use yew::prelude::*;

use crate::exercises::Progress;

pub fn exercise(
    ex: &Exercise,
    p: &Progress,
    grade: Option<&Grade>,
    on_check: Callback<MouseEvent>,
    on_hint: Callback<MouseEvent>,
    on_leave: Callback<MouseEvent>,
) -> Html {
    let shown_hints = (p.hints as usize).min(ex.hints.len());
    let checks = ex.checks.iter().filter(|c| !c.hidden).map(|c| {
        let r = grade.and_then(|g| g.results.iter().find(|r| r.check.line == c.line));
        let (cls, mark) = match r {
            Some(r) if r.passed => ("pass", "✔ "),
            Some(_) => ("fail", "✖ "),
            None => ("todo", "○ "),
        };
        html! {
            <li class={cls}>{ mark }<code>{ c.text.clone() }</code>
                if let Some(r) = r.filter(|r| !r.passed) { <div class="observed">{ format!("observed: {}", r.detail) }</div> }
            </li>
        }
    });
    let hidden = ex.checks.iter().filter(|c| c.hidden).count();
    let summary = grade.map(|g| {
        let (hp, ht) = g.tally(true);
        let (p, t) = g.score();
        (g.passed(), hp, ht, p, t, g.errors.clone())
    });
    html! {
        <section class="panel exercise" id="exercise" aria-labelledby="exercise-title">
            <h2 id="exercise-title">{ format!("Exercise: {}", ex.title) }
                if p.passed { <span id="ex-passed" class="chip ok-chip">{ "✔ passed" }</span> }
                <button id="ex-leave" class="small" onclick={on_leave} title="back to the playground (your work on this exercise is kept)">{ "leave" }</button>
            </h2>
            <p class="task">{ ex.task.clone() }</p>
            <h3>{ "Checks" }</h3>
            <ul id="ex-checks" class="ex-checks">
                { for checks }
                if hidden > 0 { <li class="todo">{ format!("and {hidden} hidden check(s)") }</li> }
            </ul>
            <div class="ex-actions">
                <button id="ex-check" onclick={on_check}>{ "Check my script" }</button>
                <button id="ex-hint" onclick={on_hint} disabled={shown_hints >= ex.hints.len()}>
                    { format!("hint ({} of {})", shown_hints, ex.hints.len()) }</button>
            </div>
            if let Some((passed, hp, ht, sp, st, errors)) = summary {
                <p id="ex-results" class={classes!("ex-result", if passed { "pass" } else { "fail" })} role="status">
                    { if passed { format!("✔ PASS: {sp} of {st} checks") } else { format!("✖ not yet: {sp} of {st} checks pass") } }
                    if ht > 0 { { format!(" · hidden checks: {hp} of {ht} pass") } }
                    if !errors.is_empty() { { format!(" · the script has errors ({})", errors.join("; ")) } }
                </p>
            }
            if shown_hints > 0 {
                <ol id="ex-hints" class="ex-hints">
                    { for ex.hints.iter().take(shown_hints).map(|h| html! { <li>{ h.clone() }</li> }) }
                </ol>
            }
        </section>
    }
}
