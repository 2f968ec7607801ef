fn main() {
    // The same module runs the model workers: there is no window there.
    if web_sys::window().is_none() {
        mm_web::worker::serve();
        return;
    }
    // A panic shows a banner with a report to copy instead of leaving a dead page.
    mm_web::crash::install();
    // The static "Loading…" text of index.html goes once the app can render.
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("loading"))
    {
        el.remove();
    }
    yew::Renderer::<mm_web::App>::new().render();
}
