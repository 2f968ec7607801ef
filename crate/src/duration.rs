//! `Duration`: time in picoseconds, the unit of the cost table and of the script's `cost`
//! statements. A leaf module: the cost model and the script language both build on it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A duration, kept in picoseconds so that table values like 10.5 ns are exact.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Duration(pub u64);

impl Duration {
    /// From nanoseconds (fractional allowed).
    pub fn from_ns(ns: f64) -> Self {
        Duration((ns * 1000.0).round().max(0.0) as u64)
    }
    /// As nanoseconds.
    pub fn as_ns(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Duration {
    /// The shortest exact spelling: `1ms`, `2us`, `250ns`, `10.5ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ps = self.0;
        if ps != 0 && ps % 1_000_000_000 == 0 {
            write!(f, "{}ms", ps / 1_000_000_000)
        } else if ps != 0 && ps % 1_000_000 == 0 {
            write!(f, "{}us", ps / 1_000_000)
        } else if ps % 1000 == 0 {
            write!(f, "{}ns", ps / 1000)
        } else {
            let frac = format!("{:03}", ps % 1000);
            write!(f, "{}.{}ns", ps / 1000, frac.trim_end_matches('0'))
        }
    }
}
