//! The `?` sheet: keys, the three schemes, the settings and a syntax cheat sheet.

use mm_model::SchemeKind;
use yew::prelude::*;

use crate::compare;

const KEYS: &[(&str, &str)] = &[
    ("?", "this help (outside the editor); Esc closes it"),
    ("Ctrl+Enter", "re-run now (runs are live anyway)"),
    ("Alt+← / Alt+→", "previous / next step, also in the editor"),
    ("[ / ]", "previous / next step (outside the editor)"),
    ("↑ / ↓", "previous / next step on a focused step row"),
    ("Enter / Space", "select the focused step row"),
    ("← / → on the splitter", "resize the editor; Home resets"),
];

const SETTINGS: &[(&str, &str)] = &[
    (
        "kernel X.Y",
        "the rules of that release (COW reuse, PageAnonExclusive, FOLL_LONGTERM checks, ...)",
    ),
    (
        "set writeback=none|keep-dirty|bounce|wait",
        "what writeback does with a page it knows is pinned (none: what mainline does)",
    ),
    (
        "set counter=bias|exact",
        "the pin counter: GUP_PIN_COUNTING_BIAS in the refcount, or an exact pincount",
    ),
    (
        "set gup-fast=fallback|preregistered",
        "fake VMA under GUP-fast: fall back to the slow path, or use a fake registered earlier",
    ),
];

const SYNTAX: &[(&str, &str)] = &[
    (
        "file A ext4 pages=4",
        "a file: ext4, xfs, btrfs, tmpfs or dax",
    ),
    (
        "mmap buf A shared rw",
        "map it; mmap heap anon pages=2 rw [huge] for anonymous memory",
    ),
    (
        "write buf 0 · read buf 0",
        "CPU accesses: faults, page_mkwrite, COW",
    ),
    (
        "gup io buf 0 write fast longterm",
        "the scheme's GUP on page 0, handle io",
    ),
    ("dma io write", "the device writes the pages io holds"),
    (
        "complete io dirty",
        "bio completion in hard IRQ: release (and dirty) the pages",
    ),
    (
        "put io [dirty] · put_page io",
        "release by the scheme's API, or by plain put_page",
    ),
    (
        "writeback A · reclaim A · truncate A 0",
        "the flusher, reclaim, truncate to 0 pages",
    ),
    (
        "fork child · child: write heap 0",
        "a child process; a statement run by it",
    ),
    (
        "migrate heap · munmap buf · mprotect buf ro",
        "memory events",
    ),
    (
        "irq put io · workqueue",
        "a statement in hard-IRQ context; run deferred work",
    ),
    (
        "repeat 1000 { ... } · thread T { ... }",
        "loops and threads",
    ),
    (
        "schedule T U U kworker T",
        "one interleaving (kworker: run queued work); Explore tries them all",
    ),
    (
        "expect violation NAME under legacy",
        "a checked claim; also ok, result, page, pinned",
    ),
];

pub fn help(on_close: Callback<MouseEvent>) -> Html {
    let rows = |items: &'static [(&'static str, &'static str)]| {
        html! { <tbody>{ for items.iter().map(|(k, v)| html! { <tr><th scope="row"><code>{ *k }</code></th><td>{ *v }</td></tr> }) }</tbody> }
    };
    html! {
        <div class="overlay" id="help-overlay">
            <div id="help" class="sheet" role="dialog" aria-modal="true" aria-labelledby="help-title">
                <h2 id="help-title">{ "pinlab: keys, schemes, syntax" }
                    <button id="help-close" class="small" onclick={on_close} aria-label="close help">{ "✕ close" }</button>
                </h2>
                <h3>{ "Keys" }</h3>
                <table class="kv">{ rows(KEYS) }</table>
                <h3>{ "Schemes" }</h3>
                <table class="kv"><tbody>
                    { for SchemeKind::ALL.iter().map(|&k| html! {
                        <tr><th scope="row">{ compare::label(k) }</th><td>{ compare::tooltip(k) }</td></tr>
                    }) }
                </tbody></table>
                <p>{ "A pin counter makes pins visible (folio_maybe_dma_pinned); what the kernel then does with a pinned page at writeback is the writeback setting." }</p>
                <h3>{ "Settings" }</h3>
                <table class="kv">{ rows(SETTINGS) }</table>
                <h3>{ "Syntax, in one screen" }</h3>
                <table class="kv">{ rows(SYNTAX) }</table>
                <p>{ "The full reference: " }<a href="docs/language.md">{ "docs/language.md" }</a>{ "; the model and its kernel rules: " }<a href="docs/model.md">{ "docs/model.md" }</a>{ "." }</p>
            </div>
        </div>
    }
}
