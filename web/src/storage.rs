//! localStorage: the editor text, the user's own script kept aside, the overrides. Every
//! access tolerates a browser without storage (private mode, disabled): reads give nothing,
//! writes are dropped.

use crate::{UiOverrides, DEFAULT_SCRIPT, OVERRIDES_KEY, SCRATCH_KEY, STORAGE_KEY};

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub(crate) fn load_item(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

pub(crate) fn save_item(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub(crate) fn remove_item(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub(crate) fn load_script() -> String {
    load_item(STORAGE_KEY)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SCRIPT.to_string())
}

pub(crate) fn save_script(text: &str) {
    save_item(STORAGE_KEY, text);
}

pub(crate) fn load_scratch() -> Option<String> {
    load_item(SCRATCH_KEY).filter(|t| !t.trim().is_empty())
}

pub(crate) fn load_overrides() -> UiOverrides {
    load_item(OVERRIDES_KEY)
        .and_then(|t| UiOverrides::from_json(&t))
        .unwrap_or_default()
}

pub(crate) fn save_overrides(o: &UiOverrides) {
    if o.is_empty() {
        remove_item(OVERRIDES_KEY);
    } else {
        save_item(OVERRIDES_KEY, &o.to_json());
    }
}
