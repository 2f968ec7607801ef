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

use mm_web::logic::{changed_fields, parse_duration, tokenize_line, PageRow, Tok};

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
fn editor_marks_cover_the_error_span() {
    use mm_web::logic::{error_ranges, mark_ranges, utf16_offset};
    let text = "file A ext4 pages=1\nmmap buf A shared rw\nwrte buf 0\n";
    let p = mm_model::parse(text);
    let r = error_ranges(text, 3, &p.diagnostics);
    assert_eq!(r, vec![(0, 4)], "{:?}", p.diagnostics);
    let pieces = mark_ranges(tokenize_line("wrte buf 0"), &r);
    let marked: String = pieces
        .iter()
        .filter(|p| p.2)
        .map(|p| p.1.as_str())
        .collect();
    assert_eq!(marked, "wrte");
    let all: String = pieces.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(all, "wrte buf 0");
    assert_eq!(utf16_offset(text, 3, 1), 41);
    assert_eq!(utf16_offset("µ x\n😀y", 2, 2), 6);
    assert_eq!(utf16_offset("ab", 9, 1), 2);
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

#[wasm_bindgen_test]
fn gallery_entries_parse_cleanly() {
    use mm_web::gallery::{by_id, find, needs_scratch, GALLERY, SCRATCH_ID};
    assert_eq!(GALLERY.first().map(|e| e.id), Some("default"));
    assert_eq!(GALLERY[0].text, mm_web::DEFAULT_SCRIPT);
    let ids: std::collections::BTreeSet<&str> = GALLERY.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), GALLERY.len(), "duplicate gallery ids");
    assert!(!ids.contains(SCRATCH_ID));
    for e in GALLERY {
        assert!(
            !e.title.trim().is_empty() && e.title.len() <= 60,
            "title of {}",
            e.id
        );
        let p = mm_model::parse(e.text);
        assert!(p.diagnostics.is_empty(), "{}: {:?}", e.id, p.diagnostics);
        assert_eq!(find(e.text).map(|f| f.id), Some(e.id));
        assert_eq!(by_id(e.id).map(|f| f.text), Some(e.text));
        assert!(!needs_scratch(e.text), "{}", e.id);
    }
    // Running them (and their expectations) is the model's snapshot test, natively; the
    // 100,000-iteration storm would take too long in a debug wasm build.
    assert!(GALLERY.iter().any(|e| e.id == "s01-dio-reclaim-race"));
    assert!(needs_scratch("file A ext4 pages=1\n"));
    assert!(needs_scratch(&format!("{}#\n", mm_web::DEFAULT_SCRIPT)));
    assert!(!needs_scratch("  \n"), "an empty editor is nothing to keep");
    assert!(by_id("nope").is_none());
}

#[wasm_bindgen_test]
fn debounce_decision() {
    use mm_web::logic::{debounce_delay_ms, DEBOUNCE_MS, SLOW_RUN_MS};
    // Within a burst of typing (the previous key 80 ms ago).
    let burst = 80.0;
    assert_eq!(debounce_delay_ms(0.0, burst), 0);
    assert_eq!(debounce_delay_ms(2.5, burst), 0);
    assert_eq!(debounce_delay_ms(SLOW_RUN_MS, burst), 0);
    assert_eq!(debounce_delay_ms(SLOW_RUN_MS + 0.1, burst), DEBOUNCE_MS);
    assert_eq!(debounce_delay_ms(900.0, burst), DEBOUNCE_MS);
    assert_eq!(debounce_delay_ms(f64::NAN, burst), 0);
    assert_eq!(debounce_delay_ms(-1.0, burst), 0);
    // A single edit after a quiet keyboard, or the first keystroke, runs a slow script at once.
    let quiet = f64::from(DEBOUNCE_MS);
    assert_eq!(debounce_delay_ms(900.0, quiet), 0);
    assert_eq!(debounce_delay_ms(900.0, quiet - 1.0), DEBOUNCE_MS);
    assert_eq!(debounce_delay_ms(900.0, f64::INFINITY), 0);
    assert_eq!(DEBOUNCE_MS, 250);
}

#[wasm_bindgen_test]
fn splitter_clamp() {
    use mm_web::logic::clamp_split;
    assert_eq!(clamp_split(100.0, 1280.0), 360.0);
    assert_eq!(clamp_split(700.0, 1280.0), 700.0);
    assert_eq!(clamp_split(1200.0, 1280.0), 860.0);
    assert_eq!(clamp_split(500.0, 600.0), 360.0);
}

