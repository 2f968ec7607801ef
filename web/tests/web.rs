//! Browser tests for the web app: run with wasm-bindgen-test-runner in headless Chromium
//! (`make test`, or `scripts/test-wasm.sh`). Native builds compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh `<div>` appended to `<body>`, to render a component into.
fn mount_point() -> web_sys::Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    let div = document.create_element("div").expect("create <div>");
    document
        .body()
        .expect("a <body>")
        .append_child(&div)
        .expect("append <div> to <body>");
    div
}

#[wasm_bindgen_test]
async fn app_renders_title() {
    let root = mount_point();
    let _app = yew::Renderer::<mm_web::App>::with_root(root.clone()).render();
    // Yew renders on its scheduler; yield to the event loop so it can run.
    TimeoutFuture::new(0).await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("pinlab"), "rendered text: {text:?}");
}
