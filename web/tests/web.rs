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

use mm_web::logic::{
    changed_fields, first_difference, parse_duration, tokenize_line, PageRow, Tok,
};

#[wasm_bindgen_test]
fn tokenizer_classes_and_roundtrip() {
    let line = "gup io buf 0..2 write fast times=3  # pin it";
    let toks = tokenize_line(line);
    let joined: String = toks.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(joined, line);
    let kinds = |w: &str| toks.iter().find(|(_, t)| t == w).map(|(k, _)| *k);
    assert_eq!(kinds("gup"), Some(Tok::Keyword));
    assert_eq!(kinds("io"), Some(Tok::Name));
    assert_eq!(kinds("0..2"), Some(Tok::Number));
    assert_eq!(kinds("fast"), Some(Tok::Keyword));
    assert_eq!(kinds("3"), Some(Tok::Number));
    assert_eq!(kinds("# pin it"), Some(Tok::Comment));
    let c = tokenize_line("cost worker-wakeup=10.5ns");
    assert!(c.contains(&(Tok::Number, "10.5ns".to_string())));
    assert!(c.contains(&(Tok::Name, "worker-wakeup".to_string())));
    // Markup-looking text stays text.
    let t = tokenize_line("<b>x</b>");
    assert_eq!(
        t.iter().map(|(_, s)| s.as_str()).collect::<String>(),
        "<b>x</b>"
    );
    assert_eq!(
        tokenize_line("refs m 0 -1")[6],
        (Tok::Number, "-1".to_string())
    );
}

#[wasm_bindgen_test]
fn duration_input_parser() {
    assert_eq!(parse_duration("5us").map(|d| d.0), Some(5_000_000));
    assert_eq!(parse_duration("250ns").map(|d| d.0), Some(250_000));
    assert_eq!(parse_duration("10.5ns").map(|d| d.0), Some(10_500));
    assert_eq!(parse_duration(" 5 us ").map(|d| d.0), Some(5_000_000));
    assert_eq!(parse_duration("7").map(|d| d.0), Some(7_000));
    assert_eq!(parse_duration("1ms").map(|d| d.0), Some(1_000_000_000));
    assert!(parse_duration("").is_none());
    assert!(parse_duration("us").is_none());
    assert!(parse_duration("5 parsecs").is_none());
    assert!(parse_duration("1.2.3ns").is_none());
    assert!(parse_duration("-5ns").is_none());
}

#[wasm_bindgen_test]
fn first_differing_step_of_default_race() {
    let p = mm_model::parse(mm_web::DEFAULT_SCRIPT);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    let r = mm_model::run(&p.script, &mm_model::Overrides::default());
    let lanes: Vec<&[mm_model::Step]> = r.traces.iter().map(|t| t.steps.as_slice()).collect();
    // GUP-fast falls back under fake-vma at step 4 (the gup line).
    assert_eq!(first_difference(&lanes), Some(4));
    // Identical lanes never differ.
    assert_eq!(first_difference(&[lanes[0], lanes[0]]), None);
    assert_eq!(first_difference(&[]), None);
}

fn row(pfn: u32, refcount: i64, flags: &str) -> PageRow {
    PageRow {
        pfn,
        refcount,
        mapcount: 1,
        pincount: 0,
        flags: flags.into(),
        zone: "normal".into(),
        owner: "A:0".into(),
        pinned: "no".into(),
        state: "live".into(),
    }
}

#[wasm_bindgen_test]
fn state_diff_marks_changed_fields() {
    let prev = vec![row(0, 3, "dirty")];
    let cur = vec![row(0, 1027, "dirty"), row(1, 1, "")];
    let ch = changed_fields(&prev, &cur);
    assert_eq!(ch[0].iter().copied().collect::<Vec<_>>(), vec!["refcount"]);
    assert!(ch[1].contains("pfn"));
    let same = changed_fields(&cur, &cur);
    assert!(same.iter().all(|c| c.is_empty()));
    let flags = changed_fields(&[row(0, 3, "dirty")], &[row(0, 3, "")]);
    assert!(flags[0].contains("flags"));
}

#[wasm_bindgen_test]
async fn app_shows_violation_of_default_scenario() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(mm_web::STORAGE_KEY);
    }
    let root = mount_point();
    let _app = yew::Renderer::<mm_web::App>::with_root(root.clone()).render();
    TimeoutFuture::new(0).await;
    TimeoutFuture::new(0).await;
    let text = root.text_content().unwrap_or_default();
    assert!(
        text.contains("dirty-without-buffers"),
        "rendered text: {text:?}"
    );
    assert!(text.contains("Invariants"), "{text:?}");
}
