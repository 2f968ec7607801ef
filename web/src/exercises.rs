//! The exercise mode's data: which exercise is open, and each exercise's progress (the
//! student's script, hints revealed, passed), kept in localStorage as JSON.

use std::collections::BTreeMap;

use crate::logic::json::{self, Value};

/// localStorage key of the progress of every exercise.
pub const PROGRESS_KEY: &str = "pinlab.exercises";
/// localStorage key of the exercise open now (absent: none).
pub const CURRENT_KEY: &str = "pinlab.exercise";

/// One exercise's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The student's script as last edited.
    pub script: String,
    /// Hints revealed.
    pub hints: u32,
    /// The last check passed every check.
    pub passed: bool,
}

/// Every exercise's progress, by exercise name.
pub type Book = BTreeMap<String, Progress>;

/// `{"01-first-pin":{"script":"...","hints":1,"passed":true}}`
pub fn to_json(book: &Book) -> String {
    let items: Vec<String> = book
        .iter()
        .map(|(k, p)| {
            format!(
                "{}:{{\"script\":{},\"hints\":{},\"passed\":{}}}",
                json::quote(k),
                json::quote(&p.script),
                p.hints,
                p.passed
            )
        })
        .collect();
    format!("{{{}}}", items.join(","))
}

/// Reads [`to_json`]'s format; `None` when the text is not such an object (a corrupt store).
/// Entries with missing fields keep their defaults.
pub fn from_json(text: &str) -> Option<Book> {
    let Value::Object(items) = json::parse(text)? else {
        return None;
    };
    let mut book = Book::new();
    for (name, v) in items {
        let Value::Object(fields) = v else {
            return None;
        };
        let mut p = Progress::default();
        for (k, v) in fields {
            match (k.as_str(), v) {
                ("script", Value::Str(s)) => p.script = s,
                ("hints", Value::Int(n)) => p.hints = u32::try_from(n).unwrap_or(u32::MAX),
                ("passed", Value::Bool(b)) => p.passed = b,
                _ => {}
            }
        }
        book.insert(name, p);
    }
    Some(book)
}

/// The exercise named in the page's query (`?exercise=NAME`), if any.
pub fn from_query(search: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|p| p.strip_prefix("exercise="))
        .filter(|n| !n.is_empty())
        .map(|n| n.to_string())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips() {
        let mut b = Book::new();
        b.insert(
            "01-first-pin".into(),
            Progress {
                script: "mmap m anon pages=1 rw\n\"quoted\" µ\n".into(),
                hints: 2,
                passed: true,
            },
        );
        b.insert("02-x".into(), Progress::default());
        assert_eq!(from_json(&to_json(&b)), Some(b));
        assert_eq!(from_json("{}"), Some(Book::new()));
        assert_eq!(from_json("{bad"), None);
        assert_eq!(from_json("[1]"), None);
        assert_eq!(from_json("{\"a\":3}"), None);
    }

    #[test]
    fn the_query_names_an_exercise() {
        assert_eq!(from_query("?exercise=first-pin"), Some("first-pin".into()));
        assert_eq!(from_query("?embed&exercise=03-x"), Some("03-x".into()));
        assert_eq!(from_query("?exercise="), None);
        assert_eq!(from_query(""), None);
    }
}
