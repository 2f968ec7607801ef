//! The settings and cost-table overrides the page applies on top of a script, and their
//! storage form (a small JSON object, read and written by hand: see [`UiOverrides::to_json`]).

use std::collections::BTreeMap;

use mm_model::settings::{CounterMode, GupFastMode, KernelVersion, WritebackPolicy};
use mm_model::Overrides;

use crate::logic;

/// The settings the UI overrides (compared to decide when to re-run).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UiOverrides {
    /// Kernel era.
    pub era: Option<String>,
    /// Writeback policy.
    pub writeback: Option<String>,
    /// Counter mode.
    pub counter: Option<String>,
    /// GUP-fast mode.
    pub gup_fast: Option<String>,
    /// Cost overrides: primitive name -> picoseconds.
    pub costs: BTreeMap<String, u64>,
}

impl UiOverrides {
    /// The model's overrides.
    pub fn to_model(&self) -> Overrides {
        Overrides {
            schemes: Vec::new(),
            era: self.era.as_deref().and_then(KernelVersion::from_name),
            writeback: self
                .writeback
                .as_deref()
                .and_then(WritebackPolicy::from_name),
            counter: self.counter.as_deref().and_then(CounterMode::from_name),
            gup_fast: self.gup_fast.as_deref().and_then(GupFastMode::from_name),
            costs: self
                .costs
                .iter()
                .map(|(k, v)| (k.clone(), mm_model::Duration(*v)))
                .collect(),
            max_steps: Some(crate::WEB_MAX_STEPS),
        }
    }
    /// The script lines equivalent to these overrides.
    pub fn script_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.era {
            out.push(format!("kernel {e}"));
        }
        if let Some(w) = &self.writeback {
            out.push(format!("set writeback={w}"));
        }
        if let Some(c) = &self.counter {
            out.push(format!("set counter={c}"));
        }
        if let Some(g) = &self.gup_fast {
            out.push(format!("set gup-fast={g}"));
        }
        if !self.costs.is_empty() {
            let parts: Vec<String> = self
                .costs
                .iter()
                .map(|(k, v)| format!("{k}={}", fmt_duration_compact(*v)))
                .collect();
            out.push(format!("cost {}", parts.join(" ")));
        }
        out
    }

    /// The same cost overrides, no settings override: what a gallery scenario opens with (it
    /// is about its own kernel and settings).
    pub fn costs_only(&self) -> UiOverrides {
        UiOverrides {
            costs: self.costs.clone(),
            ..UiOverrides::default()
        }
    }

    /// No override at all.
    pub fn is_empty(&self) -> bool {
        *self == UiOverrides::default()
    }

    /// JSON for localStorage: `{"era":"4.19","writeback":null,...,"costs":{"atomic":6000}}`
    /// (cost values in picoseconds). Written and read by hand ([`logic::json`]): serde_json's
    /// parser would add ~28 KB to the wasm for this one small object.
    pub fn to_json(&self) -> String {
        use logic::json::quote;
        let opt = |v: &Option<String>| v.as_deref().map_or("null".to_string(), quote);
        let costs: Vec<String> = self
            .costs
            .iter()
            .map(|(k, v)| format!("{}:{v}", quote(k)))
            .collect();
        format!(
            "{{\"era\":{},\"writeback\":{},\"counter\":{},\"gup_fast\":{},\"costs\":{{{}}}}}",
            opt(&self.era),
            opt(&self.writeback),
            opt(&self.counter),
            opt(&self.gup_fast),
            costs.join(",")
        )
    }

    /// Reads [`UiOverrides::to_json`]'s format back. Unknown setting names, unknown primitives
    /// and non-integer costs are dropped (stored data may come from an older version);
    /// `None` only when the text is not a JSON object.
    pub fn from_json(text: &str) -> Option<UiOverrides> {
        use logic::json::Value;
        let Value::Object(obj) = logic::json::parse(text)? else {
            return None;
        };
        let get = |key: &str| obj.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let name = |key: &str, valid: fn(&str) -> bool| match get(key) {
            Some(Value::Str(s)) if valid(s) => Some(s.clone()),
            _ => None,
        };
        let known: Vec<&'static str> = mm_model::cost::CostTable::default()
            .entries
            .iter()
            .map(|e| e.primitive.name())
            .collect();
        let mut costs = BTreeMap::new();
        if let Some(Value::Object(c)) = get("costs") {
            for (k, v) in c {
                if let (true, Value::Int(n)) = (known.contains(&k.as_str()), v) {
                    costs.insert(k.clone(), *n);
                }
            }
        }
        Some(UiOverrides {
            // Stored by an older version as an era token (`2018`): kept as the release it means.
            era: name("era", |s| KernelVersion::from_name(s).is_some())
                .and_then(|s| KernelVersion::from_name(&s))
                .map(|k| k.to_string()),
            writeback: name("writeback", |s| WritebackPolicy::from_name(s).is_some()),
            counter: name("counter", |s| CounterMode::from_name(s).is_some()),
            gup_fast: name("gup_fast", |s| GupFastMode::from_name(s).is_some()),
            costs,
        })
    }
}

/// `5us`, `250ns`, `10.5ns`: a duration as the script language spells it.
pub fn fmt_duration_compact(ps: u64) -> String {
    if ps % 1_000_000 == 0 && ps > 0 {
        format!("{}us", ps / 1_000_000)
    } else {
        let ns = ps as f64 / 1000.0;
        let s = format!("{ns:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}ns")
    }
}