#[wasm_bindgen_test]
fn overrides_json_roundtrip() {
    use mm_web::UiOverrides;
    let empty = UiOverrides::default();
    assert!(empty.is_empty());
    assert_eq!(UiOverrides::from_json(&empty.to_json()), Some(empty));
    let mut o = UiOverrides {
        era: Some(mm_model::settings::KernelVersion::PRESETS[0].to_string()),
        writeback: Some(
            mm_model::settings::WritebackPolicy::ALL[0]
                .name()
                .to_string(),
        ),
        counter: None,
        gup_fast: Some(mm_model::settings::GupFastMode::ALL[0].name().to_string()),
        costs: Default::default(),
    };
    o.costs.insert("worker-wakeup".into(), 50_000_000);
    o.costs.insert("atomic".into(), 10_500);
    assert!(!o.is_empty());
    let j = o.to_json();
    assert_eq!(UiOverrides::from_json(&j), Some(o.clone()));
    // The overrides still drive the model the same way after the round trip.
    let back = UiOverrides::from_json(&j).unwrap();
    assert_eq!(back.script_lines(), o.script_lines());
    // Junk from an older or tampered store is dropped, not trusted.
    let junk = r#"{"era":"1999","writeback":7,"counter":null,"costs":{"atomic":6000,"no-such":1,"fault":"1us"}}"#;
    let j2 = UiOverrides::from_json(junk).unwrap();
    assert_eq!(j2.era, None);
    assert_eq!(j2.writeback, None);
    assert_eq!(j2.costs.len(), 1);
    assert_eq!(j2.costs.get("atomic"), Some(&6000));
    // An era token stored by an older version reads as the release it means.
    let old = UiOverrides::from_json(r#"{"era":"2018"}"#).unwrap();
    assert_eq!(old.era.as_deref(), Some("4.19"));
    assert!(UiOverrides::from_json("not json").is_none());
    assert!(UiOverrides::from_json("[1,2]").is_none());
}

#[wasm_bindgen_test]
async fn app_has_gallery_and_run_status() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(mm_web::STORAGE_KEY);
        let _ = s.remove_item(mm_web::OVERRIDES_KEY);
    }
    let root = mount_point();
    let _app = yew::Renderer::<mm_web::App>::with_root(root.clone()).render();
    TimeoutFuture::new(0).await;
    TimeoutFuture::new(0).await;
    let count = |sel: &str| {
        root.query_selector_all(sel)
            .expect("query options")
            .length() as usize
    };
    assert_eq!(count("#gallery > option"), mm_web::gallery::GALLERY.len());
    assert_eq!(
        count("#gallery optgroup option"),
        mm_model::exercise::BUILTIN.len()
    );
    let status = root
        .query_selector("#run-status")
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default();
    assert!(status.contains("up to date"), "{status:?}");
}

#[wasm_bindgen_test]
fn json_reader() {
    use mm_web::logic::json::{parse, quote, Value};
    assert_eq!(parse(" null "), Some(Value::Null));
    assert_eq!(
        parse("[1, true, \"a\\\"b\\u0041\"]"),
        Some(Value::Array(vec![
            Value::Int(1),
            Value::Bool(true),
            Value::Str("a\"bA".into())
        ]))
    );
    assert_eq!(
        parse("{\"k\": {\"x\": 18446744073709551615}}"),
        Some(Value::Object(vec![(
            "k".into(),
            Value::Object(vec![("x".into(), Value::Int(u64::MAX))])
        )]))
    );
    assert_eq!(parse("-1.5e3"), Some(Value::Other));
    assert_eq!(parse("99999999999999999999"), Some(Value::Other));
    for bad in [
        "",
        "{",
        "{\"a\" 1}",
        "[1,]",
        "nul",
        "\"abc",
        "{} x",
        "1.2.3",
        "{a:1}",
    ] {
        assert_eq!(parse(bad), None, "{bad:?}");
    }
    let deep = "[".repeat(100) + &"]".repeat(100);
    assert_eq!(parse(&deep), None, "nesting is bounded");
    let q = quote("a\"b\\c\nd µ");
    assert_eq!(parse(&q), Some(Value::Str("a\"b\\c\nd µ".into())));
}

