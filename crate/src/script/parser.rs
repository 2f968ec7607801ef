//! (in progress)
use super::Script;
use crate::Diagnostic;
pub(super) fn parse(_text: &str) -> (Script, Vec<Diagnostic>) { (Script::default(), vec![]) }
