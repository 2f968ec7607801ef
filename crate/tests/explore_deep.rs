//! Deep explorations (long thread bodies) run in a bounded stack: the search's depth-first
//! descent, and dropping its long schedule paths, must fit the 1 MiB stack of a browser
//! worker's wasm.

fn explore_in_small_stack(text: String, max_states: u64) -> mm_model::explore::Exploration {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let p = mm_model::parse(&text);
            assert!(!p.has_errors(), "{:?}", p.diagnostics);
            let o = mm_model::Overrides {
                schemes: vec![mm_model::SchemeKind::Refcount],
                ..Default::default()
            };
            let bounds = mm_model::explore::Bounds {
                max_states,
                reduce: true,
            };
            mm_model::explore::explore_with(&p.script, &o, bounds, &mut |_| true)
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn a_long_thread_body_fits_a_small_stack() {
    // Cut by the bound, 1,000 statements deep.
    let body = "  write a\n  read a\n".repeat(500);
    let e = explore_in_small_stack(
        format!("mmap a anon pages=1 rw\nthread x {{\n{body}}}\nthread y {{\n{body}}}\n"),
        5_000,
    );
    assert!(!e.schemes[0].complete());
    // Complete, with a violation at the end of every schedule: 2,001-step paths.
    let long = "  write a\n".repeat(2_000);
    let e = explore_in_small_stack(
        format!(
            "mmap a anon pages=1 rw\nthread x {{\n{long}}}\nthread y {{\n  gup io a write\n}}\n"
        ),
        100_000,
    );
    let s = &e.schemes[0];
    assert!(s.complete(), "{s:?}");
    assert_eq!(s.schedules, 2_001);
    assert!(
        s.found.iter().any(|f| f.violating == 2_001),
        "{:?}",
        s.found
    );
}
