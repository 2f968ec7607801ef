//! Sharing from the page: reading a share link from the address bar, the link of the current
//! view, the email text, the clipboard and downloads. The link format is the model's
//! (`mm_model::link`), so `pinlab link` prints the same URL for the same view.

use mm_model::link::{LinkError, Share};
use mm_model::{Report, SchemeKind};
use wasm_bindgen::JsCast;

use crate::UiOverrides;

/// The page's address without its fragment and without `embed` in its query: the base of the
/// links it makes (a link from an embedded view opens the full page).
pub fn base_url() -> String {
    let Some(l) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let (origin, path) = (
        l.origin().unwrap_or_default(),
        l.pathname().unwrap_or_default(),
    );
    let search = l.search().unwrap_or_default();
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && *p != "embed" && !p.starts_with("embed="))
        .collect();
    if kept.is_empty() {
        format!("{origin}{path}")
    } else {
        format!("{origin}{path}?{}", kept.join("&"))
    }
}

/// The share link in the address bar, if there is one: `None` without a fragment (or with one
/// that is not a pinlab link's `#v…`), else what it decodes to.
pub fn from_location() -> Option<Result<Share, LinkError>> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let frag = hash.strip_prefix('#')?;
    if !frag.starts_with('v') {
        return None;
    }
    Some(Share::from_fragment(frag))
}

/// Drops the fragment from the address bar (without a reload or a history entry): once a
/// link is open, the editor and localStorage hold its script, and a reload must not undo the
/// user's edits by opening the link again.
pub fn clear_location_fragment() {
    let Some(w) = web_sys::window() else { return };
    let l = w.location();
    let here = format!(
        "{}{}",
        l.pathname().unwrap_or_default(),
        l.search().unwrap_or_default()
    );
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&here));
    }
}

/// Whether the page is the compact read-only embed view (`?embed`).
pub fn embed_mode() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| {
            s.trim_start_matches('?')
                .split('&')
                .any(|p| p == "embed" || p.starts_with("embed="))
        })
}

/// The link of a view.
pub fn link(text: &str, scheme: SchemeKind, side: bool, step: u64, o: &UiOverrides) -> String {
    Share::new(text, Some(scheme), side, Some(step), &o.to_model()).url(&base_url())
}

/// The email text: `pinlab run`'s output for the script (the same code) and the link.
pub fn email(report: &Report, name: &str, link: &str) -> String {
    format!("{}\nOpen it in pinlab:\n{link}\n", report.run_text(name))
}

/// Writes `text` to the clipboard (asynchronously; a refusal leaves the text on the page to
/// copy by hand).
pub fn copy(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc
        .create_element("a")
        .map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The UI overrides a link carries (values this version does not know are dropped).
pub fn overrides_of(s: &Share) -> UiOverrides {
    let o = s.overrides();
    UiOverrides {
        era: o.era.map(|v| v.to_string()),
        writeback: o.writeback.map(|v| v.name().to_string()),
        counter: o.counter.map(|v| v.name().to_string()),
        gup_fast: o.gup_fast.map(|v| v.name().to_string()),
        costs: o.costs.into_iter().map(|(n, d)| (n, d.0)).collect(),
    }
}
