//! `mm-worker`: the model in a dedicated Web Worker. Trunk builds it from `index.html`
//! (`data-type="worker"`; `web/mm-worker-loader.js` loads `mm-worker.js` and
//! `mm-worker_bg.wasm`); the app starts it (see `mm_web::worker`). Each message
//! `{id, text, overrides}` is parsed and run, and answered with `{id, report, ms}`; a
//! `{id, kind: "state", ...}` message replays to a step for the state view and is answered with
//! `{id, kind, step, kernel, ms}`; a `{kind: "explore", ...}` message explores the script's
//! interleavings, posting progress before its answer (`mm_web::explorer`; the app starts a
//! worker of its own for each exploration). The first message out is `{ready: true}`.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let post = |m: &JsValue| {
                if let Err(err) = reply_to.post_message(m) {
                    web_sys::console::error_1(&err);
                }
            };
            let reply = mm_web::worker::handle_request(&e.data(), &post);
            if let Err(err) = reply_to.post_message(&reply) {
                web_sys::console::error_1(&err);
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages that arrived before the handler was set were dropped: the app waits for this.
    let ready = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&ready, &JsValue::from_str("ready"), &JsValue::TRUE);
    if let Err(err) = scope.post_message(&ready) {
        web_sys::console::error_1(&err);
    }
}

/// Natively there is no worker to run in; the bin exists for the browser build only.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mm-worker runs in a browser Web Worker (built by trunk); see web/src/worker.rs");
}