#[wasm_bindgen_test]
fn worker_routing_estimate() {
    use mm_web::logic::{estimated_statements, run_in_worker, MAIN_THREAD_MAX_STATEMENTS};
    let storm = "file F ext4 pages=1\nmmap buf F shared rw\nwrite buf\nrepeat 100000 {\n  gup io buf 0 write fast\n  dma io write\n  complete io dirty\n  workqueue\n}\nexpect ok\n";
    let n = estimated_statements(&mm_model::parse(storm).script.stmts);
    assert_eq!(n, 400_004 + 1, "statements plus the file's one page");
    assert!(run_in_worker(n, 0.0));
    let range = "mmap big anon pages=262144 rw\nwrite big\ngup mr big write\nput mr\n";
    let n = estimated_statements(&mm_model::parse(range).script.stmts);
    assert!(
        run_in_worker(n, 0.0),
        "a 1 GiB mapping goes to the worker ({n})"
    );
    let small = estimated_statements(&mm_model::parse(mm_web::DEFAULT_SCRIPT).script.stmts);
    assert!(small <= MAIN_THREAD_MAX_STATEMENTS, "{small}");
    assert!(!run_in_worker(small, 2.0));
    assert!(run_in_worker(small, 40.0));
    let huge =
        "repeat 18446744073709551615 {\n  repeat 18446744073709551615 {\n    workqueue\n  }\n}\n";
    assert_eq!(
        estimated_statements(&mm_model::parse(huge).script.stmts),
        u64::MAX
    );
}

#[wasm_bindgen_test]
fn worker_protocol_roundtrip() {
    use mm_web::worker::{report_from_json, run_to_json};
    use mm_web::UiOverrides;
    let mut o = UiOverrides {
        era: Some("5.19".into()),
        ..UiOverrides::default()
    };
    o.costs.insert("worker-wakeup".into(), 50_000_000);
    let json = run_to_json(mm_web::DEFAULT_SCRIPT, &o.to_json());
    let report = report_from_json(&json).expect("the worker's report reads back");
    let direct = mm_web::evaluate(mm_web::DEFAULT_SCRIPT, &o).report;
    assert_eq!(report.text(), direct.text());
    // Unreadable overrides count as none.
    let plain = report_from_json(&run_to_json(mm_web::DEFAULT_SCRIPT, "not json")).expect("report");
    let none = mm_web::evaluate(mm_web::DEFAULT_SCRIPT, &UiOverrides::default()).report;
    assert_eq!(plain.text(), none.text());
}

#[wasm_bindgen_test]
fn worker_state_roundtrip() {
    use mm_web::worker::{kernel_from_json, scheme_by_name, state_to_json};
    use mm_web::UiOverrides;
    let o = UiOverrides::default();
    let parse = mm_model::parse(mm_web::DEFAULT_SCRIPT);
    for &k in mm_model::SchemeKind::ALL {
        assert_eq!(scheme_by_name(k.name()), Some(k));
        for step in [0, 3, 1000] {
            let json = state_to_json(mm_web::DEFAULT_SCRIPT, &o.to_json(), k.name(), step);
            let back = kernel_from_json(&json).expect("the worker's state reads back");
            let direct = mm_model::run::state_at(&parse.script, &o.to_model(), k, step);
            assert!(back == direct, "state {step} under {} differs", k.name());
        }
    }
    assert_eq!(
        state_to_json(mm_web::DEFAULT_SCRIPT, "", "no-such-scheme", 0),
        ""
    );
}

#[wasm_bindgen_test]
fn crash_banner_carries_the_report() {
    use mm_web::crash::{report, show_banner};
    let r = report(
        "index out of bounds",
        "web/src/lib.rs:1",
        "mmap m anon pages=1 rw\n<b>x</b>",
    );
    assert!(r.contains("panic: index out of bounds") && r.contains("at: web/src/lib.rs:1"));
    assert!(r.ends_with("mmap m anon pages=1 rw\n<b>x</b>"));
    show_banner(&r);
    show_banner("a second panic adds no second banner");
    let doc = web_sys::window().unwrap().document().unwrap();
    let banners = doc.query_selector_all("#crash").unwrap().length();
    assert_eq!(banners, 1);
    let area = doc
        .get_element_by_id("crash-report")
        .expect("the report box");
    assert_eq!(area.text_content().unwrap_or_default(), r);
    // The script's markup stays text.
    assert!(doc.query_selector("#crash b").unwrap().is_none());
    doc.get_element_by_id("crash").unwrap().remove();
}
