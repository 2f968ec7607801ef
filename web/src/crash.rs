//! When the app panics: a banner instead of a dead page. It says what happened, that the
//! script is safe (it is in localStorage), and offers the report (message, place, browser, the
//! script) in a selected text box to copy, and a plain reload link. It is built with DOM calls
//! and text nodes only, and needs no wasm after the panic: the instance is gone by then.

use std::panic::PanicHookInfo;

/// The crash report: what a bug report needs.
pub fn report(message: &str, location: &str, script: &str) -> String {
    let agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    format!(
        "pinlab {} crashed\npanic: {message}\nat: {location}\nbrowser: {agent}\n\nscript:\n{script}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Puts the crash banner at the top of the page (once).
pub fn show_banner(report: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if doc.get_element_by_id("crash").is_some() {
        return;
    }
    let Some(body) = doc.body() else { return };
    let el = |tag: &str| doc.create_element(tag).ok();
    let (Some(banner), Some(title), Some(text), Some(area), Some(reload)) =
        (el("div"), el("h2"), el("p"), el("textarea"), el("a"))
    else {
        return;
    };
    banner.set_id("crash");
    let _ = banner.set_attribute("role", "alert");
    title.set_text_content(Some("pinlab hit an internal error"));
    text.set_text_content(Some(
        "This is a bug in pinlab, not in your script, which is saved in this browser and comes \
         back when you reload. Please send the report below (select it, copy it) with the \
         script to the pinlab developers.",
    ));
    area.set_id("crash-report");
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("rows", "10");
    let _ = area.set_attribute("aria-label", "crash report");
    area.set_text_content(Some(report));
    reload.set_text_content(Some("reload pinlab"));
    let _ = reload.set_attribute("href", "");
    for child in [&title, &text, &area, &reload] {
        let _ = banner.append_child(child);
    }
    let _ = body.insert_before(&banner, body.first_child().as_ref());
    if let Ok(a) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlTextAreaElement>(area) {
        a.select();
    }
}

/// The panic hook: the console message, then the banner.
fn hook(info: &PanicHookInfo<'_>) {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    let location = info
        .location()
        .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
    web_sys::console::error_1(&format!("pinlab panicked: {message} at {location}").into());
    let script = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(crate::STORAGE_KEY).ok().flatten())
        .unwrap_or_default();
    show_banner(&report(&message, &location, &script));
}

/// Installs the hook (the page's `main`).
pub fn install() {
    std::panic::set_hook(Box::new(hook));
}
