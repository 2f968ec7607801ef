//! (in progress)
use super::Script;
use crate::Diagnostic;
pub(super) fn check(_text: &str, _s: &Script) -> Vec<Diagnostic> { vec![] }
